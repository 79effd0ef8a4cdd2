/* lm-cancel-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A modal window rather than an AdwMessageDialog: the brief asks for a red
 * danger bar, a status block and a button that turns into a spinner while the
 * request runs, and a message dialog would close as soon as a response is
 * chosen, before the service has said whether the cancel worked. A failure
 * therefore stays in the dialog, next to the button that retries it.
 *
 * The widgets are the state: the drop-down's selection is the reason and the
 * check button is the acknowledgement, so the setters used by tests and the
 * keyboard go through exactly the same path as a pointer would.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "lp-calc.h"
#include "lp-format.h"
#include "lm-a11y.h"
#include "lm-cancel-dialog.h"
#include "lm-job-cell.h"
#include "lm-toast.h"

/* The toast's lifetime, as the window's own toasts. */
#define TOAST_TIMEOUT_S 3

typedef struct
{
  gboolean    irreversible;
  const char *text;
} Impact;

/* What stopping a run does, in the brief's words and order. */
static const Impact running_impacts[] = {
  { TRUE,  N_("Training will stop immediately at current step") },
  { TRUE,  N_("GPU instance will be terminated within 60 seconds") },
  { FALSE, N_("Partial progress will be saved for review") },
  { TRUE,  N_("This job cannot be resumed") },
};

/* A queued job has used no GPU, so the money lines would only alarm. */
static const Impact queued_impacts[] = {
  { TRUE,  N_("The job will leave the queue and will not start") },
  { FALSE, N_("No GPU time was used, so nothing is charged") },
  { FALSE, N_("Its settings stay in the job list for review") },
  { TRUE,  N_("This job cannot be put back in the queue") },
};

struct _LmCancelDialog
{
  AdwWindow       parent_instance;

  GtkLabel       *title_label;
  GtkLabel       *name_label;
  GtkProgressBar *progress_bar;
  GtkLabel       *progress_label;
  GtkLabel       *stage_label;
  GtkWidget      *numbers_box;
  GtkLabel       *elapsed_label;
  GtkLabel       *cost_label;
  GtkBox         *impact_box;
  GtkLabel       *reason_label;
  GtkDropDown    *reason_dropdown;
  GtkCheckButton *understand_check;
  GtkLabel       *error_label;
  GtkSpinner     *confirm_spinner;
  GtkLabel       *confirm_label;
  GtkButton      *confirm_button;

  GtkLabel       *final_cost_label;  /* in impact_box; NULL for a queued job */

  LmClient       *client;
  LpJob          *job;
  GCancellable   *cancellable;       /* non-NULL while a cancel is under way */
  char           *error;
  guint           tick_id;
  int             impacts_for;       /* -1 none yet, else whether queued */
};

G_DEFINE_FINAL_TYPE (LmCancelDialog, lm_cancel_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_JOB,
  PROP_ERROR,
  PROP_BUSY,
  N_PROPS
};

enum {
  CANCELLED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
is_queued (LmCancelDialog *self)
{
  return self->job != NULL && lp_job_get_status (self->job) == LP_JOB_STATUS_QUEUED;
}

static gboolean
is_busy (LmCancelDialog *self)
{
  return self->cancellable != NULL;
}

/* Entry 0 of the drop-down is the "Select a reason…" placeholder. */
static int
selected_reason (LmCancelDialog *self)
{
  guint selected = gtk_drop_down_get_selected (self->reason_dropdown);

  if (selected == GTK_INVALID_LIST_POSITION || selected == 0 || selected > LP_N_CANCEL_REASONS)
    return -1;

  return (int) selected - 1;
}

static const char *
confirm_text (LmCancelDialog *self)
{
  if (is_busy (self))
    return is_queued (self) ? _("Removing…") : _("Cancelling…");

  return is_queued (self) ? _("_Remove from Queue") : _("_Confirm Cancellation");
}

static void
update_sensitivity (LmCancelDialog *self)
{
  gboolean busy = is_busy (self);
  gboolean understood = gtk_check_button_get_active (self->understand_check);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.confirm",
                                 lm_cancel_dialog_can_confirm (self));
  /* The request is on its way and cannot be called back; leaving now would
   * only hide whether it worked. The service answers within seconds. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "window.close", !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->reason_dropdown), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->understand_check), !busy);

  if (understood)
    gtk_widget_remove_css_class (GTK_WIDGET (self->understand_check), "unchecked");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->understand_check), "unchecked");

  gtk_label_set_label (self->confirm_label, confirm_text (self));
  gtk_widget_set_visible (GTK_WIDGET (self->confirm_spinner), busy);
  gtk_spinner_set_spinning (self->confirm_spinner, busy);
}

static void
inputs_changed_cb (LmCancelDialog *self)
{
  update_sensitivity (self);
}

static GtkLabel *
add_impact (LmCancelDialog *self,
            gboolean        irreversible,
            const char     *text)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  GtkWidget *icon = gtk_image_new_from_icon_name (irreversible ? "window-close-symbolic"
                                                               : "object-select-symbolic");
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_set_valign (icon, GTK_ALIGN_START);
  gtk_widget_add_css_class (icon, irreversible ? "impact-irreversible" : "impact-kept");
  /* The icon is the only thing telling the two kinds of bullet apart. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  irreversible ? _("Irreversible") : _("Kept"), -1);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);

  gtk_box_append (GTK_BOX (row), icon);
  gtk_box_append (GTK_BOX (row), label);
  gtk_box_append (self->impact_box, row);

  return GTK_LABEL (label);
}

static void
build_impacts (LmCancelDialog *self)
{
  gboolean queued = is_queued (self);
  const Impact *impacts = queued ? queued_impacts : running_impacts;
  guint n = queued ? G_N_ELEMENTS (queued_impacts) : G_N_ELEMENTS (running_impacts);
  GtkWidget *child;

  if (self->impacts_for == queued)
    return;
  self->impacts_for = queued;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->impact_box))))
    gtk_box_remove (self->impact_box, child);

  for (guint i = 0; i < n; i++)
    add_impact (self, impacts[i].irreversible, _(impacts[i].text));

  /* The money already spent is gone whatever happens next. */
  self->final_cost_label = queued ? NULL : add_impact (self, TRUE, "");
}

/* The spend at this second: the service's cost is only as fresh as the job
 * the caller fetched, and the brief wants the figure the user would pay now. */
static double
current_cost (LmCancelDialog *self,
              gint64          elapsed)
{
  if (lp_job_status_is_finished (lp_job_get_status (self->job)))
    return lp_job_get_cost (self->job);

  return MAX (lp_job_get_cost (self->job),
              lp_cost_for_elapsed (elapsed, lp_job_get_hourly_rate (self->job)));
}

static void
update_clock (LmCancelDialog *self)
{
  gint64 elapsed;
  g_autofree char *elapsed_text = NULL;
  g_autofree char *cost_text = NULL;

  if (self->job == NULL || is_queued (self))
    return;

  elapsed = lm_job_elapsed_s (self->job, g_get_real_time ());
  elapsed_text = lp_format_duration (elapsed);
  cost_text = lp_format_money (current_cost (self, elapsed));

  gtk_label_set_label (self->elapsed_label, elapsed_text);
  gtk_label_set_label (self->cost_label, cost_text);

  if (self->final_cost_label != NULL)
    {
      /* Translators: the last line of the cancel dialog's list, e.g.
       * "Final cost: $22.18 based on elapsed time". */
      g_autofree char *text = g_strdup_printf (_("Final cost: %s based on elapsed time"), cost_text);

      gtk_label_set_label (self->final_cost_label, text);
    }
}

static gboolean
tick_cb (gpointer user_data)
{
  update_clock (user_data);
  return G_SOURCE_CONTINUE;
}

static char *
stage_text (LpJob *job)
{
  LpJobStatus status = lp_job_get_status (job);
  const char *stage = lp_job_get_stage (job);
  LpStageKind kind;

  if (status == LP_JOB_STATUS_QUEUED)
    {
      g_autofree char *position = lp_format_count (lp_job_get_queue_position (job));

      /* Translators: where a job waits, e.g. "Queued - Position 3". */
      return g_strdup_printf (_("%s - Position %s"), lp_job_status_label (status), position);
    }

  if (stage == NULL || !lp_stage_kind_from_string (stage, &kind))
    return g_strdup (lp_job_status_label (status));

  if (kind == LP_STAGE_TRAINING)
    {
      g_autofree char *epoch = lp_format_epoch_of (lp_job_get_epoch (job), lp_job_get_total_epochs (job));

      /* Translators: the stage and the epoch, e.g. "Training - Epoch 2 of 3". */
      return g_strdup_printf (_("%s - %s"), lp_stage_kind_label (kind), epoch);
    }

  return g_strdup (lp_stage_kind_label (kind));
}

static void
update_job (LmCancelDialog *self)
{
  gboolean queued;
  g_autofree char *percent = NULL;
  g_autofree char *steps = NULL;
  g_autofree char *progress = NULL;
  g_autofree char *stage = NULL;

  if (self->job == NULL)
    return;

  queued = is_queued (self);

  gtk_window_set_title (GTK_WINDOW (self), queued ? _("Remove from Queue") : _("Cancel Training Job"));
  gtk_label_set_label (self->title_label, queued ? _("Remove from Queue?") : _("Cancel Training Job?"));
  gtk_label_set_label (self->reason_label, queued ? _("_Why are you removing it?") : _("_Why are you cancelling?"));
  gtk_label_set_label (self->name_label, lp_job_get_name (self->job));

  percent = lp_format_percent (lp_job_get_progress (self->job));
  steps = lp_format_step_of (lp_job_get_current_step (self->job), lp_job_get_total_steps (self->job));
  /* Translators: e.g. "42% Complete (Step 850 of 2,000)". */
  progress = g_strdup_printf (_("%s Complete (%s)"), percent, steps);
  gtk_label_set_label (self->progress_label, progress);
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (lp_job_get_progress (self->job) / 100.0, 0.0, 1.0));

  stage = stage_text (self->job);
  gtk_label_set_label (self->stage_label, stage);

  /* Nothing has run, so there is no progress, time or money to show. */
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), !queued);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_label), !queued);
  gtk_widget_set_visible (self->numbers_box, !queued);

  build_impacts (self);
  update_clock (self);
  update_sensitivity (self);

  if (self->tick_id == 0 && !queued && lp_job_status_is_active (lp_job_get_status (self->job)))
    self->tick_id = g_timeout_add_seconds (1, tick_cb, self);
}

static void
job_notify_cb (LmCancelDialog *self)
{
  update_job (self);
}

static void
set_job (LmCancelDialog *self,
         LpJob          *job)
{
  if (self->job == job)
    return;

  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_set_object (&self->job, job);

  /* A caller that keeps polling the job updates it in place; follow along. */
  if (job != NULL)
    g_signal_connect_object (job, "notify", G_CALLBACK (job_notify_cb), self, G_CONNECT_SWAPPED);

  update_job (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOB]);
}

static void
set_error (LmCancelDialog *self,
           const char     *error)
{
  if (g_strcmp0 (self->error, error) == 0)
    return;

  g_free (self->error);
  self->error = g_strdup (error);

  gtk_label_set_label (self->error_label, error ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
set_cancellable (LmCancelDialog *self,
                 GCancellable   *cancellable)
{
  if (!g_set_object (&self->cancellable, cancellable))
    return;

  update_sensitivity (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* The parent's own overlay, wherever its layout put it: the dialog is used
 * from the main window and from tests' bare windows alike. */
static char *
toast_text (LpJob *job)
{
  g_autofree char *cost = NULL;

  if (lp_job_get_status (job) != LP_JOB_STATUS_CANCELLED)
    /* The provider took longer than the service waits; the job page shows
     * the final cost once it arrives. */
    return g_strdup (_("Cancel requested. The GPU is being released."));

  if (lp_job_get_started_at (job) == 0)
    return g_strdup (_("Removed from the queue"));

  cost = lp_format_money (lp_job_get_cost (job));
  /* Translators: e.g. "Job cancelled. Final cost: $22.18". */
  return g_strdup_printf (_("Job cancelled. Final cost: %s"), cost);
}

static void
cancel_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LmCancelDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpJob) job = lm_client_cancel_job_finish (LM_CLIENT (object), result, &error);
  GtkWindow *parent;

  /* Only disposal cancels the request: nobody is looking any more. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_cancellable (self, NULL);

  if (job == NULL)
    {
      /* The service's own words (unreachable, already finished…); the
       * choices stay as they were, so Confirm retries straight away. */
      set_error (self, error->message);
      gtk_widget_grab_focus (GTK_WIDGET (self->confirm_button));
      return;
    }

  set_job (self, job);

  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (parent != NULL)
    {
      g_autofree char *text = toast_text (job);

      lm_toast_show (GTK_WIDGET (parent), text, TOAST_TIMEOUT_S);
    }

  g_signal_emit (self, signals[CANCELLED], 0, job);

  /* Views that do not listen to the signal still pick up the new status. */
  if (parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), "win.refresh", NULL);

  gtk_window_destroy (GTK_WINDOW (self));
}

static void
confirm_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  LmCancelDialog *self = LM_CANCEL_DIALOG (widget);
  g_autoptr(GCancellable) cancellable = NULL;
  int reason;

  if (!lm_cancel_dialog_can_confirm (self))
    return;

  reason = selected_reason (self);
  set_error (self, NULL);
  cancellable = g_cancellable_new ();
  set_cancellable (self, cancellable);

  lm_client_cancel_job_async (self->client, lp_job_get_id (self->job),
                              lp_cancel_reason_to_string (reason),
                              self->cancellable, cancel_cb, g_object_ref (self));
}

static gboolean
lm_cancel_dialog_close_request (GtkWindow *window)
{
  LmCancelDialog *self = LM_CANCEL_DIALOG (window);

  /* The window manager's close button, while the request is out. */
  if (is_busy (self))
    return TRUE;

  return GTK_WINDOW_CLASS (lm_cancel_dialog_parent_class)->close_request (window);
}

static void
lm_cancel_dialog_dispose (GObject *object)
{
  LmCancelDialog *self = (LmCancelDialog *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
  g_clear_object (&self->client);

  gtk_widget_dispose_template (GTK_WIDGET (self), LM_TYPE_CANCEL_DIALOG);

  G_OBJECT_CLASS (lm_cancel_dialog_parent_class)->dispose (object);
}

static void
lm_cancel_dialog_finalize (GObject *object)
{
  LmCancelDialog *self = (LmCancelDialog *) object;

  g_free (self->error);

  G_OBJECT_CLASS (lm_cancel_dialog_parent_class)->finalize (object);
}

static void
lm_cancel_dialog_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  LmCancelDialog *self = LM_CANCEL_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;

    case PROP_JOB:
      g_value_set_object (value, self->job);
      break;

    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;

    case PROP_BUSY:
      g_value_set_boolean (value, is_busy (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_cancel_dialog_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  LmCancelDialog *self = LM_CANCEL_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_set_object (&self->client, g_value_get_object (value));
      break;

    case PROP_JOB:
      set_job (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_cancel_dialog_class_init (LmCancelDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_cancel_dialog_dispose;
  object_class->finalize = lm_cancel_dialog_finalize;
  object_class->get_property = lm_cancel_dialog_get_property;
  object_class->set_property = lm_cancel_dialog_set_property;
  GTK_WINDOW_CLASS (klass)->close_request = lm_cancel_dialog_close_request;
  /* A modal question, not another application window, to screen readers. */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_DIALOG);

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, LM_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_JOB] =
    g_param_spec_object ("job", NULL, NULL, LP_TYPE_JOB,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LmCancelDialog::cancelled:
   * @job: the job as the service returned it, normally cancelled with its
   *   final cost
   *
   * The service accepted the cancel; the dialog closes right after.
   */
  signals[CANCELLED] =
    g_signal_new ("cancelled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, LP_TYPE_JOB);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-cancel-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, title_label);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, name_label);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, progress_label);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, stage_label);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, numbers_box);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, elapsed_label);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, cost_label);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, impact_box);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, reason_label);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, reason_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, understand_check);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, confirm_spinner);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, confirm_label);
  gtk_widget_class_bind_template_child (widget_class, LmCancelDialog, confirm_button);
  gtk_widget_class_bind_template_callback (widget_class, inputs_changed_cb);

  gtk_widget_class_install_action (widget_class, "dialog.confirm", NULL, confirm_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  /* Enter alone belongs to whatever has focus (the drop-down, the check
   * box); Ctrl+Enter confirms from anywhere once it is allowed. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "dialog.confirm", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, "dialog.confirm", NULL);
}

static void
lm_cancel_dialog_init (LmCancelDialog *self)
{
  g_autoptr(GtkStringList) reasons = gtk_string_list_new (NULL);

  self->impacts_for = -1;

  gtk_widget_init_template (GTK_WIDGET (self));
  lm_a11y_fix_names (GTK_WIDGET (self));

  gtk_string_list_append (reasons, _("Select a reason…"));
  for (guint i = 0; i < LP_N_CANCEL_REASONS; i++)
    gtk_string_list_append (reasons, lp_cancel_reason_label (i));
  gtk_drop_down_set_model (self->reason_dropdown, G_LIST_MODEL (reasons));
  gtk_drop_down_set_selected (self->reason_dropdown, 0);

  update_sensitivity (self);

  /* The one choice the user has to make comes first. */
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->reason_dropdown));
}

GtkWidget *
lm_cancel_dialog_new (GtkWindow *parent,
                      LmClient  *client,
                      LpJob     *job)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (LM_IS_CLIENT (client), NULL);
  g_return_val_if_fail (LP_IS_JOB (job), NULL);

  return g_object_new (LM_TYPE_CANCEL_DIALOG,
                       "transient-for", parent,
                       "client", client,
                       "job", job,
                       NULL);
}

/* After a successful cancel, the job as the service returned it. */
LpJob *
lm_cancel_dialog_get_job (LmCancelDialog *self)
{
  g_return_val_if_fail (LM_IS_CANCEL_DIALOG (self), NULL);
  return self->job;
}

/* @reason: an #LpCancelReason, or -1 for none (the placeholder). */
void
lm_cancel_dialog_set_reason (LmCancelDialog *self,
                             int             reason)
{
  g_return_if_fail (LM_IS_CANCEL_DIALOG (self));
  g_return_if_fail (reason >= -1 && reason < LP_N_CANCEL_REASONS);

  gtk_drop_down_set_selected (self->reason_dropdown, (guint) (reason + 1));
}

void
lm_cancel_dialog_set_understood (LmCancelDialog *self,
                                 gboolean        understood)
{
  g_return_if_fail (LM_IS_CANCEL_DIALOG (self));
  gtk_check_button_set_active (self->understand_check, understood);
}

gboolean
lm_cancel_dialog_can_confirm (LmCancelDialog *self)
{
  g_return_val_if_fail (LM_IS_CANCEL_DIALOG (self), FALSE);

  return !is_busy (self) && self->job != NULL &&
         selected_reason (self) >= 0 &&
         gtk_check_button_get_active (self->understand_check);
}

gboolean
lm_cancel_dialog_get_busy (LmCancelDialog *self)
{
  g_return_val_if_fail (LM_IS_CANCEL_DIALOG (self), FALSE);
  return is_busy (self);
}

/* The service's last refusal, shown in the dialog; NULL when there is none. */
const char *
lm_cancel_dialog_get_error (LmCancelDialog *self)
{
  g_return_val_if_fail (LM_IS_CANCEL_DIALOG (self), NULL);
  return self->error;
}
