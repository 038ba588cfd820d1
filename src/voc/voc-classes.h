/* voc-classes.h — a dataset's classes (classes.txt) and how its masks' pixels map onto them
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The one reader of classes.txt (see docs/datasets.md for the syntax):
 *
 *   NAME [#RRGGBB] [= VALUE|#RRGGBB …]     a class, in index order
 *   void = VALUE|#RRGGBB …                 what the masks mean by "no label"
 *
 * The colour before "=" is the class's colour on screen, in exports, and in colour masks. After
 * "=", the mask values (0–65535) and colours that stand for the class. A class without "="
 * stands for its index and its colour; void, unless given, is 255 and VOC's void colour
 * (#e0e0c0). */

typedef struct _VocClasses VocClasses;

/* How one mask file's pixels were read. */
typedef enum
{
  VOC_MASK_READ_INDEX,    /* values are class numbers, 255 void (VOC, palette PNGs, label PNGs) */
  VOC_MASK_READ_BINARY,   /* a two-class greyscale mask of 0 and 255 only: class 0 and class 1 */
  VOC_MASK_READ_LISTED,   /* values as classes.txt lists them after "=" */
  VOC_MASK_READ_COLOUR,   /* RGB colours: the classes' colours */
} VocMaskReading;

/* A mask file as decoded, before it means classes: one value per pixel (palette indices, 8- or
 * 16-bit grey) or packed RGB. */
typedef struct
{
  int      width;
  int      height;
  gboolean palette;  /* values are palette indices (never read as binary) */
  int      bits;     /* of the values: 8 or 16; 0 for colour */
  guint16 *values;   /* [height,width], or NULL for colour */
  guint8  *rgb;      /* [height,width,3], or NULL */
} VocRawMask;

void                voc_raw_mask_clear       (VocRawMask        *raw);

/* classes.txt's text; `display` names the file in messages ("cells/classes.txt:4: …"). A list
 * over 16 MiB, with a NUL byte or not UTF-8 is refused. */
VocClasses         *voc_classes_parse        (const char        *contents,
                                              gsize              length,
                                              const char        *display,
                                              GError           **error);
/* PASCAL VOC's 21 classes and colours; values are class numbers, 255 void. */
VocClasses         *voc_classes_new_voc      (void);
VocClasses         *voc_classes_ref          (VocClasses        *self);
void                voc_classes_unref        (VocClasses        *self);

int                 voc_classes_get_n        (const VocClasses  *self);
/* NULL-terminated */
const char *const  *voc_classes_get_names    (const VocClasses  *self);
/* 256 × r,g,b: the class colours, then the VOC colormap for the unused indices. */
const guint8       *voc_classes_get_palette  (const VocClasses  *self);
/* Whether classes.txt says itself what the mask values mean (an "=" or a void line): then no
 * mask is read as binary. */
gboolean            voc_classes_is_listed    (const VocClasses  *self);

/* The class map [height,width] (class index or 255 = void) of a decoded mask, or NULL with an
 * error that names the file (`display`), the pixel, its value or colour and the line to add to
 * classes.txt. `binary_allowed`: a two-class greyscale mask of only 0 and 255 may be read as
 * the two classes (plain folders; never VOC). `reading` says how it was read. */
guint8             *voc_classes_read_mask    (const VocClasses  *self,
                                              const VocRawMask  *raw,
                                              gboolean           binary_allowed,
                                              const char        *display,
                                              VocMaskReading    *reading,
                                              GError           **error);

/* A mask file read with these classes: voc_classes_read_mask() on the file as decoded (any PNG,
 * or what GdkPixbuf reads). Free the result with g_free(). */
guint8             *voc_classes_load_mask    (const VocClasses  *self,
                                              const char        *path,
                                              gboolean           binary_allowed,
                                              int               *width,
                                              int               *height,
                                              VocMaskReading    *reading,
                                              GError           **error);

/* How masks read so are read, for `unet info`: "values 0 and 255, read as membrane and cell". */
char               *voc_classes_describe_reading (const VocClasses *self,
                                                  VocMaskReading    reading);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VocClasses, voc_classes_unref)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VocRawMask, voc_raw_mask_clear)

G_END_DECLS
