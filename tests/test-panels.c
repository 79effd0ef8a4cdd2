/* test-panels.c: the Current Metrics rows and the Cost Tracker, with the
 * brief's own numbers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include <adwaita.h>

#include "lm-cost-tracker.h"
#include "lm-metric-row.h"

static LpJob *
job_with_estimate (double min,
                   double max)
{
  LpJob *job = lp_job_new ();

  lp_job_set_status (job, LP_JOB_STATUS_TRAINING);
  lp_job_set_hourly_rate (job, 2.49);
  lp_job_set_pricing (job, "spot");
  lp_job_set_projected_cost (job, 47.32);
  lp_job_set_estimate (job, min, max);

  return job;
}

static void
test_cost_levels (void)
{
  g_autoptr(LpJob) job = job_with_estimate (45, 55);
  LmCostTracker *tracker = g_object_ref_sink (g_object_new (LM_TYPE_COST_TRACKER, NULL));

  lm_cost_tracker_update (tracker, job, 22.18);
  g_assert_cmpstr (lm_cost_tracker_get_spend_text (tracker), ==, "$22.18");
  g_assert_cmpstr (lm_cost_tracker_get_estimate_text (tracker), ==, "49% of $45-55 estimate");
  g_assert_cmpstr (lm_cost_tracker_get_level_class (tracker), ==, "cost-ok");
  g_assert_null (lm_cost_tracker_get_warning_text (tracker));

  /* One rule with the service (issue 13): yellow from 80% of the upper
   * estimate, red only above it. */
  lm_cost_tracker_update (tracker, job, 40);
  g_assert_cmpstr (lm_cost_tracker_get_level_class (tracker), ==, "cost-ok");
  lm_cost_tracker_update (tracker, job, 44);
  g_assert_cmpstr (lm_cost_tracker_get_level_class (tracker), ==, "cost-warning");
  g_assert_null (lm_cost_tracker_get_warning_text (tracker));

  lm_cost_tracker_update (tracker, job, 54);
  g_assert_cmpstr (lm_cost_tracker_get_estimate_text (tracker), ==, "120% of $45-55 estimate");
  g_assert_cmpstr (lm_cost_tracker_get_level_class (tracker), ==, "cost-warning");
  g_assert_null (lm_cost_tracker_get_warning_text (tracker));

  lm_cost_tracker_update (tracker, job, 56);
  g_assert_cmpstr (lm_cost_tracker_get_level_class (tracker), ==, "cost-over");
  g_assert_cmpstr (lm_cost_tracker_get_warning_text (tracker), ==,
                   "Cost exceeding estimate: $56 vs $45-55 estimated");

  /* A projection over the estimate puts the spend at risk. */
  {
    g_autoptr(LpJob) risky = job_with_estimate (45, 55);

    lp_job_set_projected_cost (risky, 58.20);
    lm_cost_tracker_update (tracker, risky, 22.18);
    g_assert_cmpstr (lm_cost_tracker_get_level_class (tracker), ==, "cost-warning");
    g_assert_null (lm_cost_tracker_get_warning_text (tracker));
  }

  /* Just over the upper bound, cents keep the warning honest. */
  {
    g_autoptr(LpJob) small = job_with_estimate (11, 14);

    lm_cost_tracker_update (tracker, small, 14.24);
    g_assert_cmpstr (lm_cost_tracker_get_warning_text (tracker), ==,
                     "Cost exceeding estimate: $14.24 vs $11-14 estimated");
  }

  /* Without an estimate there is nothing to exceed. */
  {
    g_autoptr(LpJob) bare = job_with_estimate (0, 0);

    lm_cost_tracker_update (tracker, bare, 500);
    g_assert_cmpstr (lm_cost_tracker_get_estimate_text (tracker), ==, "No cost estimate");
    g_assert_null (lm_cost_tracker_get_warning_text (tracker));
  }

  g_object_unref (tracker);
}

static void
test_metric_trends (void)
{
  LmMetricRow *loss = g_object_ref_sink (LM_METRIC_ROW (lm_metric_row_new ("Training Loss", LM_METRIC_LOSS)));
  LmMetricRow *rate = g_object_ref_sink (LM_METRIC_ROW (lm_metric_row_new ("Learning Rate", LM_METRIC_PLAIN)));
  LmMetricRow *gpu = g_object_ref_sink (LM_METRIC_ROW (lm_metric_row_new ("GPU Utilization", LM_METRIC_PERCENT)));

  g_assert_cmpstr (lm_metric_row_get_value_text (loss), ==, "—");

  lm_metric_row_set_values (loss, 0.342, 0.389);
  g_assert_cmpstr (lm_metric_row_get_value_text (loss), ==, "0.342");
  g_assert_cmpstr (lm_metric_row_get_trend_text (loss), ==, "↓ -12.1%");
  g_assert_cmpstr (lm_metric_row_get_trend_class (loss), ==, "trend-improving");

  lm_metric_row_set_values (loss, 0.358 * 1.052, 0.358);
  g_assert_cmpstr (lm_metric_row_get_trend_text (loss), ==, "↑ +5.2%");
  g_assert_cmpstr (lm_metric_row_get_trend_class (loss), ==, "trend-worsening");

  lm_metric_row_set_values (loss, 0.5, 0.502);
  g_assert_cmpstr (lm_metric_row_get_trend_text (loss), ==, "→ ~0%");
  g_assert_cmpstr (lm_metric_row_get_trend_class (loss), ==, "trend-stable");

  lm_metric_row_set_values (rate, 0.000182, NAN);
  g_assert_cmpstr (lm_metric_row_get_value_text (rate), ==, "0.000182");
  g_assert_null (lm_metric_row_get_trend_class (rate));

  lm_metric_row_set_values (gpu, 87, NAN);
  g_assert_cmpstr (lm_metric_row_get_value_text (gpu), ==, "87%");

  g_object_unref (loss);
  g_object_unref (rate);
  g_object_unref (gpu);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/panels/cost-levels", test_cost_levels);
  g_test_add_func ("/panels/metric-trends", test_metric_trends);

  return g_test_run ();
}
