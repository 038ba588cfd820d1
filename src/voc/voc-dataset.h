/* voc-dataset.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "voc-annotation.h"
#include "voc-classes.h"
#include "voc-error.h"

G_BEGIN_DECLS

typedef enum
{
  /* ROOT is a VOCdevkit folder (VOC2007/ inside) or the VOC2007 folder itself:
   * ImageSets/Segmentation/<split>.txt, JPEGImages/<id>.jpg, SegmentationClass/<id>.png,
   * SegmentationObject/<id>.png, Annotations/<id>.xml. */
  VOC_LAYOUT_VOCDEVKIT,
  /* ROOT/images/<id>.<any image extension>, ROOT/masks/<id>[_mask].<ext>, ROOT/classes.txt,
   * optional ROOT/instances/<id>.png and ROOT/splits/<split>.txt (images/ and masks/ may be
   * named image/, labels/, …); see docs/datasets.md. */
  VOC_LAYOUT_PLAIN,
} VocLayout;

typedef enum
{
  VOC_LOAD_IMAGE      = 1 << 0,
  VOC_LOAD_LABELS     = 1 << 1,
  VOC_LOAD_INSTANCES  = 1 << 2, /* VOC: required; plain: loaded when instances/<id>.png exists */
  VOC_LOAD_ANNOTATION = 1 << 3, /* VOC only; plain datasets have none (annotation stays NULL) */
  VOC_LOAD_TRAIN      = VOC_LOAD_IMAGE | VOC_LOAD_LABELS,
  VOC_LOAD_ALL        = 0xf,
} VocLoadFlags;

/* Without a splits/ folder a plain dataset has three splits: "all" (also "trainval"), and
 * "train" / "val", a shuffle of the sorted ids with this seed, a fifth of them (at least one
 * when there are two or more) in "val". */
#define VOC_PLAIN_SPLIT_SEED 2007
#define VOC_PLAIN_VAL_FRACTION 0.2

typedef struct
{
  char          *id;
  int            width;
  int            height;
  float         *rgb;         /* [3,height,width] in [0,1], or NULL */
  guint8        *labels;      /* [height,width]: class index or 255 (void), or NULL */
  guint8        *instances;   /* [height,width]: 0 background, 1..N instance, 255 void, or NULL */
  VocAnnotation *annotation;  /* or NULL */
  float         *weights;     /* [height,width] from voc_sample_compute_weights(), or NULL */
  VocMaskReading reading;     /* how the class mask's pixels were read, when labels is set */
} VocSample;

/* A problem found by voc_dataset_check(): `message` is a whole sentence naming the file. */
typedef struct
{
  char     *id;      /* the sample id, or NULL for a problem of the dataset itself */
  VocError  code;
  char     *message;
} VocProblem;

typedef struct _VocDataset VocDataset;

/* Detects the layout. Immutable once open: every function below may be called from several
 * threads at once. */
VocDataset         *voc_dataset_open             (const char    *root,
                                                  GError       **error);
VocDataset         *voc_dataset_ref              (VocDataset    *self);
void                voc_dataset_unref            (VocDataset    *self);

VocLayout           voc_dataset_get_layout       (VocDataset    *self);
/* The folder that holds the data: the VOC2007 folder, or the plain dataset's root. */
const char         *voc_dataset_get_root         (VocDataset    *self);
int                 voc_dataset_get_n_classes    (VocDataset    *self);
/* NULL-terminated, n_classes names. */
const char *const  *voc_dataset_get_class_names  (VocDataset    *self);
/* 256 × r,g,b: the class colours, then the VOC colormap for the unused indices. */
const guint8       *voc_dataset_get_palette      (VocDataset    *self);
/* The classes and how the masks' pixels map onto them (classes.txt, or VOC's). */
VocClasses         *voc_dataset_get_classes      (VocDataset    *self);
/* The split names that exist (sorted), NULL-terminated; free with g_strfreev(). */
char              **voc_dataset_list_splits      (VocDataset    *self);

/* The ids of a split in file order. An id "is missing" when its image or class mask is absent.
 * skip_missing FALSE: the first missing id is an error naming it and the absent file.
 * skip_missing TRUE: missing ids are left out and, if `missing` is not NULL, listed in a new
 * array there; a split with no usable id left is still an error. */
GPtrArray          *voc_dataset_get_split        (VocDataset    *self,
                                                  const char    *split,
                                                  gboolean       skip_missing,
                                                  GPtrArray    **missing,
                                                  GError       **error);

/* Paths of a sample's files (whether they exist or not); NULL for an invalid id, or when the
 * layout has no such file (plain: an id with no image; annotations). Free with g_free(). */
char               *voc_dataset_get_image_path     (VocDataset *self,
                                                    const char *id);
char               *voc_dataset_get_mask_path      (VocDataset *self,
                                                    const char *id);
char               *voc_dataset_get_instance_path  (VocDataset *self,
                                                    const char *id);
char               *voc_dataset_get_annotation_path (VocDataset *self,
                                                     const char *id);

/* Loads what `flags` asks for and checks it: every size against the image (or the first
 * thing loaded), class-mask values against the classes (or 255). */
VocSample          *voc_dataset_load_sample      (VocDataset    *self,
                                                  const char    *id,
                                                  VocLoadFlags   flags,
                                                  GError       **error);

/* Check every id of a split and return every problem found (an empty array when all is well):
 * missing files, unreadable or truncated images and masks, masks that are not palette /
 * greyscale, sizes that differ between image, masks and XML <size>, mask values outside the
 * classes and 255, instance numbers with no XML <object>, malformed XML, duplicate ids.
 * Only a split list that cannot be read at all is an error. The array frees its VocProblems. */
GPtrArray          *voc_dataset_check            (VocDataset    *self,
                                                  const char    *split,
                                                  GError       **error);

/* A sample owning nothing yet, for callers that fill one themselves (tests, the app). */
VocSample          *voc_sample_new               (const char    *id,
                                                  int            width,
                                                  int            height);
void                voc_sample_free              (VocSample     *sample);
void                voc_problem_free             (VocProblem    *problem);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VocDataset, voc_dataset_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VocSample, voc_sample_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VocProblem, voc_problem_free)

G_END_DECLS
