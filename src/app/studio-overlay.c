/* studio-overlay.c
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "voc/voc.h"

#include "studio-overlay.h"

/* A perceptual dark-to-bright ramp (black, purple, orange, pale yellow) for heat maps. */
static void
heat_colour (double  t,
             guint8 *rgb)
{
  static const double stops[][3] = {
    { 0, 0, 4 }, { 87, 16, 110 }, { 188, 55, 84 }, { 249, 142, 9 }, { 252, 255, 164 },
  };
  double position = CLAMP (t, 0.0, 1.0) * 4.0;
  int i = MIN ((int) position, 3);
  double f = position - i;

  for (int c = 0; c < 3; c++)
    rgb[c] = (guint8) lround (stops[i][c] + f * (stops[i + 1][c] - stops[i][c]));
}

GBytes *
studio_overlay_render (StudioSegmentation       *segmentation,
                       const StudioOverlayStyle *style)
{
  int width, height, n_classes;
  gsize n_pixels;
  const guint8 *classes, *truth;
  guint8 *rgba;

  g_return_val_if_fail (STUDIO_IS_SEGMENTATION (segmentation), NULL);
  g_return_val_if_fail (style != NULL, NULL);

  width = studio_segmentation_get_width (segmentation);
  height = studio_segmentation_get_height (segmentation);
  n_classes = MIN (studio_segmentation_get_n_classes (segmentation), STUDIO_OVERLAY_MAX_CLASSES);
  n_pixels = (gsize) width * height;
  classes = studio_segmentation_get_classes (segmentation);
  truth = studio_segmentation_get_truth (segmentation);
  rgba = g_try_malloc0 (n_pixels * 4);
  if (rgba == NULL)
    return NULL;

  switch (style->mode)
    {
    case STUDIO_VIEW_MODE_TRUTH:
      if (truth == NULL)
        break;
      for (gsize i = 0; i < n_pixels; i++)
        {
          guint8 t = truth[i];

          /* black classes (VOC's background) stay clear; void (255) shows in VOC's cream so
           * people see the borders */
          if (t < n_classes && (!style->visible[t] || voc_colour_is_clear (style->palette + t * 3)))
            continue;
          memcpy (rgba + i * 4, t < n_classes ? style->palette + t * 3
                                              : voc_colormap_table () + t * 3, 3);
          rgba[i * 4 + 3] = 255;
        }
      break;

    case STUDIO_VIEW_MODE_ERRORS:
      if (truth == NULL)
        break;
      for (gsize i = 0; i < n_pixels; i++)
        {
          if (truth[i] >= n_classes || truth[i] == classes[i])
            continue;
          rgba[i * 4] = 237;
          rgba[i * 4 + 1] = 51;
          rgba[i * 4 + 2] = 59;
          rgba[i * 4 + 3] = 255;
        }
      break;

    case STUDIO_VIEW_MODE_CONFIDENCE:
      {
        const float *chosen_probs = style->confidence_class >= 0
                                    ? studio_segmentation_get_class_probabilities (segmentation,
                                                                                   style->confidence_class)
                                    : NULL;
        const float *values = chosen_probs != NULL ? chosen_probs
                              : style->entropy ? studio_segmentation_get_entropy (segmentation)
                              : studio_segmentation_get_confidence (segmentation);
        double scale = chosen_probs == NULL && style->entropy ? 1.0 / log (MAX (n_classes, 2)) : 1.0;

        for (gsize i = 0; i < n_pixels; i++)
          {
            heat_colour (values[i] * scale, rgba + i * 4);
            rgba[i * 4 + 3] = 255;
          }
      }
      break;

    case STUDIO_VIEW_MODE_PREDICTION:
    default:
      for (gsize i = 0; i < n_pixels; i++)
        {
          guint8 c = classes[i];

          if (c >= n_classes || !style->visible[c] || voc_colour_is_clear (style->palette + c * 3))
            continue;
          memcpy (rgba + i * 4, style->palette + c * 3, 3);
          rgba[i * 4 + 3] = 255;
        }
      break;
    }

  return g_bytes_new_take (rgba, n_pixels * 4);
}
