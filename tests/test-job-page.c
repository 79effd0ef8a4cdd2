/* test-job-page.c: the Job page against a real lora-jobd running the simulator
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The service runs simulated work 1000 times faster (clocks and cost stay
 * real), so a run goes through its stages in seconds; the page polls every
 * second instead of every minute.
 */
#include "config.h"

#include <math.h>

#include <adwaita.h>

#include "jobd-fixture.h"
#include "lm-cost-tracker.h"
#include "lm-event-log.h"
#include "lm-job-page.h"
#include "lm-loss-chart.h"
#include "lm-metric-row.h"
#include "lm-stage-bar.h"
#include "lp-format.h"
#include "lp-metrics.h"

static JobdFixture *jobd;
static LmClient *client;
static GtkWindow *window;
static LmJobPage *page;

static gint64
create (const char *name,
        const char *config)
{
  g_autofree char *body = g_strdup_printf ("{\"name\": \"%s\", \"total_steps\": %s, \"epochs\": 3,"
                                           " \"gpu_type\": \"H100 SXM 80GB\", \"pricing\": \"spot\","
                                           " \"hourly_rate\": 2.49, \"estimate_min\": 45, \"estimate_max\": 55,"
                                           " \"config\": %s}",
                                           name, strstr (config, "\"fail_at_step\"") ? "600" : "2000", config);
  g_autoptr(JsonObject) job = NULL;
  guint status = 0;

  job = jobd_fixture_request (jobd, "POST", "/api/training/jobs", body, &status);
  g_assert_cmpuint (status, ==, 201);
  return json_object_get_int_member (job, "id");
}

static JsonObject *
get_metrics (gint64      id,
             const char *query)
{
  g_autofree char *path = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT "/metrics?%s", id, query);
  guint status = 0;
  JsonObject *obj = jobd_fixture_request (jobd, "GET", path, NULL, &status);

  g_assert_cmpuint (status, ==, 200);
  return obj;
}

typedef struct
{
  const char *status;
  gint64      min_points;
} PageWait;

static gboolean
page_shows (gpointer data)
{
  PageWait *w = data;
  LpJob *job = lm_job_page_get_job (page);

  return g_strcmp0 (lm_job_page_get_state (page), "job") == 0 && job != NULL &&
         g_str_equal (lp_job_status_to_string (lp_job_get_status (job)), w->status) &&
         lm_loss_chart_get_n_points (LM_LOSS_CHART (lm_job_page_get_chart (page)), LP_SERIES_TRAIN_LOSS) >= w->min_points;
}

static void
wait_for_page (const char *status,
               gint64      min_points)
{
  PageWait w = { status, min_points };

  if (!wait_until (page_shows, &w, 20000))
    {
      LpJob *job = lm_job_page_get_job (page);
      g_error ("The page shows %s with %u points; expected %s with %" G_GINT64_FORMAT,
               job ? lp_job_status_to_string (lp_job_get_status (job)) : "nothing",
               lm_loss_chart_get_n_points (LM_LOSS_CHART (lm_job_page_get_chart (page)), LP_SERIES_TRAIN_LOSS),
               status, min_points);
    }
}

static gboolean
not_polling (gpointer data)
{
  return !lm_job_page_is_polling (page);
}

static void
open_job (gint64 id)
{
  lm_job_page_load (page, id);
}

static const char *
segment_state (LpStageKind kind)
{
  return lm_stage_bar_get_segment_state (LM_STAGE_BAR (lm_job_page_get_stage_bar (page)), kind);
}

static gboolean
has_new_events (gpointer data)
{
  return lm_event_log_get_n_new (LM_EVENT_LOG (lm_job_page_get_event_log (page))) > 0;
}

static void
test_active_job (void)
{
  gint64 id = create ("Active Run", "{\"seed\": 7, \"steps_per_hour\": 80}");
  LmLossChart *chart;
  guint before;
  g_autofree char *description = NULL;
  g_autofree char *stages = NULL;
  g_autofree char *point = NULL;
  g_autofree char *expected_point = NULL;

  open_job (id);
  wait_for_page ("training", 3);
  chart = LM_LOSS_CHART (lm_job_page_get_chart (page));

  /* Texts of the progress card, from the job as the service serves it. */
  {
    LpJob *job = lm_job_page_get_job (page);
    g_autofree char *percent = lp_format_percent (lp_job_get_progress (job));
    g_autofree char *percent_text = g_strdup_printf ("%s Complete", percent);
    g_autofree char *steps = lp_format_step_of (lp_job_get_current_step (job), 2000);

    g_assert_cmpstr (lm_job_page_get_percent_text (page), ==, percent_text);
    g_assert_cmpstr (lm_job_page_get_details_text (page, "step"), ==, steps);
    g_assert_true (g_str_has_prefix (lm_job_page_get_details_text (page, "epoch"), "Epoch "));
    g_assert_true (g_str_has_suffix (lm_job_page_get_details_text (page, "epoch"), " of 3"));
    g_assert_true (g_str_has_prefix (lm_job_page_get_details_text (page, "remaining"), "~"));
    g_assert_cmpstr (lm_job_page_get_details_text (page, "stage"), ==, "Training");
    g_assert_cmpstr (lm_job_page_get_details_text (page, "cancel-button"), ==, "button");
    g_assert_null (lm_job_page_get_outcome_text (page));
  }

  /* Stages: the first two done, training running. */
  g_assert_cmpstr (segment_state (LP_STAGE_PREPROCESSING), ==, "completed");
  g_assert_cmpstr (segment_state (LP_STAGE_MODEL_LOADING), ==, "completed");
  g_assert_cmpstr (segment_state (LP_STAGE_TRAINING), ==, "active");
  g_assert_cmpstr (segment_state (LP_STAGE_FINALIZATION), ==, "pending");
  stages = lm_stage_bar_describe (LM_STAGE_BAR (lm_job_page_get_stage_bar (page)));
  g_assert_true (g_str_has_prefix (stages, "Stage 3 of 4: Training - Active"));

  /* Polling appends points after the last one drawn. */
  before = lm_loss_chart_get_n_points (chart, LP_SERIES_TRAIN_LOSS);
  wait_for_page ("training", before + 2);

  /* The chart tells what it shows, and its cursor reads a real point. */
  description = lm_loss_chart_describe (chart);
  g_assert_nonnull (strstr (description, "raining loss"));
  {
    g_autoptr(JsonObject) metrics = get_metrics (id, "since_step=-1");
    JsonObject *train = json_object_get_object_member (json_object_get_object_member (metrics, "series"), "train_loss");
    JsonArray *steps = json_object_get_array_member (train, "step");
    JsonArray *values = json_object_get_array_member (train, "value");
    gint64 step = json_array_get_int_element (steps, 1);
    g_autofree char *value = g_strdup_printf ("%.3f", json_array_get_double_element (values, 1));
    g_autofree char *step_text = lp_format_count (step);

    lm_loss_chart_set_cursor_step (chart, step);
    point = lm_loss_chart_get_point_text (chart);
    expected_point = g_strdup_printf ("Step %s: Training Loss %s", step_text, value);
    if (!g_str_has_prefix (point, expected_point))
      g_error ("Cursor reads “%s”, expected it to start with “%s”", point, expected_point);
  }

  /* Current metrics and cost come from the same service. */
  {
    g_autoptr(JsonObject) latest_doc = get_metrics (id, "latest=true");
    LmMetricRow *row = LM_METRIC_ROW (lm_job_page_get_metric_row (page, 0));

    g_assert_nonnull (json_object_get_object_member (latest_doc, "latest"));
    g_assert_cmpstr (lm_metric_row_get_value_text (row), !=, "—");
    g_assert_true (g_str_has_suffix (lm_cost_tracker_get_estimate_text (LM_COST_TRACKER (lm_job_page_get_cost_tracker (page))),
                                     "of $45-55 estimate"));
  }

  /* Two columns on a wide window, one on a narrow one. */
  g_assert_true (lm_job_page_is_two_columns (page));

  /* Events arriving while Overview is shown are counted on the tab. */
  g_assert_cmpstr (lm_job_page_get_tab (page), ==, "overview");
  g_assert_true (wait_until (has_new_events, NULL, 15000));
  g_assert_true (g_str_has_prefix (lm_job_page_get_events_tab_title (page), "Event Log ("));
  lm_job_page_set_tab (page, "events");
  g_assert_cmpstr (lm_job_page_get_events_tab_title (page), ==, "Event Log");
  lm_job_page_set_tab (page, "overview");

  /* Cancel through the API: the page turns to the cancelled state, keeps
   * its curve, and stops polling. */
  {
    g_autofree char *path = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT "/cancel", id);
    g_autoptr(JsonObject) cancelled = jobd_fixture_request (jobd, "POST", path, "{\"reason\": \"testing\"}", NULL);
    guint points;

    g_assert_cmpstr (json_object_get_string_member (cancelled, "status"), ==, "cancelled");
    wait_for_page ("cancelled", 1);
    points = lm_loss_chart_get_n_points (chart, LP_SERIES_TRAIN_LOSS);
    g_assert_true (g_str_has_prefix (lm_job_page_get_outcome_text (page), "Cancelled at "));
    g_assert_true (g_str_has_prefix (lm_job_page_get_details_text (page, "cancelled"), "Job Cancelled on "));
    g_assert_cmpstr (segment_state (LP_STAGE_TRAINING), ==, "stopped");
    g_assert_true (wait_until (not_polling, NULL, 5000));
    g_assert_cmpuint (lm_loss_chart_get_n_points (chart, LP_SERIES_TRAIN_LOSS), ==, points);
    g_assert_cmpuint (points, >, 0);

    /* The end happened while the user watched: screen readers hear it. */
    g_assert_cmpstr (lm_job_page_get_announcement (page), ==, "Active Run was cancelled");
  }
}

static gboolean
has_announcement (gpointer data)
{
  return lm_job_page_get_announcement (page) != NULL;
}

/* $36 an hour passes a 5-6 cent estimate about 6 s after the start. */
static void
test_cost_announced (void)
{
  const char *body = "{\"name\": \"Pricey Run\", \"total_steps\": 2000, \"epochs\": 3,"
                     " \"gpu_type\": \"H100 SXM 80GB\", \"pricing\": \"on_demand\","
                     " \"hourly_rate\": 36, \"estimate_min\": 0.05, \"estimate_max\": 0.06,"
                     " \"config\": {\"steps_per_hour\": 80}}";
  g_autoptr(JsonObject) job = NULL;
  guint status = 0;
  const char *text;

  job = jobd_fixture_request (jobd, "POST", "/api/training/jobs", body, &status);
  g_assert_cmpuint (status, ==, 201);
  open_job (json_object_get_int_member (job, "id"));
  g_assert_null (lm_job_page_get_announcement (page));

  g_assert_true (wait_until (has_announcement, NULL, 20000));
  text = lm_job_page_get_announcement (page);
  if (!g_str_has_prefix (text, "Pricey Run passed its cost estimate: $0.0") ||
      !g_str_has_suffix (text, "spent, estimate $0.05-0.06"))
    g_error ("Announced “%s”", text);
}

static void
test_completed_job (void)
{
  gint64 id = create ("Finishes Fast", "{\"seed\": 3, \"steps_per_hour\": 40000}");
  g_autofree char *stages = NULL;

  open_job (id);
  wait_for_page ("completed", 10);

  g_assert_cmpstr (lm_job_page_get_percent_text (page), ==, "100% Complete");
  g_assert_true (g_str_has_prefix (lm_job_page_get_outcome_text (page), "Completed in "));
  g_assert_cmpstr (lm_job_page_get_details_text (page, "cancel-button"), ==, "none");
  for (guint i = 0; i < LP_N_STAGES; i++)
    g_assert_cmpstr (segment_state (i), ==, "completed");
  stages = lm_stage_bar_describe (LM_STAGE_BAR (lm_job_page_get_stage_bar (page)));
  g_assert_cmpstr (stages, ==, "All 4 stages completed");
  /* A finished job is static. */
  g_assert_true (wait_until (not_polling, NULL, 5000));
}

static gboolean
focus_in_event_list (gpointer data)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));
  GtkWidget *log = lm_job_page_get_event_log (page);

  return focus != NULL && GTK_IS_LIST_BOX_ROW (focus) && gtk_widget_is_ancestor (focus, log) &&
         lm_event_log_get_row (LM_EVENT_LOG (log), 0) == focus;
}

static void
test_failed_job (void)
{
  gint64 id = create ("Runs Out of Memory",
                      "{\"seed\": 5, \"steps_per_hour\": 40000, \"fail_at_step\": 300,"
                      " \"fail_message\": \"CUDA out of memory. Tried to allocate 2.00 GiB\"}");

  open_job (id);
  wait_for_page ("failed", 5);

  g_assert_cmpstr (lm_job_page_get_outcome_text (page), ==,
                   "Failed at Step 300: CUDA out of memory. Tried to allocate 2.00 GiB");
  g_assert_cmpstr (segment_state (LP_STAGE_TRAINING), ==, "failed");
  g_assert_cmpstr (segment_state (LP_STAGE_FINALIZATION), ==, "pending");
  g_assert_true (gtk_widget_get_visible (lm_stage_bar_get_details_button (LM_STAGE_BAR (lm_job_page_get_stage_bar (page)))));
  g_assert_cmpstr (lm_job_page_get_details_text (page, "cancel-button"), ==, "none");
  /* The curve up to the failure stays. */
  g_assert_cmpint (lm_loss_chart_get_last_step (LM_LOSS_CHART (lm_job_page_get_chart (page))), ==, 300);
  g_assert_true (wait_until (not_polling, NULL, 5000));

  /* The failed stage's "View Details" opens the log filtered to errors. */
  gtk_widget_activate_action (GTK_WIDGET (page), "job.view-errors", NULL);
  g_assert_cmpstr (lm_job_page_get_tab (page), ==, "events");
  g_assert_cmpstr (lm_event_log_get_filter (LM_EVENT_LOG (lm_job_page_get_event_log (page))), ==, "error");
  /* ... and the keyboard lands there, on the first error. */
  g_assert_true (wait_until (focus_in_event_list, NULL, 5000));
  lm_job_page_set_tab (page, "overview");
}

static gboolean
chart_has (gpointer data)
{
  const guint *want = data;
  LmLossChart *chart = LM_LOSS_CHART (lm_job_page_get_chart (page));

  return lm_loss_chart_get_n_points (chart, LP_SERIES_TRAIN_LOSS) >= want[0] &&
         lm_loss_chart_get_n_points (chart, LP_SERIES_VAL_LOSS) >= want[1];
}

/* Issue 13: one since_step for both series skipped a validation point
 * posted at the step of a training point already fetched. */
static void
test_val_at_seen_step (void)
{
  g_autofree char *secret = NULL;
  gint64 id = jobd_fixture_create_job (jobd, "Validation Later", "external", &secret);
  LmLossChart *chart = LM_LOSS_CHART (lm_job_page_get_chart (page));
  const guint train_only[2] = { 1, 0 };
  const guint both[2] = { 1, 1 };
  g_autoptr(JsonObject) direct = NULL;
  JsonObject *series;

  jobd_fixture_post_events (jobd, id, secret,
                            "{\"events\": [{\"event_id\": \"s\", \"type\": \"status\", \"data\": {\"status\": \"training\"}},"
                            " {\"event_id\": \"t800\", \"type\": \"metrics\", \"data\": {\"step\": 800, \"train_loss\": 0.5}}]}");
  open_job (id);
  g_assert_true (wait_until (chart_has, (gpointer) train_only, 20000));
  g_assert_cmpint (lm_loss_chart_get_series_last_step (chart, LP_SERIES_VAL_LOSS), ==, -1);

  jobd_fixture_post_events (jobd, id, secret,
                            "{\"event_id\": \"v800\", \"type\": \"metrics\", \"data\": {\"step\": 800, \"val_loss\": 0.6}}");
  /* The page polls every second; the point must come with one of them. */
  g_assert_true (wait_until (chart_has, (gpointer) both, 10000));
  g_assert_cmpint (lm_loss_chart_get_series_last_step (chart, LP_SERIES_VAL_LOSS), ==, 800);
  g_assert_cmpuint (lm_loss_chart_get_n_points (chart, LP_SERIES_TRAIN_LOSS), ==, 1);

  /* The API: each series' own cursor, since_step the default. */
  direct = get_metrics (id, "since_step=800&since_val_loss=-1");
  series = json_object_get_object_member (direct, "series");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_object_get_object_member (series, "train_loss"), "step")), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_object_get_object_member (series, "val_loss"), "step")), ==, 1);
}

static gboolean
is_one_column (gpointer data)
{
  return !lm_job_page_is_two_columns (page) && gtk_widget_get_width (GTK_WIDGET (page)) < 1000;
}

static void
test_narrow_window (void)
{
  gtk_window_set_default_size (window, 800, 900);
  g_assert_true (wait_until (is_one_column, NULL, 5000));
  gtk_window_set_default_size (window, 1400, 1000);
}

int
main (int   argc,
      char *argv[])
{
  GtkWidget *overlay;
  int ret;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  jobd = g_new0 (JobdFixture, 1);
  jobd_fixture_start (jobd, "--slots 4 --time-scale 1000");
  client = lm_client_new (jobd->url, jobd->token);

  page = g_object_new (LM_TYPE_JOB_PAGE, NULL);
  lm_job_page_set_client (page, client);
  lm_job_page_set_poll_interval (page, 1);
  lm_event_log_set_poll_interval (LM_EVENT_LOG (lm_job_page_get_event_log (page)), 1);
  overlay = adw_toast_overlay_new ();
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (page));
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_child (window, overlay);
  gtk_window_set_default_size (window, 1400, 1000);
  gtk_window_present (window);

  g_test_add_func ("/job-page/active-then-cancelled", test_active_job);
  g_test_add_func ("/job-page/cost-announced", test_cost_announced);
  g_test_add_func ("/job-page/completed", test_completed_job);
  g_test_add_func ("/job-page/failed", test_failed_job);
  g_test_add_func ("/job-page/narrow", test_narrow_window);
  g_test_add_func ("/job-page/val-at-seen-step", test_val_at_seen_step);

  ret = g_test_run ();

  gtk_window_destroy (window);
  g_clear_object (&client);
  jobd_fixture_free (jobd);

  return ret;
}
