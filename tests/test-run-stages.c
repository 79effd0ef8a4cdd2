/* test-run-stages.c: the stages of a run that only prints
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib.h>

#include "lp-run-stages.h"

#define S(t) ((gint64) (t) * G_USEC_PER_SEC)

static void
assert_change (const LpStageChange *change,
               LpStageKind          stage,
               LpStageStatus        status,
               gint64               ts)
{
  g_assert_cmpint (change->stage, ==, stage);
  g_assert_cmpint (change->status, ==, status);
  g_assert_cmpint (change->ts, ==, ts);
}

/* Nothing but steps: model loading began with the process. */
static void
test_steps_only (void)
{
  g_autoptr(LpRunStages) stages = lp_run_stages_new ();
  LpStageChange c[LP_RUN_STAGES_MAX_CHANGES];

  g_assert_cmpuint (lp_run_stages_start (stages, S (100), c), ==, 1);
  assert_change (&c[0], LP_STAGE_PREPROCESSING, LP_STAGE_STATUS_ACTIVE, S (100));
  g_assert_cmpuint (lp_run_stages_start (stages, S (101), c), ==, 0);
  g_assert_cmpuint (lp_run_stages_hint (stages, LP_LOG_HINT_NONE, S (101), c), ==, 0);

  g_assert_cmpuint (lp_run_stages_step (stages, 0, 150, S (110), c), ==, 2);
  assert_change (&c[0], LP_STAGE_MODEL_LOADING, LP_STAGE_STATUS_ACTIVE, S (100));
  assert_change (&c[1], LP_STAGE_TRAINING, LP_STAGE_STATUS_ACTIVE, S (110));
  g_assert_cmpuint (lp_run_stages_step (stages, 63, 150, S (120), c), ==, 0);
  /* Data work after training began changes nothing. */
  g_assert_cmpuint (lp_run_stages_hint (stages, LP_LOG_HINT_MODEL_LOADING, S (121), c), ==, 0);

  g_assert_cmpuint (lp_run_stages_step (stages, 150, 150, S (130), c), ==, 1);
  assert_change (&c[0], LP_STAGE_FINALIZATION, LP_STAGE_STATUS_ACTIVE, S (130));
  g_assert_cmpuint (lp_run_stages_step (stages, 150, 150, S (131), c), ==, 0);

  g_assert_cmpuint (lp_run_stages_end (stages, TRUE, S (140), c), ==, 1);
  assert_change (&c[0], LP_STAGE_FINALIZATION, LP_STAGE_STATUS_COMPLETED, S (140));
  g_assert_cmpuint (lp_run_stages_end (stages, TRUE, S (141), c), ==, 0);
  g_assert_cmpuint (lp_run_stages_step (stages, 151, 150, S (142), c), ==, 0);
}

/* "Map: 100%" then "Loading checkpoint shards": both stages show. */
static void
test_hints (void)
{
  g_autoptr(LpRunStages) stages = lp_run_stages_new ();
  LpStageChange c[LP_RUN_STAGES_MAX_CHANGES];

  lp_run_stages_start (stages, S (0), c);
  g_assert_cmpuint (lp_run_stages_hint (stages, LP_LOG_HINT_PREPROCESSING, S (5), c), ==, 0);
  g_assert_cmpuint (lp_run_stages_hint (stages, LP_LOG_HINT_MODEL_LOADING, S (9), c), ==, 1);
  assert_change (&c[0], LP_STAGE_MODEL_LOADING, LP_STAGE_STATUS_ACTIVE, S (9));
  g_assert_cmpuint (lp_run_stages_hint (stages, LP_LOG_HINT_MODEL_LOADING, S (10), c), ==, 0);
  g_assert_cmpuint (lp_run_stages_hint (stages, LP_LOG_HINT_PREPROCESSING, S (11), c), ==, 0);
  g_assert_cmpuint (lp_run_stages_step (stages, 1, 0, S (20), c), ==, 1);
  assert_change (&c[0], LP_STAGE_TRAINING, LP_STAGE_STATUS_ACTIVE, S (20));
}

/* Data work and no loading line: loading began where the data work ended. */
static void
test_loading_after_data_work (void)
{
  g_autoptr(LpRunStages) stages = lp_run_stages_new ();
  LpStageChange c[LP_RUN_STAGES_MAX_CHANGES];

  lp_run_stages_start (stages, S (0), c);
  lp_run_stages_hint (stages, LP_LOG_HINT_PREPROCESSING, S (3), c);
  lp_run_stages_hint (stages, LP_LOG_HINT_PREPROCESSING, S (7), c);
  g_assert_cmpuint (lp_run_stages_step (stages, 0, 10, S (12), c), ==, 2);
  assert_change (&c[0], LP_STAGE_MODEL_LOADING, LP_STAGE_STATUS_ACTIVE, S (7));
  assert_change (&c[1], LP_STAGE_TRAINING, LP_STAGE_STATUS_ACTIVE, S (12));
}

/* No total known: finalization ran from the last step to the exit. */
static void
test_finalization_without_a_total (void)
{
  g_autoptr(LpRunStages) stages = lp_run_stages_new ();
  LpStageChange c[LP_RUN_STAGES_MAX_CHANGES];

  lp_run_stages_start (stages, S (0), c);
  lp_run_stages_step (stages, 10, 0, S (10), c);
  lp_run_stages_step (stages, 20, 0, S (20), c);
  /* A redraw of the same step is not a step. */
  lp_run_stages_step (stages, 20, 0, S (25), c);
  g_assert_cmpuint (lp_run_stages_end (stages, TRUE, S (30), c), ==, 2);
  assert_change (&c[0], LP_STAGE_FINALIZATION, LP_STAGE_STATUS_ACTIVE, S (20));
  assert_change (&c[1], LP_STAGE_FINALIZATION, LP_STAGE_STATUS_COMPLETED, S (30));
}

/* A run that printed nothing still completes every stage. */
static void
test_silent_success (void)
{
  g_autoptr(LpRunStages) stages = lp_run_stages_new ();
  LpStageChange c[LP_RUN_STAGES_MAX_CHANGES];

  lp_run_stages_start (stages, S (0), c);
  g_assert_cmpuint (lp_run_stages_end (stages, TRUE, S (4), c), ==, 4);
  assert_change (&c[0], LP_STAGE_MODEL_LOADING, LP_STAGE_STATUS_ACTIVE, S (0));
  assert_change (&c[1], LP_STAGE_TRAINING, LP_STAGE_STATUS_ACTIVE, S (4));
  assert_change (&c[2], LP_STAGE_FINALIZATION, LP_STAGE_STATUS_ACTIVE, S (4));
  assert_change (&c[3], LP_STAGE_FINALIZATION, LP_STAGE_STATUS_COMPLETED, S (4));
}

/* A failure leaves the stage it happened in for the service to fail. */
static void
test_failures (void)
{
  LpStageChange c[LP_RUN_STAGES_MAX_CHANGES];

  {
    g_autoptr(LpRunStages) stages = lp_run_stages_new ();

    lp_run_stages_start (stages, S (0), c);
    lp_run_stages_step (stages, 5, 100, S (5), c);
    g_assert_cmpuint (lp_run_stages_end (stages, FALSE, S (6), c), ==, 0);
    g_assert_cmpint (lp_run_stages_get_reached (stages), ==, LP_STAGE_TRAINING);
  }
  {
    /* Died before any output: it died loading, which began with it. */
    g_autoptr(LpRunStages) stages = lp_run_stages_new ();

    lp_run_stages_start (stages, S (0), c);
    g_assert_cmpuint (lp_run_stages_end (stages, FALSE, S (1), c), ==, 1);
    assert_change (&c[0], LP_STAGE_MODEL_LOADING, LP_STAGE_STATUS_ACTIVE, S (0));
  }
  {
    /* Died mapping the dataset: preprocessing is where. */
    g_autoptr(LpRunStages) stages = lp_run_stages_new ();

    lp_run_stages_start (stages, S (0), c);
    lp_run_stages_hint (stages, LP_LOG_HINT_PREPROCESSING, S (1), c);
    g_assert_cmpuint (lp_run_stages_end (stages, FALSE, S (2), c), ==, 0);
    g_assert_cmpint (lp_run_stages_get_reached (stages), ==, LP_STAGE_PREPROCESSING);
  }
}

static void
test_restore (void)
{
  g_autoptr(LpRunStages) stages = lp_run_stages_new ();
  LpStageChange c[LP_RUN_STAGES_MAX_CHANGES];
  const LpStageStatus status[LP_N_STAGES] = {
    LP_STAGE_STATUS_COMPLETED, LP_STAGE_STATUS_COMPLETED, LP_STAGE_STATUS_ACTIVE, LP_STAGE_STATUS_PENDING,
  };

  lp_run_stages_restore (stages, status, S (1));
  g_assert_cmpint (lp_run_stages_get_reached (stages), ==, LP_STAGE_TRAINING);
  g_assert_cmpuint (lp_run_stages_start (stages, S (50), c), ==, 0);
  g_assert_cmpuint (lp_run_stages_step (stages, 90, 100, S (60), c), ==, 0);
  g_assert_cmpuint (lp_run_stages_step (stages, 100, 100, S (70), c), ==, 1);
  assert_change (&c[0], LP_STAGE_FINALIZATION, LP_STAGE_STATUS_ACTIVE, S (70));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/run-stages/steps-only", test_steps_only);
  g_test_add_func ("/run-stages/hints", test_hints);
  g_test_add_func ("/run-stages/loading-after-data-work", test_loading_after_data_work);
  g_test_add_func ("/run-stages/finalization-without-a-total", test_finalization_without_a_total);
  g_test_add_func ("/run-stages/silent-success", test_silent_success);
  g_test_add_func ("/run-stages/failures", test_failures);
  g_test_add_func ("/run-stages/restore", test_restore);

  return g_test_run ();
}
