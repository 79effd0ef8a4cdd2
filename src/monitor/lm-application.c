/* lm-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Decides which job service to talk to: --service for this run, else the
 * configured address, else a private service started in-process. Only the
 * primary instance connects; a second `lora-monitor --job 42` hands its
 * command line to it.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "lp-format.h"
#include "lm-application.h"
#include "lm-embedded-service.h"
#include "lm-job-watcher.h"
#include "lm-preferences-window.h"
#include "lm-token-store.h"
#include "lm-window.h"

struct _LmApplication
{
  AdwApplication     parent_instance;

  GSettings         *settings;
  LmEmbeddedService *embedded;
  LmClient          *client;
  LmJobWatcher      *watcher;
  char              *service_override;
  char              *token_override;
  double             time_scale;
  gint64             pending_job;
  guint              connect_serial;  /* bumped by each reconnect */
  gboolean           holding;         /* running in the background */
  gboolean           demo;
  gboolean           connecting;
};

G_DEFINE_FINAL_TYPE (LmApplication, lm_application, ADW_TYPE_APPLICATION)

static LmWindow *
main_window (LmApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (LM_IS_WINDOW (window))
    return LM_WINDOW (window);

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    if (LM_IS_WINDOW (l->data))
      return l->data;

  return NULL;
}

static LmWindow *
ensure_window (LmApplication *self)
{
  LmWindow *window = main_window (self);

  if (window == NULL)
    {
      window = lm_window_new (ADW_APPLICATION (self));
      if (self->client != NULL)
        lm_window_set_client (window, self->client);
    }

  return window;
}

static void
open_pending_job (LmApplication *self)
{
  LmWindow *window = main_window (self);

  if (self->pending_job > 0 && self->client != NULL && window != NULL)
    {
      lm_window_open_job (window, self->pending_job);
      self->pending_job = 0;
    }
}

static void
me_cb (GObject      *object,
       GAsyncResult *result,
       gpointer      user_data)
{
  g_autoptr(LmApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *user = lm_client_get_me_finish (LM_CLIENT (object), result, &error);
  LmWindow *window = main_window (self);

  if (user == NULL && window != NULL &&
      g_error_matches (error, LM_CLIENT_ERROR, LM_CLIENT_ERROR_UNAUTHORIZED))
    lm_window_toast (window, _("The job service refused the token; set one in Preferences"));
}

static void
notify_job (LmApplication *self,
            LpJob         *job,
            const char    *id_suffix,
            const char    *title,
            const char    *body)
{
  g_autoptr(GNotification) notification = g_notification_new (title);
  g_autofree char *id = g_strdup_printf ("job-%" G_GINT64_FORMAT "-%s", lp_job_get_id (job), id_suffix);

  g_notification_set_body (notification, body);
  g_notification_set_default_action_and_target_value (notification, "app.open-job",
                                                      g_variant_new_int64 (lp_job_get_id (job)));
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

static void
job_finished_cb (LmApplication *self,
                 LpJob         *job)
{
  g_autofree char *cost = lp_format_money (lp_job_get_cost (job));
  g_autofree char *body = NULL;

  switch (lp_job_get_status (job))
    {
    case LP_JOB_STATUS_COMPLETED:
      /* Translators: notification body, e.g. "Elena Morales Financial finished. Final cost: $48.32" */
      body = g_strdup_printf (_("%s finished. Final cost: %s"), lp_job_get_name (job), cost);
      notify_job (self, job, "end", _("Training Completed"), body);
      break;
    case LP_JOB_STATUS_FAILED:
      body = g_strdup_printf (_("%s failed: %s"), lp_job_get_name (job),
                              lp_job_get_error (job) ? lp_job_get_error (job) : _("no reason given"));
      notify_job (self, job, "end", _("Training Failed"), body);
      break;
    default:
      /* A cancel was somebody's decision; it is not worth an alert. */
      break;
    }
}

static void
job_over_estimate_cb (LmApplication *self,
                      LpJob         *job)
{
  g_autofree char *spend = lp_format_money (lp_job_get_cost (job));
  g_autofree char *range = lp_format_estimate_range (lp_job_get_estimate_min (job),
                                                     lp_job_get_estimate_max (job));
  /* Translators: e.g. "Elena Morales Financial has cost $54.10, over its estimate of $45-55" */
  g_autofree char *body = g_strdup_printf (_("%s has cost %s, over its estimate of %s"),
                                           lp_job_get_name (job), spend, range);

  notify_job (self, job, "cost", _("Cost Exceeding Estimate"), body);
}

/* A guard is about to cancel: the notification offers to keep the job
 * running, which is what the guard's warning is for. */
static void
job_guard_warning_cb (LmApplication *self,
                      LpJob         *job)
{
  const LpGuard *guard = lp_job_get_guard (job);
  g_autoptr(GNotification) notification = NULL;
  g_autoptr(GDateTime) at = NULL;
  g_autofree char *id = NULL;
  g_autofree char *when = NULL;
  g_autofree char *body = NULL;

  if (guard == NULL || guard->warned < 0)
    return;

  at = g_date_time_new_from_unix_local (lp_guard_cancel_at (guard) / G_USEC_PER_SEC);
  when = at ? lp_format_time_of_day (at) : g_strdup ("?");
  /* Translators: e.g. "Elena Morales Financial: Projected cost limit. The guard cancels it at 14:05." */
  body = g_strdup_printf (_("%s: %s. The guard cancels it at %s."),
                          lp_job_get_name (job), lp_guard_rule_label (guard->warned), when);

  notification = g_notification_new (_("Budget Guard Will Cancel a Job"));
  g_notification_set_body (notification, body);
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  g_notification_set_default_action_and_target_value (notification, "app.open-job",
                                                      g_variant_new_int64 (lp_job_get_id (job)));
  g_notification_add_button_with_target_value (notification, _("Keep Running"), "app.keep-running",
                                               g_variant_new ("(xs)", lp_job_get_id (job),
                                                              lp_guard_rule_to_string (guard->warned)));
  id = g_strdup_printf ("job-%" G_GINT64_FORMAT "-guard", lp_job_get_id (job));
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

static void
use_client (LmApplication *self,
            LmClient      *client)
{
  LmWindow *window = ensure_window (self);

  self->connecting = FALSE;
  g_set_object (&self->client, client);
  lm_window_set_client (window, client);

  g_clear_object (&self->watcher);
  self->watcher = lm_job_watcher_new (client);
  g_signal_connect_object (self->watcher, "job-finished", G_CALLBACK (job_finished_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->watcher, "job-over-estimate", G_CALLBACK (job_over_estimate_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->watcher, "job-guard-warning", G_CALLBACK (job_guard_warning_cb),
                           self, G_CONNECT_SWAPPED);
  lm_client_get_me_async (client, NULL, me_cb, g_object_ref (self));
  open_pending_job (self);
}

static void
show_start_error (LmApplication *self,
                  const GError  *error)
{
  LmWindow *window = ensure_window (self);
  AdwMessageDialog *dialog;

  self->connecting = FALSE;
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (window),
                                                       _("The Job Service Could Not Start"),
                                                       error->message));
  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
stop_in_thread (GTask        *task,
                gpointer      source,
                gpointer      data,
                GCancellable *cancellable)
{
  lm_embedded_service_stop (data);
  g_task_return_boolean (task, TRUE);
}

/* Joining the service's thread waits for its last write; off the UI
 * thread, so a reconnect never freezes the window. */
static void
stop_embedded_async (LmEmbeddedService *embedded)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);

  g_task_set_task_data (task, embedded, g_object_unref);
  g_task_run_in_thread (task, stop_in_thread);
}

typedef struct
{
  LmApplication *app;
  guint          serial;
} Connecting;

static Connecting *
connecting_new (LmApplication *self)
{
  Connecting *c = g_new0 (Connecting, 1);

  c->app = g_object_ref (self);
  c->serial = self->connect_serial;
  return c;
}

static void
connecting_free (Connecting *c)
{
  g_object_unref (c->app);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Connecting, connecting_free)

static void
embedded_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Connecting) c = user_data;
  LmApplication *self = c->app;
  g_autoptr(GError) error = NULL;
  g_autoptr(LmClient) client = NULL;
  LmEmbeddedService *embedded = lm_embedded_service_start_finish (result, &error);

  /* A reconnect came in while this one started: it is not wanted. */
  if (c->serial != self->connect_serial)
    {
      if (embedded != NULL)
        stop_embedded_async (embedded);
      return;
    }

  self->embedded = embedded;
  if (self->embedded == NULL)
    {
      show_start_error (self, error);
      return;
    }

  client = lm_client_new (lm_embedded_service_get_url (self->embedded),
                          lm_embedded_service_get_token (self->embedded));
  use_client (self, client);
}

static void
token_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(Connecting) c = user_data;
  LmApplication *self = c->app;
  g_autofree char *token = lm_token_store_lookup_finish (result, NULL);
  g_autofree char *url = NULL;
  g_autoptr(LmClient) client = NULL;

  if (c->serial != self->connect_serial)
    return;

  url = g_settings_get_string (self->settings, "service-url");
  client = lm_client_new (url, token);
  use_client (self, client);
}

static void
connect_to_service (LmApplication *self)
{
  g_autofree char *url = NULL;

  if (self->connecting)
    return;
  self->connecting = TRUE;

  if (self->service_override != NULL)
    {
      g_autoptr(LmClient) client = lm_client_new (self->service_override, self->token_override);
      use_client (self, client);
      return;
    }

  url = g_settings_get_string (self->settings, "service-url");
  if (url[0] != '\0')
    {
      lm_token_store_lookup_async (url, NULL, token_cb, connecting_new (self));
      return;
    }

  {
    g_autofree char *db = lm_embedded_service_default_db ();

    lm_embedded_service_start_async (db, self->demo, self->time_scale, NULL,
                                     embedded_cb, connecting_new (self));
  }
}

static void
stop_embedded (LmApplication *self)
{
  if (self->embedded != NULL)
    {
      lm_embedded_service_stop (self->embedded);
      g_clear_object (&self->embedded);
    }
}

static int
lm_application_command_line (GApplication            *app,
                             GApplicationCommandLine *command_line)
{
  LmApplication *self = LM_APPLICATION (app);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  const char *service = NULL;
  gint64 job = 0;
  LmWindow *window;

  if (g_variant_dict_lookup (options, "service", "&s", &service) && self->client == NULL)
    {
      const char *token = g_application_command_line_getenv (command_line, "LORA_TOKEN");

      g_free (self->service_override);
      self->service_override = g_strdup (service);
      g_free (self->token_override);
      self->token_override = g_strdup (token);
    }

  g_variant_dict_lookup (options, "demo", "b", &self->demo);
  g_variant_dict_lookup (options, "time-scale", "d", &self->time_scale);

  if (g_variant_dict_lookup (options, "job", "x", &job))
    {
      if (job <= 0)
        {
          g_application_command_line_printerr (command_line, _("--job takes a job number, such as 42\n"));
          return 2;
        }
      self->pending_job = job;
    }

  window = ensure_window (self);
  gtk_window_present (GTK_WINDOW (window));

  if (self->client == NULL)
    connect_to_service (self);
  else
    open_pending_job (self);

  return 0;
}

static int
lm_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("lora-monitor %s\n", PACKAGE_VERSION);
      return 0;
    }

  return -1;
}

static void
lm_application_activate (GApplication *app)
{
  LmApplication *self = LM_APPLICATION (app);

  gtk_window_present (GTK_WINDOW (ensure_window (self)));
  if (self->client == NULL)
    connect_to_service (self);
}

/* Actions */

static void
preferences_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  LmApplication *self = user_data;
  GtkWidget *prefs = lm_preferences_window_new (GTK_WINDOW (ensure_window (self)));

  gtk_window_present (GTK_WINDOW (prefs));
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  LmApplication *self = user_data;
  const char *developers[] = { "The LoRA Pipeline developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", ensure_window (self),
                        "application-name", _("LoRA Pipeline Monitor"),
                        "application-icon", APP_ID,
                        "developer-name", _("The LoRA Pipeline developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("Watch LoRA fine-tuning runs: progress, loss, cost and events, with a safe way to stop a run that wastes money."),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
reconnect_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  LmApplication *self = user_data;
  LmWindow *window = main_window (self);

  /* A new address from Preferences replaces --service for this run too. */
  g_clear_pointer (&self->service_override, g_free);
  g_clear_pointer (&self->token_override, g_free);
  g_clear_object (&self->client);
  if (window != NULL)
    lm_window_set_client (window, NULL);
  if (self->embedded != NULL)
    stop_embedded_async (g_steal_pointer (&self->embedded));
  self->connect_serial++;
  self->connecting = FALSE;
  connect_to_service (self);
}

static void
open_job_action (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  LmApplication *self = user_data;
  LmWindow *window = ensure_window (self);

  gtk_window_present (GTK_WINDOW (window));
  self->pending_job = g_variant_get_int64 (param);
  if (self->client == NULL)
    connect_to_service (self);
  else
    open_pending_job (self);
}

static void
kept_running_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(LmApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpJob) job = lm_client_disarm_guard_finish (LM_CLIENT (object), result, &error);
  LmWindow *window = main_window (self);
  g_autofree char *text = NULL;

  if (job != NULL)
    /* Translators: e.g. "Elena Morales Financial keeps running" */
    text = g_strdup_printf (_("%s keeps running"), lp_job_get_name (job));
  else
    /* Translators: %s is the service's reason */
    text = g_strdup_printf (_("The job could not be kept running: %s"), error->message);

  if (window != NULL)
    lm_window_toast (window, text);
}

/* The guard notification's "Keep Running": (job id, rule). */
static void
keep_running_action (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  LmApplication *self = user_data;
  g_autofree char *id_text = NULL;
  const char *name = NULL;
  gint64 id;
  LpGuardRule rule;

  g_variant_get (param, "(x&s)", &id, &name);
  if (self->client == NULL || !lp_guard_rule_from_string (name, &rule))
    return;

  id_text = g_strdup_printf ("job-%" G_GINT64_FORMAT "-guard", id);
  g_application_withdraw_notification (G_APPLICATION (self), id_text);
  lm_client_disarm_guard_async (self->client, id, rule, NULL, kept_running_cb, g_object_ref (self));
}

/* Holding the application keeps it, and its watcher, alive with no window. */
static void
background_changed_cb (LmApplication *self)
{
  gboolean background = g_settings_get_boolean (self->settings, "run-in-background");

  if (background && !self->holding)
    g_application_hold (G_APPLICATION (self));
  else if (!background && self->holding)
    g_application_release (G_APPLICATION (self));

  self->holding = background;
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  LmApplication *self = user_data;

  /* Quit means quit, background or not. */
  if (self->holding)
    {
      self->holding = FALSE;
      g_application_release (G_APPLICATION (self));
    }
  g_application_quit (G_APPLICATION (self));
}

static const GActionEntry app_actions[] = {
  { "preferences", preferences_action },
  { "about", about_action },
  { "reconnect", reconnect_action },
  { "open-job", open_job_action, "x" },
  { "keep-running", keep_running_action, "(xs)" },
  { "quit", quit_action },
};

static void
lm_application_startup (GApplication *app)
{
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *prefs_accels[] = { "<Control>comma", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };

  G_APPLICATION_CLASS (lm_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences", prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "window.close", close_accels);

  g_signal_connect_object (LM_APPLICATION (app)->settings, "changed::run-in-background",
                           G_CALLBACK (background_changed_cb), app, G_CONNECT_SWAPPED);
  background_changed_cb (LM_APPLICATION (app));
}

static void
lm_application_shutdown (GApplication *app)
{
  LmApplication *self = LM_APPLICATION (app);

  /* The service's thread finishes its last write before the process ends. */
  g_clear_object (&self->watcher);
  g_clear_object (&self->client);
  stop_embedded (self);

  G_APPLICATION_CLASS (lm_application_parent_class)->shutdown (app);
}

static void
lm_application_finalize (GObject *object)
{
  LmApplication *self = (LmApplication *) object;

  g_clear_object (&self->settings);
  g_clear_pointer (&self->service_override, g_free);
  g_clear_pointer (&self->token_override, g_free);

  G_OBJECT_CLASS (lm_application_parent_class)->finalize (object);
}

static void
lm_application_class_init (LmApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = lm_application_finalize;

  app_class->activate = lm_application_activate;
  app_class->command_line = lm_application_command_line;
  app_class->handle_local_options = lm_application_handle_local_options;
  app_class->startup = lm_application_startup;
  app_class->shutdown = lm_application_shutdown;
}

static void
lm_application_init (LmApplication *self)
{
  const GOptionEntry options[] = {
    { "job", 0, 0, G_OPTION_ARG_INT64, NULL,
      N_("Open the job with this number"), N_("ID") },
    { "service", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Use the job service at URL for this run (token from $LORA_TOKEN)"), N_("URL") },
    { "demo", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Fill an empty built-in service with a demo history"), NULL },
    { "time-scale", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_DOUBLE, NULL,
      N_("Run the built-in service's simulated work F times faster"), N_("F") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  self->settings = g_settings_new (APP_ID);
  self->time_scale = 1.0;

  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), NULL);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Watch LoRA fine-tuning runs, their loss, cost and events."));
}

LmApplication *
lm_application_new (void)
{
  return g_object_new (LM_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/org/lorapipeline/Monitor",
                       NULL);
}

LmClient *
lm_application_get_client (LmApplication *self)
{
  g_return_val_if_fail (LM_IS_APPLICATION (self), NULL);
  return self->client;
}
