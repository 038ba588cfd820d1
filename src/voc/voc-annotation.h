/* voc-annotation.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Annotation files larger than this are refused unread (a VOC file is about 1–3 KiB). */
#define VOC_ANNOTATION_MAX_BYTES (1024 * 1024)

typedef struct
{
  char     *name;       /* class name, e.g. "person" */
  char     *pose;       /* "Frontal", "Left", …, "Unspecified"; never NULL */
  gboolean  truncated;
  gboolean  difficult;
  /* Bounding box in 1-based VOC pixel coordinates, inclusive; all 0 when absent. */
  int       xmin;
  int       ymin;
  int       xmax;
  int       ymax;
} VocObject;

typedef struct
{
  char      *filename;  /* <filename>, or NULL */
  int        width;     /* <size>: always present and positive in a loaded annotation */
  int        height;
  int        depth;     /* 0 when absent */
  gboolean   segmented;
  guint      n_objects; /* in document order: instance i+1 of SegmentationObject/ */
  VocObject *objects;
} VocAnnotation;

/* Parse a PASCAL VOC annotation with libxml2. The parser never touches the network, never
 * loads or expands entities: a document with a DOCTYPE (a DTD, internal or external) or an
 * entity declaration is refused outright, as are files over VOC_ANNOTATION_MAX_BYTES, documents
 * nested deeper than libxml2's limit (256), malformed XML, a root other than <annotation> and a
 * missing or non-positive <size>. */
VocAnnotation *voc_annotation_load  (const char    *path,
                                     GError       **error);
/* The same from memory; `display` names the document in messages. */
VocAnnotation *voc_annotation_parse (const char    *data,
                                     gsize          length,
                                     const char    *display,
                                     GError       **error);
void           voc_annotation_free  (VocAnnotation *annotation);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VocAnnotation, voc_annotation_free)

G_END_DECLS
