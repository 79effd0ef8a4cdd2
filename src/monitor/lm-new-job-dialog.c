/* lm-new-job-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One page, as the brief leaves the full Stage 1 set-up out of scope. The
 * estimate comes from the core's catalog arithmetic and is sent with the
 * job, so the cost tracker has something to compare spending against.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "lp-catalog.h"
#include "lp-format.h"
#include "lm-new-job-dialog.h"

#define NAME_MAX_CHARS 200

struct _LmNewJobDialog
{
  AdwWindow      parent_instance;

  GtkLabel      *error_label;
  AdwEntryRow   *name_row;
  GtkLabel      *name_error;
  AdwComboRow   *preset_row;
  AdwComboRow   *gpu_row;
  AdwComboRow   *pricing_row;
  GtkSpinButton *steps_spin;
  GtkSpinButton *epochs_spin;
  AdwActionRow  *estimate_row;
  AdwComboRow   *provider_row;
  AdwActionRow  *seed_row;
  GtkSpinButton *seed_spin;
  AdwActionRow  *external_row;
  GtkButton     *create_button;

  LmClient      *client;
  GCancellable  *cancellable;
  gboolean       name_touched;
};

G_DEFINE_FINAL_TYPE (LmNewJobDialog, lm_new_job_dialog, ADW_TYPE_WINDOW)

static const LpGpuOffer *
selected_gpu (LmNewJobDialog *self)
{
  guint n, selected = adw_combo_row_get_selected (self->gpu_row);
  const LpGpuOffer *gpus = lp_catalog_get_gpus (&n);

  return &gpus[MIN (selected, n - 1)];
}

static const LpPreset *
selected_preset (LmNewJobDialog *self)
{
  guint n, selected = adw_combo_row_get_selected (self->preset_row);
  const LpPreset *presets = lp_catalog_get_presets (&n);

  return &presets[MIN (selected, n - 1)];
}

static gboolean
is_spot (LmNewJobDialog *self)
{
  return adw_combo_row_get_selected (self->pricing_row) == 0;
}

static gboolean
is_simulator (LmNewJobDialog *self)
{
  return adw_combo_row_get_selected (self->provider_row) == 0;
}

/* Returns NULL when the name is fine, else why not. */
static char *
name_problem (LmNewJobDialog *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));

  if (name[0] == '\0')
    return g_strdup (_("Give the job a name"));
  if (g_utf8_strlen (name, -1) > NAME_MAX_CHARS)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Use at most %d character",
                                         "Use at most %d characters", NAME_MAX_CHARS),
                            NAME_MAX_CHARS);

  return NULL;
}

static void
update_estimate (LmNewJobDialog *self)
{
  double rate = lp_gpu_rate (selected_gpu (self), is_spot (self));
  double min, max;
  gint64 duration;
  g_autofree char *range = NULL;
  g_autofree char *hours = NULL;
  g_autofree char *rate_text = lp_format_money (rate);
  g_autofree char *subtitle = NULL;
  g_autofree char *pricing = NULL;

  lp_estimate_new_job ((gint64) gtk_spin_button_get_value (self->steps_spin),
                       selected_preset (self)->steps_per_hour, rate, &min, &max, &duration);
  range = lp_format_estimate_range (min, max);
  hours = lp_format_duration (duration);

  /* Translators: e.g. "$45-55 for about 13h 25m of GPU time" */
  subtitle = g_strdup_printf (_("%s for about %s of GPU time"), range, hours);
  adw_action_row_set_subtitle (self->estimate_row, subtitle);

  /* Translators: an hourly rate, e.g. "$2.49/hr" */
  pricing = g_strdup_printf (_("%s/hr"), rate_text);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->pricing_row), pricing);
}

static void
update_validation (LmNewJobDialog *self)
{
  g_autofree char *problem = name_problem (self);

  /* Don't scold an empty field the user has not typed in yet. */
  gtk_widget_set_visible (GTK_WIDGET (self->name_error), problem != NULL && self->name_touched);
  gtk_label_set_label (self->name_error, problem ? problem : "");
  if (problem != NULL && self->name_touched)
    gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.create",
                                 problem == NULL && self->cancellable == NULL);
}

static void
inputs_changed_cb (LmNewJobDialog *self)
{
  if (gtk_widget_has_focus (GTK_WIDGET (self->name_row)) ||
      gtk_editable_get_text (GTK_EDITABLE (self->name_row))[0] != '\0')
    self->name_touched = TRUE;

  gtk_widget_set_visible (GTK_WIDGET (self->seed_row), is_simulator (self));
  gtk_widget_set_visible (GTK_WIDGET (self->external_row), !is_simulator (self));
  update_estimate (self);
  update_validation (self);
}

JsonObject *
lm_new_job_dialog_build_request (LmNewJobDialog  *self,
                                 char           **problem)
{
  g_autofree char *name = NULL;
  JsonObject *request, *config;
  const LpGpuOffer *gpu = selected_gpu (self);
  double rate = lp_gpu_rate (gpu, is_spot (self));
  gint64 steps = (gint64) gtk_spin_button_get_value (self->steps_spin);
  double min, max;
  gint64 duration;

  g_return_val_if_fail (LM_IS_NEW_JOB_DIALOG (self), NULL);

  if ((*problem = name_problem (self)))
    return NULL;

  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  lp_estimate_new_job (steps, selected_preset (self)->steps_per_hour, rate, &min, &max, &duration);

  request = json_object_new ();
  json_object_set_string_member (request, "name", name);
  json_object_set_int_member (request, "total_steps", steps);
  json_object_set_int_member (request, "epochs", (gint64) gtk_spin_button_get_value (self->epochs_spin));
  json_object_set_string_member (request, "gpu_type", gpu->name);
  json_object_set_string_member (request, "pricing", is_spot (self) ? "spot" : "on_demand");
  json_object_set_double_member (request, "hourly_rate", rate);
  json_object_set_double_member (request, "estimate_min", min);
  json_object_set_double_member (request, "estimate_max", max);
  json_object_set_string_member (request, "preset", selected_preset (self)->id);
  json_object_set_string_member (request, "provider", is_simulator (self) ? "simulator" : "external");

  config = json_object_new ();
  if (is_simulator (self))
    {
      json_object_set_int_member (config, "seed", (gint64) gtk_spin_button_get_value (self->seed_spin));
      json_object_set_double_member (config, "steps_per_hour", selected_preset (self)->steps_per_hour);
    }
  json_object_set_object_member (request, "config", config);

  return request;
}

static void
show_webhook (GtkWindow  *parent,
              LpJob      *job,
              const char *base_url,
              const char *secret)
{
  g_autofree char *url = g_strdup_printf ("%s/api/training/jobs/%" G_GINT64_FORMAT "/webhook",
                                          base_url, lp_job_get_id (job));
  g_autofree char *text = g_strdup_printf (_("Webhook: %s\nSecret: %s"), url, secret ? secret : "");
  GtkWidget *label = gtk_label_new (text);
  GtkWidget *dialog;

  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_CHAR);
  gtk_widget_add_css_class (label, "monospace");

  dialog = adw_message_dialog_new (parent, _("Connect Your Trainer"),
                                   _("Post the trainer's events to this address, signed with this secret (HMAC-SHA256 in the X-Lora-Signature header). The secret is not shown again."));
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), label);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LmNewJobDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;
  g_autoptr(LpJob) job = lm_client_create_job_finish (LM_CLIENT (object), result, &secret, &error);
  GtkWindow *parent;

  /* Closed before the answer: the user has moved on. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  g_clear_object (&self->cancellable);
  gtk_button_set_label (self->create_button, _("C_reate"));

  if (job == NULL)
    {
      /* The service's own words: they name the field that is wrong. */
      gtk_label_set_label (self->error_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      update_validation (self);
      return;
    }

  if (parent != NULL)
    {
      gtk_widget_activate_action (GTK_WIDGET (parent), "win.open-job", "x", lp_job_get_id (job));
      gtk_widget_activate_action (GTK_WIDGET (parent), "win.refresh", NULL);
      if (g_strcmp0 (lp_job_get_provider (job), "external") == 0)
        show_webhook (parent, job, lm_client_get_base_url (LM_CLIENT (object)), secret);
    }

  gtk_window_destroy (GTK_WINDOW (self));
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  LmNewJobDialog *self = LM_NEW_JOB_DIALOG (widget);
  g_autofree char *problem = NULL;
  g_autoptr(JsonObject) request = NULL;

  self->name_touched = TRUE;
  if (!(request = lm_new_job_dialog_build_request (self, &problem)))
    {
      update_validation (self);
      gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
      return;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_button_set_label (self->create_button, _("Creating…"));
  self->cancellable = g_cancellable_new ();
  update_validation (self);

  lm_client_create_job_async (self->client, request, self->cancellable, create_cb, g_object_ref (self));
}

static void
name_activated_cb (LmNewJobDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "dialog.create", NULL);
}

static gboolean
lm_new_job_dialog_close_request (GtkWindow *window)
{
  LmNewJobDialog *self = LM_NEW_JOB_DIALOG (window);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);

  return GTK_WINDOW_CLASS (lm_new_job_dialog_parent_class)->close_request (window);
}

static void
lm_new_job_dialog_dispose (GObject *object)
{
  LmNewJobDialog *self = (LmNewJobDialog *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);

  gtk_widget_dispose_template (GTK_WIDGET (self), LM_TYPE_NEW_JOB_DIALOG);

  G_OBJECT_CLASS (lm_new_job_dialog_parent_class)->dispose (object);
}

static void
lm_new_job_dialog_class_init (LmNewJobDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_new_job_dialog_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = lm_new_job_dialog_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-new-job-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, name_error);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, preset_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, gpu_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, pricing_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, steps_spin);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, estimate_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, provider_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, seed_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, external_row);
  gtk_widget_class_bind_template_child (widget_class, LmNewJobDialog, create_button);
  gtk_widget_class_bind_template_callback (widget_class, inputs_changed_cb);

  gtk_widget_class_install_action (widget_class, "dialog.create", NULL, create_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
lm_new_job_dialog_init (LmNewJobDialog *self)
{
  g_autoptr(GtkStringList) gpus = gtk_string_list_new (NULL);
  const LpGpuOffer *offers;
  guint n;

  gtk_widget_init_template (GTK_WIDGET (self));

  offers = lp_catalog_get_gpus (&n);
  for (guint i = 0; i < n; i++)
    gtk_string_list_append (gpus, offers[i].name);
  adw_combo_row_set_model (self->gpu_row, G_LIST_MODEL (gpus));

  /* Enter in the name field creates the job, as in any GNOME dialog. */
  g_signal_connect_swapped (self->name_row, "entry-activated", G_CALLBACK (name_activated_cb), self);

  inputs_changed_cb (self);
  self->name_touched = FALSE;
  update_validation (self);

  /* Typing starts with the name, the one field without a good default. */
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->name_row));
}

GtkWidget *
lm_new_job_dialog_new (GtkWindow *parent,
                       LmClient  *client)
{
  LmNewJobDialog *self = g_object_new (LM_TYPE_NEW_JOB_DIALOG, "transient-for", parent, NULL);

  self->client = g_object_ref (client);
  return GTK_WIDGET (self);
}

const char *
lm_new_job_dialog_get_estimate (LmNewJobDialog *self)
{
  g_return_val_if_fail (LM_IS_NEW_JOB_DIALOG (self), NULL);
  return adw_action_row_get_subtitle (self->estimate_row);
}
