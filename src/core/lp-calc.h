/* lp-calc.h: the arithmetic of progress, cost, time left and queue start times
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pure functions shared by lora-jobd (which computes the numbers it serves)
 * and lora-monitor (which recomputes elapsed time and cost every second
 * between polls). Nothing here reads a clock: callers pass "now".
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Minutes of GPU provisioning added to every queued start. */
#define LP_PROVISIONING_SECONDS (5 * 60)
/* Step rate assumed for a job with no cost estimate (the simulator's default). */
#define LP_DEFAULT_STEPS_PER_HOUR 160.0

typedef enum {
  LP_COST_LEVEL_OK,       /* green  */
  LP_COST_LEVEL_WARNING,  /* yellow */
  LP_COST_LEVEL_OVER,     /* red    */
} LpCostLevel;

typedef enum {
  LP_TREND_STABLE,
  LP_TREND_IMPROVING,
  LP_TREND_WORSENING,
} LpTrend;

double      lp_progress_percent         (gint64       current_step,
                                         gint64       total_steps);
double      lp_cost_for_elapsed         (gint64       elapsed_s,
                                         double       hourly_rate);
gint64      lp_remaining_seconds        (gint64       current_step,
                                         gint64       total_steps,
                                         gint64       training_elapsed_s);
double      lp_projected_cost           (double       cost,
                                         gint64       remaining_s,
                                         double       hourly_rate);
double      lp_estimate_percent         (double       spend,
                                         double       estimate_min);
gboolean    lp_cost_over_estimate       (double       amount,
                                         double       estimate_max);
LpCostLevel lp_cost_level               (double       spend,
                                         double       projected,
                                         double       estimate_max);
double      lp_cost_bar_fraction        (double       spend,
                                         double       estimate_max);
LpCostLevel lp_list_cost_level          (double       cost);
LpTrend     lp_trend                    (double       current,
                                         double       previous,
                                         gboolean     lower_is_better,
                                         double      *change_percent);
gint64      lp_estimated_duration_s     (double       estimate_min,
                                         double       estimate_max,
                                         double       hourly_rate,
                                         gint64       total_steps);
void        lp_queue_estimate_starts    (guint        slots,
                                         const gint64 *running_remaining_s,
                                         guint        n_running,
                                         const gint64 *queued_duration_s,
                                         guint        n_queued,
                                         gint64      *starts_in_s);
gint64      lp_display_epoch            (double       epoch,
                                         gint64       total_epochs);

G_END_DECLS
