/* unet-run.c — the one reader and writer of a training run's folder
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "unet-run.h"
#include "unet/unet-file.h"

/* a long run's log has a line per step: a few hundred thousand */
#define LINES_PER_CANCEL_CHECK 1024
#define N_PROGRESS_REPORTS 50

#define LOG_CSV_HEADER "step,epoch,loss,lr,images_per_s,val_loss,val_miou,val_pixel_accuracy," \
                       "val_mean_class_accuracy\n"

char *
unet_run_path (const char *dir,
               const char *name)
{
  return g_build_filename (dir, name, NULL);
}

void
unet_run_record_init (UnetRunRecord     *record,
                      UnetRunRecordKind  kind)
{
  memset (record, 0, sizeof *record);
  record->kind = kind;
  record->loss = record->lr = record->images_per_s = NAN;
  record->val_loss = record->miou = record->pixel_accuracy = record->mean_class_accuracy = NAN;
}

void
unet_run_record_clear (UnetRunRecord *record)
{
  g_clear_pointer (&record->class_names, g_strfreev);
  g_clear_pointer (&record->class_iou, g_free);
  record->n_classes = 0;
}

/* --- reading ---------------------------------------------------------------------------------- */

typedef enum
{
  LINE_OK,
  LINE_SKIP,  /* blank, or a record kind this version does not know */
  LINE_BAD,
} LineResult;

/* The member's string, or NULL when it is absent or not a string (json-glib's getters warn on
 * a member of another kind, which a hostile log must not cause). */
static const char *
json_string (JsonObject *object,
             const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* A finite number, or null (what the writer makes of a number that is not finite: NAN). */
static gboolean
json_number_node (JsonNode *node,
                  double   *value)
{
  GType type;

  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    {
      *value = NAN;
      return TRUE;
    }
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return FALSE;
  *value = json_node_get_double (node);
  return isfinite (*value);
}

static gboolean
json_number (JsonObject *object,
             const char *name,
             double     *value)
{
  return json_number_node (json_object_get_member (object, name), value);
}

/* A count: a whole number from 0 up, at most `max`. */
static gboolean
whole_number (double  value,
              double  max,
              gint64 *out)
{
  if (!(value >= 0.0 && value <= max && value == floor (value)))
    return FALSE;
  *out = (gint64) value;
  return TRUE;
}

/* A count: a whole number from 0 up, at most `max`. An integer is taken as it is: through a
 * double, a step above 2^53 would not come back the same. */
static gboolean
json_count (JsonObject *object,
            const char *name,
            gint64      max,
            gint64     *out)
{
  JsonNode *node = json_object_get_member (object, name);
  double value;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_INT64)
    {
      gint64 count = json_node_get_int (node);

      if (count < 0 || count > max)
        return FALSE;
      *out = count;
      return TRUE;
    }
  return json_number (object, name, &value) && whole_number (value, (double) max, out);
}

/* per_class_iou: {"name": IoU or null, …} */
static gboolean
parse_class_iou (JsonNode      *node,
                 UnetRunRecord *record)
{
  JsonObject *object;
  g_autoptr(GList) members = NULL;
  guint k = 0;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  object = json_node_get_object (node);
  members = json_object_get_members (object);
  record->n_classes = g_list_length (members);
  record->class_names = g_new0 (char *, record->n_classes + 1);
  record->class_iou = g_new (double, MAX (record->n_classes, 1));
  for (GList *l = members; l != NULL; l = l->next, k++)
    {
      record->class_names[k] = g_strdup (l->data);
      if (!json_number_node (json_object_get_member (object, l->data), &record->class_iou[k]))
        return FALSE;
    }
  return TRUE;
}

typedef struct
{
  const char *name;
  gsize       offset;
} NumberMember;

static const NumberMember train_members[] = {
  { "lr", G_STRUCT_OFFSET (UnetRunRecord, lr) },
  { "images_per_s", G_STRUCT_OFFSET (UnetRunRecord, images_per_s) },
  { NULL, 0 },
};

static const NumberMember val_members[] = {
  { "val_loss", G_STRUCT_OFFSET (UnetRunRecord, val_loss) },
  { "miou", G_STRUCT_OFFSET (UnetRunRecord, miou) },
  { "pixel_accuracy", G_STRUCT_OFFSET (UnetRunRecord, pixel_accuracy) },
  { "mean_class_accuracy", G_STRUCT_OFFSET (UnetRunRecord, mean_class_accuracy) },
  { NULL, 0 },
};

/* Members a record may leave out; one that is there holds a number (or null). */
static LineResult
optional_numbers (JsonObject          *object,
                  const char          *type,
                  const NumberMember  *members,
                  UnetRunRecord       *record,
                  char               **why)
{
  for (const NumberMember *m = members; m->name != NULL; m++)
    {
      double *value = G_STRUCT_MEMBER_P (record, m->offset);

      if (json_object_has_member (object, m->name) && !json_number (object, m->name, value))
        {
          *why = g_strdup_printf ("a \"%s\" record whose \"%s\" is not a number", type, m->name);
          return LINE_BAD;
        }
    }
  return LINE_OK;
}

static LineResult
parse_json_object (JsonObject     *object,
                   UnetRunRecord  *record,
                   char          **why)
{
  const char *type = json_string (object, "type");
  gint64 epoch = 0;
  JsonNode *per_class;

  if (type == NULL)
    {
      *why = g_strdup ("a record without a string \"type\"");
      return LINE_BAD;
    }
  if (strcmp (type, "train") != 0 && strcmp (type, "val") != 0)
    return LINE_SKIP;  /* records a later version may add */

  unet_run_record_init (record, type[0] == 't' ? UNET_RUN_RECORD_TRAIN : UNET_RUN_RECORD_VAL);
  if (!json_count (object, "step", G_MAXINT64 / 2, &record->step))
    {
      *why = g_strdup_printf ("a \"%s\" record without a whole, non-negative \"step\"", type);
      return LINE_BAD;
    }
  if (json_object_has_member (object, "epoch") &&
      !json_count (object, "epoch", G_MAXINT, &epoch))
    {
      *why = g_strdup_printf ("a \"%s\" record whose \"epoch\" is not a whole number", type);
      return LINE_BAD;
    }
  record->epoch = (int) epoch;

  if (record->kind == UNET_RUN_RECORD_TRAIN)
    {
      if (!json_number (object, "loss", &record->loss))
        {
          *why = g_strdup ("a \"train\" record without a numeric \"step\" and \"loss\"");
          return LINE_BAD;
        }
      return optional_numbers (object, type, train_members, record, why);
    }

  if (optional_numbers (object, type, val_members, record, why) == LINE_BAD)
    return LINE_BAD;
  per_class = json_object_get_member (object, "per_class_iou");
  if (per_class != NULL && !parse_class_iou (per_class, record))
    {
      *why = g_strdup ("a \"per_class_iou\" that is not an object of numbers");
      return LINE_BAD;
    }
  return LINE_OK;
}

static LineResult
parse_json_line (JsonParser     *parser,
                 const char     *line,
                 gsize           length,
                 UnetRunRecord  *record,
                 char          **why)
{
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, line, length, &error))
    {
      /* json-glib names the input "<data>:line:column"; the column is what helps here */
      const char *message = error->message;
      const char *column = g_str_has_prefix (message, "<data>:1:") ? message + 9 : NULL;

      if (column != NULL && strchr (column, ':') != NULL)
        *why = g_strdup_printf ("not JSON at column %.*s:%s", (int) (strchr (column, ':') - column),
                                column, strchr (column, ':') + 1);
      else
        *why = g_strdup_printf ("not JSON: %s", message);
      return LINE_BAD;
    }
  root = json_parser_get_root (parser);
  if (root == NULL)
    return LINE_SKIP;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      *why = g_strdup ("not a log record (a JSON object)");
      return LINE_BAD;
    }
  return parse_json_object (json_node_get_object (root), record, why);
}

typedef struct
{
  int step, epoch, loss, lr, images_per_s, val_loss, val_miou, val_pixel_accuracy,
      val_mean_class_accuracy;
  guint n_columns;
} CsvHeader;

static gboolean
parse_csv_header (const char *line,
                  CsvHeader  *header)
{
  struct { const char *name; int *column; } known[] = {
    { "step", &header->step }, { "epoch", &header->epoch }, { "loss", &header->loss },
    { "lr", &header->lr }, { "images_per_s", &header->images_per_s },
    { "val_loss", &header->val_loss }, { "val_miou", &header->val_miou },
    { "val_pixel_accuracy", &header->val_pixel_accuracy },
    { "val_mean_class_accuracy", &header->val_mean_class_accuracy },
  };
  g_auto(GStrv) names = g_strsplit (line, ",", -1);

  for (guint j = 0; j < G_N_ELEMENTS (known); j++)
    *known[j].column = -1;
  header->n_columns = g_strv_length (names);
  for (guint i = 0; names[i] != NULL; i++)
    for (guint j = 0; j < G_N_ELEMENTS (known); j++)
      if (strcmp (g_strstrip (names[i]), known[j].name) == 0)
        *known[j].column = i;
  return header->step >= 0;
}

/* An empty field (or an absent column) is NAN; anything but a number is an error. */
static gboolean
csv_number (char   **fields,
            int      column,
            double  *value)
{
  const char *text;
  char *end;

  *value = NAN;
  if (column < 0)
    return TRUE;
  text = g_strstrip (fields[column]);
  if (*text == '\0')
    return TRUE;
  *value = g_ascii_strtod (text, &end);
  return *end == '\0' && isfinite (*value);
}

/* A row holds a training record, a validation record, or (as other tools write it) both. */
static LineResult
parse_csv_line (const CsvHeader  *header,
                const char       *line,
                UnetRunRecord    *train,
                UnetRunRecord    *val,
                char            **why)
{
  g_auto(GStrv) fields = g_strsplit (line, ",", -1);
  double step, epoch;
  gint64 whole_step, whole_epoch = 0;

  if (g_strv_length (fields) != header->n_columns)
    {
      *why = g_strdup_printf ("%u fields where the header has %u", g_strv_length (fields),
                              header->n_columns);
      return LINE_BAD;
    }
  unet_run_record_init (train, UNET_RUN_RECORD_TRAIN);
  unet_run_record_init (val, UNET_RUN_RECORD_VAL);
  if (!csv_number (fields, header->step, &step) || !csv_number (fields, header->epoch, &epoch) ||
      !csv_number (fields, header->loss, &train->loss) ||
      !csv_number (fields, header->lr, &train->lr) ||
      !csv_number (fields, header->images_per_s, &train->images_per_s) ||
      !csv_number (fields, header->val_loss, &val->val_loss) ||
      !csv_number (fields, header->val_miou, &val->miou) ||
      !csv_number (fields, header->val_pixel_accuracy, &val->pixel_accuracy) ||
      !csv_number (fields, header->val_mean_class_accuracy, &val->mean_class_accuracy))
    {
      *why = g_strdup ("a field that is not a number");
      return LINE_BAD;
    }
  if (!whole_number (step, (double) G_MAXINT64 / 2, &whole_step) ||
      (isfinite (epoch) && !whole_number (epoch, G_MAXINT, &whole_epoch)))
    {
      *why = g_strdup ("a \"step\" or \"epoch\" that is not a whole, non-negative number");
      return LINE_BAD;
    }
  train->step = val->step = whole_step;
  train->epoch = val->epoch = (int) whole_epoch;
  return LINE_OK;
}

static void
append_record (UnetRunLog    *log,
               UnetRunRecord *record)
{
  g_array_append_val (log->records, *record);
  if (record->kind == UNET_RUN_RECORD_TRAIN)
    log->n_train++;
  else
    log->n_val++;
  /* the log owns its strings now */
  memset (record, 0, sizeof *record);
}

static void
clear_record_element (gpointer data)
{
  unet_run_record_clear (data);
}

static UnetRunLog *
run_log_new (void)
{
  UnetRunLog *log = g_new0 (UnetRunLog, 1);

  log->records = g_array_new (FALSE, FALSE, sizeof (UnetRunRecord));
  g_array_set_clear_func (log->records, clear_record_element);
  return log;
}

void
unet_run_log_free (UnetRunLog *log)
{
  if (log == NULL)
    return;
  g_array_unref (log->records);
  g_free (log->display);
  g_free (log->first_bad_line);
  g_free (log);
}

typedef struct
{
  gboolean   is_csv;
  gboolean   seen_header;
  CsvHeader  header;
  JsonParser *parser;
} LogReader;

/* One non-blank line: adds what it holds to the log. */
static LineResult
read_line (LogReader   *reader,
           const char  *line,
           gboolean     binary,
           UnetRunLog  *log,
           char       **why)
{
  g_auto(UnetRunRecord) record = { 0 };
  g_auto(UnetRunRecord) val = { 0 };
  LineResult result;

  if (binary)
    {
      *why = g_strdup ("binary data, not text");
      return LINE_BAD;
    }
  if (!reader->is_csv)
    {
      result = parse_json_line (reader->parser, line, strlen (line), &record, why);
      if (result == LINE_OK)
        append_record (log, &record);
      return result;
    }
  result = parse_csv_line (&reader->header, line, &record, &val, why);
  if (result != LINE_OK)
    return result;
  if (isfinite (record.loss))
    append_record (log, &record);
  if (isfinite (val.val_loss) || isfinite (val.miou))
    append_record (log, &val);
  return LINE_OK;
}

UnetRunLog *
unet_run_log_parse (const char       *contents,
                    gsize             length,
                    const char       *display,
                    UnetRunLogFlags   flags,
                    GError          **error)
{
  return unet_run_log_parse_full (contents, length, display, flags, NULL, NULL, NULL, error);
}

UnetRunLog *
unet_run_log_parse_full (const char             *contents,
                         gsize                   length,
                         const char             *display,
                         UnetRunLogFlags         flags,
                         GCancellable           *cancellable,
                         UnetRunProgressFunc     progress,
                         gpointer                progress_data,
                         GError                **error)
{
  g_autoptr(UnetRunLog) log = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  LogReader reader = { .parser = parser };
  const char *p, *end;
  guint line_number = 0;
  gsize next_report = 0;

  g_return_val_if_fail (contents != NULL || length == 0, NULL);
  g_return_val_if_fail (display != NULL, NULL);

  log = run_log_new ();
  log->display = g_strdup (display);
  for (p = contents; p < contents + length && g_ascii_isspace (*p); p++)
    ;
  reader.is_csv = p < contents + length && *p != '{';

  for (p = contents, end = contents + length; p < end; p = (p < end ? p + 1 : p))
    {
      const char *newline = memchr (p, '\n', end - p);
      const char *line_end = newline ? newline : end;
      gboolean torn = newline == NULL;
      /* a NUL would silently cut the line short */
      gboolean binary = memchr (p, '\0', line_end - p) != NULL;
      g_autofree char *line = g_strndup (p, line_end - p);
      g_autofree char *why = NULL;

      line_number++;
      p = line_end;
      if (line_number % LINES_PER_CANCEL_CHECK == 0 &&
          g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      if (progress != NULL && (gsize) (p - contents) >= next_report)
        {
          progress ((double) (p - contents) / length, progress_data);
          next_report = (p - contents) + length / N_PROGRESS_REPORTS;
        }
      g_strstrip (line);
      if (line[0] == '\0' && !binary)
        continue;

      if (reader.is_csv && !reader.seen_header)
        {
          reader.seen_header = TRUE;
          if (!parse_csv_header (line, &reader.header))
            {
              g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                           "%s:%u: not a training log (neither JSON lines nor a CSV header with "
                           "a “step” column)", display, line_number);
              return NULL;
            }
          continue;
        }
      if (read_line (&reader, line, binary, log, &why) != LINE_BAD)
        continue;
      if (torn)
        {
          log->torn_line = line_number;
          break;
        }
      if (flags & UNET_RUN_LOG_SKIP_BAD)
        {
          if (log->n_bad_lines++ == 0)
            log->first_bad_line = g_strdup_printf ("%s:%u: %s", display, line_number, why);
          continue;
        }
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%u: %s", display, line_number,
                   why);
      return NULL;
    }

  if (log->records->len == 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s: the log holds no training or validation records yet", display);
      return NULL;
    }
  return g_steal_pointer (&log);
}

/* A folder stands for the log inside it: log.jsonl, else log.csv. */
static char *
resolve_log_path (const char  *path,
                  GError     **error)
{
  static const char *const names[] = { UNET_RUN_LOG_JSONL, UNET_RUN_LOG_CSV };
  g_autofree char *display = NULL;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return g_strdup (path);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *file = unet_run_path (path, names[i]);

      if (g_file_test (file, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&file);
    }
  display = g_filename_display_name (path);
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
               "%s: no log.jsonl or log.csv in this folder", display);
  return NULL;
}

UnetRunLog *
unet_run_log_read (const char       *path,
                   UnetRunLogFlags   flags,
                   GError          **error)
{
  g_autofree char *file = NULL;
  g_autofree char *display = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length;

  g_return_val_if_fail (path != NULL, NULL);

  file = resolve_log_path (path, error);
  if (file == NULL)
    return NULL;
  display = g_filename_display_name (file);
  if (!g_file_test (file, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no such file", display);
      return NULL;
    }
  if (!g_file_get_contents (file, &contents, &length, &local_error))
    {
      g_set_error (error, G_FILE_ERROR, local_error->code, "%s: cannot read the log: %s", display,
                   local_error->message);
      return NULL;
    }
  return unet_run_log_parse (contents, length, display, flags, error);
}

/* --- writing ---------------------------------------------------------------------------------- */

struct _UnetRunWriter
{
  char *csv_path;
  char *jsonl_path;
  FILE *csv;
  FILE *jsonl;
};

/* Six significant digits, as the logs have always had; null for what is not finite (JSON has
 * no NaN), which the reader gives back as NAN. */
static void
add_number (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  json_builder_set_member_name (builder, name);
  if (!isfinite (value))
    json_builder_add_null_value (builder);
  else if (value == floor (value) && fabs (value) < 1e15)
    json_builder_add_int_value (builder, (gint64) value);
  else
    json_builder_add_double_value (builder,
                                   g_ascii_strtod (g_ascii_formatd (text, sizeof text, "%.6g",
                                                                    value), NULL));
}

/* json-glib writes a double with 17 digits (0.1 as 0.10000000000000001), and one without a
 * decimal point with ".0" after it, even after an exponent ("6e-09.0", not JSON); the log keeps
 * the six digits it was given. So every number token with a point or an exponent is written
 * again, whole; whole numbers went in as integers and stay as they are. The generator still
 * writes every string and the structure. */
static void
shorten_numbers (GString *json)
{
  g_autoptr(GString) out = g_string_sized_new (json->len);
  gboolean in_string = FALSE;

  for (gsize i = 0; i < json->len; i++)
    {
      char c = json->str[i];
      gsize end;

      if (in_string)
        {
          g_string_append_c (out, c);
          if (c == '\\' && i + 1 < json->len)
            g_string_append_c (out, json->str[++i]);
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      if (c != '-' && !g_ascii_isdigit (c))
        {
          g_string_append_c (out, c);
          continue;
        }
      for (end = i; end < json->len && strchr ("0123456789+-.eE", json->str[end]) != NULL; end++)
        ;
      if (memchr (json->str + i, '.', end - i) || memchr (json->str + i, 'e', end - i) ||
          memchr (json->str + i, 'E', end - i))
        {
          char number[G_ASCII_DTOSTR_BUF_SIZE];

          g_string_append (out, g_ascii_formatd (number, sizeof number, "%.6g",
                                                 g_ascii_strtod (json->str + i, NULL)));
        }
      else
        g_string_append_len (out, json->str + i, end - i);
      i = end - 1;
    }
  g_string_assign (json, out->str);
}

char *
unet_run_json_generate (JsonNode *root)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GString) json = g_string_new (NULL);

  json_generator_set_root (generator, root);
  json_generator_to_gstring (generator, json);
  shorten_numbers (json);
  return g_string_free (g_steal_pointer (&json), FALSE);
}

char *
unet_run_record_to_json (const UnetRunRecord *record)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  gboolean train = record->kind == UNET_RUN_RECORD_TRAIN;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, train ? "train" : "val");
  json_builder_set_member_name (builder, "step");
  json_builder_add_int_value (builder, record->step);
  json_builder_set_member_name (builder, "epoch");
  json_builder_add_int_value (builder, record->epoch);
  if (train)
    {
      add_number (builder, "loss", record->loss);
      add_number (builder, "lr", record->lr);
      add_number (builder, "images_per_s", record->images_per_s);
    }
  else
    {
      add_number (builder, "val_loss", record->val_loss);
      add_number (builder, "miou", record->miou);
      add_number (builder, "pixel_accuracy", record->pixel_accuracy);
      add_number (builder, "mean_class_accuracy", record->mean_class_accuracy);
      json_builder_set_member_name (builder, "per_class_iou");
      json_builder_begin_object (builder);
      for (guint k = 0; k < record->n_classes; k++)
        {
          /* the generator writes the bytes it is given: a name must be UTF-8 to be JSON */
          g_autofree char *name = g_utf8_make_valid (record->class_names[k], -1);

          add_number (builder, name, record->class_iou[k]);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return unet_run_json_generate (root);
}

static void
append_csv_number (GString *row,
                   double   value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_c (row, ',');
  if (isfinite (value))
    g_string_append (row, g_ascii_formatd (text, sizeof text, "%.6g", value));
}

static char *
record_to_csv (const UnetRunRecord *record)
{
  GString *row = g_string_new (NULL);
  gboolean train = record->kind == UNET_RUN_RECORD_TRAIN;
  double empty = NAN;

  g_string_append_printf (row, "%" G_GINT64_FORMAT ",%d", record->step, record->epoch);
  append_csv_number (row, train ? record->loss : empty);
  append_csv_number (row, train ? record->lr : empty);
  append_csv_number (row, train ? record->images_per_s : empty);
  append_csv_number (row, train ? empty : record->val_loss);
  append_csv_number (row, train ? empty : record->miou);
  append_csv_number (row, train ? empty : record->pixel_accuracy);
  append_csv_number (row, train ? empty : record->mean_class_accuracy);
  g_string_append_c (row, '\n');
  return g_string_free (row, FALSE);
}

/* The logs are the run's output: their failures are G_IO_ERRORs, as the appends' are, which the
 * command-line tool tells from the UNET_ERROR_IO of a model or checkpoint it could not read. */
static gboolean
write_whole_log (const char  *path,
                 const char  *text,
                 gsize        length,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (unet_file_write_atomic (path, text, length, &local_error))
    return TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, local_error->message);
  return FALSE;
}

/* The step a line of a log was written at, or -1 for a line that holds none (a header, a line
 * torn by a crash). */
static gint64
line_step (JsonParser *parser,
           const char *line,
           gboolean    csv)
{
  g_auto(UnetRunRecord) record = { 0 };
  g_autofree char *why = NULL;
  char *end;
  gint64 step;

  if (!csv)
    return parse_json_line (parser, line, strlen (line), &record, &why) == LINE_OK
           ? record.step : -1;
  step = g_ascii_strtoll (line, &end, 10);
  return end != line && *end == ',' ? step : -1;
}

/* Keeps the lines of a log written up to resume_step. */
static gboolean
cut_back (const char  *path,
          gboolean     csv,
          gint64       resume_step,
          GError     **error)
{
  g_autoptr(GString) kept = g_string_new (csv ? LOG_CSV_HEADER : "");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *contents = NULL;

  if (g_file_get_contents (path, &contents, NULL, NULL))
    {
      g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);
      guint n = g_strv_length (lines);

      /* the last element follows the last newline: empty, or a torn line */
      for (guint j = 0; j + 1 < n; j++)
        {
          gint64 step = line_step (parser, lines[j], csv);

          if (step >= 1 && step <= resume_step)
            g_string_append_printf (kept, "%s\n", lines[j]);
        }
    }
  return write_whole_log (path, kept->str, kept->len, error);
}

static FILE *
open_append (const char  *path,
             GError     **error)
{
  FILE *file = g_fopen (path, "a");

  if (file == NULL)
    {
      int saved = errno;
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "%s: cannot open for writing: %s", display, g_strerror (saved));
    }
  return file;
}

UnetRunWriter *
unet_run_writer_open (const char  *dir,
                      gint64       resume_step,
                      GError     **error)
{
  g_autoptr(UnetRunWriter) writer = g_new0 (UnetRunWriter, 1);

  g_return_val_if_fail (dir != NULL, NULL);

  writer->csv_path = unet_run_path (dir, UNET_RUN_LOG_CSV);
  writer->jsonl_path = unet_run_path (dir, UNET_RUN_LOG_JSONL);
  if (resume_step >= 0)
    {
      if (!cut_back (writer->csv_path, TRUE, resume_step, error) ||
          !cut_back (writer->jsonl_path, FALSE, resume_step, error))
        return NULL;
    }
  else if (!write_whole_log (writer->csv_path, LOG_CSV_HEADER, strlen (LOG_CSV_HEADER), error) ||
           !write_whole_log (writer->jsonl_path, "", 0, error))
    {
      return NULL;
    }
  writer->csv = open_append (writer->csv_path, error);
  if (writer->csv == NULL)
    return NULL;
  writer->jsonl = open_append (writer->jsonl_path, error);
  if (writer->jsonl == NULL)
    return NULL;
  return g_steal_pointer (&writer);
}

static gboolean
write_failed (const char  *path,
              GError     **error)
{
  int saved = errno;
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: cannot write: %s",
               display, g_strerror (saved));
  return FALSE;
}

gboolean
unet_run_writer_append (UnetRunWriter        *writer,
                        const UnetRunRecord  *record,
                        GError              **error)
{
  g_autofree char *json = NULL;
  g_autofree char *csv = NULL;

  g_return_val_if_fail (writer != NULL && record != NULL, FALSE);

  json = unet_run_record_to_json (record);
  csv = record_to_csv (record);
  if (fputs (csv, writer->csv) < 0 || fflush (writer->csv) != 0)
    return write_failed (writer->csv_path, error);
  if (fprintf (writer->jsonl, "%s\n", json) < 0 || fflush (writer->jsonl) != 0)
    return write_failed (writer->jsonl_path, error);
  return TRUE;
}

gboolean
unet_run_writer_sync (UnetRunWriter  *writer,
                      GError        **error)
{
  g_return_val_if_fail (writer != NULL, FALSE);

  if (fflush (writer->csv) != 0 || fsync (fileno (writer->csv)) != 0)
    return write_failed (writer->csv_path, error);
  if (fflush (writer->jsonl) != 0 || fsync (fileno (writer->jsonl)) != 0)
    return write_failed (writer->jsonl_path, error);
  return TRUE;
}

void
unet_run_writer_free (UnetRunWriter *writer)
{
  if (writer == NULL)
    return;
  g_clear_pointer (&writer->csv, fclose);
  g_clear_pointer (&writer->jsonl, fclose);
  g_free (writer->csv_path);
  g_free (writer->jsonl_path);
  g_free (writer);
}

/* --- the checkpoint's run state --------------------------------------------------------------- */

GHashTable *
unet_run_state_to_metadata (const UnetTrainOptions *options,
                            const UnetRunState     *state)
{
  GHashTable *metadata = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_hash_table_insert (metadata, "options", unet_train_options_to_json (options));
  g_hash_table_insert (metadata, "step", g_strdup_printf ("%" G_GINT64_FORMAT, state->step));
  g_hash_table_insert (metadata, "best_miou",
                       g_strdup (g_ascii_formatd (number, sizeof number, "%.17g",
                                                  state->best_miou)));
  g_hash_table_insert (metadata, "ranks", g_strdup_printf ("%d", state->ranks));
  g_hash_table_insert (metadata, "seconds",
                       g_strdup (g_ascii_formatd (number, sizeof number, "%.3f", state->seconds)));
  return metadata;
}

gboolean
unet_run_state_from_metadata (GHashTable        *metadata,
                              const char        *path,
                              UnetTrainOptions  *options,
                              UnetRunState      *state,
                              GError           **error)
{
  const char *value;
  gint64 ranks = 1;

  value = g_hash_table_lookup (metadata, "options");
  if (value == NULL)
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT,
                   "%s: not a training checkpoint (no stored options)", path);
      return FALSE;
    }
  if (!unet_train_options_from_json (options, value, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }

  value = g_hash_table_lookup (metadata, "step");
  if (value == NULL || !g_ascii_string_to_signed (value, 10, 0, G_MAXINT64, &state->step, NULL))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT, "%s: missing or bad “step”", path);
      return FALSE;
    }
  value = g_hash_table_lookup (metadata, "best_miou");
  state->best_miou = value ? g_ascii_strtod (value, NULL) : -1.0;
  /* checkpoints before time limits have none */
  value = g_hash_table_lookup (metadata, "seconds");
  state->seconds = value ? g_ascii_strtod (value, NULL) : 0.0;
  if (!(state->seconds >= 0.0 && state->seconds <= 1e12))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT, "%s: bad “seconds”", path);
      return FALSE;
    }
  value = g_hash_table_lookup (metadata, "ranks");
  if (value != NULL && !g_ascii_string_to_signed (value, 10, 1, G_MAXINT, &ranks, NULL))
    {
      g_set_error (error, UNET_ERROR, UNET_ERROR_CORRUPT, "%s: bad “ranks”", path);
      return FALSE;
    }
  state->ranks = (int) ranks;
  return TRUE;
}

gboolean
unet_run_read_checkpoint (const char        *dir,
                          UnetTrainOptions  *options,
                          UnetRunState      *state,
                          char            ***class_names,
                          GError           **error)
{
  g_autofree char *path = unet_run_path (dir, UNET_RUN_CHECKPOINT);
  g_autofree char *display = g_filename_display_name (path);
  g_autoptr(UnetModelFileInfo) info = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  GHashTableIter iter;
  gpointer key, value;

  info = unet_model_file_peek (path, error);
  if (info == NULL)
    return FALSE;
  /* the checkpoint keeps the run's state as "state.NAME" beside the model's own metadata */
  metadata = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_iter_init (&iter, info->metadata);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_str_has_prefix (key, "state."))
      g_hash_table_insert (metadata, (char *) key + strlen ("state."), value);
  if (!unet_run_state_from_metadata (metadata, display, options, state, error))
    return FALSE;
  options->model = info->config;
  if (class_names != NULL)
    *class_names = g_strdupv (info->class_names);
  return TRUE;
}

/* The atomic writers (unet-file.c, and g_file_set_contents) write "NAME.XXXXXX" beside NAME and
 * rename it; a run killed in between leaves that file behind. */
void
unet_run_remove_stale_temporaries (const char *dir)
{
  static const char *const names[] = {
    UNET_RUN_CHECKPOINT, UNET_RUN_BEST_MODEL, UNET_RUN_LOG_CSV, UNET_RUN_LOG_JSONL,
  };
  g_autoptr(GDir) folder = g_dir_open (dir, 0, NULL);
  const char *entry;

  while (folder != NULL && (entry = g_dir_read_name (folder)) != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      if (unet_file_is_atomic_temporary (entry, names[i]))
        {
          g_autofree char *path = g_build_filename (dir, entry, NULL);

          g_unlink (path);
          break;
        }
}
