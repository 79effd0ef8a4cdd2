/* lp-trainer-event.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "lp-format.h"
#include "lp-json.h"
#include "lp-trainer-event.h"

/* A batch larger than this is a client bug, not a training run. */
#define MAX_BATCH 10000

void
lp_trainer_event_free (LpTrainerEvent *event)
{
  if (event == NULL)
    return;

  g_free (event->event_id);
  g_free (event->message);
  g_clear_pointer (&event->data, json_object_unref);
  g_clear_pointer (&event->raw, json_object_unref);
  g_free (event->substatus);
  g_free (event->error);
  g_free (event);
}

static gboolean
range_error (GError     **error,
             const char  *member,
             const char  *what)
{
  g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE,
               /* Translators: e.g. “step” must be 0 or more */
               _("“%s” must be %s"), member, what);
  return FALSE;
}

/* Python's json module writes NaN and Infinity as bare words, which are not
 * JSON; reporters send them as strings or null instead, and a NaN loss is
 * exactly what the service must be told about. */
static gboolean
get_metric (LpTrainerEvent  *event,
            LpSeries         series,
            double          *value,
            GError         **error)
{
  const char *member = lp_series_to_string (series);
  JsonNode *node = json_object_get_member (event->data, member);

  *value = NAN;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  event->metrics_present |= 1u << series;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    {
      const char *str = json_node_get_string (node);

      if (g_ascii_strcasecmp (str, "nan") == 0)
        *value = NAN;
      else if (g_ascii_strcasecmp (str, "infinity") == 0 || g_ascii_strcasecmp (str, "inf") == 0)
        *value = INFINITY;
      else if (g_ascii_strcasecmp (str, "-infinity") == 0 || g_ascii_strcasecmp (str, "-inf") == 0)
        *value = -INFINITY;
      else
        return range_error (error, member, _("a number, null, or “NaN”"));
      return TRUE;
    }

  return lp_json_get_double (event->data, member, FALSE, value, error);
}

static gboolean
dup_short_string (JsonObject  *object,
                  const char  *member,
                  gboolean     required,
                  gsize        max_chars,
                  char       **out,
                  GError     **error)
{
  const char *str = NULL;

  if (!lp_json_get_string (object, member, required, &str, error))
    return FALSE;

  if (str != NULL && g_utf8_strlen (str, -1) > (glong) max_chars)
    {
      g_autofree char *what = g_strdup_printf (_("at most %zu characters"), max_chars);
      return range_error (error, member, what);
    }

  *out = g_strdup (str);
  return TRUE;
}

static gboolean
decode_data (LpTrainerEvent  *event,
             GError         **error)
{
  JsonObject *data = event->data;
  const char *str = NULL;

  switch (event->type)
    {
    case LP_EVENT_METRICS:
      if (!lp_json_get_int_range (data, "step", TRUE, 0, LP_STEP_MAX, &event->step, error) ||
          !lp_json_get_double_range (data, "epoch", FALSE, 0, LP_EPOCH_MAX, &event->epoch, error) ||
          !get_metric (event, LP_SERIES_TRAIN_LOSS, &event->train_loss, error) ||
          !get_metric (event, LP_SERIES_VAL_LOSS, &event->val_loss, error) ||
          !get_metric (event, LP_SERIES_LEARNING_RATE, &event->learning_rate, error) ||
          !get_metric (event, LP_SERIES_GPU_UTIL, &event->gpu_util, error))
        return FALSE;
      if ((event->metrics_present & (1u << LP_SERIES_GPU_UTIL)) &&
          !(event->gpu_util >= 0 && event->gpu_util <= 100))
        return range_error (error, "gpu_util", _("a percentage from 0 to 100"));
      return TRUE;

    case LP_EVENT_STAGE:
      if (!lp_json_get_string (data, "stage", TRUE, &str, error))
        return FALSE;
      if (!lp_stage_kind_from_string (str, &event->stage))
        return range_error (error, "stage",
                            _("one of preprocessing, model_loading, training, finalization"));
      str = NULL;
      if (!lp_json_get_string (data, "status", TRUE, &str, error))
        return FALSE;
      if (!lp_stage_status_from_string (str, &event->stage_status))
        return range_error (error, "status", _("one of pending, active, completed, failed"));
      return dup_short_string (data, "substatus", FALSE, 500, &event->substatus, error) &&
             dup_short_string (data, "error", FALSE, LP_MESSAGE_MAX, &event->error, error);

    case LP_EVENT_STATUS:
      if (!lp_json_get_string (data, "status", TRUE, &str, error))
        return FALSE;
      if (!lp_job_status_from_string (str, &event->status) ||
          (event->status != LP_JOB_STATUS_TRAINING &&
           event->status != LP_JOB_STATUS_COMPLETED &&
           event->status != LP_JOB_STATUS_FAILED))
        return range_error (error, "status", _("one of training, completed, failed"));
      return dup_short_string (data, "error", FALSE, LP_MESSAGE_MAX, &event->error, error);

    case LP_EVENT_CHECKPOINT:
      if (!lp_json_get_int_range (data, "step", FALSE, 0, LP_STEP_MAX, &event->step, error))
        return FALSE;
      return TRUE;

    case LP_EVENT_WARNING:
    case LP_EVENT_ERROR:
      return dup_short_string (data, "error", FALSE, LP_MESSAGE_MAX, &event->error, error);

    default:
      g_assert_not_reached ();
    }
}

LpTrainerEvent *
lp_trainer_event_new_from_json (JsonObject  *object,
                                GError     **error)
{
  g_autoptr(LpTrainerEvent) event = g_new0 (LpTrainerEvent, 1);
  JsonNode *id_node;
  JsonObject *data = NULL;
  const char *type = NULL;

  event->raw = json_object_ref (object);
  event->step = -1;
  event->epoch = event->train_loss = event->val_loss = NAN;
  event->learning_rate = event->gpu_util = NAN;

  /* Trainers number their events; either a string or an integer is fine. */
  id_node = json_object_get_member (object, "event_id");
  if (id_node != NULL && JSON_NODE_HOLDS_VALUE (id_node) &&
      json_node_get_value_type (id_node) == G_TYPE_INT64)
    event->event_id = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (id_node));
  else if (!dup_short_string (object, "event_id", TRUE, LP_TRAINER_EVENT_ID_MAX, &event->event_id, error))
    return NULL;

  if (event->event_id[0] == '\0')
    {
      range_error (error, "event_id", _("a non-empty string"));
      return NULL;
    }

  if (!lp_json_get_string (object, "type", TRUE, &type, error))
    return NULL;
  if (!lp_event_type_from_string (type, &event->type))
    {
      range_error (error, "type",
                   _("one of status, stage, metrics, warning, error, checkpoint"));
      return NULL;
    }

  if (!lp_json_get_time (object, "ts", FALSE, &event->ts, error) ||
      !dup_short_string (object, "message", FALSE, LP_MESSAGE_MAX, &event->message, error) ||
      !lp_json_get_object (object, "data", FALSE, &data, error))
    return NULL;

  event->data = data ? json_object_ref (data) : json_object_new ();

  if (!decode_data (event, error))
    return NULL;

  return g_steal_pointer (&event);
}

static gboolean
prefix_error (GError **error,
              guint    index)
{
  if (error != NULL && *error != NULL)
    g_prefix_error (error, _("Event %u: "), index + 1);
  return FALSE;
}

GPtrArray *
lp_trainer_events_parse (const char  *body,
                         gsize        length,
                         GError     **error)
{
  g_autoptr(JsonObject) root = lp_json_parse_object_full (body, length, LP_JSON_MAX_DEPTH_REQUEST, error);
  g_autoptr(GPtrArray) events = NULL;
  JsonArray *batch = NULL;

  if (root == NULL)
    return NULL;

  events = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_trainer_event_free);

  if (!lp_json_get_array (root, "events", FALSE, &batch, error))
    return NULL;

  if (batch == NULL)
    {
      LpTrainerEvent *event = lp_trainer_event_new_from_json (root, error);

      if (event == NULL)
        return NULL;
      g_ptr_array_add (events, event);
      return g_steal_pointer (&events);
    }

  if (json_array_get_length (batch) == 0 || json_array_get_length (batch) > MAX_BATCH)
    {
      g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE,
                   _("“events” must hold from 1 to %d events"), MAX_BATCH);
      return NULL;
    }

  for (guint i = 0; i < json_array_get_length (batch); i++)
    {
      JsonNode *node = json_array_get_element (batch, i);
      LpTrainerEvent *event;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error_literal (error, LP_JSON_ERROR, LP_JSON_ERROR_TYPE,
                               _("must be an object"));
          prefix_error (error, i);
          return NULL;
        }

      if (!(event = lp_trainer_event_new_from_json (json_node_get_object (node), error)))
        {
          prefix_error (error, i);
          return NULL;
        }

      g_ptr_array_add (events, event);
    }

  return g_steal_pointer (&events);
}

static void
append_metric (GString              *str,
               const LpTrainerEvent *event,
               LpSeries              series,
               const char           *name,
               const char           *format,
               double                value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!(event->metrics_present & (1u << series)))
    return;

  if (str->str[str->len - 1] != ' ')
    g_string_append (str, ", ");

  if (isfinite (value))
    g_string_append_printf (str, "%s=%s", name, g_ascii_formatd (buf, sizeof buf, format, value));
  else
    g_string_append_printf (str, "%s=%s", name, isnan (value) ? "NaN" : value > 0 ? "inf" : "-inf");
}

/* The readable message recorded when a trainer sends none. Numbers in
 * metrics messages use C formatting on purpose: they are log lines that
 * engineers copy into scripts. */
char *
lp_trainer_event_describe (const LpTrainerEvent *event)
{
  if (event->message != NULL && event->message[0] != '\0')
    return g_strdup (event->message);

  switch (event->type)
    {
    case LP_EVENT_METRICS:
      {
        g_autofree char *step = lp_format_count (event->step);
        GString *str = g_string_new (NULL);

        g_string_append_printf (str, _("Step %s: "), step);
        append_metric (str, event, LP_SERIES_TRAIN_LOSS, "loss", "%.4g", event->train_loss);
        append_metric (str, event, LP_SERIES_VAL_LOSS, "val_loss", "%.4g", event->val_loss);
        append_metric (str, event, LP_SERIES_LEARNING_RATE, "lr", "%.3g", event->learning_rate);
        append_metric (str, event, LP_SERIES_GPU_UTIL, "gpu_util", "%.0f", event->gpu_util);
        if (event->metrics_present & (1u << LP_SERIES_GPU_UTIL))
          g_string_append_c (str, '%');
        /* A metrics event with no metric still says which step it reached. */
        if (str->str[str->len - 1] == ' ')
          g_string_truncate (str, str->len - 2);
        return g_string_free (str, FALSE);
      }

    case LP_EVENT_STAGE:
      {
        const char *label = lp_stage_kind_label (event->stage);

        switch (event->stage_status)
          {
          case LP_STAGE_STATUS_ACTIVE:
            if (event->substatus != NULL)
              return g_strdup_printf (_("%s: %s"), label, event->substatus);
            return g_strdup_printf (_("%s started"), label);
          case LP_STAGE_STATUS_COMPLETED:
            return g_strdup_printf (_("%s completed"), label);
          case LP_STAGE_STATUS_FAILED:
            if (event->error != NULL)
              return g_strdup_printf (_("%s failed: %s"), label, event->error);
            return g_strdup_printf (_("%s failed"), label);
          case LP_STAGE_STATUS_PENDING:
          default:
            return g_strdup_printf (_("%s pending"), label);
          }
      }

    case LP_EVENT_STATUS:
      switch (event->status)
        {
        case LP_JOB_STATUS_TRAINING:
          return g_strdup (_("Training started"));
        case LP_JOB_STATUS_COMPLETED:
          return g_strdup (_("Training completed"));
        case LP_JOB_STATUS_FAILED:
        default:
          if (event->error != NULL)
            return g_strdup_printf (_("Training failed: %s"), event->error);
          return g_strdup (_("Training failed"));
        }

    case LP_EVENT_CHECKPOINT:
      if (event->step >= 0)
        {
          g_autofree char *step = lp_format_count (event->step);
          return g_strdup_printf (_("Checkpoint saved at step %s"), step);
        }
      return g_strdup (_("Checkpoint saved"));

    case LP_EVENT_WARNING:
      return g_strdup (event->error ? event->error : _("Warning from the trainer"));

    case LP_EVENT_ERROR:
      return g_strdup (event->error ? event->error : _("Error from the trainer"));

    default:
      g_assert_not_reached ();
    }
}
