/* fuzz-annotation.c — libFuzzer harness for the VOC annotation XML reader
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "voc/voc-annotation.h"

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
  /* exactly `size` bytes and no terminating NUL: the parser must respect the length */
  g_autofree char *copy = g_malloc (MAX (size, 1));
  g_autoptr(VocAnnotation) annotation = NULL;

  if (size > 0)
    memcpy (copy, data, size);

  annotation = voc_annotation_parse (copy, size, "fuzz.xml", NULL);
  if (annotation == NULL)
    return 0;
  FUZZ_CHECK (annotation->width > 0 && annotation->height > 0);
  FUZZ_CHECK (annotation->n_objects == 0 || annotation->objects != NULL);
  for (guint i = 0; i < annotation->n_objects; i++)
    FUZZ_CHECK (annotation->objects[i].pose != NULL);
  return 0;
}
