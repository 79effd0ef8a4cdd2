/* test-calc.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib.h>
#include <math.h>

#include "lp-calc.h"

/* The brief's running example: 850 of 2,000 steps after 6h 23m. */
#define ELAPSED_6H23M (6 * 3600 + 23 * 60)

static void
test_progress_percent (void)
{
  g_assert_cmpfloat_with_epsilon (lp_progress_percent (850, 2000), 42.5, 1e-9);
  g_assert_cmpfloat (floor (lp_progress_percent (850, 2000)), ==, 42.0);
  g_assert_cmpfloat (lp_progress_percent (0, 2000), ==, 0.0);
  g_assert_cmpfloat (lp_progress_percent (2000, 2000), ==, 100.0);
  g_assert_cmpfloat (lp_progress_percent (2500, 2000), ==, 100.0);
  g_assert_cmpfloat (lp_progress_percent (-5, 2000), ==, 0.0);
  g_assert_cmpfloat (lp_progress_percent (5, 0), ==, 0.0);
  g_assert_cmpfloat (lp_progress_percent (5, -10), ==, 0.0);
}

static void
test_cost_for_elapsed (void)
{
  g_assert_cmpfloat_with_epsilon (lp_cost_for_elapsed (ELAPSED_6H23M, 3.475), 22.18, 0.005);
  g_assert_cmpfloat_with_epsilon (lp_cost_for_elapsed (3600, 2.49), 2.49, 1e-9);
  g_assert_cmpfloat (lp_cost_for_elapsed (0, 2.49), ==, 0.0);
  g_assert_cmpfloat (lp_cost_for_elapsed (-100, 2.49), ==, 0.0);
}

static void
test_remaining_seconds (void)
{
  gint64 remaining = lp_remaining_seconds (850, 2000, ELAPSED_6H23M);

  /* 1150 * 22980 / 850 = 31090.588..., rounded. */
  g_assert_cmpint (remaining, ==, 31091);
  g_assert_cmpint (remaining / 3600, ==, 8);
  g_assert_cmpint (remaining % 3600 / 60, ==, 38);

  g_assert_cmpint (lp_remaining_seconds (100, 200, 1000), ==, 1000);
  g_assert_cmpint (lp_remaining_seconds (0, 2000, 1000), ==, -1);
  g_assert_cmpint (lp_remaining_seconds (-1, 2000, 1000), ==, -1);
  g_assert_cmpint (lp_remaining_seconds (850, 2000, 0), ==, -1);
  g_assert_cmpint (lp_remaining_seconds (850, 2000, -5), ==, -1);
  g_assert_cmpint (lp_remaining_seconds (2000, 2000, 1000), ==, 0);
  g_assert_cmpint (lp_remaining_seconds (2100, 2000, 1000), ==, 0);
}

static void
test_projected_cost (void)
{
  g_assert_cmpfloat_with_epsilon (lp_projected_cost (22.18, 3600, 2.49), 24.67, 1e-9);
  g_assert_cmpfloat_with_epsilon (lp_projected_cost (22.18, 0, 2.49), 22.18, 1e-9);
  g_assert_cmpfloat_with_epsilon (lp_projected_cost (22.18, -1, 2.49), 22.18, 1e-9);
  g_assert_cmpfloat_with_epsilon (lp_projected_cost (10.0, 1800, 4.0), 12.0, 1e-9);
}

static void
test_estimate_percent (void)
{
  double percent = lp_estimate_percent (22.18, 45.0);

  g_assert_cmpfloat_with_epsilon (percent, 49.288, 0.001);
  g_assert_cmpfloat (floor (percent), ==, 49.0);
  g_assert_cmpfloat (lp_estimate_percent (22.18, 0.0), ==, 0.0);
  g_assert_cmpfloat (lp_estimate_percent (22.18, -1.0), ==, 0.0);
  g_assert_cmpfloat (lp_estimate_percent (22.18, NAN), ==, 0.0);
}

/* The brief's numbers: a $45-55 estimate, $22.18 spent, $47.32 projected;
 * "Cost exceeding estimate" once the spend is over $55 (issue 13: the
 * service and the app had two rules). */
static void
test_cost_level (void)
{
  g_assert_false (lp_cost_over_estimate (54.0, 55.0));
  g_assert_false (lp_cost_over_estimate (55.0, 55.0));
  g_assert_true (lp_cost_over_estimate (55.01, 55.0));
  g_assert_false (lp_cost_over_estimate (1000.0, 0.0));
  g_assert_false (lp_cost_over_estimate (1000.0, NAN));
  g_assert_false (lp_cost_over_estimate (NAN, 55.0));

  g_assert_cmpint (lp_cost_level (22.18, 47.32, 55.0), ==, LP_COST_LEVEL_OK);
  g_assert_cmpint (lp_cost_level (43.99, 47.32, 55.0), ==, LP_COST_LEVEL_OK);
  g_assert_cmpint (lp_cost_level (44.0, 47.32, 55.0), ==, LP_COST_LEVEL_WARNING);
  /* Above the lower estimate is still within the range. */
  g_assert_cmpint (lp_cost_level (45.01, 50.0, 55.0), ==, LP_COST_LEVEL_WARNING);
  g_assert_cmpint (lp_cost_level (54.0, 54.0, 55.0), ==, LP_COST_LEVEL_WARNING);
  g_assert_cmpint (lp_cost_level (55.0, 55.0, 55.0), ==, LP_COST_LEVEL_WARNING);
  g_assert_cmpint (lp_cost_level (55.01, 55.01, 55.0), ==, LP_COST_LEVEL_OVER);
  /* A projection over the estimate is a risk, not yet an overrun. */
  g_assert_cmpint (lp_cost_level (22.18, 58.20, 55.0), ==, LP_COST_LEVEL_WARNING);
  g_assert_cmpint (lp_cost_level (1000.0, 1000.0, 0.0), ==, LP_COST_LEVEL_OK);
  g_assert_cmpint (lp_cost_level (1000.0, 1000.0, -3.0), ==, LP_COST_LEVEL_OK);
}

static void
test_cost_bar_fraction (void)
{
  g_assert_cmpfloat_with_epsilon (lp_cost_bar_fraction (22.0, 55.0), 0.4, 1e-9);
  g_assert_cmpfloat (lp_cost_bar_fraction (60.0, 55.0), ==, 1.0);
  g_assert_cmpfloat (lp_cost_bar_fraction (-1.0, 55.0), ==, 0.0);
  g_assert_cmpfloat (lp_cost_bar_fraction (10.0, 0.0), ==, 0.0);
  g_assert_cmpfloat (lp_cost_bar_fraction (10.0, -1.0), ==, 0.0);
  g_assert_cmpfloat (lp_cost_bar_fraction (NAN, 55.0), ==, 0.0);
}

static void
test_list_cost_level (void)
{
  g_assert_cmpint (lp_list_cost_level (0.0), ==, LP_COST_LEVEL_OK);
  g_assert_cmpint (lp_list_cost_level (22.18), ==, LP_COST_LEVEL_OK);
  g_assert_cmpint (lp_list_cost_level (49.99), ==, LP_COST_LEVEL_OK);
  g_assert_cmpint (lp_list_cost_level (50.0), ==, LP_COST_LEVEL_WARNING);
  g_assert_cmpint (lp_list_cost_level (48.32 + 30), ==, LP_COST_LEVEL_WARNING);
  g_assert_cmpint (lp_list_cost_level (100.0), ==, LP_COST_LEVEL_WARNING);
  g_assert_cmpint (lp_list_cost_level (100.01), ==, LP_COST_LEVEL_OVER);
}

static void
test_trend (void)
{
  double change = 42.0;

  g_assert_cmpint (lp_trend (0.342, 0.389, TRUE, &change), ==, LP_TREND_IMPROVING);
  g_assert_cmpfloat_with_epsilon (change, -12.082, 0.001);

  g_assert_cmpint (lp_trend (0.358, 0.412, TRUE, &change), ==, LP_TREND_IMPROVING);
  g_assert_cmpfloat_with_epsilon (change, -13.107, 0.001);

  g_assert_cmpint (lp_trend (0.526, 0.5, TRUE, &change), ==, LP_TREND_WORSENING);
  g_assert_cmpfloat_with_epsilon (change, 5.2, 1e-9);

  g_assert_cmpint (lp_trend (0.5, 0.502, TRUE, &change), ==, LP_TREND_STABLE);
  g_assert_cmpfloat_with_epsilon (change, -0.398, 0.001);

  /* Higher is better (e.g. GPU utilisation): the arrows swap meaning. */
  g_assert_cmpint (lp_trend (0.526, 0.5, FALSE, &change), ==, LP_TREND_IMPROVING);
  g_assert_cmpint (lp_trend (0.342, 0.389, FALSE, &change), ==, LP_TREND_WORSENING);

  /* The change is relative to the magnitude of a negative previous value. */
  g_assert_cmpint (lp_trend (-0.5, -1.0, TRUE, &change), ==, LP_TREND_WORSENING);
  g_assert_cmpfloat_with_epsilon (change, 50.0, 1e-9);

  g_assert_cmpint (lp_trend (1.0, 0.0, TRUE, &change), ==, LP_TREND_STABLE);
  g_assert_cmpfloat (change, ==, 0.0);

  change = 42.0;
  g_assert_cmpint (lp_trend (NAN, 0.4, TRUE, &change), ==, LP_TREND_STABLE);
  g_assert_cmpfloat (change, ==, 0.0);
  change = 42.0;
  g_assert_cmpint (lp_trend (0.4, NAN, TRUE, &change), ==, LP_TREND_STABLE);
  g_assert_cmpfloat (change, ==, 0.0);

  g_assert_cmpint (lp_trend (0.342, 0.389, TRUE, NULL), ==, LP_TREND_IMPROVING);
}

static void
test_estimated_duration (void)
{
  /* $45-55 at $2.50/h: 20 hours. */
  g_assert_cmpint (lp_estimated_duration_s (45.0, 55.0, 2.5, 2000), ==, 72000);
  g_assert_cmpint (lp_estimated_duration_s (45.0, 55.0, 2.49, 2000), ==,
                   (gint64) llround (50.0 / 2.49 * 3600.0));

  /* Any missing piece falls back to the default step rate. */
  g_assert_cmpint (lp_estimated_duration_s (0.0, 55.0, 2.5, 2000), ==, 45000);
  g_assert_cmpint (lp_estimated_duration_s (45.0, 0.0, 2.5, 2000), ==, 45000);
  g_assert_cmpint (lp_estimated_duration_s (45.0, 55.0, 0.0, 2000), ==, 45000);
  g_assert_cmpint (lp_estimated_duration_s (0.0, 0.0, 0.0, 160), ==, 3600);
  g_assert_cmpint (lp_estimated_duration_s (0.0, 0.0, 0.0, 0), ==, 0);
}

static void
test_queue_starts (void)
{
  const gint64 running[] = { 3600, 7200 };
  const gint64 queued[] = { 45000, 45000, 10000 };
  const gint64 running_full[] = { 100, 200, 300 };
  const gint64 queued_two[] = { 45000, 45000 };
  const gint64 running_late[] = { -50, 600 };
  gint64 starts[3] = { 0, };

  lp_queue_estimate_starts (3, running, G_N_ELEMENTS (running),
                            queued, G_N_ELEMENTS (queued), starts);
  g_assert_cmpint (starts[0], ==, 300);
  g_assert_cmpint (starts[1], ==, 3600 + 300);
  g_assert_cmpint (starts[2], ==, 7200 + 300);

  lp_queue_estimate_starts (3, running_full, G_N_ELEMENTS (running_full),
                            queued_two, G_N_ELEMENTS (queued_two), starts);
  g_assert_cmpint (starts[0], ==, 400);
  g_assert_cmpint (starts[1], ==, 500);

  /* More running jobs than slots: every one of them still holds a slot. */
  lp_queue_estimate_starts (2, running_full, G_N_ELEMENTS (running_full),
                            queued_two, G_N_ELEMENTS (queued_two), starts);
  g_assert_cmpint (starts[0], ==, 400);
  g_assert_cmpint (starts[1], ==, 500);

  /* No slots behaves as one, so the queue runs back to back. */
  lp_queue_estimate_starts (0, NULL, 0, queued, G_N_ELEMENTS (queued), starts);
  g_assert_cmpint (starts[0], ==, 300);
  g_assert_cmpint (starts[1], ==, 300 + 45000 + 300);
  g_assert_cmpint (starts[2], ==, 2 * (300 + 45000) + 300);

  /* An overdue running job counts as finishing now. */
  lp_queue_estimate_starts (2, running_late, G_N_ELEMENTS (running_late),
                            queued_two, G_N_ELEMENTS (queued_two), starts);
  g_assert_cmpint (starts[0], ==, 300);
  g_assert_cmpint (starts[1], ==, 900);

  /* Nothing queued writes nothing. */
  lp_queue_estimate_starts (3, running, G_N_ELEMENTS (running), NULL, 0, NULL);
}

static void
test_display_epoch (void)
{
  g_assert_cmpint (lp_display_epoch (1.2, 3), ==, 2);
  g_assert_cmpint (lp_display_epoch (2.0, 3), ==, 2);
  g_assert_cmpint (lp_display_epoch (0.0, 3), ==, 1);
  g_assert_cmpint (lp_display_epoch (0.01, 3), ==, 1);
  g_assert_cmpint (lp_display_epoch (1.0, 3), ==, 1);
  g_assert_cmpint (lp_display_epoch (2.0000000000000004, 3), ==, 2);
  g_assert_cmpint (lp_display_epoch (3.0, 3), ==, 3);
  g_assert_cmpint (lp_display_epoch (3.5, 3), ==, 3);
  g_assert_cmpint (lp_display_epoch (7.5, 0), ==, 8);
  g_assert_cmpint (lp_display_epoch (-1.0, 3), ==, 1);
  g_assert_cmpint (lp_display_epoch (NAN, 3), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/calc/progress-percent", test_progress_percent);
  g_test_add_func ("/calc/cost-for-elapsed", test_cost_for_elapsed);
  g_test_add_func ("/calc/remaining-seconds", test_remaining_seconds);
  g_test_add_func ("/calc/projected-cost", test_projected_cost);
  g_test_add_func ("/calc/estimate-percent", test_estimate_percent);
  g_test_add_func ("/calc/cost-level", test_cost_level);
  g_test_add_func ("/calc/cost-bar-fraction", test_cost_bar_fraction);
  g_test_add_func ("/calc/list-cost-level", test_list_cost_level);
  g_test_add_func ("/calc/trend", test_trend);
  g_test_add_func ("/calc/estimated-duration", test_estimated_duration);
  g_test_add_func ("/calc/queue-starts", test_queue_starts);
  g_test_add_func ("/calc/display-epoch", test_display_epoch);

  return g_test_run ();
}
