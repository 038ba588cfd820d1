/* fuzz-lists.c — libFuzzer harness for the dataset's text lists: split lists and classes.txt
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "voc-private.h"

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_quiet_logs ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *copy = g_malloc (MAX (size, 1));
  g_autoptr(GPtrArray) ids = NULL;
  g_auto(GStrv) names = NULL;
  guint8 palette[256 * 3] = { 0 };

  if (size > 0)
    memcpy (copy, data, size);

  /* the same text as both kinds of list */
  ids = _voc_parse_split_list (copy, size, "fuzz.txt", NULL);
  if (ids != NULL)
    {
      FUZZ_CHECK (ids->len > 0);
      for (guint i = 0; i < ids->len; i++)
        {
          const char *id = g_ptr_array_index (ids, i);

          FUZZ_CHECK (id[0] != '\0' && id[0] != '.' && strchr (id, '/') == NULL &&
                      strchr (id, '\\') == NULL);
          FUZZ_CHECK (g_utf8_validate (id, -1, NULL));
        }
    }

  names = _voc_parse_class_names (copy, size, "classes.txt", palette, NULL);
  if (names != NULL)
    {
      guint n = g_strv_length (names);

      FUZZ_CHECK (n > 0 && n <= 255);
      for (guint i = 0; i < n; i++)
        FUZZ_CHECK (names[i][0] != '\0');
    }
  return 0;
}
