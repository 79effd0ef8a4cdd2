/* lm-event-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The summary line (time, type badge, message, chevron) is always shown;
 * the payload sits in a revealer below it and is only turned into markup
 * the first time it is shown, so a page of 50 rows costs 50 labels, not 50
 * syntax-coloured documents. A row that arrived through polling slides in
 * when it is first mapped and keeps a highlight for two seconds from the
 * moment it can be seen.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "lp-format.h"
#include "lp-json.h"
#include "lm-a11y.h"
#include "lm-event-row.h"
#include "lm-toast.h"

struct _LmEventRow
{
  GtkListBoxRow  parent_instance;

  /* template widgets */
  GtkRevealer   *arrival_revealer;
  GtkLabel      *time_label;
  GtkBox        *badge;
  GtkImage      *type_icon;
  GtkLabel      *type_label;
  GtkLabel      *message_label;
  GtkButton     *expander_button;
  GtkImage      *expander_icon;
  GtkRevealer   *details_revealer;
  GtkLabel      *json_label;
  GtkButton     *copy_button;

  LpEvent       *event;
  char          *time_text;
  char          *json;            /* pretty payload, what Copy JSON copies */
  guint          highlight_id;
  guint          expanded : 1;
  guint          markup_done : 1;
  guint          arriving : 1;    /* slide in when next mapped */
  guint          unseen : 1;      /* highlighted until seen, then 2 s */
};

G_DEFINE_FINAL_TYPE (LmEventRow, lm_event_row, GTK_TYPE_LIST_BOX_ROW)

enum {
  PROP_0,
  PROP_EVENT,
  PROP_EXPANDED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const struct {
  const char *css_class;
  const char *icon_name;
} type_styles[LP_N_EVENT_TYPES] = {
  /* Stage events are status changes to the reader. */
  [LP_EVENT_STATUS] = { "event-status", "help-about-symbolic" },
  [LP_EVENT_STAGE] = { "event-status", "help-about-symbolic" },
  [LP_EVENT_METRICS] = { "event-metrics", "x-office-presentation-symbolic" },
  [LP_EVENT_WARNING] = { "event-warning", "dialog-warning-symbolic" },
  [LP_EVENT_ERROR] = { "event-error", "process-stop-symbolic" },
  [LP_EVENT_CHECKPOINT] = { "event-checkpoint", "document-save-symbolic" },
};

/* JSON colouring */

typedef enum {
  TOKEN_KEY,
  TOKEN_STRING,
  TOKEN_NUMBER,
  TOKEN_BOOLEAN,
  TOKEN_NULL,
  N_TOKENS
} TokenKind;

/* Pango markup cannot use the theme's named colours, so there is one
 * palette per style: the GNOME palette's darker shades on light
 * backgrounds, its lighter ones on dark, each readable on the details'
 * background in its style. */
static const char *palette[2][N_TOKENS] = {
  /* light */
  { "#1c71d8", "#26a269", "#c64600", "#813d9c", "#77767b" },
  /* dark */
  { "#99c1f1", "#8ff0a4", "#ffbe6f", "#dc8add", "#9a9996" },
};

static void
append_escaped (GString    *out,
                const char *text,
                gssize      len)
{
  g_autofree char *escaped = g_markup_escape_text (text, len);

  g_string_append (out, escaped);
}

static void
append_token (GString    *out,
              const char *color,
              const char *text,
              gssize      len)
{
  g_string_append_printf (out, "<span foreground=\"%s\">", color);
  append_escaped (out, text, len);
  g_string_append (out, "</span>");
}

/* Colours a JSON text without changing a character of it, so what a
 * selection copies out of the label is the same JSON Copy JSON gives.
 * Works on any text: what is not recognised passes through escaped. */
char *
lm_event_json_markup (const char *json,
                      gboolean    dark)
{
  const char * const *colors = palette[dark ? 1 : 0];
  GString *out;
  const char *p;

  g_return_val_if_fail (json != NULL, NULL);

  out = g_string_sized_new (strlen (json) * 2);
  p = json;

  while (*p)
    {
      const char *start = p;

      if (*p == '"')
        {
          const char *after;

          for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && p[1] != '\0')
              p++;
          if (*p == '"')
            p++;

          /* A string followed by a colon is an object's key. */
          for (after = p; *after == ' ' || *after == '\n' || *after == '\t' || *after == '\r'; after++)
            ;
          append_token (out, colors[*after == ':' ? TOKEN_KEY : TOKEN_STRING], start, p - start);
        }
      else if (*p == '-' || g_ascii_isdigit (*p))
        {
          for (p++; *p && (g_ascii_isalnum (*p) || *p == '.' || *p == '+' || *p == '-'); p++)
            ;
          append_token (out, colors[TOKEN_NUMBER], start, p - start);
        }
      else if (g_str_has_prefix (p, "true") || g_str_has_prefix (p, "false"))
        {
          p += *p == 't' ? 4 : 5;
          append_token (out, colors[TOKEN_BOOLEAN], start, p - start);
        }
      else if (g_str_has_prefix (p, "null"))
        {
          p += 4;
          append_token (out, colors[TOKEN_NULL], start, p - start);
        }
      else
        {
          /* Punctuation and white space, up to the next token. */
          for (p++; *p && *p != '"' && *p != '-' && !g_ascii_isdigit (*p) &&
                    *p != 't' && *p != 'f' && *p != 'n'; p++)
            ;
          append_escaped (out, start, p - start);
        }
    }

  return g_string_free (out, FALSE);
}

static void
update_markup (LmEventRow *self)
{
  g_autofree char *markup = NULL;

  if (!self->markup_done)
    return;

  markup = lm_event_json_markup (self->json, adw_style_manager_get_dark (adw_style_manager_get_default ()));
  gtk_label_set_markup (self->json_label, markup);
}

/* Expanding */

static void
update_expanded (LmEventRow *self)
{
  gtk_image_set_from_icon_name (self->expander_icon,
                                self->expanded ? "pan-down-symbolic" : "pan-end-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->expander_button),
                               self->expanded ? _("Hide details") : _("Show details"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->expander_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->expanded ? _("Hide details") : _("Show details"),
                                  -1);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->expander_button),
                               GTK_ACCESSIBLE_STATE_EXPANDED, self->expanded,
                               -1);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self),
                               GTK_ACCESSIBLE_STATE_EXPANDED, self->expanded,
                               -1);

  if (self->expanded)
    gtk_widget_add_css_class (GTK_WIDGET (self), "expanded");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "expanded");

  gtk_revealer_set_reveal_child (self->details_revealer, self->expanded);
}

void
lm_event_row_set_expanded (LmEventRow *self,
                           gboolean    expanded)
{
  g_return_if_fail (LM_IS_EVENT_ROW (self));

  expanded = !!expanded;
  if (self->expanded == expanded)
    return;

  self->expanded = expanded;
  if (expanded && !self->markup_done)
    {
      self->markup_done = TRUE;
      update_markup (self);
    }
  update_expanded (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPANDED]);
}

void
lm_event_row_toggle (LmEventRow *self)
{
  g_return_if_fail (LM_IS_EVENT_ROW (self));

  lm_event_row_set_expanded (self, !self->expanded);
}

static void
expander_clicked_cb (LmEventRow *self)
{
  lm_event_row_toggle (self);
}

/* A click in the payload is for selecting text, not for collapsing it
 * again: the details keep the press from the list box, except on the
 * button, whose own gesture must not be denied. */
static void
details_pressed_cb (LmEventRow      *self,
                    int              n_press,
                    double           x,
                    double           y,
                    GtkGestureClick *gesture)
{
  GtkWidget *details = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));
  GtkWidget *target = gtk_widget_pick (details, x, y, GTK_PICK_DEFAULT);

  if (target != NULL && (target == GTK_WIDGET (self->copy_button) ||
                         gtk_widget_is_ancestor (target, GTK_WIDGET (self->copy_button))))
    return;

  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
copy_json_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  LmEventRow *self = LM_EVENT_ROW (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->json);
  lm_toast_show (widget, _("Copied!"), 2);
}

/* Arrival */

static gboolean
highlight_done_cb (gpointer data)
{
  LmEventRow *self = data;

  self->highlight_id = 0;
  gtk_widget_remove_css_class (GTK_WIDGET (self), "new-event");
  return G_SOURCE_REMOVE;
}

void
lm_event_row_arrive (LmEventRow *self,
                     gboolean    watched)
{
  g_return_if_fail (LM_IS_EVENT_ROW (self));

  /* Collapsed at once, revealed (with the slide) when the list maps it. */
  gtk_revealer_set_transition_type (self->arrival_revealer, GTK_REVEALER_TRANSITION_TYPE_NONE);
  gtk_revealer_set_reveal_child (self->arrival_revealer, FALSE);
  gtk_revealer_set_transition_type (self->arrival_revealer, GTK_REVEALER_TRANSITION_TYPE_SLIDE_DOWN);
  self->arriving = TRUE;

  gtk_widget_add_css_class (GTK_WIDGET (self), "new-event");
  self->unseen = TRUE;
  if (watched)
    lm_event_row_seen (self);
}

/* The highlight is for the eye: it lasts two seconds from when it can be
 * seen, not from when the row arrived on a hidden tab. */
void
lm_event_row_seen (LmEventRow *self)
{
  g_return_if_fail (LM_IS_EVENT_ROW (self));

  if (!self->unseen)
    return;

  self->unseen = FALSE;
  g_clear_handle_id (&self->highlight_id, g_source_remove);
  self->highlight_id = g_timeout_add (LM_EVENT_ROW_HIGHLIGHT_MS, highlight_done_cb, self);
}

gboolean
lm_event_row_get_highlighted (LmEventRow *self)
{
  g_return_val_if_fail (LM_IS_EVENT_ROW (self), FALSE);
  return gtk_widget_has_css_class (GTK_WIDGET (self), "new-event");
}

/* Contents */

static void
set_event (LmEventRow *self,
           LpEvent    *event)
{
  LpEventType type = lp_event_get_event_type (event);
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (lp_event_get_ts (event) / G_USEC_PER_SEC);
  g_autofree char *full = lp_format_datetime_full (when);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), lp_event_get_payload (event));
  g_autofree char *label = NULL;
  const char *message = lp_event_get_message (event);

  g_set_object (&self->event, event);

  self->time_text = lp_format_time_of_day (when);
  gtk_label_set_label (self->time_label, self->time_text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->time_label), full);

  gtk_widget_add_css_class (GTK_WIDGET (self->badge), type_styles[type].css_class);
  gtk_image_set_from_icon_name (self->type_icon, type_styles[type].icon_name);
  gtk_label_set_label (self->type_label, lp_event_type_label (type));

  gtk_label_set_label (self->message_label, message);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->message_label), message);

  self->json = lp_json_to_string (node, TRUE);

  label = lm_event_row_dup_label (self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  lm_a11y_name_list_row (GTK_WIDGET (self), label);
}

static void
lm_event_row_map (GtkWidget *widget)
{
  LmEventRow *self = LM_EVENT_ROW (widget);

  GTK_WIDGET_CLASS (lm_event_row_parent_class)->map (widget);

  /* Only a mapped revealer animates; this is the first moment it is. */
  if (self->arriving)
    {
      self->arriving = FALSE;
      gtk_revealer_set_reveal_child (self->arrival_revealer, TRUE);
    }
}

static void
lm_event_row_dispose (GObject *object)
{
  LmEventRow *self = (LmEventRow *) object;

  g_clear_handle_id (&self->highlight_id, g_source_remove);

  /* No gtk_widget_dispose_template(): the template's root is the row's
   * child, which GtkListBoxRow unparents itself. */

  G_OBJECT_CLASS (lm_event_row_parent_class)->dispose (object);
}

static void
lm_event_row_finalize (GObject *object)
{
  LmEventRow *self = (LmEventRow *) object;

  g_clear_object (&self->event);
  g_clear_pointer (&self->time_text, g_free);
  g_clear_pointer (&self->json, g_free);

  G_OBJECT_CLASS (lm_event_row_parent_class)->finalize (object);
}

static void
lm_event_row_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  LmEventRow *self = LM_EVENT_ROW (object);

  switch (prop_id)
    {
    case PROP_EVENT: g_value_set_object (value, self->event); break;
    case PROP_EXPANDED: g_value_set_boolean (value, self->expanded); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_event_row_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  LmEventRow *self = LM_EVENT_ROW (object);

  switch (prop_id)
    {
    case PROP_EVENT:
      set_event (self, g_value_get_object (value));
      break;
    case PROP_EXPANDED:
      lm_event_row_set_expanded (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_event_row_class_init (LmEventRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_event_row_dispose;
  object_class->finalize = lm_event_row_finalize;
  object_class->get_property = lm_event_row_get_property;
  object_class->set_property = lm_event_row_set_property;

  widget_class->map = lm_event_row_map;

  properties[PROP_EVENT] =
    g_param_spec_object ("event", NULL, NULL, LP_TYPE_EVENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_EXPANDED] =
    g_param_spec_boolean ("expanded", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-event-row.ui");
  gtk_widget_class_bind_template_child (widget_class, LmEventRow, arrival_revealer);
  gtk_widget_class_bind_template_child (widget_class, LmEventRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, LmEventRow, badge);
  gtk_widget_class_bind_template_child (widget_class, LmEventRow, type_icon);
  gtk_widget_class_bind_template_child (widget_class, LmEventRow, type_label);
  gtk_widget_class_bind_template_child (widget_class, LmEventRow, message_label);
  gtk_widget_class_bind_template_child (widget_class, LmEventRow, expander_button);
  gtk_widget_class_bind_template_child (widget_class, LmEventRow, expander_icon);
  gtk_widget_class_bind_template_child (widget_class, LmEventRow, details_revealer);
  gtk_widget_class_bind_template_child (widget_class, LmEventRow, json_label);
  gtk_widget_class_bind_template_child (widget_class, LmEventRow, copy_button);
  gtk_widget_class_bind_template_callback (widget_class, expander_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, details_pressed_cb);

  gtk_widget_class_install_action (widget_class, "row.copy-json", NULL, copy_json_action);

  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_ROW);
}

static void
lm_event_row_init (LmEventRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  lm_a11y_fix_names (GTK_WIDGET (self));

  /* Colours follow the style; the markup is redone when it changes. */
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (update_markup), self, G_CONNECT_SWAPPED);

  update_expanded (self);
}

GtkWidget *
lm_event_row_new (LpEvent *event)
{
  g_return_val_if_fail (LP_IS_EVENT (event), NULL);

  return g_object_new (LM_TYPE_EVENT_ROW, "event", event, NULL);
}

LpEvent *
lm_event_row_get_event (LmEventRow *self)
{
  g_return_val_if_fail (LM_IS_EVENT_ROW (self), NULL);
  return self->event;
}

gboolean
lm_event_row_get_expanded (LmEventRow *self)
{
  g_return_val_if_fail (LM_IS_EVENT_ROW (self), FALSE);
  return self->expanded;
}

const char *
lm_event_row_get_json (LmEventRow *self)
{
  g_return_val_if_fail (LM_IS_EVENT_ROW (self), NULL);
  return self->json;
}

const char *
lm_event_row_get_time_text (LmEventRow *self)
{
  g_return_val_if_fail (LM_IS_EVENT_ROW (self), NULL);
  return self->time_text;
}

const char *
lm_event_row_get_type_text (LmEventRow *self)
{
  g_return_val_if_fail (LM_IS_EVENT_ROW (self), NULL);
  return gtk_label_get_label (self->type_label);
}

/* What a screen reader says for the row: type, time and message. */
char *
lm_event_row_dup_label (LmEventRow *self)
{
  g_return_val_if_fail (LM_IS_EVENT_ROW (self), NULL);

  if (self->event == NULL)
    return g_strdup ("");

  /* Translators: an event log row read aloud: type, time, message */
  return g_strdup_printf (_("%s, %s, %s"),
                          lp_event_type_label (lp_event_get_event_type (self->event)),
                          self->time_text,
                          lp_event_get_message (self->event));
}
