/* test-cancel-dialog.c: the Cancel Job confirmation against a real lora-jobd
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The simulator runs 1000 times faster, so a job reaches its training stage
 * in about a second; at 80 steps an hour it then stays there for minutes,
 * long enough to be cancelled. Clocks and cost stay real, so the jobs bill a
 * generous hourly rate to make a few seconds cost more than nothing.
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "jobd-fixture.h"
#include "lm-cancel-dialog.h"
#include "lp-format.h"

static JobdFixture *jobd;
static LmClient *client;

typedef struct
{
  GtkWindow *parent;
  GtkWidget *overlay;
  guint      refreshes;
} Parent;

typedef struct
{
  LmCancelDialog *dialog;   /* weak: NULL once the dialog is gone */
  LpJob          *cancelled;
  guint           n_cancelled;
} Watch;

/* Each test gets its own window, so a toast left by the previous one is
 * not queued in front of the one looked for. */
static void
refresh_cb (GSimpleAction *action,
            GVariant      *param,
            gpointer       user_data)
{
  Parent *p = user_data;

  p->refreshes++;
}

static Parent *
parent_new (void)
{
  Parent *p = g_new0 (Parent, 1);
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();
  g_autoptr(GSimpleAction) refresh = g_simple_action_new ("refresh", NULL);
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  g_signal_connect (refresh, "activate", G_CALLBACK (refresh_cb), p);
  g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (refresh));

  /* The overlay is not the window's direct child, as in the real window. */
  p->overlay = adw_toast_overlay_new ();
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (p->overlay), gtk_label_new ("Job page"));
  gtk_box_append (GTK_BOX (content), p->overlay);

  p->parent = GTK_WINDOW (gtk_window_new ());
  gtk_widget_insert_action_group (GTK_WIDGET (p->parent), "win", G_ACTION_GROUP (group));
  gtk_window_set_child (p->parent, content);
  gtk_window_set_default_size (p->parent, 1000, 800);
  gtk_window_present (p->parent);

  return p;
}

static void
parent_free (Parent *p)
{
  gtk_window_destroy (p->parent);
  g_free (p);
}

static JsonObject *
get_job_json (gint64 id)
{
  g_autofree char *path = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT, id);
  guint status = 0;
  JsonObject *job = jobd_fixture_request (jobd, "GET", path, NULL, &status);

  g_assert_cmpuint (status, ==, 200);
  return job;
}

static const char *
status_of (JsonObject *job)
{
  return json_object_get_string_member (job, "status");
}

static gboolean
is_training (gpointer data)
{
  g_autoptr(JsonObject) job = get_job_json (*(gint64 *) data);

  /* The status is "training" from preprocessing on; the stage is the one. */
  return g_str_equal (status_of (job), "training") &&
         g_strcmp0 (json_object_get_string_member_with_default (job, "stage", NULL), "training") == 0;
}

static gint64
create_job (const char *name,
            const char *expected_status)
{
  g_autofree char *body = g_strdup_printf ("{\"name\": \"%s\", \"total_steps\": 2000, \"epochs\": 3,"
                                           " \"gpu_type\": \"H100 SXM 80GB\", \"pricing\": \"spot\","
                                           " \"hourly_rate\": 360, \"config\": {\"seed\": 2, \"steps_per_hour\": 80}}",
                                           name);
  g_autoptr(JsonObject) job = NULL;
  guint status = 0;
  gint64 id;

  job = jobd_fixture_request (jobd, "POST", "/api/training/jobs", body, &status);
  g_assert_cmpuint (status, ==, 201);
  id = json_object_get_int_member (job, "id");

  if (g_str_equal (expected_status, "training"))
    g_assert_true (wait_until (is_training, &id, 10000));
  else
    g_assert_cmpstr (status_of (job), ==, expected_status);

  return id;
}

static LpJob *
fetch_job (gint64 id)
{
  g_autoptr(JsonObject) object = get_job_json (id);
  g_autoptr(GError) error = NULL;
  LpJob *job = lp_job_new_from_json (object, &error);

  g_assert_no_error (error);
  return job;
}

static void
cancelled_cb (LmCancelDialog *dialog,
              LpJob          *job,
              Watch          *watch)
{
  g_assert_true (LP_IS_JOB (job));
  g_set_object (&watch->cancelled, job);
  watch->n_cancelled++;
}

static LmCancelDialog *
open_dialog (Parent *p,
             gint64  id,
             Watch  *watch)
{
  g_autoptr(LpJob) job = fetch_job (id);
  LmCancelDialog *dialog = LM_CANCEL_DIALOG (lm_cancel_dialog_new (p->parent, client, job));

  memset (watch, 0, sizeof *watch);
  watch->dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &watch->dialog);
  g_signal_connect (dialog, "cancelled", G_CALLBACK (cancelled_cb), watch);
  gtk_window_present (GTK_WINDOW (dialog));

  return dialog;
}

static void
watch_clear (Watch *watch)
{
  if (watch->dialog != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (watch->dialog), (gpointer *) &watch->dialog);
      gtk_window_destroy (GTK_WINDOW (watch->dialog));
      watch->dialog = NULL;
    }
  g_clear_object (&watch->cancelled);
}

/* Widgets, found as a user would: by kind, by action, by words. */
static GtkWidget *
find_widget (GtkWidget  *root,
             GType       type,
             const char *action_name,
             const char *label_prefix)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) &&
      (action_name == NULL || (GTK_IS_ACTIONABLE (root) &&
                               g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (root)), action_name) == 0)) &&
      (label_prefix == NULL || (GTK_IS_LABEL (root) &&
                                g_str_has_prefix (gtk_label_get_text (GTK_LABEL (root)), label_prefix))))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, action_name, label_prefix);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkDropDown *
reason_dropdown (LmCancelDialog *dialog)
{
  return GTK_DROP_DOWN (find_widget (GTK_WIDGET (dialog), GTK_TYPE_DROP_DOWN, NULL, NULL));
}

static GtkCheckButton *
understand_check (LmCancelDialog *dialog)
{
  return GTK_CHECK_BUTTON (find_widget (GTK_WIDGET (dialog), GTK_TYPE_CHECK_BUTTON, NULL, NULL));
}

static GtkWidget *
confirm_button (LmCancelDialog *dialog)
{
  return find_widget (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, "dialog.confirm", NULL);
}

static GtkWidget *
back_button (LmCancelDialog *dialog)
{
  return find_widget (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, "window.close", NULL);
}

static const char *
confirm_text (LmCancelDialog *dialog)
{
  return gtk_label_get_text (GTK_LABEL (find_widget (confirm_button (dialog), GTK_TYPE_LABEL, NULL, NULL)));
}

static gboolean
has_label (GtkWidget  *root,
           const char *prefix)
{
  GtkWidget *label = find_widget (root, GTK_TYPE_LABEL, NULL, prefix);

  return label != NULL && gtk_widget_get_mapped (label);
}

static gboolean
trigger_is (GtkShortcutTrigger *trigger,
            guint               keyval,
            GdkModifierType     modifiers)
{
  if (GTK_IS_ALTERNATIVE_TRIGGER (trigger))
    return trigger_is (gtk_alternative_trigger_get_first (GTK_ALTERNATIVE_TRIGGER (trigger)), keyval, modifiers) ||
           trigger_is (gtk_alternative_trigger_get_second (GTK_ALTERNATIVE_TRIGGER (trigger)), keyval, modifiers);

  return GTK_IS_KEYVAL_TRIGGER (trigger) &&
         gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)) == keyval &&
         gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger)) == modifiers;
}

/* The key binding, to run what the key would run: GTK 4 cannot synthesise
 * key presses. */
static gboolean
activate_binding (GtkWidget       *widget,
                  guint            keyval,
                  GdkModifierType  modifiers)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;

      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);

          if (trigger_is (trigger, keyval, modifiers))
            return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut),
                                                 GTK_SHORTCUT_ACTION_EXCLUSIVE, widget,
                                                 gtk_shortcut_get_arguments (shortcut));
        }
    }

  return FALSE;
}

static gboolean
dialog_gone (gpointer data)
{
  return ((Watch *) data)->dialog == NULL;
}

static gboolean
dialog_idle (gpointer data)
{
  Watch *watch = data;

  return watch->dialog == NULL || !lm_cancel_dialog_get_busy (watch->dialog);
}

/* A button's keyboard activation clicks it a moment later, after showing
 * itself pressed. */
static gboolean
dialog_busy (gpointer data)
{
  Watch *watch = data;

  return watch->dialog != NULL && lm_cancel_dialog_get_busy (watch->dialog);
}

static void
iterate (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static void
assert_confirm_state (LmCancelDialog *dialog,
                      gboolean        reason,
                      gboolean        understood)
{
  gboolean expected = reason && understood;

  g_assert_cmpint (lm_cancel_dialog_can_confirm (dialog), ==, expected);
  g_assert_cmpint (gtk_widget_is_sensitive (confirm_button (dialog)), ==, expected);
  /* Warning-coloured until ticked. */
  g_assert_cmpint (gtk_widget_has_css_class (GTK_WIDGET (understand_check (dialog)), "unchecked"), ==, !understood);
}

static void
test_sensitivity (void)
{
  Parent *p = parent_new ();
  gint64 id = create_job ("Sensitivity", "training");
  Watch watch;
  LmCancelDialog *dialog = open_dialog (p, id, &watch);
  GtkDropDown *dropdown = reason_dropdown (dialog);
  GtkCheckButton *check = understand_check (dialog);
  GtkWidget *focus;

  iterate (100);

  /* The brief's texts, from the job as served. */
  g_assert_true (has_label (GTK_WIDGET (dialog), "Cancel Training Job?"));
  g_assert_true (has_label (GTK_WIDGET (dialog), "This action cannot be undone."));
  g_assert_true (has_label (GTK_WIDGET (dialog), "Sensitivity"));
  g_assert_true (has_label (GTK_WIDGET (dialog), "Training - Epoch "));
  g_assert_true (has_label (GTK_WIDGET (dialog), "What will happen:"));
  g_assert_true (has_label (GTK_WIDGET (dialog), "GPU instance will be terminated within 60 seconds"));
  g_assert_true (has_label (GTK_WIDGET (dialog), "Final cost: $"));
  {
    g_autoptr(LpJob) job = fetch_job (id);
    g_autofree char *percent = lp_format_percent (lp_job_get_progress (job));
    g_autofree char *progress = g_strdup_printf ("%s Complete (Step ", percent);

    g_assert_true (has_label (GTK_WIDGET (dialog), progress));
  }
  g_assert_cmpstr (confirm_text (dialog), ==, "Confirm Cancellation");

  /* The placeholder, then the five reasons. */
  g_assert_cmpuint (g_list_model_get_n_items (gtk_drop_down_get_model (dropdown)), ==, 1 + LP_N_CANCEL_REASONS);
  g_assert_cmpuint (gtk_drop_down_get_selected (dropdown), ==, 0);
  g_assert_false (gtk_check_button_get_active (check));

  /* Keyboard users start at the one choice to make. */
  focus = gtk_window_get_focus (GTK_WINDOW (dialog));
  g_assert_nonnull (focus);
  g_assert_true (focus == GTK_WIDGET (dropdown) || gtk_widget_is_ancestor (focus, GTK_WIDGET (dropdown)));

  /* Every combination, through the API… */
  for (guint i = 0; i < 4; i++)
    {
      gboolean reason = i & 1, understood = i & 2;

      lm_cancel_dialog_set_reason (dialog, reason ? LP_CANCEL_COST_TOO_HIGH : -1);
      lm_cancel_dialog_set_understood (dialog, understood);
      assert_confirm_state (dialog, reason, understood);
    }

  /* …and through the widgets themselves. */
  for (guint i = 0; i < 4; i++)
    {
      gboolean reason = i & 2, understood = i & 1;

      gtk_drop_down_set_selected (dropdown, reason ? 1 + LP_CANCEL_TESTING : 0);
      gtk_check_button_set_active (check, understood);
      assert_confirm_state (dialog, reason, understood);
    }

  /* Tab goes round every control and stays in the dialog. */
  {
    GtkWidget *stops[] = { GTK_WIDGET (dropdown), GTK_WIDGET (check), back_button (dialog), confirm_button (dialog) };
    gboolean seen[G_N_ELEMENTS (stops)] = { FALSE, };
    GtkWidget *start = gtk_window_get_focus (GTK_WINDOW (dialog));
    gboolean wrapped = FALSE;

    /* Round more than once, so that one late focus change cannot hide a stop. */
    for (guint step = 0; step < 12; step++)
      {
        GtkWidget *now;

        g_assert_true (activate_binding (GTK_WIDGET (dialog), GDK_KEY_Tab, 0));
        iterate (2);
        now = gtk_window_get_focus (GTK_WINDOW (dialog));
        g_assert_nonnull (now);
        g_assert_true (gtk_widget_get_root (now) == GTK_ROOT (dialog));
        for (guint k = 0; k < G_N_ELEMENTS (stops); k++)
          if (now == stops[k] || gtk_widget_is_ancestor (now, stops[k]))
            seen[k] = TRUE;
        wrapped |= now == start;
      }
    g_assert_true (wrapped);
    for (guint k = 0; k < G_N_ELEMENTS (stops); k++)
      if (!seen[k])
        g_error ("Tab never reached the %s (%s, %s)", G_OBJECT_TYPE_NAME (stops[k]),
                 gtk_widget_get_sensitive (stops[k]) ? "sensitive" : "insensitive",
                 gtk_widget_get_mapped (stops[k]) ? "mapped" : "not mapped");
  }

  /* Ctrl+Enter is bound to Confirm, and does nothing while it is off. */
  lm_cancel_dialog_set_understood (dialog, FALSE);
  lm_cancel_dialog_set_reason (dialog, LP_CANCEL_TESTING);
  activate_binding (GTK_WIDGET (dialog), GDK_KEY_Return, GDK_CONTROL_MASK);
  g_assert_false (lm_cancel_dialog_get_busy (dialog));

  watch_clear (&watch);
  {
    g_autoptr(JsonObject) job = get_job_json (id);

    g_assert_cmpstr (status_of (job), ==, "training");
  }
  parent_free (p);
}

static void
test_escape_and_go_back (void)
{
  Parent *p = parent_new ();
  gint64 id = create_job ("Escape", "training");
  Watch watch;
  LmCancelDialog *dialog = open_dialog (p, id, &watch);

  /* Ready to confirm, so closing is what it would not do. */
  lm_cancel_dialog_set_reason (dialog, LP_CANCEL_OTHER);
  lm_cancel_dialog_set_understood (dialog, TRUE);
  iterate (50);

  g_assert_true (activate_binding (GTK_WIDGET (dialog), GDK_KEY_Escape, 0));
  g_assert_true (wait_until (dialog_gone, &watch, 2000));

  /* The window's own close action, which Escape and Go Back both run. */
  dialog = open_dialog (p, id, &watch);
  lm_cancel_dialog_set_reason (dialog, LP_CANCEL_OTHER);
  lm_cancel_dialog_set_understood (dialog, TRUE);
  iterate (50);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "window.close", NULL));
  g_assert_true (wait_until (dialog_gone, &watch, 2000));

  dialog = open_dialog (p, id, &watch);
  iterate (50);
  g_assert_true (gtk_widget_is_sensitive (back_button (dialog)));
  g_assert_true (gtk_widget_activate (back_button (dialog)));
  g_assert_true (wait_until (dialog_gone, &watch, 2000));

  /* Nothing was done: give a mistaken request time to land, then look. */
  iterate (300);
  g_assert_cmpuint (watch.n_cancelled, ==, 0);
  g_assert_cmpuint (p->refreshes, ==, 0);
  {
    g_autoptr(JsonObject) job = get_job_json (id);

    g_assert_cmpstr (status_of (job), ==, "training");
    g_assert_true (json_object_get_null_member (job, "cancel_reason"));
  }

  watch_clear (&watch);
  parent_free (p);
}

static void
test_successful_cancel (void)
{
  Parent *p = parent_new ();
  gint64 id = create_job ("Loss Plateau", "training");
  Watch watch;
  LmCancelDialog *dialog = open_dialog (p, id, &watch);
  g_autofree char *cost = NULL;
  g_autofree char *toast = NULL;

  iterate (50);
  gtk_drop_down_set_selected (reason_dropdown (dialog), 1 + LP_CANCEL_LOSS_NOT_DECREASING);
  gtk_check_button_set_active (understand_check (dialog), TRUE);
  g_assert_true (gtk_widget_is_sensitive (confirm_button (dialog)));

  /* A click: the button turns into a spinner and everything else waits. */
  g_assert_true (gtk_widget_activate (confirm_button (dialog)));
  g_assert_true (wait_until (dialog_busy, &watch, 2000));
  g_assert_cmpstr (confirm_text (dialog), ==, "Cancelling…");
  g_assert_true (gtk_widget_get_visible (find_widget (confirm_button (dialog), GTK_TYPE_SPINNER, NULL, NULL)));
  g_assert_false (gtk_widget_is_sensitive (confirm_button (dialog)));
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (reason_dropdown (dialog))));
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (understand_check (dialog))));
  g_assert_false (gtk_widget_is_sensitive (back_button (dialog)));
  g_assert_false (lm_cancel_dialog_can_confirm (dialog));
  /* Closing now would only hide the outcome. */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "window.close", NULL);
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_nonnull (watch.dialog);

  g_assert_true (wait_until (dialog_gone, &watch, 15000));
  g_assert_cmpuint (watch.n_cancelled, ==, 1);
  g_assert_nonnull (watch.cancelled);
  g_assert_cmpint (lp_job_get_id (watch.cancelled), ==, id);
  g_assert_cmpint (lp_job_get_status (watch.cancelled), ==, LP_JOB_STATUS_CANCELLED);
  g_assert_cmpint (lp_job_get_finished_at (watch.cancelled), !=, 0);
  g_assert_cmpfloat (lp_job_get_cost (watch.cancelled), >, 0.0);
  g_assert_cmpstr (lp_job_get_cancel_reason (watch.cancelled), ==, "loss_not_decreasing");
  g_assert_cmpuint (p->refreshes, ==, 1);

  /* The parent tells the final cost. */
  cost = lp_format_money (lp_job_get_cost (watch.cancelled));
  toast = g_strdup_printf ("Job cancelled. Final cost: %s", cost);
  g_assert_nonnull (find_widget (p->overlay, GTK_TYPE_LABEL, NULL, toast));

  /* The service agrees, and the cost is final. */
  {
    g_autoptr(JsonObject) job = get_job_json (id);

    g_assert_cmpstr (status_of (job), ==, "cancelled");
    g_assert_cmpstr (json_object_get_string_member (job, "cancel_reason"), ==, "loss_not_decreasing");
    g_assert_cmpfloat (json_object_get_double_member (job, "cost"), ==, lp_job_get_cost (watch.cancelled));
  }

  watch_clear (&watch);
  parent_free (p);
}

static void
test_failed_cancel (void)
{
  Parent *p = parent_new ();
  gint64 id = create_job ("Service Away", "training");
  Watch watch;
  LmCancelDialog *dialog = open_dialog (p, id, &watch);
  GtkWidget *error_label;

  iterate (50);
  lm_cancel_dialog_set_reason (dialog, LP_CANCEL_COST_TOO_HIGH);
  lm_cancel_dialog_set_understood (dialog, TRUE);
  g_assert_null (lm_cancel_dialog_get_error (dialog));

  jobd_fixture_stop (jobd);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.confirm", NULL));
  g_assert_true (wait_until (dialog_idle, &watch, 10000));

  /* Still open, saying why, ready to try again. */
  g_assert_nonnull (watch.dialog);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  g_assert_cmpuint (watch.n_cancelled, ==, 0);
  g_assert_nonnull (lm_cancel_dialog_get_error (dialog));
  g_assert_true (g_str_has_prefix (lm_cancel_dialog_get_error (dialog), "Can't reach the job service"));
  error_label = find_widget (GTK_WIDGET (dialog), GTK_TYPE_LABEL, NULL, lm_cancel_dialog_get_error (dialog));
  g_assert_nonnull (error_label);
  g_assert_true (gtk_widget_get_mapped (error_label));
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (error_label)), ==, GTK_ACCESSIBLE_ROLE_ALERT);
  g_assert_true (lm_cancel_dialog_can_confirm (dialog));
  g_assert_true (gtk_widget_is_sensitive (confirm_button (dialog)));
  g_assert_cmpstr (confirm_text (dialog), ==, "Confirm Cancellation");

  /* The service comes back; the same button, by its key binding, retries. */
  jobd_fixture_restart (jobd);
  g_assert_true (activate_binding (GTK_WIDGET (dialog), GDK_KEY_Return, GDK_CONTROL_MASK));
  g_assert_true (lm_cancel_dialog_get_busy (dialog));
  g_assert_null (lm_cancel_dialog_get_error (dialog));
  g_assert_true (wait_until (dialog_gone, &watch, 15000));
  g_assert_cmpuint (watch.n_cancelled, ==, 1);
  g_assert_cmpint (lp_job_get_status (watch.cancelled), ==, LP_JOB_STATUS_CANCELLED);
  {
    g_autoptr(JsonObject) job = get_job_json (id);

    g_assert_cmpstr (status_of (job), ==, "cancelled");
    g_assert_cmpstr (json_object_get_string_member (job, "cancel_reason"), ==, "cost_too_high");
  }

  watch_clear (&watch);
  parent_free (p);
}

static void
test_remove_from_queue (void)
{
  Parent *p = parent_new ();
  g_autoptr(GArray) fillers = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 id;
  Watch watch;
  LmCancelDialog *dialog;

  /* Fill the three slots (the first tests left two jobs running). */
  for (;;)
    {
      g_autoptr(JsonObject) queue = jobd_fixture_request (jobd, "GET", "/api/training/queue", NULL, NULL);
      g_autoptr(JsonObject) job = NULL;
      gint64 filler;
      guint status = 0;
      JsonObject *slots = json_object_get_object_member (queue, "slots");

      if (slots != NULL && json_object_get_int_member (slots, "used") >= json_object_get_int_member (slots, "max"))
        break;
      job = jobd_fixture_request (jobd, "POST", "/api/training/jobs",
                                  "{\"name\": \"Filler\", \"total_steps\": 2000, \"epochs\": 3, \"gpu_type\": \"A10\","
                                  " \"pricing\": \"spot\", \"hourly_rate\": 1, \"config\": {\"steps_per_hour\": 80}}",
                                  &status);
      g_assert_cmpuint (status, ==, 201);
      filler = json_object_get_int_member (job, "id");
      g_array_append_val (fillers, filler);
      g_assert_cmpuint (fillers->len, <=, 3);
    }

  id = create_job ("Waiting Turn", "queued");
  dialog = open_dialog (p, id, &watch);
  iterate (50);

  g_assert_true (has_label (GTK_WIDGET (dialog), "Remove from Queue?"));
  g_assert_true (has_label (GTK_WIDGET (dialog), "Queued - Position "));
  g_assert_false (has_label (GTK_WIDGET (dialog), "Final cost: "));
  g_assert_cmpstr (confirm_text (dialog), ==, "Remove from Queue");
  g_assert_false (gtk_widget_get_mapped (find_widget (GTK_WIDGET (dialog), GTK_TYPE_PROGRESS_BAR, NULL, NULL)));

  lm_cancel_dialog_set_reason (dialog, LP_CANCEL_WRONG_CONFIGURATION);
  lm_cancel_dialog_set_understood (dialog, TRUE);
  g_assert_true (gtk_widget_activate (confirm_button (dialog)));
  g_assert_true (wait_until (dialog_busy, &watch, 2000));
  g_assert_cmpstr (confirm_text (dialog), ==, "Removing…");
  g_assert_true (wait_until (dialog_gone, &watch, 10000));

  g_assert_cmpuint (watch.n_cancelled, ==, 1);
  g_assert_cmpint (lp_job_get_status (watch.cancelled), ==, LP_JOB_STATUS_CANCELLED);
  g_assert_cmpint (lp_job_get_started_at (watch.cancelled), ==, 0);
  g_assert_nonnull (find_widget (p->overlay, GTK_TYPE_LABEL, NULL, "Removed from the queue"));
  {
    g_autoptr(JsonObject) job = get_job_json (id);

    g_assert_cmpstr (status_of (job), ==, "cancelled");
    g_assert_true (json_object_get_null_member (job, "started_at"));
  }

  watch_clear (&watch);
  parent_free (p);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  jobd = g_new0 (JobdFixture, 1);
  jobd_fixture_start (jobd, "--time-scale 1000 --slots 3");
  client = lm_client_new (jobd->url, jobd->token);

  g_test_add_func ("/cancel-dialog/sensitivity", test_sensitivity);
  g_test_add_func ("/cancel-dialog/escape-and-go-back", test_escape_and_go_back);
  g_test_add_func ("/cancel-dialog/successful-cancel", test_successful_cancel);
  g_test_add_func ("/cancel-dialog/failed-cancel-then-retry", test_failed_cancel);
  g_test_add_func ("/cancel-dialog/remove-from-queue", test_remove_from_queue);

  ret = g_test_run ();

  g_clear_object (&client);
  jobd_fixture_free (jobd);

  return ret;
}
