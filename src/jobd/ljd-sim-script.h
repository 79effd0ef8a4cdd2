/* ljd-sim-script.h: the events of a simulated training run
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A simulated run is a pure function of its parameters and of simulated
 * time: the same seed gives the same events with the same ids, so a run
 * resumed after a restart re-sends what it sent before and the service
 * acknowledges those as duplicates.
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
