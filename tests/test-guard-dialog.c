/* test-guard-dialog.c: the budget guard on the Job page, against a real lora-jobd
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The guard is set through the dialog's own widgets and saved with its
 * own action; what the page then says comes from the service's answer.
 * A run costing $1 a real second overruns a $2 limit at once, so its
 * countdown shows within a poll, and "Keep Running" turns it off.
 */
#include "config.h"

#include <adwaita.h>

#include "jobd-fixture.h"
#include "lm-guard-dialog.h"
#include "lm-guard-row.h"
#include "lm-job-page.h"
#include "lm-job-watcher.h"

static JobdFixture *jobd;
static LmClient *client;
static GtkWindow *window;
static LmJobPage *page;

static gint64
create (const char *name,
        double      hourly_rate,
        const char *extra)
{
  g_autofree char *body = g_strdup_printf ("{\"name\": \"%s\", \"total_steps\": 100000, \"epochs\": 3,"
                                           " \"gpu_type\": \"H100 SXM 80GB\", \"pricing\": \"spot\","
                                           " \"hourly_rate\": %g, \"config\": {\"seed\": 7}%s}",
                                           name, hourly_rate, extra);
  g_autoptr(JsonObject) job = NULL;
  guint status = 0;

  job = jobd_fixture_request (jobd, "POST", "/api/training/jobs", body, &status);
  g_assert_cmpuint (status, ==, 201);
  return json_object_get_int_member (job, "id");
}

static JsonObject *
served_guard (gint64 id)
{
  g_autofree char *path = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT, id);
  g_autoptr(JsonObject) job = NULL;
  guint status = 0;

  job = jobd_fixture_request (jobd, "GET", path, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  if (json_object_get_null_member (job, "guard"))
    return NULL;
  return json_object_ref (json_object_get_object_member (job, "guard"));
}

static LmGuardRow *
guard_row (void)
{
  return LM_GUARD_ROW (lm_job_page_get_guard_row (page));
}

static gboolean
page_has_job (gpointer data)
{
  LpJob *job = lm_job_page_get_job (page);

  return job != NULL && lp_job_get_id (job) == *(gint64 *) data &&
         lp_job_get_status (job) == LP_JOB_STATUS_TRAINING;
}

static void
open_job (gint64 id)
{
  lm_job_page_load (page, id);
  g_assert_true (wait_until (page_has_job, &id, 20000));
}

static LmGuardDialog *
open_dialog (void)
{
  GtkWidget *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (guard_row ()), "guard.edit", NULL));
  dialog = lm_guard_row_get_dialog (guard_row ());
  g_assert_nonnull (dialog);
  g_assert_true (gtk_widget_get_visible (dialog));
  return LM_GUARD_DIALOG (dialog);
}

static gboolean
dialog_closed (gpointer data)
{
  return lm_guard_row_get_dialog (guard_row ()) == NULL;
}

static gboolean
dialog_refused (gpointer data)
{
  LmGuardDialog *dialog = data;

  return !lm_guard_dialog_get_busy (dialog) && lm_guard_dialog_get_error (dialog) != NULL;
}

static void
test_set_through_dialog (void)
{
  gint64 id = create ("Guarded Run", 2.49, ", \"estimate_min\": 45, \"estimate_max\": 55");
  LmGuardDialog *dialog;
  g_autoptr(JsonObject) guard = NULL;

  open_job (id);
  g_assert_cmpstr (lm_guard_row_get_text (guard_row ()), ==, "No guard");

  dialog = open_dialog ();
  /* Nothing on yet: the rows show no guard. */
  g_assert_false (adw_expander_row_get_enable_expansion (ADW_EXPANDER_ROW (lm_guard_dialog_get_widget (dialog, "projected_row"))));

  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (lm_guard_dialog_get_widget (dialog, "projected_row")), TRUE);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (lm_guard_dialog_get_widget (dialog, "projected_spin")), 60);
  gtk_switch_set_active (GTK_SWITCH (lm_guard_dialog_get_widget (dialog, "divergence_switch")), TRUE);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (lm_guard_dialog_get_widget (dialog, "grace_spin")), 120);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "guard.save", NULL));
  g_assert_true (wait_until (dialog_closed, NULL, 10000));

  /* The page says what the service stored, before its next poll. */
  g_assert_cmpstr (lm_guard_row_get_text (guard_row ()), ==,
                   "Guard: cancel above $60.00 projected; cancel if the loss diverges");
  g_assert_null (lm_guard_row_get_countdown (guard_row ()));

  guard = served_guard (id);
  g_assert_nonnull (guard);
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (guard, "projected"), "max_usd"), ==, 60);
  g_assert_true (json_object_get_boolean_member (guard, "divergence"));
  g_assert_cmpint (json_object_get_int_member (guard, "grace_s"), ==, 120);
  g_assert_false (json_object_has_member (guard, "spend"));

  /* Reopened, the dialog shows the rules it set; turning them all off
   * removes the guard. */
  dialog = open_dialog ();
  g_assert_true (adw_expander_row_get_enable_expansion (ADW_EXPANDER_ROW (lm_guard_dialog_get_widget (dialog, "projected_row"))));
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (lm_guard_dialog_get_widget (dialog, "projected_spin"))), ==, 60);
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (lm_guard_dialog_get_widget (dialog, "grace_spin"))), ==, 120);
  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (lm_guard_dialog_get_widget (dialog, "projected_row")), FALSE);
  gtk_switch_set_active (GTK_SWITCH (lm_guard_dialog_get_widget (dialog, "divergence_switch")), FALSE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "guard.save", NULL));
  g_assert_true (wait_until (dialog_closed, NULL, 10000));
  g_assert_cmpstr (lm_guard_row_get_text (guard_row ()), ==, "No guard");
  g_assert_null (served_guard (id));
}

static void
test_refused (void)
{
  gint64 id = create ("No Estimate", 2.49, "");
  LmGuardDialog *dialog;

  open_job (id);
  dialog = open_dialog ();
  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (lm_guard_dialog_get_widget (dialog, "spend_row")), TRUE);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (lm_guard_dialog_get_widget (dialog, "spend_kind")), 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (lm_guard_dialog_get_widget (dialog, "spend_spin")), 10);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "guard.save", NULL));

  /* The service's reason, in the dialog, which stays open to fix it. */
  g_assert_true (wait_until (dialog_refused, dialog, 10000));
  g_assert_nonnull (strstr (lm_guard_dialog_get_error (dialog), "no cost estimate"));
  g_assert_true (lm_guard_row_get_dialog (guard_row ()) == GTK_WIDGET (dialog));
  g_assert_null (served_guard (id));
  g_assert_cmpstr (lm_guard_row_get_text (guard_row ()), ==, "No guard");

  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_true (wait_until (dialog_closed, NULL, 5000));
}

static gboolean
counting_down (gpointer data)
{
  return lm_guard_row_get_countdown (guard_row ()) != NULL;
}

static gboolean
not_counting_down (gpointer data)
{
  return lm_guard_row_get_countdown (guard_row ()) == NULL;
}

static void
guard_warning_cb (LmJobWatcher *watcher,
                  LpJob        *job,
                  GPtrArray    *heard)
{
  g_ptr_array_add (heard, g_object_ref (job));
}

static gboolean
heard_one (gpointer data)
{
  return ((GPtrArray *) data)->len >= 1;
}

static void
test_countdown_keep_running (void)
{
  g_autoptr(LmJobWatcher) watcher = NULL;
  g_autoptr(GPtrArray) heard = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(JsonObject) guard = NULL;
  gint64 id;
  const LpGuard *warned;

  watcher = lm_job_watcher_new (client);
  lm_job_watcher_set_poll_interval (watcher, 1);
  g_signal_connect (watcher, "job-guard-warning", G_CALLBACK (guard_warning_cb), heard);

  /* $1 a second against a $2 limit, with a minute to answer. */
  id = create ("Overrunning", 3600, ", \"guard\": {\"spend\": {\"max_usd\": 2}, \"grace_s\": 60}");
  open_job (id);
  g_assert_cmpstr (lm_guard_row_get_text (guard_row ()), ==, "Guard: cancel above $2.00 spent");

  g_assert_true (wait_until (counting_down, NULL, 20000));
  g_assert_true (g_str_has_prefix (lm_guard_row_get_countdown (guard_row ()),
                                   "Spend limit: the guard cancels this job at "));

  /* The watcher, which the app turns into a notification, heard it once. */
  g_assert_true (wait_until (heard_one, heard, 10000));
  g_assert_cmpint (lp_job_get_id (g_ptr_array_index (heard, 0)), ==, id);
  warned = lp_job_get_guard (g_ptr_array_index (heard, 0));
  g_assert_cmpint (warned->warned, ==, LP_GUARD_RULE_SPEND);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (guard_row ()), "guard.keep-running", NULL));
  g_assert_true (wait_until (not_counting_down, NULL, 10000));
  guard = served_guard (id);
  g_assert_true (json_node_is_null (json_object_get_member (guard, "warned")));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (guard, "disarmed")), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (guard, "disarmed"), 0), ==, "spend");
  g_assert_cmpuint (heard->len, ==, 1);
  g_assert_cmpint (lp_job_get_status (lm_job_page_get_job (page)), ==, LP_JOB_STATUS_TRAINING);
}

static gboolean
page_shows_cancelled (gpointer data)
{
  LpJob *job = lm_job_page_get_job (page);

  return job != NULL && lp_job_get_status (job) == LP_JOB_STATUS_CANCELLED;
}

/* Afterwards the page says the guard did it, and why. */
static void
test_cancelled_by_guard (void)
{
  gint64 id = create ("Cancelled by Guard", 3600, ", \"guard\": {\"spend\": {\"max_usd\": 2}, \"grace_s\": 1}");

  open_job (id);
  g_assert_true (wait_until (page_shows_cancelled, NULL, 20000));
  g_assert_cmpstr (lp_job_get_cancel_reason (lm_job_page_get_job (page)), ==, "auto_spend");
  g_assert_cmpstr (lm_guard_row_get_countdown (guard_row ()), ==, "The guard cancelled this job: Spend limit");
  g_assert_cmpstr (lm_guard_row_get_text (guard_row ()), ==, "Guard: cancel above $2.00 spent");
  /* A finished job's guard is no longer edited. */
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (guard_row ()), "guard.edit", NULL) &&
                  lm_guard_row_get_dialog (guard_row ()) != NULL);
}

static gboolean
knows_user (gpointer data)
{
  return lm_client_get_user (data) != NULL;
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
  lm_client_get_me_async (client, NULL, NULL, NULL);
  g_assert_true (wait_until (knows_user, client, 10000));

  page = g_object_new (LM_TYPE_JOB_PAGE, NULL);
  lm_job_page_set_client (page, client);
  lm_job_page_set_poll_interval (page, 1);
  overlay = adw_toast_overlay_new ();
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (page));
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_child (window, overlay);
  gtk_window_set_default_size (window, 1400, 1000);
  gtk_window_present (window);

  g_test_add_func ("/guard-dialog/set-and-described", test_set_through_dialog);
  g_test_add_func ("/guard-dialog/refused", test_refused);
  g_test_add_func ("/guard-dialog/countdown-keep-running", test_countdown_keep_running);
  g_test_add_func ("/guard-dialog/cancelled-by-guard", test_cancelled_by_guard);

  ret = g_test_run ();

  gtk_window_destroy (window);
  g_clear_object (&client);
  jobd_fixture_free (jobd);

  return ret;
}
