/* voc.h
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "voc-annotation.h"
#include "voc-augment.h"
#include "voc-classes.h"
#include "voc-colormap.h"
#include "voc-dataset.h"
#include "voc-error.h"
#include "voc-image.h"
#include "voc-survey.h"
#include "voc-weights.h"
