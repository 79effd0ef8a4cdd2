/* lm-preferences-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "lm-client.h"
#include "lm-preferences-window.h"
#include "lm-token-store.h"

struct _LmPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  AdwEntryRow          *url_row;
  AdwPasswordEntryRow  *token_row;
  AdwActionRow         *test_row;
  GtkSpinner           *test_spinner;
  GtkSwitch            *background_switch;

  GSettings            *settings;
  LmClient             *test_client;
  GCancellable         *cancellable;
};

G_DEFINE_FINAL_TYPE (LmPreferencesWindow, lm_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static char *
entered_url (LmPreferencesWindow *self)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_row))));
}

static void
update_sensitivity (LmPreferencesWindow *self)
{
  g_autofree char *url = entered_url (self);

  /* The built-in service issues its own token. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->token_row), url[0] != '\0');
}

/* Through the application itself: this window may be closed by the time
 * the keyring has stored the token. */
static void
reconnect (void)
{
  GApplication *app = g_application_get_default ();

  if (app != NULL)
    g_action_group_activate_action (G_ACTION_GROUP (app), "reconnect", NULL);
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(LmPreferencesWindow) self = user_data;

  lm_token_store_save_finish (result, NULL);
  reconnect ();
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (_("Connecting to the job service…")));
}

static void
apply_cb (LmPreferencesWindow *self)
{
  g_autofree char *url = entered_url (self);

  if (url[0] != '\0' && !g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://"))
    {
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                        adw_toast_new (_("The address must start with http:// or https://")));
      gtk_widget_add_css_class (GTK_WIDGET (self->url_row), "error");
      return;
    }

  gtk_widget_remove_css_class (GTK_WIDGET (self->url_row), "error");
  g_settings_set_string (self->settings, "service-url", url);
  update_sensitivity (self);

  if (url[0] == '\0')
    {
      reconnect ();
      return;
    }

  lm_token_store_save_async (url, gtk_editable_get_text (GTK_EDITABLE (self->token_row)),
                             NULL, saved_cb, g_object_ref (self));
}

static void
test_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LmPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *user = lm_client_get_me_finish (LM_CLIENT (object), result, &error);
  g_autofree char *text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  gtk_spinner_stop (self->test_spinner);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.test-connection", TRUE);

  if (user != NULL)
    text = g_strdup_printf (_("Connected as %s"), user);
  else if (g_error_matches (error, LM_CLIENT_ERROR, LM_CLIENT_ERROR_UNAUTHORIZED))
    text = g_strdup (_("The service refused this token"));
  else
    text = g_strdup (error->message);

  adw_action_row_set_subtitle (self->test_row, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->test_row),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
}

static void
test_connection_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  LmPreferencesWindow *self = LM_PREFERENCES_WINDOW (widget);
  g_autofree char *url = entered_url (self);

  if (url[0] == '\0')
    {
      adw_action_row_set_subtitle (self->test_row, _("The built-in service runs inside the app"));
      return;
    }

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  g_clear_object (&self->test_client);
  self->test_client = lm_client_new (url, gtk_editable_get_text (GTK_EDITABLE (self->token_row)));

  gtk_spinner_start (self->test_spinner);
  gtk_widget_action_set_enabled (widget, "prefs.test-connection", FALSE);
  adw_action_row_set_subtitle (self->test_row, _("Testing…"));
  lm_client_get_me_async (self->test_client, self->cancellable, test_cb, g_object_ref (self));
}

static void
token_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(LmPreferencesWindow) self = user_data;
  g_autofree char *token = lm_token_store_lookup_finish (result, NULL);

  /* Never over what the user has typed meanwhile. */
  if (token != NULL && gtk_editable_get_text (GTK_EDITABLE (self->token_row))[0] == '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->token_row), token);
}

static void
lm_preferences_window_dispose (GObject *object)
{
  LmPreferencesWindow *self = (LmPreferencesWindow *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->test_client);
  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (self), LM_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (lm_preferences_window_parent_class)->dispose (object);
}

static void
lm_preferences_window_class_init (LmPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LmPreferencesWindow, url_row);
  gtk_widget_class_bind_template_child (widget_class, LmPreferencesWindow, token_row);
  gtk_widget_class_bind_template_child (widget_class, LmPreferencesWindow, test_row);
  gtk_widget_class_bind_template_child (widget_class, LmPreferencesWindow, test_spinner);
  gtk_widget_class_bind_template_child (widget_class, LmPreferencesWindow, background_switch);
  gtk_widget_class_bind_template_callback (widget_class, apply_cb);

  gtk_widget_class_install_action (widget_class, "prefs.test-connection", NULL, test_connection_action);
}

static void
lm_preferences_window_init (LmPreferencesWindow *self)
{
  g_autofree char *url = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  g_settings_bind (self->settings, "run-in-background", self->background_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);

  url = g_settings_get_string (self->settings, "service-url");
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), url);
  update_sensitivity (self);

  if (url[0] != '\0')
    lm_token_store_lookup_async (url, NULL, token_loaded_cb, g_object_ref (self));
}

GtkWidget *
lm_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (LM_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
}
