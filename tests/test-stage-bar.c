/* test-stage-bar.c: the stage bar's words, states and accessible texts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Jobs are built by hand rather than fetched: the bar only reads an LpJob,
 * and a fixed clock makes every duration exact.
 */
#include "config.h"

#include <adwaita.h>

#include "lm-stage-bar.h"

#define NOW ((gint64) 1700000000 * G_USEC_PER_SEC)
#define S(seconds) ((gint64) (seconds) * G_USEC_PER_SEC)

typedef struct
{
  LpStageStatus  status;
  gint64         started_at;
  gint64         finished_at;
  const char    *substatus;
  const char    *error;
} StageSpec;

static LpJob *
make_job (LpJobStatus      status,
          const StageSpec  specs[LP_N_STAGES])
{
  LpJob *job = lp_job_new ();
  g_autoptr(GPtrArray) stages = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_stage_free);

  lp_job_set_name (job, "Stage bar test");
  lp_job_set_status (job, status);
  lp_job_set_total_steps (job, 2000);
  lp_job_set_current_step (job, 850);
  lp_job_set_epoch (job, 2);
  lp_job_set_total_epochs (job, 3);

  for (guint i = 0; i < LP_N_STAGES; i++)
    {
      LpStage *stage = lp_stage_new (i);

      stage->status = specs[i].status;
      stage->started_at = specs[i].started_at;
      stage->finished_at = specs[i].finished_at;
      stage->substatus = g_strdup (specs[i].substatus);
      stage->error = g_strdup (specs[i].error);
      g_ptr_array_add (stages, stage);
    }

  lp_job_set_stages (job, stages);
  return job;
}

/* Preprocessing 2m 5s, Model Loading 3m 42s, Training running 6h 23m. */
static LpJob *
make_training_job (void)
{
  gint64 training_start = NOW - S (6 * 3600 + 23 * 60);
  gint64 loading_start = training_start - S (222);
  StageSpec specs[LP_N_STAGES] = {
    { LP_STAGE_STATUS_COMPLETED, loading_start - S (125), loading_start, NULL, NULL },
    { LP_STAGE_STATUS_COMPLETED, loading_start, training_start, NULL, NULL },
    { LP_STAGE_STATUS_ACTIVE, training_start, 0, "Epoch 2/3 - Step 850 of 2,000", NULL },
    { LP_STAGE_STATUS_PENDING, 0, 0, NULL, NULL },
  };

  return make_job (LP_JOB_STATUS_TRAINING, specs);
}

static LmStageBar *
new_bar (LpJob *job)
{
  LmStageBar *bar = LM_STAGE_BAR (g_object_ref_sink (lm_stage_bar_new ()));

  lm_stage_bar_set_now (bar, NOW);
  lm_stage_bar_set_job (bar, job);
  return bar;
}

static void
assert_description (LmStageBar *bar,
                    const char *expected)
{
  g_autofree char *description = lm_stage_bar_describe (bar);
  g_autofree char *property = NULL;

  g_assert_cmpstr (description, ==, expected);
  g_object_get (bar, "description", &property, NULL);
  g_assert_cmpstr (property, ==, expected);
}

static void
test_pending (void)
{
  StageSpec specs[LP_N_STAGES] = { { 0, }, { 0, }, { 0, }, { 0, } };
  g_autoptr(LpJob) job = make_job (LP_JOB_STATUS_QUEUED, specs);
  g_autoptr(LmStageBar) bar = new_bar (job);

  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (bar)), ==,
                   GTK_ACCESSIBLE_ROLE_GROUP);
  assert_description (bar, "Waiting to start");

  for (guint i = 0; i < LP_N_STAGES; i++)
    {
      g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, i), ==, "Waiting…");
      g_assert_cmpstr (lm_stage_bar_get_segment_state (bar, i), ==, "pending");
      g_assert_cmpstr (lm_stage_bar_get_segment_elapsed (bar, i), ==, "");
    }
  g_assert_cmpstr (lm_stage_bar_get_segment_label (bar, LP_STAGE_MODEL_LOADING), ==,
                   "Model Loading: Waiting");
  g_assert_null (lm_stage_bar_get_details_button (bar));

  /* Cancelled from the queue: it will not start, so it is not waiting. */
  lp_job_set_status (job, LP_JOB_STATUS_CANCELLED);
  assert_description (bar, "Never started");
}

static void
test_active (void)
{
  g_autoptr(LpJob) job = make_training_job ();
  g_autoptr(LmStageBar) bar = new_bar (job);

  assert_description (bar, "Stage 3 of 4: Training - Active, 6 hours 23 minutes elapsed");

  g_assert_cmpstr (lm_stage_bar_get_segment_state (bar, LP_STAGE_PREPROCESSING), ==, "completed");
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_PREPROCESSING), ==, "2m 5s");
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_MODEL_LOADING), ==, "3m 42s");
  g_assert_cmpstr (lm_stage_bar_get_segment_label (bar, LP_STAGE_MODEL_LOADING), ==,
                   "Model Loading: Completed in 3 minutes 42 seconds");

  g_assert_cmpstr (lm_stage_bar_get_segment_state (bar, LP_STAGE_TRAINING), ==, "active");
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_TRAINING), ==,
                   "Epoch 2/3 - Step 850 of 2,000");
  g_assert_cmpstr (lm_stage_bar_get_segment_elapsed (bar, LP_STAGE_TRAINING), ==, "6h 23m");
  g_assert_cmpstr (lm_stage_bar_get_segment_label (bar, LP_STAGE_TRAINING), ==,
                   "Training: Active, Epoch 2/3 - Step 850 of 2,000, 6 hours 23 minutes elapsed");

  g_assert_cmpstr (lm_stage_bar_get_segment_state (bar, LP_STAGE_FINALIZATION), ==, "pending");
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_FINALIZATION), ==, "Waiting…");
  g_assert_null (lm_stage_bar_get_details_button (bar));

  /* The page ticks the clock; running times follow, finished ones do not. */
  lm_stage_bar_set_now (bar, NOW + S (2 * 60 + 30));
  assert_description (bar, "Stage 3 of 4: Training - Active, 6 hours 25 minutes elapsed");
  g_assert_cmpstr (lm_stage_bar_get_segment_elapsed (bar, LP_STAGE_TRAINING), ==, "6h 25m");
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_MODEL_LOADING), ==, "3m 42s");
}

static void
test_active_without_substatus (void)
{
  StageSpec specs[LP_N_STAGES] = {
    { LP_STAGE_STATUS_COMPLETED, NOW - S (600), NOW - S (500), NULL, NULL },
    { LP_STAGE_STATUS_COMPLETED, NOW - S (500), NOW - S (400), NULL, NULL },
    { LP_STAGE_STATUS_ACTIVE, NOW - S (400), 0, NULL, NULL },
    { LP_STAGE_STATUS_PENDING, 0, 0, NULL, NULL },
  };
  g_autoptr(LpJob) job = make_job (LP_JOB_STATUS_TRAINING, specs);
  g_autoptr(LmStageBar) bar = new_bar (job);

  /* The service leaves Training's substatus to the step counters. */
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_TRAINING), ==,
                   "Epoch 2/3 - Step 850 of 2,000");
  g_assert_cmpstr (lm_stage_bar_get_segment_elapsed (bar, LP_STAGE_TRAINING), ==, "6m 40s");

  lp_job_set_current_step (job, 900);
  lm_stage_bar_set_job (bar, job);
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_TRAINING), ==,
                   "Epoch 2/3 - Step 900 of 2,000");
}

static void
view_errors_cb (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  (*(int *) user_data)++;
}

static void
test_failed (void)
{
  StageSpec specs[LP_N_STAGES] = {
    { LP_STAGE_STATUS_COMPLETED, NOW - S (5000), NOW - S (4875), NULL, NULL },
    { LP_STAGE_STATUS_COMPLETED, NOW - S (4875), NOW - S (4653), NULL, NULL },
    { LP_STAGE_STATUS_FAILED, NOW - S (4653), NOW - S (60), NULL,
      "CUDA out of memory. Tried to allocate 2.00 GiB\nTraceback (most recent call last):" },
    { LP_STAGE_STATUS_PENDING, 0, 0, NULL, NULL },
  };
  g_autoptr(LpJob) job = make_job (LP_JOB_STATUS_FAILED, specs);
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();
  g_autoptr(GSimpleAction) action = g_simple_action_new ("view-job-errors", NULL);
  GtkWidget *parent = g_object_ref_sink (gtk_box_new (GTK_ORIENTATION_VERTICAL, 0));
  LmStageBar *bar = LM_STAGE_BAR (lm_stage_bar_new ());
  GtkWidget *button;
  int activated = 0;

  gtk_box_append (GTK_BOX (parent), GTK_WIDGET (bar));
  lm_stage_bar_set_now (bar, NOW);
  lm_stage_bar_set_job (bar, job);

  assert_description (bar, "Stage 3 of 4: Training - Failed: CUDA out of memory. Tried to allocate 2.00 GiB");
  g_assert_cmpstr (lm_stage_bar_get_segment_state (bar, LP_STAGE_TRAINING), ==, "failed");
  /* Only the first line: a traceback is for the event log. */
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_TRAINING), ==,
                   "CUDA out of memory. Tried to allocate 2.00 GiB");
  g_assert_cmpstr (lm_stage_bar_get_segment_label (bar, LP_STAGE_TRAINING), ==,
                   "Training: Failed, CUDA out of memory. Tried to allocate 2.00 GiB");
  g_assert_cmpstr (lm_stage_bar_get_segment_state (bar, LP_STAGE_MODEL_LOADING), ==, "completed");
  g_assert_cmpstr (lm_stage_bar_get_segment_state (bar, LP_STAGE_FINALIZATION), ==, "pending");
  /* The stage after the failure is one the job will never get to. */
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_FINALIZATION), ==, "Not reached");
  g_assert_cmpstr (lm_stage_bar_get_segment_label (bar, LP_STAGE_FINALIZATION), ==, "Finalization: Not reached");

  button = lm_stage_bar_get_details_button (bar);
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_visible (button));
  /* Sensitive even though no window provides the action yet. */
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "View Details");
  g_signal_emit_by_name (button, "clicked");

  g_signal_connect (action, "activate", G_CALLBACK (view_errors_cb), &activated);
  g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (action));
  gtk_widget_insert_action_group (parent, "win", G_ACTION_GROUP (group));
  g_signal_emit_by_name (button, "clicked");
  g_assert_cmpint (activated, ==, 1);

  /* A stage without its own error falls back to the job's. */
  specs[LP_STAGE_TRAINING].error = NULL;
  g_clear_object (&job);
  job = make_job (LP_JOB_STATUS_FAILED, specs);
  lp_job_set_error (job, "Out of Memory");
  lm_stage_bar_set_job (bar, job);
  assert_description (bar, "Stage 3 of 4: Training - Failed: Out of Memory");
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_TRAINING), ==, "Out of Memory");

  /* A failed job whose stage still says active failed in that stage. */
  specs[LP_STAGE_TRAINING].status = LP_STAGE_STATUS_ACTIVE;
  g_clear_object (&job);
  job = make_job (LP_JOB_STATUS_FAILED, specs);
  lp_job_set_error (job, "Out of Memory");
  lm_stage_bar_set_job (bar, job);
  g_assert_cmpstr (lm_stage_bar_get_segment_state (bar, LP_STAGE_TRAINING), ==, "failed");
  assert_description (bar, "Stage 3 of 4: Training - Failed: Out of Memory");

  g_object_unref (parent);
}

static void
test_completed (void)
{
  StageSpec specs[LP_N_STAGES] = {
    { LP_STAGE_STATUS_COMPLETED, NOW - S (46342), NOW - S (46217), NULL, NULL },
    { LP_STAGE_STATUS_COMPLETED, NOW - S (46217), NOW - S (45995), NULL, NULL },
    { LP_STAGE_STATUS_COMPLETED, NOW - S (45995), NOW - S (95), NULL, NULL },
    { LP_STAGE_STATUS_COMPLETED, NOW - S (95), NOW, NULL, NULL },
  };
  g_autoptr(LpJob) job = make_job (LP_JOB_STATUS_COMPLETED, specs);
  g_autoptr(LmStageBar) bar = new_bar (job);

  assert_description (bar, "All 4 stages completed");
  for (guint i = 0; i < LP_N_STAGES; i++)
    g_assert_cmpstr (lm_stage_bar_get_segment_state (bar, i), ==, "completed");
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_TRAINING), ==, "12h 45m");
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_FINALIZATION), ==, "1m 35s");
  g_assert_cmpstr (lm_stage_bar_get_segment_label (bar, LP_STAGE_TRAINING), ==,
                   "Training: Completed in 12 hours 45 minutes");

  /* Finished durations do not depend on the clock. */
  lm_stage_bar_set_now (bar, NOW + S (3600));
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_TRAINING), ==, "12h 45m");
}

static void
test_cancelled (void)
{
  StageSpec specs[LP_N_STAGES] = {
    { LP_STAGE_STATUS_COMPLETED, NOW - S (8000), NOW - S (7875), NULL, NULL },
    { LP_STAGE_STATUS_COMPLETED, NOW - S (7875), NOW - S (7653), NULL, NULL },
    { LP_STAGE_STATUS_ACTIVE, NOW - S (7653), NOW - S (7653 - 2 * 3600 - 5 * 60), "Epoch 1/3 - Step 420 of 2,000", NULL },
    { LP_STAGE_STATUS_PENDING, 0, 0, NULL, NULL },
  };
  g_autoptr(LpJob) job = make_job (LP_JOB_STATUS_CANCELLED, specs);
  g_autoptr(LmStageBar) bar = new_bar (job);

  assert_description (bar, "Stage 3 of 4: Training - Stopped after 2 hours 5 minutes");
  g_assert_cmpstr (lm_stage_bar_get_segment_state (bar, LP_STAGE_TRAINING), ==, "stopped");
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_TRAINING), ==, "Stopped after 2h 5m");
  g_assert_cmpstr (lm_stage_bar_get_segment_label (bar, LP_STAGE_TRAINING), ==,
                   "Training: Stopped after 2 hours 5 minutes");
  g_assert_cmpstr (lm_stage_bar_get_segment_elapsed (bar, LP_STAGE_TRAINING), ==, "");
  g_assert_null (lm_stage_bar_get_details_button (bar));

  /* A stopped stage's time is over: the clock does not move it. */
  lm_stage_bar_set_now (bar, NOW + S (600));
  assert_description (bar, "Stage 3 of 4: Training - Stopped after 2 hours 5 minutes");
}

static void
test_updates (void)
{
  g_autoptr(LpJob) job = make_training_job ();
  g_autoptr(LmStageBar) bar = new_bar (job);
  g_autoptr(GPtrArray) stages = NULL;
  g_autoptr(LpJob) other = NULL;
  LpStage *stage;

  assert_description (bar, "Stage 3 of 4: Training - Active, 6 hours 23 minutes elapsed");

  /* A job updated in place (as a poll does) updates the bar by itself. */
  stages = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_stage_free);
  for (guint i = 0; i < LP_N_STAGES; i++)
    g_ptr_array_add (stages, lp_stage_copy (g_ptr_array_index (lp_job_get_stages (job), i)));
  stage = g_ptr_array_index (stages, LP_STAGE_TRAINING);
  stage->status = LP_STAGE_STATUS_COMPLETED;
  stage->finished_at = NOW - S (40);
  stage = g_ptr_array_index (stages, LP_STAGE_FINALIZATION);
  stage->status = LP_STAGE_STATUS_ACTIVE;
  stage->started_at = NOW - S (40);
  stage->substatus = g_strdup ("Saving adapters...");
  lp_job_set_stages (job, stages);

  assert_description (bar, "Stage 4 of 4: Finalization - Active, 40 seconds elapsed");
  g_assert_cmpstr (lm_stage_bar_get_segment_state (bar, LP_STAGE_TRAINING), ==, "completed");
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_TRAINING), ==, "6h 22m");
  g_assert_cmpstr (lm_stage_bar_get_segment_text (bar, LP_STAGE_FINALIZATION), ==, "Saving adapters...");

  lm_stage_bar_set_now (bar, NOW + S (20));
  assert_description (bar, "Stage 4 of 4: Finalization - Active, 1 minute elapsed");

  /* Another job replaces the first, and the old one no longer drives it. */
  other = make_training_job ();
  lm_stage_bar_set_job (bar, other);
  g_assert_true (lm_stage_bar_get_job (bar) == other);
  assert_description (bar, "Stage 3 of 4: Training - Active, 6 hours 23 minutes elapsed");
  lp_job_set_error (job, "ignored");
  lp_job_set_status (job, LP_JOB_STATUS_CANCELLED);
  assert_description (bar, "Stage 3 of 4: Training - Active, 6 hours 23 minutes elapsed");

  lm_stage_bar_set_job (bar, NULL);
  assert_description (bar, "Waiting to start");
}

static void
test_layout (void)
{
  g_autoptr(LpJob) job = make_training_job ();
  GtkWidget *window = gtk_window_new ();
  LmStageBar *bar = LM_STAGE_BAR (lm_stage_bar_new ());
  int minimum, natural;

  lm_stage_bar_set_now (bar, NOW);
  lm_stage_bar_set_job (bar, job);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (bar));
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 100);
  gtk_window_present (GTK_WINDOW (window));

  while (gtk_widget_get_width (GTK_WIDGET (bar)) < 1000)
    g_main_context_iteration (NULL, TRUE);

  /* Training takes most of a wide bar; the small stages keep their names. */
  {
    GtkWidget *first = gtk_widget_get_first_child (GTK_WIDGET (bar));
    GtkWidget *child;
    int widths[LP_N_STAGES];
    guint n = 0;

    for (child = first; child != NULL; child = gtk_widget_get_next_sibling (child))
      if (gtk_widget_has_css_class (child, "stage-segment"))
        widths[n++] = gtk_widget_get_width (child);

    g_assert_cmpuint (n, ==, LP_N_STAGES);
    g_assert_cmpint (widths[LP_STAGE_TRAINING], >, gtk_widget_get_width (GTK_WIDGET (bar)) / 2);
    g_assert_cmpint (widths[LP_STAGE_PREPROCESSING], <, widths[LP_STAGE_TRAINING] / 3);
    g_assert_cmpint (widths[LP_STAGE_FINALIZATION], <, widths[LP_STAGE_TRAINING] / 3);
  }

  /* Small enough for a narrow window. */
  gtk_widget_measure (GTK_WIDGET (bar), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
  g_assert_cmpint (minimum, <, 600);
  g_assert_cmpint (natural, >=, minimum);

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/stage-bar/pending", test_pending);
  g_test_add_func ("/stage-bar/active", test_active);
  g_test_add_func ("/stage-bar/active-without-substatus", test_active_without_substatus);
  g_test_add_func ("/stage-bar/failed", test_failed);
  g_test_add_func ("/stage-bar/completed", test_completed);
  g_test_add_func ("/stage-bar/cancelled", test_cancelled);
  g_test_add_func ("/stage-bar/updates", test_updates);
  g_test_add_func ("/stage-bar/layout", test_layout);

  return g_test_run ();
}
