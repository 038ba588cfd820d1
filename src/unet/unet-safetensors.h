/* unet-safetensors.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdint.h>

#include <glib.h>

G_BEGIN_DECLS

/* The safetensors container (https://github.com/huggingface/safetensors, format as of 0.4):
 * 8-byte little-endian header length N, N bytes of JSON, then the raw little-endian tensor bytes.
 * This module knows nothing of U-Nets; unet-io.c maps models onto it. */

#define UNET_SAFETENSORS_MAX_DIMS 8
/* A header larger than this is refused before it is read: real headers are kilobytes. */
#define UNET_SAFETENSORS_MAX_HEADER (100 * 1024 * 1024)

typedef enum
{
  UNET_DTYPE_F32,
  UNET_DTYPE_F64,
  UNET_DTYPE_F16,
  UNET_DTYPE_BF16,
  UNET_DTYPE_U8,
  UNET_DTYPE_I64,
} UnetDtype;

typedef struct
{
  const char    *name;
  UnetDtype      dtype;
  int            ndim;
  int64_t        shape[UNET_SAFETENSORS_MAX_DIMS];
  size_t         numel;
  const guint8  *bytes;   /* not necessarily aligned; NULL from unet_safetensors_load_header() */
  size_t         n_bytes;
} UnetTensorView;

typedef struct _UnetSafetensors UnetSafetensors;

/* Parses and checks the whole file: header length, JSON, dtypes, shapes, offsets (in bounds,
 * not overlapping, covering the data exactly) and total size. Errors are UNET_ERROR_CORRUPT
 * (or UNET_ERROR_IO) with a message naming the file and the tensor or field at fault. */
UnetSafetensors      *unet_safetensors_load_file  (const char            *path,
                                                   GError               **error);
/* Reads the 8-byte length and the header only, never the tensor data, and checks them as
 * strictly as unet_safetensors_load_file(), the offsets against the file's size: a file this
 * accepts fails to load only if it changes or cannot be read. The views' bytes are NULL. */
UnetSafetensors      *unet_safetensors_load_header (const char           *path,
                                                    GError              **error);
/* name is only used in error messages. */
UnetSafetensors      *unet_safetensors_load_bytes (GBytes                *bytes,
                                                   const char            *name,
                                                   GError               **error);
void                  unet_safetensors_free       (UnetSafetensors       *self);

guint                 unet_safetensors_get_n_tensors (const UnetSafetensors *self);
/* In file order (by data offset). */
const UnetTensorView *unet_safetensors_get_tensor (const UnetSafetensors *self,
                                                   guint                  index);
const UnetTensorView *unet_safetensors_lookup     (const UnetSafetensors *self,
                                                   const char            *name);
/* (element-type utf8 utf8) (transfer none): the __metadata__ strings; never NULL. */
GHashTable           *unet_safetensors_get_metadata (const UnetSafetensors *self);
const char           *unet_safetensors_get_metadata_string (const UnetSafetensors *self,
                                                            const char            *key);

/* Converts F32/F64/F16/BF16 (and U8, I64) to native floats (numel of them). */
void                  unet_tensor_view_copy_f32   (const UnetTensorView  *view,
                                                   float                 *dest);

typedef struct _UnetSafetensorsWriter UnetSafetensorsWriter;

UnetSafetensorsWriter *unet_safetensors_writer_new  (void);
void                   unet_safetensors_writer_free (UnetSafetensorsWriter *self);
/* data is borrowed until write; numel = product of shape. */
void                   unet_safetensors_writer_add_f32 (UnetSafetensorsWriter *self,
                                                        const char            *name,
                                                        const float           *data,
                                                        int                    ndim,
                                                        const int64_t         *shape);
void                   unet_safetensors_writer_add_u8  (UnetSafetensorsWriter *self,
                                                        const char            *name,
                                                        const guint8          *data,
                                                        int                    ndim,
                                                        const int64_t         *shape);
void                   unet_safetensors_writer_set_metadata (UnetSafetensorsWriter *self,
                                                             const char            *key,
                                                             const char            *value);
/* Atomic: writes a temporary file beside path, fsyncs it, renames it over path and fsyncs
 * the folder; on any failure the previous file at path is untouched and the temporary removed. */
gboolean               unet_safetensors_writer_write (UnetSafetensorsWriter *self,
                                                      const char            *path,
                                                      GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetSafetensors, unet_safetensors_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UnetSafetensorsWriter, unet_safetensors_writer_free)

G_END_DECLS
