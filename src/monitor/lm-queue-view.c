/* lm-queue-view.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The queue polls even while its tab is hidden: the tab's title carries
 * the number of waiting jobs, which must stay true on every tab.
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>
#include <adwaita.h>

#include "lm-queue-card.h"
#include "lm-queue-view.h"

struct _LmQueueView
{
  GtkWidget      parent_instance;

  GtkLabel      *slots_title;
  GtkBox        *slots_box;
  GtkBox        *elsewhere_box;
  GtkLabel      *elsewhere_title;
  GtkListBox    *elsewhere_list;
  GtkStack      *stack;
  GtkListBox    *cards;
  AdwStatusPage *error_page;

  LmClient      *client;
  GCancellable  *cancellable;
  gulong         reconnected_id;
  guint          poll_id;
  guint          n_queued;
  guint          loaded : 1;
};

G_DEFINE_FINAL_TYPE (LmQueueView, lm_queue_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_N_QUEUED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
clear_box (GtkWidget *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (box)))
    {
      if (GTK_IS_BOX (box))
        gtk_box_remove (GTK_BOX (box), child);
      else
        gtk_list_box_remove (GTK_LIST_BOX (box), child);
    }
}

static GtkWidget *
slot_widget (const LpQueueSlot *slot)
{
  GtkWidget *widget;
  g_autofree char *text = NULL;

  if (slot == NULL)
    {
      widget = gtk_label_new (_("Available"));
      gtk_widget_add_css_class (widget, "slot");
      gtk_widget_add_css_class (widget, "slot-available");
      return widget;
    }

  /* Translators: a busy training slot, e.g. "Job A - 42%" */
  text = g_strdup_printf (_("%s - %d%%"), slot->name,
                          /* Clamped before the cast: the service's number may be anything. */
                          isfinite (slot->progress) ? (int) floor (CLAMP (slot->progress, 0, 100)) : 0);
  widget = gtk_button_new_with_label (text);
  gtk_label_set_ellipsize (GTK_LABEL (gtk_button_get_child (GTK_BUTTON (widget))), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_tooltip_text (widget, text);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (widget), g_variant_new_int64 (slot->id));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (widget), "win.open-job");
  gtk_widget_add_css_class (widget, "slot");
  gtk_widget_add_css_class (widget, "slot-filled");

  return widget;
}

/* A job in a cluster's own queue: where it stands there, in the words of
 * its provider ("Waiting in Slurm: Resources"), or its status. */
static GtkWidget *
elsewhere_row (const LpQueueSlot *slot)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *subtitle = NULL;
  g_autofree char *escaped_title = g_markup_escape_text (slot->name ? slot->name : "", -1);
  g_autofree char *escaped = NULL;
  GtkWidget *provider;

  if (slot->detail != NULL && *slot->detail != '\0')
    subtitle = g_strdup (slot->detail);
  else
    /* Translators: e.g. "Training - 42%" */
    subtitle = g_strdup_printf (_("%s - %d%%"), lp_job_status_label (slot->status),
                                isfinite (slot->progress) ? (int) floor (CLAMP (slot->progress, 0, 100)) : 0);
  escaped = g_markup_escape_text (subtitle, -1);

  /* The titles are Pango markup: a service's text is shown as it is. */
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), escaped_title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped);
  gtk_widget_set_tooltip_text (row, subtitle);

  provider = gtk_label_new (slot->provider ? slot->provider : "");
  gtk_widget_add_css_class (provider, "dim-label");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), provider);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (row), g_variant_new_int64 (slot->id));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "win.open-job");

  return row;
}

static void
show_elsewhere (LmQueueView *self,
                LpQueue     *queue)
{
  guint n = queue->elsewhere->len;
  g_autofree char *title = NULL;

  /* Translators: jobs a cluster's scheduler (Slurm) runs or holds in its
   * own queue; they take none of the service's slots */
  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                        "On Clusters: %u job",
                                        "On Clusters: %u jobs", n),
                           n);
  gtk_label_set_label (self->elsewhere_title, title);

  clear_box (GTK_WIDGET (self->elsewhere_list));
  for (guint i = 0; i < n; i++)
    gtk_list_box_append (self->elsewhere_list, elsewhere_row (g_ptr_array_index (queue->elsewhere, i)));
  gtk_widget_set_visible (GTK_WIDGET (self->elsewhere_box), n > 0);
}

static void
show_queue (LmQueueView *self,
            LpQueue     *queue)
{
  g_autofree char *title = NULL;
  const char *user = self->client ? lm_client_get_user (self->client) : NULL;
  guint used = queue->running->len;
  /* A service's answer is not trusted to size the window. */
  guint max = (guint) CLAMP (MAX (queue->max_slots, (gint64) used), 0, 1000);

  /* Translators: e.g. "Active Training Jobs: 2 of 3 slots" */
  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                        "Active Training Jobs: %u of %u slot",
                                        "Active Training Jobs: %u of %u slots", max),
                           used, max);
  gtk_label_set_label (self->slots_title, title);

  clear_box (GTK_WIDGET (self->slots_box));
  for (guint i = 0; i < max; i++)
    gtk_box_append (self->slots_box, slot_widget (i < used ? g_ptr_array_index (queue->running, i) : NULL));

  show_elsewhere (self, queue);

  clear_box (GTK_WIDGET (self->cards));
  for (guint i = 0; i < queue->queued->len; i++)
    gtk_list_box_append (self->cards, lm_queue_card_new (g_ptr_array_index (queue->queued, i), user));

  gtk_stack_set_visible_child_name (self->stack, queue->queued->len > 0 ? "cards" : "empty");

  if (self->n_queued != queue->queued->len)
    {
      self->n_queued = queue->queued->len;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_QUEUED]);
    }
}

static gboolean poll_cb (gpointer data);

static void
queue_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  LmQueueView *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpQueue) queue = lm_client_get_queue_finish (LM_CLIENT (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  self->poll_id = g_timeout_add_seconds (LM_QUEUE_POLL_SECONDS, poll_cb, self);

  if (queue == NULL)
    {
      if (!self->loaded || !g_error_matches (error, LM_CLIENT_ERROR, LM_CLIENT_ERROR_UNREACHABLE))
        {
          g_autofree char *description = g_markup_escape_text (error->message, -1);

          /* The description is Pango markup; the service's text is shown as it is. */
          adw_status_page_set_description (self->error_page, description);
          gtk_stack_set_visible_child_name (self->stack, "error");
        }
      return;
    }

  self->loaded = TRUE;
  show_queue (self, queue);
}

void
lm_queue_view_refresh (LmQueueView *self)
{
  g_return_if_fail (LM_IS_QUEUE_VIEW (self));

  if (self->client == NULL)
    return;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  lm_client_get_queue_async (self->client, self->cancellable, queue_cb, self);
}

static gboolean
poll_cb (gpointer data)
{
  LmQueueView *self = data;

  self->poll_id = 0;
  lm_queue_view_refresh (self);
  return G_SOURCE_REMOVE;
}

static void
card_activated_cb (LmQueueView   *self,
                   GtkListBoxRow *row)
{
  GtkWidget *card = gtk_list_box_row_get_child (row);

  /* A card's click offers its actions, as the brief asks. */
  if (LM_IS_QUEUE_CARD (card))
    lm_queue_card_popup_menu (LM_QUEUE_CARD (card));
}

static void
lm_queue_view_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (lm_queue_view_parent_class)->map (widget);
  lm_queue_view_refresh (LM_QUEUE_VIEW (widget));
}

static void
lm_queue_view_dispose (GObject *object)
{
  GtkWidget *child;
  LmQueueView *self = (LmQueueView *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  lm_queue_view_set_client (self, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), LM_TYPE_QUEUE_VIEW);

  /* Only bound children are cleared by the template; the root goes here. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (lm_queue_view_parent_class)->dispose (object);
}

static void
lm_queue_view_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  LmQueueView *self = LM_QUEUE_VIEW (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_N_QUEUED: g_value_set_uint (value, self->n_queued); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_queue_view_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  LmQueueView *self = LM_QUEUE_VIEW (object);

  switch (prop_id)
    {
    case PROP_CLIENT: lm_queue_view_set_client (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_queue_view_class_init (LmQueueViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_queue_view_dispose;
  object_class->get_property = lm_queue_view_get_property;
  object_class->set_property = lm_queue_view_set_property;

  widget_class->map = lm_queue_view_map;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, LM_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_QUEUED] =
    g_param_spec_uint ("n-queued", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-queue-view.ui");
  gtk_widget_class_bind_template_child (widget_class, LmQueueView, slots_title);
  gtk_widget_class_bind_template_child (widget_class, LmQueueView, slots_box);
  gtk_widget_class_bind_template_child (widget_class, LmQueueView, elsewhere_box);
  gtk_widget_class_bind_template_child (widget_class, LmQueueView, elsewhere_title);
  gtk_widget_class_bind_template_child (widget_class, LmQueueView, elsewhere_list);
  gtk_widget_class_bind_template_child (widget_class, LmQueueView, stack);
  gtk_widget_class_bind_template_child (widget_class, LmQueueView, cards);
  gtk_widget_class_bind_template_child (widget_class, LmQueueView, error_page);
  gtk_widget_class_bind_template_callback (widget_class, card_activated_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "queueview");
}

static void
lm_queue_view_init (LmQueueView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
lm_queue_view_set_client (LmQueueView *self,
                          LmClient    *client)
{
  g_return_if_fail (LM_IS_QUEUE_VIEW (self));

  if (self->client == client)
    return;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);

  if (self->client != NULL)
    g_clear_signal_handler (&self->reconnected_id, self->client);

  g_set_object (&self->client, client);

  if (client != NULL)
    {
      self->reconnected_id = g_signal_connect_object (client, "reconnected",
                                                      G_CALLBACK (lm_queue_view_refresh),
                                                      self, G_CONNECT_SWAPPED);
      self->loaded = FALSE;
      gtk_stack_set_visible_child_name (self->stack, "loading");
      lm_queue_view_refresh (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
}

guint
lm_queue_view_get_n_queued (LmQueueView *self)
{
  g_return_val_if_fail (LM_IS_QUEUE_VIEW (self), 0);
  return self->n_queued;
}

const char *
lm_queue_view_get_slots_text (LmQueueView *self)
{
  g_return_val_if_fail (LM_IS_QUEUE_VIEW (self), NULL);
  return gtk_label_get_label (self->slots_title);
}

const char *
lm_queue_view_get_state (LmQueueView *self)
{
  g_return_val_if_fail (LM_IS_QUEUE_VIEW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

GtkListBox *
lm_queue_view_get_cards (LmQueueView *self)
{
  g_return_val_if_fail (LM_IS_QUEUE_VIEW (self), NULL);
  return self->cards;
}

/* The rows of the jobs on clusters; hidden when there are none. */
GtkListBox *
lm_queue_view_get_elsewhere_list (LmQueueView *self)
{
  g_return_val_if_fail (LM_IS_QUEUE_VIEW (self), NULL);
  return self->elsewhere_list;
}

GtkBox *
lm_queue_view_get_slots_box (LmQueueView *self)
{
  g_return_val_if_fail (LM_IS_QUEUE_VIEW (self), NULL);
  return self->slots_box;
}
