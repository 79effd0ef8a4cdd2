/* lp-calc.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "lp-calc.h"

#define SECONDS_PER_HOUR 3600.0

/* Changes smaller than this (in percent) read as noise, not as a trend. */
#define TREND_STABLE_THRESHOLD 1.0

/* The cost tracker turns yellow at this share of the upper estimate,
 * where its bar (spend / estimate_max) is this full. */
#define COST_WARNING_SHARE 0.8

/* Thresholds of the job list, in dollars, for jobs without context. */
#define LIST_COST_WARNING 50.0
#define LIST_COST_OVER    100.0

/* Hugging Face derives the epoch from step / steps_per_epoch, so a finished
 * epoch may arrive as 2.0000000000000004; without this slack it would be
 * shown as the start of the next one.
 */
#define EPOCH_EPSILON 1e-6

double
lp_progress_percent (gint64 current_step,
                     gint64 total_steps)
{
  double percent;

  if (total_steps <= 0)
    return 0.0;

  percent = (double) current_step / (double) total_steps * 100.0;

  return CLAMP (percent, 0.0, 100.0);
}

double
lp_cost_for_elapsed (gint64 elapsed_s,
                     double hourly_rate)
{
  if (elapsed_s <= 0)
    return 0.0;

  return (double) elapsed_s / SECONDS_PER_HOUR * hourly_rate;
}

gint64
lp_remaining_seconds (gint64 current_step,
                      gint64 total_steps,
                      gint64 training_elapsed_s)
{
  double remaining;

  if (current_step <= 0 || training_elapsed_s <= 0)
    return -1;

  if (current_step >= total_steps)
    return 0;

  /* (total - current) / (current / elapsed), rearranged so that a single
   * division keeps the result exact for whole-second rates.
   */
  remaining = (double) (total_steps - current_step)
              * (double) training_elapsed_s
              / (double) current_step;

  return (gint64) llround (remaining);
}

double
lp_projected_cost (double cost,
                   gint64 remaining_s,
                   double hourly_rate)
{
  if (remaining_s < 0)
    return cost;

  return cost + (double) remaining_s / SECONDS_PER_HOUR * hourly_rate;
}

double
lp_estimate_percent (double spend,
                     double estimate_min)
{
  if (!(estimate_min > 0.0))
    return 0.0;

  return spend / estimate_min * 100.0;
}

/**
 * lp_cost_over_estimate:
 * @amount: a spend or a projected cost, in dollars
 * @estimate_max: the upper end of the job's estimate; 0 for none
 *
 * The one rule for "over the estimate", used by the service's cost
 * warnings and by the monitor's cost level, notifications and
 * announcements alike: an estimate is a range, and a job is over it only
 * once it costs more than its upper end. Between the two ends it is within
 * the estimate, if near it (see lp_cost_level()).
 *
 * Returns: %TRUE if @amount is above @estimate_max
 */
gboolean
lp_cost_over_estimate (double amount,
                       double estimate_max)
{
  return estimate_max > 0.0 && amount > estimate_max;
}

/**
 * lp_cost_level:
 * @spend: the spend so far
 * @projected: the projected final cost (the spend once finished)
 * @estimate_max: the upper end of the estimate; 0 for none
 *
 * Red (over) when the spend is over the estimate; yellow (at risk) from
 * 80 % of the upper estimate, or sooner when the projection is over it;
 * green otherwise. The brief's "green <80%, yellow 80-100%, red >100%"
 * are shares of the upper estimate, the same share the bar shows.
 */
LpCostLevel
lp_cost_level (double spend,
               double projected,
               double estimate_max)
{
  if (!(estimate_max > 0.0))
    return LP_COST_LEVEL_OK;

  if (lp_cost_over_estimate (spend, estimate_max))
    return LP_COST_LEVEL_OVER;
  if (spend >= estimate_max * COST_WARNING_SHARE || lp_cost_over_estimate (projected, estimate_max))
    return LP_COST_LEVEL_WARNING;

  return LP_COST_LEVEL_OK;
}

double
lp_cost_bar_fraction (double spend,
                      double estimate_max)
{
  double fraction;

  if (!(estimate_max > 0.0) || isnan (spend))
    return 0.0;

  fraction = spend / estimate_max;

  return CLAMP (fraction, 0.0, 1.0);
}

LpCostLevel
lp_list_cost_level (double cost)
{
  if (cost > LIST_COST_OVER)
    return LP_COST_LEVEL_OVER;
  if (cost >= LIST_COST_WARNING)
    return LP_COST_LEVEL_WARNING;

  return LP_COST_LEVEL_OK;
}

LpTrend
lp_trend (double    current,
          double    previous,
          gboolean  lower_is_better,
          double   *change_percent)
{
  double change;
  gboolean decreased;

  if (change_percent != NULL)
    *change_percent = 0.0;

  if (!isfinite (current) || !isfinite (previous) || previous == 0.0)
    return LP_TREND_STABLE;

  change = (current - previous) / fabs (previous) * 100.0;

  if (change_percent != NULL)
    *change_percent = change;

  if (fabs (change) < TREND_STABLE_THRESHOLD)
    return LP_TREND_STABLE;

  decreased = change < 0.0;

  if (lower_is_better)
    return decreased ? LP_TREND_IMPROVING : LP_TREND_WORSENING;
  else
    return decreased ? LP_TREND_WORSENING : LP_TREND_IMPROVING;
}

gint64
lp_estimated_duration_s (double estimate_min,
                         double estimate_max,
                         double hourly_rate,
                         gint64 total_steps)
{
  double hours;

  /* The cost estimate was itself derived from a duration at this rate, so
   * inverting it agrees with what the user was quoted.
   */
  if (estimate_min > 0.0 && estimate_max > 0.0 && hourly_rate > 0.0)
    hours = (estimate_min + estimate_max) / 2.0 / hourly_rate;
  else if (total_steps > 0)
    hours = (double) total_steps / LP_DEFAULT_STEPS_PER_HOUR;
  else
    return 0;

  return (gint64) llround (hours * SECONDS_PER_HOUR);
}

void
lp_queue_estimate_starts (guint         slots,
                          const gint64 *running_remaining_s,
                          guint         n_running,
                          const gint64 *queued_duration_s,
                          guint         n_queued,
                          gint64       *starts_in_s)
{
  g_autofree gint64 *free_at = NULL;
  guint n_slots;

  g_return_if_fail (n_running == 0 || running_remaining_s != NULL);
  g_return_if_fail (n_queued == 0 || (queued_duration_s != NULL && starts_in_s != NULL));

  if (n_queued == 0)
    return;

  /* Running jobs occupy a slot even when the limit was lowered below their
   * number, and a queue with no slot at all would never start: assume one.
   */
  n_slots = MAX (MAX (slots, n_running), 1);
  free_at = g_new0 (gint64, n_slots);

  for (guint i = 0; i < n_running; i++)
    free_at[i] = MAX (0, running_remaining_s[i]);

  for (guint q = 0; q < n_queued; q++)
    {
      guint earliest = 0;
      gint64 start;

      /* Linear scan: slot counts are a handful, and the lowest index wins
       * ties so the result is deterministic.
       */
      for (guint s = 1; s < n_slots; s++)
        if (free_at[s] < free_at[earliest])
          earliest = s;

      start = free_at[earliest] + LP_PROVISIONING_SECONDS;
      starts_in_s[q] = start;
      free_at[earliest] = start + MAX (0, queued_duration_s[q]);
    }
}

gint64
lp_display_epoch (double epoch,
                  gint64 total_epochs)
{
  gint64 shown = 1;

  if (isfinite (epoch) && epoch > 1.0)
    {
      double rounded = ceil (epoch - EPOCH_EPSILON);

      /* Guard the cast against absurd values from a broken trainer. */
      shown = rounded >= (double) G_MAXINT64 ? G_MAXINT64 : (gint64) rounded;
    }

  if (total_epochs > 0)
    shown = MIN (shown, total_epochs);

  return MAX (shown, 1);
}
