/* fuzz-lists.c — libFuzzer harness for the dataset's text lists: split lists and classes.txt
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "voc/voc-private.h"

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
  g_autoptr(VocClasses) classes = NULL;

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

  classes = voc_classes_parse (copy, size, "classes.txt", NULL);
  if (classes != NULL)
    {
      int n = voc_classes_get_n (classes);
      const char *const *names = voc_classes_get_names (classes);
      /* the input's own bytes as a small mask, once as 16-bit values and once as colours: every
       * pixel must come out a class or void, or the whole mask an error */
      int side = 4;
      guint16 values[16];
      guint8 rgb[48];
      VocRawMask grey = { side, side, FALSE, 16, values, NULL };
      VocRawMask colour = { side, side, FALSE, 0, NULL, rgb };

      FUZZ_CHECK (n > 0 && n <= 255);
      for (int i = 0; i < n; i++)
        FUZZ_CHECK (names[i][0] != '\0');
      FUZZ_CHECK (names[n] == NULL);
      for (int i = 0; i < 48; i++)
        rgb[i] = size > 0 ? data[(size_t) i % size] : 0;
      for (int i = 0; i < 16; i++)
        values[i] = (guint16) (rgb[3 * i] << 8 | rgb[3 * i + 1]);
      for (int pass = 0; pass < 2; pass++)
        {
          VocMaskReading reading;
          g_autofree guint8 *labels = voc_classes_read_mask (classes, pass ? &colour : &grey,
                                                             TRUE, "mask.png", &reading, NULL);

          if (labels != NULL)
            {
              g_autofree char *described = voc_classes_describe_reading (classes, reading);

              for (int i = 0; i < 16; i++)
                FUZZ_CHECK (labels[i] < n || labels[i] == 255);
              FUZZ_CHECK (described != NULL);
            }
        }
    }
  return 0;
}
