/* voc-error.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VOC_ERROR (voc_error_quark ())

/* Every message names the file it is about and says what is wrong with it. */
typedef enum
{
  VOC_ERROR_NOT_FOUND,        /* a file or folder the dataset needs is absent */
  VOC_ERROR_IO,               /* reading or writing failed (permissions, disk full, …) */
  VOC_ERROR_CORRUPT,          /* an image, mask or list that cannot be decoded or is truncated */
  VOC_ERROR_TOO_LARGE,        /* over a documented size limit (pixels, bytes) */
  VOC_ERROR_SIZE_MISMATCH,    /* a mask or annotation whose size differs from its image */
  VOC_ERROR_INVALID_VALUE,    /* a mask value that is not a class index or 255 (void) */
  VOC_ERROR_UNSUPPORTED,      /* a well-formed file of a kind we do not accept (RGB mask, …) */
  VOC_ERROR_XML,              /* malformed annotation XML, or XML with a DTD or entities */
  VOC_ERROR_LAYOUT,           /* a folder that is neither a VOCdevkit nor a plain dataset */
  VOC_ERROR_EMPTY_SPLIT,      /* a split list without ids (or with none that has files) */
  VOC_ERROR_INVALID_ARGUMENT, /* a bad id, split name, tile size or option */
} VocError;

GQuark voc_error_quark (void);

G_END_DECLS
