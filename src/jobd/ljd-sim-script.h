/* ljd-sim-script.h: the events of a simulated training run
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A simulated run is a pure function of its parameters and of simulated
 * time: the same seed gives the same events with the same ids, so a run
 * resumed after a restart re-sends what it sent before and the service
 * acknowledges those as duplicates.
 *
 * Besides a failure, a run can be told to go wrong in the ways the service's
 * early warnings watch for (config keys, each a step from 1 to total_steps):
 *
 * - stall_at_step: nothing more is reported after this step, yet the run
 *   never ends, as a trainer hung on a dead data loader would;
 * - diverge_at_step: from this step on the losses are ten times what they
 *   would be, or "NaN" with diverge_nan: true;
 * - gpu_low_from_step: from this step on the GPU utilisation is about 30 %
 *   (27 to 33), without the trainer's own dip warnings.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64  seed;
  gint64   total_steps;
  gint64   total_epochs;
  double   steps_per_hour;
  gint64   fail_at_step;      /* 0: never fails */
  char    *fail_message;
  gint64   log_every;
  gint64   eval_every;
  gint64   checkpoint_every;
  char    *gpu_type;
  char    *pricing;
  char    *base_model;
  gint64   conversations;
  gint64   stall_at_step;     /* 0: never stalls */
  gint64   diverge_at_step;   /* 0: never diverges */
  gboolean diverge_nan;       /* diverged losses are NaN rather than ×10 */
  gint64   gpu_low_from_step; /* 0: the GPU stays busy */
} LjdSimParams;

/* Simulated seconds of each phase before training. */
#define LJD_SIM_PROVISIONING_S   300.0
#define LJD_SIM_PREPROCESSING_S  222.0
#define LJD_SIM_MODEL_LOADING_S  480.0
#define LJD_SIM_FINALIZATION_S   480.0

gboolean ljd_sim_params_init       (LjdSimParams        *params,
                                    JsonObject          *config,
                                    gint64               total_steps,
                                    gint64               total_epochs,
                                    const char          *gpu_type,
                                    const char          *pricing,
                                    GError             **error);
void     ljd_sim_params_clear      (LjdSimParams        *params);
double   ljd_sim_total_seconds     (const LjdSimParams  *params);
double   ljd_sim_collect           (const LjdSimParams  *params,
                                    double               t0,
                                    double               t1,
                                    gint64               origin_usec,
                                    double               time_scale,
                                    guint                max_events,
                                    JsonArray           *out,
                                    gboolean            *done);
double   ljd_sim_train_loss        (const LjdSimParams  *params,
                                    gint64               step);

G_END_DECLS
