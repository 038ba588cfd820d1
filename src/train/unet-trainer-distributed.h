/* unet-trainer-distributed.h — a training run shared by the processes of an MPI job
 *
 * Copyright 2026 The U-Net Studio authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "unet-distributed.h"
#include "unet-trainer.h"

G_BEGIN_DECLS

/* The same for one rank of a distributed run: every rank of `dist` calls it with the same
 * options (or the same folder), and the ranks then train one model together, each on its part
 * of every batch. Only rank 0 reads the checkpoint or --init model (and sends it to the others)
 * and writes the output folder; every rank reads the dataset from its own disk. A resumed run
 * may have a different number of ranks: the batch stays the run's and is split anew. dist NULL
 * is unet_trainer_new / unet_trainer_resume. */
UnetTrainer      *unet_trainer_new_distributed    (const UnetTrainOptions *options,
                                                   UnetDistributed        *dist,
                                                   GError                **error);
UnetTrainer      *unet_trainer_resume_distributed (const char             *dir,
                                                   gint64                  steps,
                                                   gint64                  epochs,
                                                   UnetDistributed        *dist,
                                                   GError                **error);

G_END_DECLS
