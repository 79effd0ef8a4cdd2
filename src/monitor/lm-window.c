/* lm-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "lp-catalog.h"
#include "lp-format.h"
#include "lp-json.h"
#include "lp-types.h"
#include "lm-a11y.h"
#include "lm-banner.h"
#include "lm-cancel-dialog.h"
#include "lm-job-page.h"
#include "lm-jobs-table.h"
#include "lm-new-job-dialog.h"
#include "lm-queue-view.h"
#include "lm-window.h"

struct _LmWindow
{
  AdwApplicationWindow  parent_instance;

  AdwToastOverlay      *toast_overlay;
  GtkLabel             *announcer;
  AdwLeaflet           *leaflet;
  GtkBox               *jobs_page;
  LmBanner             *banner;
  AdwViewStack         *view_stack;
  AdwViewStackPage     *queue_page;
  LmJobsTable          *all_table;
  LmJobsTable          *active_table;
  LmJobsTable          *completed_table;
  LmQueueView          *queue_view;
  LmJobPage            *job_page;

  GSettings            *settings;
  LmClient             *client;
  gulong                reachable_id;
};

G_DEFINE_FINAL_TYPE (LmWindow, lm_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The connection */

static void
reachable_changed_cb (LmWindow *self)
{
  if (lm_client_get_reachable (self->client))
    lm_window_toast (self, _("Connected to the job service again"));
}

/* Tabs */

static void
queue_count_changed_cb (LmWindow *self)
{
  guint n = lm_queue_view_get_n_queued (self->queue_view);
  g_autofree char *title = NULL;

  /* Translators: the Queue tab with the number of waiting jobs */
  title = n > 0 ? g_strdup_printf (_("Queue (%u)"), n) : g_strdup (_("Queue"));
  adw_view_stack_page_set_title (self->queue_page, title);
}

static void
leaflet_child_changed_cb (LmWindow *self)
{
  /* Leaving a job stops its polling and keeps focus sensible. */
  if (adw_leaflet_get_visible_child (self->leaflet) == GTK_WIDGET (self->jobs_page))
    gtk_widget_grab_focus (GTK_WIDGET (self->view_stack));
}

static LmJobsTable *
visible_table (LmWindow *self)
{
  GtkWidget *child = adw_view_stack_get_visible_child (self->view_stack);

  return LM_IS_JOBS_TABLE (child) ? LM_JOBS_TABLE (child) : NULL;
}

/* Actions */

static void
new_job_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  LmWindow *self = LM_WINDOW (widget);
  GtkWindow *dialog;

  if (self->client == NULL)
    return;

  dialog = GTK_WINDOW (lm_new_job_dialog_new (GTK_WINDOW (self), self->client));
  gtk_window_present (dialog);
}

static void
open_job_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  lm_window_open_job (LM_WINDOW (widget), g_variant_get_int64 (param));
}

static void
open_error_log_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  LmWindow *self = LM_WINDOW (widget);

  lm_window_open_job (self, g_variant_get_int64 (param));
  lm_job_page_show_errors (self->job_page);
}

static void
view_job_errors_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  lm_job_page_show_errors (LM_WINDOW (widget)->job_page);
}

/* Alt+1, Alt+2...: the tabs of the page in view, as in GNOME's apps with
 * a view switcher. */
static void
tab_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *param)
{
  static const char * const jobs_tabs[] = { "all", "queue", "active", "completed" };
  static const char * const job_tabs[] = { "overview", "events" };
  LmWindow *self = LM_WINDOW (widget);
  gint32 n = g_variant_get_int32 (param);

  if (adw_leaflet_get_visible_child (self->leaflet) == GTK_WIDGET (self->job_page))
    {
      if (n >= 1 && n <= (gint32) G_N_ELEMENTS (job_tabs))
        lm_job_page_set_tab (self->job_page, job_tabs[n - 1]);
    }
  else if (n >= 1 && n <= (gint32) G_N_ELEMENTS (jobs_tabs))
    lm_window_set_tab (self, jobs_tabs[n - 1]);
}

static void
go_back_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  lm_window_show_jobs (LM_WINDOW (widget));
}

static void
refresh_all (LmWindow *self)
{
  lm_jobs_table_refresh (self->all_table);
  lm_jobs_table_refresh (self->active_table);
  lm_jobs_table_refresh (self->completed_table);
  lm_queue_view_refresh (self->queue_view);
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  LmWindow *self = LM_WINDOW (widget);

  if (adw_leaflet_get_visible_child (self->leaflet) == GTK_WIDGET (self->job_page))
    lm_job_page_refresh (self->job_page);
  else
    refresh_all (self);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  LmWindow *self = LM_WINDOW (widget);
  LmJobsTable *table;

  lm_window_show_jobs (self);
  if (!(table = visible_table (self)))
    {
      adw_view_stack_set_visible_child_name (self->view_stack, "all");
      table = self->all_table;
    }
  lm_jobs_table_focus_search (table);
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  LmWindow *self = LM_WINDOW (widget);

  if (self->client != NULL)
    lm_client_retry_now (self->client);
}

static void
announce_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  lm_window_announce (LM_WINDOW (widget), g_variant_get_string (param, NULL));
}

/* Cancel, delete and configuration: they need the job's name, so each
 * first fetches the job, then asks. */

typedef enum {
  ASK_CANCEL,
  ASK_DELETE,
  ASK_CONFIG,
} AskKind;

typedef struct
{
  LmWindow *window;
  AskKind   kind;
} AskData;

static void
delete_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(LmWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!lm_client_delete_job_finish (LM_CLIENT (object), result, &error))
    {
      lm_window_toast (self, error->message);
      return;
    }

  lm_window_toast (self, _("Job deleted"));
  refresh_all (self);
}

static void
ask_response_cb (AdwMessageDialog *dialog,
                 const char       *response,
                 gpointer          user_data)
{
  LmWindow *self = LM_WINDOW (gtk_window_get_transient_for (GTK_WINDOW (dialog)));
  LpJob *job = g_object_get_data (G_OBJECT (dialog), "job");

  if (g_str_equal (response, "delete"))
    lm_client_delete_job_async (self->client, lp_job_get_id (job), NULL,
                                delete_done_cb, g_object_ref (self));
}

static void
job_cancelled_cb (LmWindow *self,
                  LpJob    *job)
{
  /* The dialog told the user and refreshed what is shown; the other
   * tabs and an open job page catch up too. */
  refresh_all (self);
  if (lm_job_page_get_job_id (self->job_page) == lp_job_get_id (job))
    lm_job_page_refresh (self->job_page);
}

static void
show_question (LmWindow *self,
               AskKind   kind,
               LpJob    *job)
{
  GtkWidget *dialog;
  g_autofree char *heading = NULL;

  switch (kind)
    {
    case ASK_CANCEL:
      {
        GtkWidget *cancel = lm_cancel_dialog_new (GTK_WINDOW (self), self->client, job);

        g_signal_connect_object (cancel, "cancelled", G_CALLBACK (job_cancelled_cb),
                                 self, G_CONNECT_SWAPPED);
        gtk_window_present (GTK_WINDOW (cancel));
      }
      return;

    case ASK_DELETE:
      heading = g_strdup_printf (_("Delete “%s”?"), lp_job_get_name (job));
      dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
                                       _("Its metrics and event log are deleted too. This action cannot be undone."));
      adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                        "back", _("_Go Back"),
                                        "delete", _("_Delete"),
                                        NULL);
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                                  ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "back");
      adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "back");
      break;

    case ASK_CONFIG:
    default:
      {
        g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), lp_job_get_config (job));
        g_autofree char *json = lp_json_to_string (node, TRUE);
        g_autofree char *steps = lp_format_count (lp_job_get_total_steps (job));
        g_autofree char *epochs = lp_format_count (lp_job_get_total_epochs (job));
        g_autofree char *body = NULL;
        GtkWidget *label = gtk_label_new (json);

        /* Translators: a job's configuration in one line */
        body = g_strdup_printf (_("%s • %s %s • %s steps, %s epochs • provider: %s"),
                                lp_preset_label (lp_job_get_preset (job)),
                                lp_pricing_label (lp_job_get_pricing (job)),
                                lp_job_get_gpu_type (job), steps, epochs,
                                lp_job_get_provider (job));
        gtk_label_set_selectable (GTK_LABEL (label), TRUE);
        gtk_label_set_xalign (GTK_LABEL (label), 0);
        gtk_widget_add_css_class (label, "monospace");
        lm_a11y_fix_names (label);
        dialog = adw_message_dialog_new (GTK_WINDOW (self), lp_job_get_name (job), body);
        adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
        adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), label);
      }
      break;
    }

  g_object_set_data_full (G_OBJECT (dialog), "job", g_object_ref (job), g_object_unref);
  g_signal_connect (dialog, "response", G_CALLBACK (ask_response_cb), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
ask_job_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  AskData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpJob) job = lm_client_get_job_finish (LM_CLIENT (object), result, &error);

  if (job == NULL)
    lm_window_toast (data->window, error->message);
  else
    show_question (data->window, data->kind, job);

  g_object_unref (data->window);
  g_free (data);
}

static void
ask_about_job (LmWindow *self,
               AskKind   kind,
               gint64    id)
{
  AskData *data;

  if (self->client == NULL)
    return;

  data = g_new0 (AskData, 1);
  data->window = g_object_ref (self);
  data->kind = kind;
  lm_client_get_job_async (self->client, id, NULL, ask_job_cb, data);
}

static void
cancel_job_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  ask_about_job (LM_WINDOW (widget), ASK_CANCEL, g_variant_get_int64 (param));
}

static void
delete_job_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  ask_about_job (LM_WINDOW (widget), ASK_DELETE, g_variant_get_int64 (param));
}

static void
view_config_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  ask_about_job (LM_WINDOW (widget), ASK_CONFIG, g_variant_get_int64 (param));
}

/* Window state */

static gboolean
lm_window_close_request (GtkWindow *window)
{
  LmWindow *self = LM_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  if (!gtk_window_is_maximized (window))
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }

  return GTK_WINDOW_CLASS (lm_window_parent_class)->close_request (window);
}

static void
lm_window_dispose (GObject *object)
{
  LmWindow *self = (LmWindow *) object;

  if (self->client != NULL)
    g_clear_signal_handler (&self->reachable_id, self->client);
  g_clear_object (&self->client);

  gtk_widget_dispose_template (GTK_WIDGET (self), LM_TYPE_WINDOW);

  G_OBJECT_CLASS (lm_window_parent_class)->dispose (object);
}

static void
lm_window_finalize (GObject *object)
{
  LmWindow *self = (LmWindow *) object;

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (lm_window_parent_class)->finalize (object);
}

static void
lm_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  LmWindow *self = LM_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  LmWindow *self = LM_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT: lm_window_set_client (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_window_class_init (LmWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = lm_window_dispose;
  object_class->finalize = lm_window_finalize;
  object_class->get_property = lm_window_get_property;
  object_class->set_property = lm_window_set_property;

  window_class->close_request = lm_window_close_request;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, LM_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (LM_TYPE_BANNER);
  g_type_ensure (LM_TYPE_JOBS_TABLE);
  g_type_ensure (LM_TYPE_QUEUE_VIEW);
  g_type_ensure (LM_TYPE_JOB_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LmWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, LmWindow, announcer);
  gtk_widget_class_bind_template_child (widget_class, LmWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, LmWindow, jobs_page);
  gtk_widget_class_bind_template_child (widget_class, LmWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, LmWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, LmWindow, queue_page);
  gtk_widget_class_bind_template_child (widget_class, LmWindow, all_table);
  gtk_widget_class_bind_template_child (widget_class, LmWindow, active_table);
  gtk_widget_class_bind_template_child (widget_class, LmWindow, completed_table);
  gtk_widget_class_bind_template_child (widget_class, LmWindow, queue_view);
  gtk_widget_class_bind_template_child (widget_class, LmWindow, job_page);
  gtk_widget_class_bind_template_callback (widget_class, queue_count_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, leaflet_child_changed_cb);

  gtk_widget_class_install_action (widget_class, "win.new-job", NULL, new_job_action);
  gtk_widget_class_install_action (widget_class, "win.open-job", "x", open_job_action);
  gtk_widget_class_install_action (widget_class, "win.open-error-log", "x", open_error_log_action);
  gtk_widget_class_install_action (widget_class, "win.view-job-errors", NULL, view_job_errors_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-job", "x", cancel_job_action);
  gtk_widget_class_install_action (widget_class, "win.delete-job", "x", delete_job_action);
  gtk_widget_class_install_action (widget_class, "win.view-config", "x", view_config_action);
  gtk_widget_class_install_action (widget_class, "win.go-back", NULL, go_back_action);
  gtk_widget_class_install_action (widget_class, "win.tab", "i", tab_action);
  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.retry-connection", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "win.announce", "s", announce_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-job", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "win.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.go-back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "win.go-back", NULL);
  for (int n = 1; n <= 4; n++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0 + n, GDK_ALT_MASK, "win.tab", "i", n);
}

static void
lm_window_init (LmWindow *self)
{
  self->settings = g_settings_new (APP_ID);

  gtk_widget_init_template (GTK_WIDGET (self));
  lm_a11y_fix_names (GTK_WIDGET (self));

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_settings_bind (self->settings, "selected-tab", self->view_stack, "visible-child-name",
                   G_SETTINGS_BIND_DEFAULT);

  /* Before the service answers there is nothing to create jobs in. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-job", FALSE);
}

LmWindow *
lm_window_new (AdwApplication *application)
{
  return g_object_new (LM_TYPE_WINDOW, "application", application, NULL);
}

LmClient *
lm_window_get_client (LmWindow *self)
{
  g_return_val_if_fail (LM_IS_WINDOW (self), NULL);
  return self->client;
}

void
lm_window_set_client (LmWindow *self,
                      LmClient *client)
{
  g_return_if_fail (LM_IS_WINDOW (self));

  if (self->client == client)
    return;

  if (self->client != NULL)
    g_clear_signal_handler (&self->reachable_id, self->client);

  g_set_object (&self->client, client);

  if (client != NULL)
    self->reachable_id = g_signal_connect_object (client, "notify::reachable",
                                                  G_CALLBACK (reachable_changed_cb),
                                                  self, G_CONNECT_SWAPPED);

  lm_jobs_table_set_client (self->all_table, client);
  lm_jobs_table_set_client (self->active_table, client);
  lm_jobs_table_set_client (self->completed_table, client);
  lm_queue_view_set_client (self->queue_view, client);
  lm_job_page_set_client (self->job_page, client);

  lm_banner_set_client (self->banner, client);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-job", client != NULL);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
}

void
lm_window_open_job (LmWindow *self,
                    gint64    id)
{
  g_return_if_fail (LM_IS_WINDOW (self));

  lm_job_page_load (self->job_page, id);
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->job_page));
}

void
lm_window_show_jobs (LmWindow *self)
{
  g_return_if_fail (LM_IS_WINDOW (self));

  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->jobs_page));
}

/* @text is plain text, often the service's: a toast's title is markup. */
void
lm_window_toast (LmWindow   *self,
                 const char *text)
{
  g_autofree char *title = NULL;
  AdwToast *toast;

  g_return_if_fail (LM_IS_WINDOW (self));

  title = g_markup_escape_text (text, -1);
  toast = adw_toast_new (title);
  adw_toast_set_timeout (toast, 3);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

const char *
lm_window_get_tab (LmWindow *self)
{
  g_return_val_if_fail (LM_IS_WINDOW (self), NULL);
  return adw_view_stack_get_visible_child_name (self->view_stack);
}

void
lm_window_set_tab (LmWindow   *self,
                   const char *tab)
{
  g_return_if_fail (LM_IS_WINDOW (self));

  lm_window_show_jobs (self);
  adw_view_stack_set_visible_child_name (self->view_stack, tab);
}

GtkWidget *
lm_window_get_jobs_table (LmWindow   *self,
                          const char *tab)
{
  g_return_val_if_fail (LM_IS_WINDOW (self), NULL);

  if (g_strcmp0 (tab, "active") == 0)
    return GTK_WIDGET (self->active_table);
  if (g_strcmp0 (tab, "completed") == 0)
    return GTK_WIDGET (self->completed_table);
  return GTK_WIDGET (self->all_table);
}

GtkWidget *
lm_window_get_queue_view (LmWindow *self)
{
  g_return_val_if_fail (LM_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->queue_view);
}

GtkWidget *
lm_window_get_job_page (LmWindow *self)
{
  g_return_val_if_fail (LM_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->job_page);
}

GtkWidget *
lm_window_get_banner (LmWindow *self)
{
  g_return_val_if_fail (LM_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->banner);
}

const char *
lm_window_get_queue_title (LmWindow *self)
{
  g_return_val_if_fail (LM_IS_WINDOW (self), NULL);
  return adw_view_stack_page_get_title (self->queue_page);
}

const char *
lm_window_get_visible_page (LmWindow *self)
{
  g_return_val_if_fail (LM_IS_WINDOW (self), NULL);

  return adw_leaflet_get_visible_child (self->leaflet) == GTK_WIDGET (self->job_page) ? "job" : "jobs";
}

/* GTK 4.8 has no gtk_accessible_announce(): an alert that appears is what
 * screen readers speak, so the hidden announcer is shown anew each time. */
void
lm_window_announce (LmWindow   *self,
                    const char *text)
{
  g_return_if_fail (LM_IS_WINDOW (self));
  g_return_if_fail (text != NULL);

  gtk_widget_set_visible (GTK_WIDGET (self->announcer), FALSE);
  gtk_label_set_label (self->announcer, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->announcer),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                  -1);
  gtk_widget_set_visible (GTK_WIDGET (self->announcer), TRUE);
}

const char *
lm_window_get_announcement (LmWindow *self)
{
  g_return_val_if_fail (LM_IS_WINDOW (self), NULL);

  return gtk_widget_get_visible (GTK_WIDGET (self->announcer))
           ? gtk_label_get_label (self->announcer) : NULL;
}
