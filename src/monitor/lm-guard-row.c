/* lm-guard-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "Guard: cancel above $60.00 projected", an "Edit Guard…" button, and
 * while a rule counts down, when it will cancel and "Keep Running". The
 * job it shows is the page's, and the service's answer to an edit, so the
 * line is right before the page's next poll.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "lp-format.h"
#include "lm-guard-dialog.h"
#include "lm-guard-row.h"
#include "lm-toast.h"

struct _LmGuardRow
{
  GtkWidget     parent_instance;

  GtkLabel     *rules_label;
  GtkButton    *edit_button;
  GtkBox       *countdown_box;
  GtkLabel     *countdown_label;
  GtkButton    *keep_button;

  LmClient     *client;
  LpJob        *job;
  GtkWidget    *dialog;        /* weak: the open editor */
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (LmGuardRow, lm_guard_row, GTK_TYPE_WIDGET)

static void
update_actions (LmGuardRow *self)
{
  gboolean editable = self->client != NULL && self->job != NULL &&
                      !lp_job_status_is_finished (lp_job_get_status (self->job));
  const LpGuard *guard = self->job ? lp_job_get_guard (self->job) : NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "guard.edit", editable);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "guard.keep-running",
                                 editable && guard != NULL && guard->warned >= 0);
}

static void
show_guard (LmGuardRow *self)
{
  const LpGuard *guard = self->job ? lp_job_get_guard (self->job) : NULL;
  g_autofree char *text = lp_guard_describe (guard);
  /* Once cancelling, the countdown is over, whoever asked. */
  gboolean counting = guard != NULL && guard->warned >= 0 &&
                      (lp_job_get_status (self->job) == LP_JOB_STATUS_PROVISIONING ||
                       lp_job_get_status (self->job) == LP_JOB_STATUS_TRAINING);
  LpGuardRule rule;
  gboolean acted = self->job != NULL && lp_job_get_status (self->job) != LP_JOB_STATUS_COMPLETED &&
                   lp_job_get_status (self->job) != LP_JOB_STATUS_FAILED &&
                   lp_guard_rule_from_cancel_reason (lp_job_get_cancel_reason (self->job), &rule);

  gtk_label_set_label (self->rules_label, text != NULL ? text : _("No guard"));

  if (counting)
    {
      g_autoptr(GDateTime) at = g_date_time_new_from_unix_local (lp_guard_cancel_at (guard) / G_USEC_PER_SEC);
      g_autofree char *when = at ? lp_format_time_of_day (at) : g_strdup ("?");
      /* Translators: e.g. "Projected cost limit: the guard cancels this job at 14:05" */
      g_autofree char *countdown = g_strdup_printf (_("%s: the guard cancels this job at %s"),
                                                    lp_guard_rule_label (guard->warned), when);

      gtk_label_set_label (self->countdown_label, countdown);
    }
  else if (acted)
    {
      /* Translators: e.g. "The guard cancelled this job: Spend limit" */
      g_autofree char *why = g_strdup_printf (_("The guard cancelled this job: %s"), lp_guard_rule_label (rule));

      gtk_label_set_label (self->countdown_label, why);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->countdown_box), counting || acted);
  gtk_widget_set_visible (GTK_WIDGET (self->keep_button), counting);

  update_actions (self);
}

static void
saved_cb (LmGuardRow *self,
          LpJob      *job)
{
  lm_guard_row_set_job (self, job);
}

static void
edit_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  LmGuardRow *self = LM_GUARD_ROW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);

  if (self->client == NULL || self->job == NULL)
    return;

  if (self->dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->dialog));
      return;
    }

  self->dialog = lm_guard_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                      self->client, self->job);
  g_object_add_weak_pointer (G_OBJECT (self->dialog), (gpointer *) &self->dialog);
  g_signal_connect_object (self->dialog, "saved", G_CALLBACK (saved_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (self->dialog));
}

static void
disarmed_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  LmGuardRow *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpJob) job = lm_client_disarm_guard_finish (LM_CLIENT (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (job != NULL)
    lm_guard_row_set_job (self, job);
  else
    lm_toast_show (GTK_WIDGET (self), error->message, 5);
}

static void
keep_running_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  LmGuardRow *self = LM_GUARD_ROW (widget);
  const LpGuard *guard = self->job ? lp_job_get_guard (self->job) : NULL;

  if (self->client == NULL || guard == NULL || guard->warned < 0)
    return;

  lm_client_disarm_guard_async (self->client, lp_job_get_id (self->job), guard->warned,
                                self->cancellable, disarmed_cb, self);
}

static void
lm_guard_row_dispose (GObject *object)
{
  LmGuardRow *self = (LmGuardRow *) object;
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  if (self->dialog != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->dialog), (gpointer *) &self->dialog);
      gtk_window_destroy (GTK_WINDOW (self->dialog));
      self->dialog = NULL;
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), LM_TYPE_GUARD_ROW);
  /* The template's outer box has no id, so disposing the template leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->job);

  G_OBJECT_CLASS (lm_guard_row_parent_class)->dispose (object);
}

static void
lm_guard_row_class_init (LmGuardRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_guard_row_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-guard-row.ui");
  gtk_widget_class_bind_template_child (widget_class, LmGuardRow, rules_label);
  gtk_widget_class_bind_template_child (widget_class, LmGuardRow, edit_button);
  gtk_widget_class_bind_template_child (widget_class, LmGuardRow, countdown_box);
  gtk_widget_class_bind_template_child (widget_class, LmGuardRow, countdown_label);
  gtk_widget_class_bind_template_child (widget_class, LmGuardRow, keep_button);

  gtk_widget_class_install_action (widget_class, "guard.edit", NULL, edit_action);
  gtk_widget_class_install_action (widget_class, "guard.keep-running", NULL, keep_running_action);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
lm_guard_row_init (LmGuardRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Budget guard"), -1);
  update_actions (self);
}

void
lm_guard_row_set_client (LmGuardRow *self,
                         LmClient   *client)
{
  g_return_if_fail (LM_IS_GUARD_ROW (self));

  g_set_object (&self->client, client);
  update_actions (self);
}

void
lm_guard_row_set_job (LmGuardRow *self,
                      LpJob      *job)
{
  g_return_if_fail (LM_IS_GUARD_ROW (self));

  g_set_object (&self->job, job);
  show_guard (self);
}

/* What the line says: "Guard: …" or "No guard". */
const char *
lm_guard_row_get_text (LmGuardRow *self)
{
  g_return_val_if_fail (LM_IS_GUARD_ROW (self), NULL);
  return gtk_label_get_label (self->rules_label);
}

/* The countdown's words, or NULL when nothing counts down. */
const char *
lm_guard_row_get_countdown (LmGuardRow *self)
{
  g_return_val_if_fail (LM_IS_GUARD_ROW (self), NULL);

  return gtk_widget_get_visible (GTK_WIDGET (self->countdown_box))
         ? gtk_label_get_label (self->countdown_label) : NULL;
}

/* The open editor, or NULL. */
GtkWidget *
lm_guard_row_get_dialog (LmGuardRow *self)
{
  g_return_val_if_fail (LM_IS_GUARD_ROW (self), NULL);
  return self->dialog;
}
