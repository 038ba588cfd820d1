/* unet-safetensors-json.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "unet-error.h"
#include "unet-error-private.h"
#include "unet-safetensors-private.h"

/* Our own files nest three levels deep; anything far deeper is hostile, and json-glib's parser
 * recurses once per level. */
#define MAX_JSON_DEPTH 32

/* json-glib 1.6 is lenient (comments, single quotes, hex numbers, integers that silently wrap
 * around, no depth limit), so the header is first held to RFC 8259 here: whatever passes is
 * parsed by json-glib exactly as the specification means it. */

typedef enum
{
  JSON_EXPECT_VALUE,
  JSON_EXPECT_KEY,
  JSON_AFTER_VALUE,
} JsonCheckState;

static gboolean
is_json_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (const char  *p,
           const char  *end,
           guint       *value)
{
  guint v = 0;

  if (end - p < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int h = hex_value (p[i]);

      if (h < 0)
        return FALSE;
      v = (v << 4) | (guint) h;
    }
  *value = v;
  return TRUE;
}

/* *pp points at the opening quote and is moved past the closing one; on failure it is left
 * near the fault and *why says what it is. */
static gboolean
scan_string (const char **pp,
             const char  *end,
             const char **why)
{
  const char *p = *pp + 1;

#define FAIL(reason) G_STMT_START { *why = (reason); *pp = p; return FALSE; } G_STMT_END

  while (p < end)
    {
      guchar c = (guchar) *p;

      if (c == '"')
        {
          *pp = p + 1;
          return TRUE;
        }
      if (c < 0x20)
        FAIL ("control character in a string");
      if (c != '\\')
        {
          p++;
          continue;
        }

      if (end - p < 2)
        break;
      switch (p[1])
        {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          p += 2;
          break;

        case 'u':
          {
            guint v;

            if (!read_hex4 (p + 2, end, &v))
              FAIL ("invalid \\u escape");
            p += 6;
            /* NUL would silently cut the string short in json-glib */
            if (v == 0)
              FAIL ("\\u0000 in a string");
            if (v >= 0xdc00 && v <= 0xdfff)
              FAIL ("unpaired surrogate in a \\u escape");
            if (v >= 0xd800 && v <= 0xdbff)
              {
                guint low;

                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
                    !read_hex4 (p + 2, end, &low) || low < 0xdc00 || low > 0xdfff)
                  FAIL ("unpaired surrogate in a \\u escape");
                p += 6;
              }
          }
          break;

        default:
          FAIL ("invalid escape in a string");
        }
    }

  FAIL ("unterminated string");
#undef FAIL
}

static gboolean
scan_number (const char **pp,
             const char  *end,
             const char **why)
{
  const char *p = *pp;
  gboolean negative = FALSE;
  gboolean integer = TRUE;
  guint64 magnitude = 0;
  gboolean overflow = FALSE;

#define FAIL(reason) G_STMT_START { *why = (reason); *pp = p; return FALSE; } G_STMT_END

  if (*p == '-')
    {
      negative = TRUE;
      p++;
    }
  if (p >= end || !g_ascii_isdigit (*p))
    FAIL ("invalid number");
  if (*p == '0' && p + 1 < end && g_ascii_isdigit (p[1]))
    FAIL ("number with a leading zero");
  while (p < end && g_ascii_isdigit (*p))
    {
      guint d = (guint) (*p - '0');

      if (magnitude > (G_MAXUINT64 - d) / 10)
        overflow = TRUE;
      else
        magnitude = magnitude * 10 + d;
      p++;
    }
  if (p < end && *p == '.')
    {
      integer = FALSE;
      p++;
      if (p >= end || !g_ascii_isdigit (*p))
        FAIL ("invalid number");
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      integer = FALSE;
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (p >= end || !g_ascii_isdigit (*p))
        FAIL ("invalid number");
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }

  /* json-glib wraps integers around 2^64 instead of failing */
  if (integer &&
      (overflow || magnitude > (guint64) G_MAXINT64 + (negative ? 1 : 0)))
    FAIL ("integer out of range");

  *pp = p;
  return TRUE;
#undef FAIL
}

gboolean
unet_safetensors_check_json (const char  *json,
                             size_t       length,
                             const char  *file,
                             GError     **error)
{
  const char *p = json;
  const char *end = json + length;
  char stack[MAX_JSON_DEPTH];
  int depth = 0;
  JsonCheckState state = JSON_EXPECT_VALUE;
  const char *why = NULL;

  for (;;)
    {
      while (p < end && is_json_space (*p))
        p++;

      if (state == JSON_AFTER_VALUE && depth == 0)
        {
          if (p != end)
            {
              why = "unexpected characters after the top-level value";
              goto fail;
            }
          return TRUE;
        }

      if (p >= end)
        {
          why = "unexpected end of the header";
          goto fail;
        }

      switch (state)
        {
        case JSON_EXPECT_KEY:
          if (*p != '"')
            {
              why = "expected a member name";
              goto fail;
            }
          if (!scan_string (&p, end, &why))
            goto fail;
          while (p < end && is_json_space (*p))
            p++;
          if (p >= end || *p != ':')
            {
              why = "expected “:”";
              goto fail;
            }
          p++;
          state = JSON_EXPECT_VALUE;
          break;

        case JSON_EXPECT_VALUE:
          if (*p == '{' || *p == '[')
            {
              char close = *p == '{' ? '}' : ']';

              if (depth == MAX_JSON_DEPTH)
                {
                  why = "nested too deeply";
                  goto fail;
                }
              stack[depth++] = close;
              p++;
              while (p < end && is_json_space (*p))
                p++;
              if (p < end && *p == close)
                {
                  p++;
                  depth--;
                  state = JSON_AFTER_VALUE;
                }
              else
                state = close == '}' ? JSON_EXPECT_KEY : JSON_EXPECT_VALUE;
            }
          else if (*p == '"')
            {
              if (!scan_string (&p, end, &why))
                goto fail;
              state = JSON_AFTER_VALUE;
            }
          else if (*p == '-' || g_ascii_isdigit (*p))
            {
              if (!scan_number (&p, end, &why))
                goto fail;
              state = JSON_AFTER_VALUE;
            }
          else
            {
              static const char *const literals[] = { "true", "false", "null" };
              gboolean found = FALSE;

              for (guint i = 0; i < G_N_ELEMENTS (literals); i++)
                {
                  size_t n = strlen (literals[i]);

                  if ((size_t) (end - p) >= n && memcmp (p, literals[i], n) == 0)
                    {
                      p += n;
                      found = TRUE;
                      break;
                    }
                }
              if (!found)
                {
                  why = "unexpected character";
                  goto fail;
                }
              state = JSON_AFTER_VALUE;
            }
          break;

        case JSON_AFTER_VALUE:
          if (*p == ',')
            {
              p++;
              state = stack[depth - 1] == '}' ? JSON_EXPECT_KEY : JSON_EXPECT_VALUE;
            }
          else if (*p == stack[depth - 1])
            {
              p++;
              depth--;
            }
          else
            {
              why = "expected “,” or the end of the object or array";
              goto fail;
            }
          break;

        default:
          g_assert_not_reached ();
        }
    }

fail:
  return unet_set_file_error (error, UNET_ERROR_CORRUPT, file,
                              "header is not valid JSON: %s at byte %" G_GSIZE_FORMAT
                              " of the header", why, (gsize) (MIN (p, end) - json));
}
