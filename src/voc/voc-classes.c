/* voc-classes.c — classes.txt, and the meaning of mask pixels
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "voc-classes.h"
#include "voc-colormap.h"
#include "voc-error.h"
#include "voc-private.h"

#define N_VALUES 65536
#define UNKNOWN  0xffff
/* The class number void stands under in the tables, beside the classes 0..254. */
#define VOID_CLASS VOC_VOID
/* Not a line of the file: a default (a class's own index or colour, VOC's void). */
#define DEFAULT_LINE 0

struct _VocClasses
{
  gatomicrefcount  ref_count;
  int              n_classes;
  char           **names;
  guint8           palette[256 * 3];
  gboolean         listed;
  guint16         *value_class;   /* N_VALUES: class, VOID_CLASS or UNKNOWN */
  GHashTable      *colour_class;  /* rgb + 1 → class + 1 (VOID_CLASS + 1 for void) */
  /* for messages and the description */
  guint            value_line[N_VALUES];
};

static guint
pack_rgb (const guint8 *rgb)
{
  return ((guint) rgb[0] << 16) | ((guint) rgb[1] << 8) | rgb[2];
}

static gboolean
parse_colour (const char *text,
              guint8      rgb[3])
{
  if (strlen (text) != 7 || text[0] != '#')
    return FALSE;
  for (int i = 1; i < 7; i++)
    if (!g_ascii_isxdigit (text[i]))
      return FALSE;
  for (int c = 0; c < 3; c++)
    rgb[c] = g_ascii_xdigit_value (text[1 + 2 * c]) * 16 + g_ascii_xdigit_value (text[2 + 2 * c]);
  return TRUE;
}

static gboolean
parse_value (const char *text,
             guint      *value)
{
  guint64 v;
  char *end;

  if (!g_ascii_isdigit (text[0]))
    return FALSE;
  v = g_ascii_strtoull (text, &end, 10);
  if (*end != '\0' || v >= N_VALUES)
    return FALSE;
  *value = (guint) v;
  return TRUE;
}

/* "FIRST-LAST", both values, FIRST < LAST */
static gboolean
parse_range (const char *text,
             guint      *first,
             guint      *last)
{
  const char *dash = strchr (text, '-');
  g_autofree char *head = NULL;

  if (dash == NULL)
    return FALSE;
  head = g_strndup (text, dash - text);
  return parse_value (head, first) && parse_value (dash + 1, last) && *first < *last;
}

static const char *
class_label (VocClasses *self,
             guint       cls)
{
  return cls == VOID_CLASS ? "void" : self->names[cls];
}

/* Parse state: which line gave each colour, to name both lines of a conflict. */
typedef struct
{
  VocClasses *classes;
  const char *display;
  GHashTable *colour_line;  /* rgb + 1 → line */
} Parser;

static gboolean
claim_value (Parser  *parser,
             guint    value,
             guint    cls,
             guint    line,
             GError **error)
{
  VocClasses *self = parser->classes;

  if (self->value_class[value] != UNKNOWN)
    {
      guint other = self->value_class[value];

      if (line == DEFAULT_LINE || other == cls)
        return TRUE;
      g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT,
                   "%s:%u: value %u already stands for “%s” (line %u)", parser->display, line,
                   value, class_label (self, other), self->value_line[value]);
      return FALSE;
    }
  self->value_class[value] = cls;
  self->value_line[value] = line;
  return TRUE;
}

static gboolean
claim_colour (Parser       *parser,
              const guint8  rgb[3],
              guint         cls,
              guint         line,
              GError      **error)
{
  VocClasses *self = parser->classes;
  gpointer key = GUINT_TO_POINTER (pack_rgb (rgb) + 1);
  gpointer found = g_hash_table_lookup (self->colour_class, key);

  if (found != NULL)
    {
      guint other = GPOINTER_TO_UINT (found) - 1;
      guint other_line = GPOINTER_TO_UINT (g_hash_table_lookup (parser->colour_line, key));

      if (line == DEFAULT_LINE || other_line == DEFAULT_LINE || other == cls)
        return TRUE;
      g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT,
                   "%s:%u: colour #%02x%02x%02x already stands for “%s” (line %u)",
                   parser->display, line, rgb[0], rgb[1], rgb[2], class_label (self, other),
                   other_line);
      return FALSE;
    }
  g_hash_table_insert (self->colour_class, key, GUINT_TO_POINTER (cls + 1));
  g_hash_table_insert (parser->colour_line, key, GUINT_TO_POINTER (line));
  return TRUE;
}

/* The mask values and colours after "=". */
static gboolean
parse_listed (Parser     *parser,
              const char *text,
              guint       cls,
              guint       line,
              GError    **error)
{
  g_auto(GStrv) tokens = g_strsplit_set (text, " \t,", -1);
  guint n = 0;

  for (char **t = tokens; *t; t++)
    {
      guint8 rgb[3];
      guint value, last;

      if (**t == '\0')
        continue;
      n++;
      if (parse_colour (*t, rgb))
        {
          if (!claim_colour (parser, rgb, cls, line, error))
            return FALSE;
        }
      else if (parse_value (*t, &value))
        {
          if (!claim_value (parser, value, cls, line, error))
            return FALSE;
        }
      else if (parse_range (*t, &value, &last))
        {
          /* instance-label masks (1, 2, 3, … one number per object) as one class */
          for (guint v = value; v <= last; v++)
            if (!claim_value (parser, v, cls, line, error))
              return FALSE;
        }
      else
        {
          g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT,
                       "%s:%u: “%s” is neither a mask value (0–65535), a range of them "
                       "(1-65535) nor a colour (#rrggbb)", parser->display, line, *t);
          return FALSE;
        }
    }
  if (n == 0)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT,
                   "%s:%u: nothing after “=”: list the mask values or colours that stand for "
                   "“%s”", parser->display, line, class_label (parser->classes, cls));
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  char    *name;
  guint    line;
  char    *listed;       /* after "=", or NULL */
  gboolean has_colour;
  guint8   rgb[3];
} ClassLine;

static void
class_line_clear (ClassLine *l)
{
  g_free (l->name);
  g_free (l->listed);
}

/* Splits "NAME [#rrggbb] [= …]" into its parts; FALSE with an error for a line without a name. */
static gboolean
split_line (char       *line,
            guint       line_no,
            const char *display,
            ClassLine  *out,
            GError    **error)
{
  char *equals = strchr (line, '=');
  char *space;

  memset (out, 0, sizeof *out);
  out->line = line_no;
  if (equals != NULL)
    {
      *equals = '\0';
      out->listed = g_strstrip (g_strdup (equals + 1));
    }
  g_strstrip (line);
  space = strrchr (line, ' ');
  if (space == NULL)
    space = strrchr (line, '\t');
  if (parse_colour (space ? space + 1 : line, out->rgb))
    {
      out->has_colour = TRUE;
      if (space)
        *space = '\0';
      else
        line[0] = '\0';
      g_strstrip (line);
    }
  if (line[0] == '\0')
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT, "%s:%u: a %s without a class name",
                   display, line_no, out->has_colour ? "colour" : "mask value");
      g_free (out->listed);
      return FALSE;
    }
  out->name = g_strdup (line);
  return TRUE;
}

static gboolean
read_lines (const char  *contents,
            gsize        length,
            const char  *display,
            GArray      *classes,
            ClassLine   *void_line,
            GError     **error)
{
  g_auto(GStrv) lines = _voc_split_list_lines (contents, length, display, error);
  guint line_no = 0;

  if (lines == NULL)
    return FALSE;
  for (char **l = lines; *l; l++)
    {
      char *line = g_strstrip (*l);
      ClassLine parsed;

      line_no++;
      if (line[0] == '\0' || line[0] == '#')
        continue;
      if (!split_line (line, line_no, display, &parsed, error))
        return FALSE;
      if (g_ascii_strcasecmp (parsed.name, "void") == 0)
        {
          if (parsed.listed == NULL || void_line->line != 0)
            {
              g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT,
                           parsed.listed == NULL
                           ? "%s:%u: “void” is not a class; say which mask values or colours "
                             "mean void, e.g. “void = 255”"
                           : "%s:%u: a second void line (the first is line %u)",
                           display, line_no, void_line->line);
              class_line_clear (&parsed);
              return FALSE;
            }
          *void_line = parsed;
          continue;
        }
      for (guint i = 0; i < classes->len; i++)
        if (g_strcmp0 (g_array_index (classes, ClassLine, i).name, parsed.name) == 0)
          {
            g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT, "%s:%u: class “%s” appears twice",
                         display, line_no, parsed.name);
            class_line_clear (&parsed);
            return FALSE;
          }
      if (classes->len >= 255)
        {
          g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT,
                       "%s:%u: more than 255 classes (255 is the void label)", display, line_no);
          class_line_clear (&parsed);
          return FALSE;
        }
      g_array_append_val (classes, parsed);
    }
  if (classes->len == 0)
    {
      g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT, "%s: no class names", display);
      return FALSE;
    }
  return TRUE;
}

static VocClasses *
classes_alloc (void)
{
  VocClasses *self = g_new0 (VocClasses, 1);

  g_atomic_ref_count_init (&self->ref_count);
  memcpy (self->palette, voc_colormap_table (), sizeof self->palette);
  self->value_class = g_new (guint16, N_VALUES);
  for (guint v = 0; v < N_VALUES; v++)
    self->value_class[v] = UNKNOWN;
  self->colour_class = g_hash_table_new (g_direct_hash, g_direct_equal);
  return self;
}

/* What the file lists first, then each class's own index and colour and VOC's void where the
 * file left them free. */
static gboolean
build_tables (VocClasses  *self,
              GArray      *lines,
              ClassLine   *void_line,
              const char  *display,
              GError     **error)
{
  g_autoptr(GHashTable) colour_line = g_hash_table_new (g_direct_hash, g_direct_equal);
  Parser parser = { self, display, colour_line };
  static const guint8 voc_void_rgb[3] = { 224, 224, 192 };

  for (guint i = 0; i < lines->len; i++)
    {
      ClassLine *l = &g_array_index (lines, ClassLine, i);

      if (l->has_colour && !claim_colour (&parser, l->rgb, i, l->line, error))
        return FALSE;
      if (l->listed != NULL && !parse_listed (&parser, l->listed, i, l->line, error))
        return FALSE;
    }
  if (void_line->line != 0)
    {
      if (void_line->has_colour && !claim_colour (&parser, void_line->rgb, VOID_CLASS,
                                                  void_line->line, error))
        return FALSE;
      if (!parse_listed (&parser, void_line->listed, VOID_CLASS, void_line->line, error))
        return FALSE;
    }
  for (guint i = 0; i < lines->len; i++)
    {
      ClassLine *l = &g_array_index (lines, ClassLine, i);

      if (l->listed == NULL && self->value_class[i] != UNKNOWN && self->value_class[i] != i)
        {
          g_set_error (error, VOC_ERROR, VOC_ERROR_CORRUPT,
                       "%s:%u: “%s” stands for the value %u, its index, which line %u gives to "
                       "“%s”; list the values that stand for “%s” after “=”", display, l->line,
                       l->name, i, self->value_line[i],
                       class_label (self, self->value_class[i]), l->name);
          return FALSE;
        }
      if (l->listed == NULL)
        claim_value (&parser, i, i, DEFAULT_LINE, NULL);
      claim_colour (&parser, self->palette + 3 * i, i, DEFAULT_LINE, NULL);
    }
  if (void_line->line == 0)
    {
      claim_value (&parser, VOC_VOID, VOID_CLASS, DEFAULT_LINE, NULL);
      claim_colour (&parser, voc_void_rgb, VOID_CLASS, DEFAULT_LINE, NULL);
    }
  return TRUE;
}

VocClasses *
voc_classes_parse (const char  *contents,
                   gsize        length,
                   const char  *display,
                   GError     **error)
{
  g_autoptr(VocClasses) self = NULL;
  g_autoptr(GArray) lines = g_array_new (FALSE, TRUE, sizeof (ClassLine));
  ClassLine void_line = { 0 };
  gboolean ok;

  g_return_val_if_fail (contents != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_array_set_clear_func (lines, (GDestroyNotify) class_line_clear);
  if (!read_lines (contents ? contents : "", length, display, lines, &void_line, error))
    {
      class_line_clear (&void_line);
      return NULL;
    }
  self = classes_alloc ();
  self->n_classes = lines->len;
  self->names = g_new0 (char *, lines->len + 1);
  for (guint i = 0; i < lines->len; i++)
    {
      ClassLine *l = &g_array_index (lines, ClassLine, i);

      self->names[i] = g_strdup (l->name);
      if (l->has_colour)
        memcpy (self->palette + 3 * i, l->rgb, 3);
      if (l->listed != NULL)
        self->listed = TRUE;
    }
  self->listed = self->listed || void_line.line != 0;
  ok = build_tables (self, lines, &void_line, display, error);
  class_line_clear (&void_line);
  return ok ? g_steal_pointer (&self) : NULL;
}

VocClasses *
voc_classes_new_voc (void)
{
  VocClasses *self = classes_alloc ();
  g_autoptr(GArray) lines = g_array_new (FALSE, TRUE, sizeof (ClassLine));
  ClassLine void_line = { 0 };

  self->n_classes = VOC_N_CLASSES;
  self->names = g_strdupv ((char **) voc_class_names_default ());
  g_array_set_size (lines, VOC_N_CLASSES);
  build_tables (self, lines, &void_line, "VOC", NULL);
  return self;
}

VocClasses *
voc_classes_ref (VocClasses *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
voc_classes_unref (VocClasses *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_strfreev (self->names);
  g_free (self->value_class);
  g_hash_table_unref (self->colour_class);
  g_free (self);
}

int
voc_classes_get_n (const VocClasses *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_classes;
}

const char *const *
voc_classes_get_names (const VocClasses *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char *const *) self->names;
}

const guint8 *
voc_classes_get_palette (const VocClasses *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->palette;
}

gboolean
voc_classes_is_listed (const VocClasses *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->listed;
}

void
voc_raw_mask_clear (VocRawMask *raw)
{
  g_clear_pointer (&raw->values, g_free);
  g_clear_pointer (&raw->rgb, g_free);
}

/* --- reading masks ----------------------------------------------------------------------- */

static gboolean
is_binary (const VocClasses *self,
           const VocRawMask *raw)
{
  size_t n = (size_t) raw->width * raw->height;
  gboolean any_255 = FALSE;

  if (self->listed || self->n_classes != 2 || raw->palette || raw->values == NULL)
    return FALSE;
  for (size_t i = 0; i < n; i++)
    {
      if (raw->values[i] != 0 && raw->values[i] != 255)
        return FALSE;
      any_255 |= raw->values[i] == 255;
    }
  return any_255;
}

static guint8 *
read_values (const VocClasses  *self,
             const guint16     *values,
             int                width,
             int                height,
             gboolean           binary,
             const char        *display,
             GError           **error)
{
  size_t n = (size_t) width * height;
  g_autofree guint8 *labels = g_malloc (n);
  const char *example = self->names[self->n_classes - 1];

  for (size_t i = 0; i < n; i++)
    {
      guint v = values[i];
      guint cls = binary ? (v == 0 ? 0 : 1) : self->value_class[v];

      if (cls == UNKNOWN)
        {
          if (self->listed)
            g_set_error (error, VOC_ERROR, VOC_ERROR_INVALID_VALUE,
                         "%s: pixel (%d, %d) has the value %u, which classes.txt does not "
                         "list; add it after a class's “=” (e.g. “%s = %u”) or to the void "
                         "line (“void = %u”)", display, (int) (i % width), (int) (i / width),
                         v, example, v, v);
          else if (self->n_classes == 2)
            /* two classes and a value above 1: most likely one number per object */
            g_set_error (error, VOC_ERROR, VOC_ERROR_INVALID_VALUE,
                         "%s: pixel (%d, %d) has the value %u, which is not a class (0–1) or "
                         "255 (void); if the masks number their objects, say in classes.txt "
                         "that every number is “%s”: “%s = 1-65535”; if only %u stands for "
                         "a class, “%s = %u”, or “void = %u”", display, (int) (i % width),
                         (int) (i / width), v, example, example, v, example, v, v);
          else
            g_set_error (error, VOC_ERROR, VOC_ERROR_INVALID_VALUE,
                         "%s: pixel (%d, %d) has the value %u, which is not a class (0–%d) or "
                         "255 (void); if it stands for a class, say so in classes.txt, e.g. "
                         "“%s = %u”, or “void = %u”", display, (int) (i % width),
                         (int) (i / width), v, self->n_classes - 1, example, v, v);
          return NULL;
        }
      labels[i] = (guint8) cls;
    }
  return g_steal_pointer (&labels);
}

static gboolean
is_all_grey (const VocRawMask *raw)
{
  size_t n = (size_t) raw->width * raw->height;

  for (size_t i = 0; i < n; i++)
    if (raw->rgb[3 * i] != raw->rgb[3 * i + 1] || raw->rgb[3 * i] != raw->rgb[3 * i + 2])
      return FALSE;
  return TRUE;
}

static guint8 *
read_colours (const VocClasses  *self,
              const VocRawMask  *raw,
              GError           **error)
{
  size_t n = (size_t) raw->width * raw->height;
  g_autofree guint8 *labels = g_malloc (n);
  guint last_rgb = G_MAXUINT, last_class = 0;

  for (size_t i = 0; i < n; i++)
    {
      const guint8 *p = raw->rgb + 3 * i;
      guint rgb = pack_rgb (p);

      if (rgb != last_rgb)
        {
          gpointer found = g_hash_table_lookup (self->colour_class, GUINT_TO_POINTER (rgb + 1));

          if (found == NULL)
            {
              g_set_error (error, VOC_ERROR, VOC_ERROR_INVALID_VALUE,
                           "pixel (%d, %d) has the colour #%02x%02x%02x, which is no class's "
                           "colour in classes.txt; give it to a class (e.g. “%s = "
                           "#%02x%02x%02x”) or to void (“void = #%02x%02x%02x”)",
                           (int) (i % raw->width), (int) (i / raw->width), p[0], p[1], p[2],
                           self->names[self->n_classes - 1], p[0], p[1], p[2], p[0], p[1],
                           p[2]);
              return NULL;
            }
          last_rgb = rgb;
          last_class = GPOINTER_TO_UINT (found) - 1;
        }
      labels[i] = (guint8) last_class;
    }
  return g_steal_pointer (&labels);
}

guint8 *
voc_classes_read_mask (const VocClasses  *self,
                       const VocRawMask  *raw,
                       gboolean           binary_allowed,
                       const char        *display,
                       VocMaskReading    *reading,
                       GError           **error)
{
  VocMaskReading how;
  guint8 *labels;

  g_return_val_if_fail (self != NULL && raw != NULL, NULL);
  g_return_val_if_fail (raw->values != NULL || raw->rgb != NULL, NULL);

  if (raw->rgb != NULL)
    {
      g_autoptr(GError) colour_error = NULL;
      g_autofree guint16 *grey = NULL;
      size_t n = (size_t) raw->width * raw->height;
      VocRawMask as_grey = *raw;

      labels = read_colours (self, raw, &colour_error);
      if (labels != NULL)
        {
          if (reading != NULL)
            *reading = VOC_MASK_READ_COLOUR;
          return labels;
        }
      if (!is_all_grey (raw))
        {
          g_set_error (error, VOC_ERROR, VOC_ERROR_INVALID_VALUE, "%s: %s", display,
                       colour_error->message);
          return NULL;
        }
      /* an RGB file of greys (a TIFF or JPEG mask, an RGB PNG of 0 and 255) holds values */
      grey = g_new (guint16, n);
      for (size_t i = 0; i < n; i++)
        grey[i] = raw->rgb[3 * i];
      as_grey.rgb = NULL;
      as_grey.values = grey;
      as_grey.bits = 8;
      as_grey.palette = FALSE;
      return voc_classes_read_mask (self, &as_grey, binary_allowed, display, reading, error);
    }

  if (binary_allowed && is_binary (self, raw))
    how = VOC_MASK_READ_BINARY;
  else
    how = self->listed ? VOC_MASK_READ_LISTED : VOC_MASK_READ_INDEX;
  labels = read_values (self, raw->values, raw->width, raw->height, how == VOC_MASK_READ_BINARY,
                        display, error);
  if (labels != NULL && reading != NULL)
    *reading = how;
  return labels;
}

guint8 *
voc_classes_load_mask (const VocClasses  *self,
                       const char        *path,
                       gboolean           binary_allowed,
                       int               *width,
                       int               *height,
                       VocMaskReading    *reading,
                       GError           **error)
{
  g_autofree char *display = NULL;
  g_auto(VocRawMask) raw = { 0 };
  guint8 *labels;

  g_return_val_if_fail (self != NULL && path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display = g_filename_display_name (path);
  if (!_voc_mask_load_raw_named (path, display, &raw, error))
    return NULL;
  labels = voc_classes_read_mask (self, &raw, binary_allowed, display, reading, error);
  if (labels != NULL)
    {
      *width = raw.width;
      *height = raw.height;
    }
  return labels;
}

char *
voc_classes_describe_reading (const VocClasses *self,
                              VocMaskReading    reading)
{
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  switch (reading)
    {
    case VOC_MASK_READ_BINARY:
      g_string_append_printf (text, "values 0 and 255, read as %s and %s", self->names[0],
                              self->names[1]);
      break;
    case VOC_MASK_READ_INDEX:
      g_string_append_printf (text, "values 0–%d as the classes' numbers (", self->n_classes - 1);
      for (int c = 0; c < self->n_classes && c < 4; c++)
        g_string_append_printf (text, "%s%d %s", c ? ", " : "", c, self->names[c]);
      if (self->n_classes > 4)
        g_string_append (text, ", …");
      g_string_append (text, "), 255 void");
      break;
    case VOC_MASK_READ_LISTED:
    case VOC_MASK_READ_COLOUR:
      {
        g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

        g_string_append (text, reading == VOC_MASK_READ_LISTED
                               ? "values as classes.txt lists them: " : "colours: ");
        for (int c = 0; c <= self->n_classes; c++)
          {
            guint cls = c == self->n_classes ? VOID_CLASS : (guint) c;
            GString *part = g_string_new (NULL);

            if (reading == VOC_MASK_READ_LISTED)
              {
                /* runs of values as ranges: "1-65535" for numbered objects */
                for (guint v = 0; v < N_VALUES; v++)
                  if (self->value_class[v] == cls)
                    {
                      guint end = v;

                      while (end + 1 < N_VALUES && self->value_class[end + 1] == cls)
                        end++;
                      g_string_append_printf (part, end > v + 1 ? "%s%u-%u" : "%s%u",
                                              part->len ? " " : "", v, end);
                      if (end == v + 1)
                        g_string_append_printf (part, " %u", end);
                      v = end;
                    }
              }
            else if (cls != VOID_CLASS)
              g_string_append_printf (part, "#%02x%02x%02x", self->palette[3 * cls],
                                      self->palette[3 * cls + 1], self->palette[3 * cls + 2]);
            if (part->len > 0)
              {
                g_string_append_printf (part, " %s", class_label ((VocClasses *) self, cls));
                g_ptr_array_add (parts, g_string_free (part, FALSE));
              }
            else
              g_string_free (part, TRUE);
          }
        g_ptr_array_add (parts, NULL);
        {
          g_autofree char *joined = g_strjoinv (", ", (char **) parts->pdata);

          g_string_append (text, joined);
        }
      }
      break;
    default:
      g_assert_not_reached ();
    }
  return g_string_free (text, FALSE);
}
