/* lm-banner.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "lm-banner.h"

struct _LmBanner
{
  GtkWidget    parent_instance;

  GtkRevealer *revealer;
  GtkLabel    *label;
  GtkButton   *button;

  LmClient    *client;
  gulong       reachable_id;
  guint        tick_id;
};

G_DEFINE_FINAL_TYPE (LmBanner, lm_banner, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_BUTTON_LABEL,
  PROP_ACTION_NAME,
  PROP_REVEALED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
lm_banner_dispose (GObject *object)
{
  LmBanner *self = LM_BANNER (object);
  GtkWidget *child;

  lm_banner_set_client (self, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (object), LM_TYPE_BANNER);

  /* Only bound children are cleared by the template; the root goes here. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (lm_banner_parent_class)->dispose (object);
}

static void
lm_banner_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  LmBanner *self = LM_BANNER (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, gtk_label_get_label (self->label));
      break;
    case PROP_BUTTON_LABEL:
      g_value_set_string (value, gtk_button_get_label (self->button));
      break;
    case PROP_ACTION_NAME:
      g_value_set_string (value, gtk_actionable_get_action_name (GTK_ACTIONABLE (self->button)));
      break;
    case PROP_REVEALED:
      g_value_set_boolean (value, gtk_revealer_get_reveal_child (self->revealer));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_banner_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  LmBanner *self = LM_BANNER (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      lm_banner_set_title (self, g_value_get_string (value));
      break;
    case PROP_BUTTON_LABEL:
      gtk_button_set_label (self->button, g_value_get_string (value));
      gtk_widget_set_visible (GTK_WIDGET (self->button), g_value_get_string (value) != NULL);
      break;
    case PROP_ACTION_NAME:
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->button), g_value_get_string (value));
      break;
    case PROP_REVEALED:
      lm_banner_set_revealed (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_banner_class_init (LmBannerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_banner_dispose;
  object_class->get_property = lm_banner_get_property;
  object_class->set_property = lm_banner_set_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUTTON_LABEL] =
    g_param_spec_string ("button-label", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACTION_NAME] =
    g_param_spec_string ("action-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REVEALED] =
    g_param_spec_boolean ("revealed", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-banner.ui");
  gtk_widget_class_bind_template_child (widget_class, LmBanner, revealer);
  gtk_widget_class_bind_template_child (widget_class, LmBanner, label);
  gtk_widget_class_bind_template_child (widget_class, LmBanner, button);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "lmbanner");
}

static void
lm_banner_init (LmBanner *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
lm_banner_set_title (LmBanner   *self,
                     const char *title)
{
  g_return_if_fail (LM_IS_BANNER (self));

  if (g_strcmp0 (title, gtk_label_get_label (self->label)) == 0)
    return;

  gtk_label_set_label (self->label, title);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

const char *
lm_banner_get_title (LmBanner *self)
{
  g_return_val_if_fail (LM_IS_BANNER (self), NULL);
  return gtk_label_get_label (self->label);
}

void
lm_banner_set_revealed (LmBanner *self,
                        gboolean  revealed)
{
  g_return_if_fail (LM_IS_BANNER (self));

  if (gtk_revealer_get_reveal_child (self->revealer) == !!revealed)
    return;

  gtk_revealer_set_reveal_child (self->revealer, revealed);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVEALED]);
}

gboolean
lm_banner_get_revealed (LmBanner *self)
{
  g_return_val_if_fail (LM_IS_BANNER (self), FALSE);
  return gtk_revealer_get_reveal_child (self->revealer);
}

static gboolean
tick_cb (gpointer data)
{
  LmBanner *self = data;
  gint64 left = (lm_client_get_retry_at (self->client) - g_get_monotonic_time () + G_USEC_PER_SEC - 1)
                / G_USEC_PER_SEC;
  g_autofree char *title = NULL;

  if (left > 0)
    /* Translators: shown while the job service is unreachable */
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "Can't reach the job service at %s, retrying in %d s",
                                          "Can't reach the job service at %s, retrying in %d s",
                                          (gulong) left),
                             lm_client_get_base_url (self->client), (int) left);
  else
    title = g_strdup_printf (_("Can't reach the job service at %s, retrying now…"),
                             lm_client_get_base_url (self->client));

  lm_banner_set_title (self, title);
  return G_SOURCE_CONTINUE;
}

static void
reachable_changed_cb (LmBanner *self)
{
  gboolean reachable = lm_client_get_reachable (self->client);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (!reachable)
    {
      tick_cb (self);
      self->tick_id = g_timeout_add_seconds (1, tick_cb, self);
    }

  lm_banner_set_revealed (self, !reachable);
}

void
lm_banner_set_client (LmBanner *self,
                      LmClient *client)
{
  g_return_if_fail (LM_IS_BANNER (self));

  if (self->client == client)
    return;

  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->client != NULL)
    g_clear_signal_handler (&self->reachable_id, self->client);

  g_set_object (&self->client, client);

  if (client != NULL)
    {
      self->reachable_id = g_signal_connect_object (client, "notify::reachable",
                                                    G_CALLBACK (reachable_changed_cb),
                                                    self, G_CONNECT_SWAPPED);
      reachable_changed_cb (self);
    }
  else
    lm_banner_set_revealed (self, FALSE);
}
