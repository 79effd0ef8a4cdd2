/* lm-guard-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shows the job's rules, lets them be changed and PUTs them all at once:
 * the service checks them with the same strict reader as any client, and
 * its message is shown when it refuses. The window stays open while the
 * request runs, so a refusal can be corrected in place.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "lm-guard-dialog.h"

enum {
  KIND_AMOUNT,
  KIND_PERCENT,
};

struct _LmGuardDialog
{
  AdwWindow       parent_instance;

  AdwExpanderRow *spend_row;
  GtkSpinButton  *spend_spin;
  GtkDropDown    *spend_kind;
  AdwExpanderRow *projected_row;
  GtkSpinButton  *projected_spin;
  GtkDropDown    *projected_kind;
  GtkSwitch      *divergence_switch;
  AdwExpanderRow *stall_row;
  GtkSpinButton  *stall_spin;
  AdwExpanderRow *gpu_row;
  GtkSpinButton  *gpu_percent_spin;
  GtkSpinButton  *gpu_minutes_spin;
  GtkSpinButton  *grace_spin;
  GtkLabel       *error_label;
  GtkStack       *save_stack;

  LmClient       *client;
  LpJob          *job;
  GCancellable   *cancellable;
  gboolean        busy;
};

G_DEFINE_FINAL_TYPE (LmGuardDialog, lm_guard_dialog, ADW_TYPE_WINDOW)

enum {
  SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
show_limit (AdwExpanderRow     *row,
            GtkSpinButton      *spin,
            GtkDropDown        *kind,
            const LpGuardLimit *limit)
{
  adw_expander_row_set_enable_expansion (row, limit->kind != LP_GUARD_LIMIT_OFF);
  if (limit->kind == LP_GUARD_LIMIT_OFF)
    return;

  gtk_drop_down_set_selected (kind, limit->kind == LP_GUARD_LIMIT_PERCENT ? KIND_PERCENT : KIND_AMOUNT);
  gtk_spin_button_set_value (spin, limit->value);
}

static void
show_guard (LmGuardDialog *self)
{
  const LpGuard *guard = lp_job_get_guard (self->job);
  g_autoptr(LpGuard) none = lp_guard_new ();

  if (guard == NULL)
    guard = none;

  show_limit (self->spend_row, self->spend_spin, self->spend_kind, &guard->spend);
  show_limit (self->projected_row, self->projected_spin, self->projected_kind, &guard->projected);
  gtk_switch_set_active (self->divergence_switch, guard->divergence);
  adw_expander_row_set_enable_expansion (self->stall_row, guard->stall_s > 0);
  if (guard->stall_s > 0)
    gtk_spin_button_set_value (self->stall_spin, guard->stall_s / 60.0);
  adw_expander_row_set_enable_expansion (self->gpu_row, guard->gpu_below_percent > 0);
  if (guard->gpu_below_percent > 0)
    {
      gtk_spin_button_set_value (self->gpu_percent_spin, guard->gpu_below_percent);
      gtk_spin_button_set_value (self->gpu_minutes_spin, guard->gpu_below_s / 60.0);
    }
  gtk_spin_button_set_value (self->grace_spin, guard->grace_s);
}

static void
add_limit (JsonObject     *rules,
           const char     *member,
           AdwExpanderRow *row,
           GtkSpinButton  *spin,
           GtkDropDown    *kind)
{
  JsonObject *limit;

  if (!adw_expander_row_get_enable_expansion (row))
    return;

  limit = json_object_new ();
  json_object_set_double_member (limit,
                                 gtk_drop_down_get_selected (kind) == KIND_PERCENT
                                   ? "percent_over_estimate" : "max_usd",
                                 gtk_spin_button_get_value (spin));
  json_object_set_object_member (rules, member, limit);
}

/* The rules as the dialog shows them, in the form PUT …/guard takes. With
 * no rule on, only the grace period: an empty guard, which removes it. */
JsonObject *
lm_guard_dialog_get_rules (LmGuardDialog *self)
{
  JsonObject *rules = json_object_new ();
  gboolean any;

  g_return_val_if_fail (LM_IS_GUARD_DIALOG (self), NULL);

  add_limit (rules, "spend", self->spend_row, self->spend_spin, self->spend_kind);
  add_limit (rules, "projected", self->projected_row, self->projected_spin, self->projected_kind);
  if (gtk_switch_get_active (self->divergence_switch))
    json_object_set_boolean_member (rules, "divergence", TRUE);
  if (adw_expander_row_get_enable_expansion (self->stall_row))
    json_object_set_int_member (rules, "stall_s", gtk_spin_button_get_value_as_int (self->stall_spin) * 60);
  if (adw_expander_row_get_enable_expansion (self->gpu_row))
    {
      JsonObject *gpu = json_object_new ();

      json_object_set_double_member (gpu, "below_percent", gtk_spin_button_get_value (self->gpu_percent_spin));
      json_object_set_int_member (gpu, "for_s", gtk_spin_button_get_value_as_int (self->gpu_minutes_spin) * 60);
      json_object_set_object_member (rules, "gpu_idle", gpu);
    }

  any = json_object_get_size (rules) > 0;
  if (any)
    json_object_set_int_member (rules, "grace_s", gtk_spin_button_get_value_as_int (self->grace_spin));

  return rules;
}

static void
set_busy (LmGuardDialog *self,
          gboolean       busy)
{
  self->busy = busy;
  gtk_stack_set_visible_child_name (self->save_stack, busy ? "spinner" : "label");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "guard.save", !busy);
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  LmGuardDialog *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpJob) job = lm_client_set_guard_finish (LM_CLIENT (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);

  if (job == NULL)
    {
      gtk_label_set_label (self->error_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      return;
    }

  g_set_object (&self->job, job);
  g_signal_emit (self, signals[SAVED], 0, job);
  gtk_window_close (GTK_WINDOW (self));
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  LmGuardDialog *self = LM_GUARD_DIALOG (widget);
  g_autoptr(JsonObject) rules = NULL;

  if (self->busy || self->client == NULL)
    return;

  rules = lm_guard_dialog_get_rules (self);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  set_busy (self, TRUE);
  lm_client_set_guard_async (self->client, lp_job_get_id (self->job), rules,
                             self->cancellable, saved_cb, self);
}

static void
lm_guard_dialog_dispose (GObject *object)
{
  LmGuardDialog *self = (LmGuardDialog *) object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), LM_TYPE_GUARD_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->job);

  G_OBJECT_CLASS (lm_guard_dialog_parent_class)->dispose (object);
}

static void
lm_guard_dialog_class_init (LmGuardDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_guard_dialog_dispose;

  /**
   * LmGuardDialog::saved:
   * @job: the job as the service answered, with its new guard
   */
  signals[SAVED] =
    g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, LP_TYPE_JOB);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-guard-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, spend_row);
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, spend_spin);
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, spend_kind);
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, projected_row);
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, projected_spin);
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, projected_kind);
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, divergence_switch);
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, stall_row);
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, stall_spin);
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, gpu_row);
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, gpu_percent_spin);
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, gpu_minutes_spin);
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, grace_spin);
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, LmGuardDialog, save_stack);

  gtk_widget_class_install_action (widget_class, "guard.save", NULL, save_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "guard.save", NULL);
}

static void
lm_guard_dialog_init (LmGuardDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

GtkWidget *
lm_guard_dialog_new (GtkWindow *parent,
                     LmClient  *client,
                     LpJob     *job)
{
  LmGuardDialog *self;

  g_return_val_if_fail (LM_IS_CLIENT (client), NULL);
  g_return_val_if_fail (LP_IS_JOB (job), NULL);

  self = g_object_new (LM_TYPE_GUARD_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->job = g_object_ref (job);
  show_guard (self);

  return GTK_WIDGET (self);
}

/* For the tests: the widgets a user would use, by their template id. */
GtkWidget *
lm_guard_dialog_get_widget (LmGuardDialog *self,
                            const char    *name)
{
  g_return_val_if_fail (LM_IS_GUARD_DIALOG (self), NULL);

  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (self), LM_TYPE_GUARD_DIALOG, name));
}

gboolean
lm_guard_dialog_get_busy (LmGuardDialog *self)
{
  g_return_val_if_fail (LM_IS_GUARD_DIALOG (self), FALSE);
  return self->busy;
}

/* The service's refusal, or NULL. */
const char *
lm_guard_dialog_get_error (LmGuardDialog *self)
{
  g_return_val_if_fail (LM_IS_GUARD_DIALOG (self), NULL);

  return gtk_widget_get_visible (GTK_WIDGET (self->error_label))
         ? gtk_label_get_label (self->error_label) : NULL;
}
