/* lp-event.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lp-event.h"
#include "lp-json.h"

struct _LpEvent
{
  GObject      parent_instance;
  gint64       id;
  gint64       ts;
  LpEventType  type;
  char        *message;
  JsonObject  *payload;
};

G_DEFINE_FINAL_TYPE (LpEvent, lp_event, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_TS,
  PROP_EVENT_TYPE,
  PROP_MESSAGE,
  PROP_PAYLOAD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
lp_event_finalize (GObject *object)
{
  LpEvent *self = (LpEvent *) object;

  g_clear_pointer (&self->message, g_free);
  g_clear_pointer (&self->payload, json_object_unref);

  G_OBJECT_CLASS (lp_event_parent_class)->finalize (object);
}

static void
lp_event_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  LpEvent *self = LP_EVENT (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_int64 (value, self->id); break;
    case PROP_TS: g_value_set_int64 (value, self->ts); break;
    case PROP_EVENT_TYPE: g_value_set_uint (value, self->type); break;
    case PROP_MESSAGE: g_value_set_string (value, self->message); break;
    case PROP_PAYLOAD: g_value_set_boxed (value, self->payload); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lp_event_class_init (LpEventClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = lp_event_finalize;
  object_class->get_property = lp_event_get_property;

  /* Events never change once recorded, so every property is read-only. */
  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TS] =
    g_param_spec_int64 ("ts", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_EVENT_TYPE] =
    g_param_spec_uint ("event-type", NULL, NULL, 0, LP_N_EVENT_TYPES - 1, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAYLOAD] =
    g_param_spec_boxed ("payload", NULL, NULL, JSON_TYPE_OBJECT,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lp_event_init (LpEvent *self)
{
}

LpEvent *
lp_event_new (gint64       id,
              gint64       ts,
              LpEventType  type,
              const char  *message,
              JsonObject  *payload)
{
  LpEvent *self = g_object_new (LP_TYPE_EVENT, NULL);

  self->id = id;
  self->ts = ts;
  self->type = type;
  self->message = g_strdup (message ? message : "");
  self->payload = payload ? json_object_ref (payload) : json_object_new ();

  return self;
}

LpEvent *
lp_event_new_from_json (JsonObject  *object,
                        GError     **error)
{
  gint64 id = 0, ts = 0;
  const char *type_str = NULL, *message = NULL;
  JsonObject *payload = NULL;
  LpEventType type;

  if (!lp_json_get_int_range (object, "id", TRUE, 0, G_MAXINT64, &id, error) ||
      !lp_json_get_time (object, "ts", TRUE, &ts, error) ||
      !lp_json_get_string (object, "type", TRUE, &type_str, error) ||
      !lp_json_get_string (object, "message", FALSE, &message, error) ||
      !lp_json_get_object (object, "payload", FALSE, &payload, error))
    return NULL;

  if (!lp_event_type_from_string (type_str, &type))
    {
      g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                   _("“%s” is not an event type"), type_str);
      return NULL;
    }

  return lp_event_new (id, ts, type, message, payload);
}

void
lp_event_to_json (LpEvent     *self,
                  JsonBuilder *builder)
{
  g_autoptr(JsonNode) payload = NULL;

  g_return_if_fail (LP_IS_EVENT (self));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, self->id);
  lp_json_add_time (builder, "ts", self->ts);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, lp_event_type_to_string (self->type));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, self->message);
  json_builder_set_member_name (builder, "payload");
  payload = json_node_init_object (json_node_alloc (), self->payload);
  json_builder_add_value (builder, g_steal_pointer (&payload));
  json_builder_end_object (builder);
}

gint64
lp_event_get_id (LpEvent *self)
{
  g_return_val_if_fail (LP_IS_EVENT (self), 0);
  return self->id;
}

gint64
lp_event_get_ts (LpEvent *self)
{
  g_return_val_if_fail (LP_IS_EVENT (self), 0);
  return self->ts;
}

LpEventType
lp_event_get_event_type (LpEvent *self)
{
  g_return_val_if_fail (LP_IS_EVENT (self), 0);
  return self->type;
}

const char *
lp_event_get_message (LpEvent *self)
{
  g_return_val_if_fail (LP_IS_EVENT (self), NULL);
  return self->message;
}

JsonObject *
lp_event_get_payload (LpEvent *self)
{
  g_return_val_if_fail (LP_IS_EVENT (self), NULL);
  return self->payload;
}
