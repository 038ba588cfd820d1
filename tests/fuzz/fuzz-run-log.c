/* fuzz-run-log.c — libFuzzer harness for the one reader of a run's logs (log.jsonl through
 * json-glib, log.csv by hand), which `unet plot`, the trainer's resume and the app's dashboard
 * share
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "train/unet-run.h"

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_quiet_logs ();
  return 0;
}

static gboolean
same_number (double a,
             double b)
{
  /* the writer keeps six significant digits */
  return (isnan (a) && isnan (b)) || fabs (a - b) <= 1e-5 * MAX (fabs (a), fabs (b));
}

/* What the writer makes of a record, the reader gives back. */
static void
check_round_trip (const UnetRunRecord *record)
{
  g_autofree char *json = unet_run_record_to_json (record);
  g_autoptr(UnetRunLog) again = NULL;
  const UnetRunRecord *copy;

  again = unet_run_log_parse (json, strlen (json), "again", UNET_RUN_LOG_STRICT, NULL);
  FUZZ_CHECK (again != NULL && again->records->len == 1);
  copy = &g_array_index (again->records, UnetRunRecord, 0);
  FUZZ_CHECK (copy->kind == record->kind && copy->step == record->step &&
              copy->epoch == record->epoch);
  FUZZ_CHECK (same_number (copy->loss, record->loss) && same_number (copy->miou, record->miou));
  FUZZ_CHECK (copy->n_classes == record->n_classes);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *copy = g_malloc (MAX (size, 1));
  g_autoptr(UnetRunLog) strict = NULL;
  g_autoptr(UnetRunLog) lenient = NULL;

  if (size > 0)
    memcpy (copy, data, size);
  strict = unet_run_log_parse (copy, size, "log", UNET_RUN_LOG_STRICT, NULL);
  lenient = unet_run_log_parse (copy, size, "log", UNET_RUN_LOG_SKIP_BAD, NULL);
  if (strict != NULL)
    {
      FUZZ_CHECK (strict->records->len > 0);
      FUZZ_CHECK (strict->n_train + strict->n_val == strict->records->len);
      /* a log the strict reader takes, the lenient one reads the same */
      FUZZ_CHECK (lenient != NULL && lenient->records->len == strict->records->len &&
                  lenient->n_bad_lines == 0);
      for (guint i = 0; i < MIN (strict->records->len, 8); i++)
        check_round_trip (&g_array_index (strict->records, UnetRunRecord, i));
    }
  if (lenient != NULL)
    FUZZ_CHECK (lenient->n_bad_lines == 0 || lenient->first_bad_line != NULL);
  return 0;
}
