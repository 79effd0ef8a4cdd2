/* lp-metrics.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "lp-json.h"
#include "lp-metrics.h"

void
lp_metrics_latest_clear (LpMetricsLatest *latest)
{
  latest->step = -1;
  latest->epoch = NAN;
  latest->ts = 0;
  latest->train_loss = NAN;
  latest->prev_train_loss = NAN;
  latest->val_loss = NAN;
  latest->prev_val_loss = NAN;
  latest->learning_rate = NAN;
  latest->gpu_util = NAN;
}

LpMetrics *
lp_metrics_new (gint64 job_id)
{
  LpMetrics *metrics = g_new0 (LpMetrics, 1);

  metrics->job_id = job_id;
  for (guint i = 0; i < LP_N_SERIES; i++)
    {
      metrics->series[i].steps = g_array_new (FALSE, FALSE, sizeof (gint64));
      metrics->series[i].values = g_array_new (FALSE, FALSE, sizeof (double));
    }
  lp_metrics_latest_clear (&metrics->latest);

  return metrics;
}

void
lp_metrics_free (LpMetrics *metrics)
{
  if (metrics == NULL)
    return;

  for (guint i = 0; i < LP_N_SERIES; i++)
    {
      g_array_unref (metrics->series[i].steps);
      g_array_unref (metrics->series[i].values);
    }
  g_free (metrics);
}

static void
add_number_or_null (JsonBuilder *builder,
                    const char  *member,
                    double       value)
{
  json_builder_set_member_name (builder, member);
  if (isfinite (value))
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
lp_metrics_to_json (LpMetrics   *metrics,
                    JsonBuilder *builder)
{
  const LpMetricsLatest *latest = &metrics->latest;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "job_id");
  json_builder_add_int_value (builder, metrics->job_id);

  if (metrics->has_series)
    {
      json_builder_set_member_name (builder, "series");
      json_builder_begin_object (builder);
      for (guint i = 0; i < LP_N_SERIES; i++)
        {
          const LpSeriesData *s = &metrics->series[i];

          json_builder_set_member_name (builder, lp_series_to_string ((LpSeries) i));
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "step");
          json_builder_begin_array (builder);
          for (guint j = 0; j < s->steps->len; j++)
            json_builder_add_int_value (builder, g_array_index (s->steps, gint64, j));
          json_builder_end_array (builder);
          json_builder_set_member_name (builder, "value");
          json_builder_begin_array (builder);
          for (guint j = 0; j < s->values->len; j++)
            {
              double v = g_array_index (s->values, double, j);

              /* JSON has no NaN; a diverged loss is a gap, not a crash. */
              if (isfinite (v))
                json_builder_add_double_value (builder, v);
              else
                json_builder_add_null_value (builder);
            }
          json_builder_end_array (builder);
          json_builder_end_object (builder);
        }
      json_builder_end_object (builder);
    }

  json_builder_set_member_name (builder, "latest");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "step");
  if (latest->step >= 0)
    json_builder_add_int_value (builder, latest->step);
  else
    json_builder_add_null_value (builder);
  add_number_or_null (builder, "epoch", latest->epoch);
  lp_json_add_time (builder, "ts", latest->ts);
  add_number_or_null (builder, "train_loss", latest->train_loss);
  add_number_or_null (builder, "prev_train_loss", latest->prev_train_loss);
  add_number_or_null (builder, "val_loss", latest->val_loss);
  add_number_or_null (builder, "prev_val_loss", latest->prev_val_loss);
  add_number_or_null (builder, "learning_rate", latest->learning_rate);
  add_number_or_null (builder, "gpu_util", latest->gpu_util);
  json_builder_end_object (builder);

  json_builder_end_object (builder);
}

static gboolean
parse_series (JsonObject    *object,
              const char    *name,
              LpSeriesData  *data,
              GError       **error)
{
  JsonObject *series = NULL;
  JsonArray *steps = NULL, *values = NULL;
  guint n;

  if (!lp_json_get_object (object, name, FALSE, &series, error))
    return FALSE;
  if (series == NULL)
    return TRUE;

  if (!lp_json_get_array (series, "step", TRUE, &steps, error) ||
      !lp_json_get_array (series, "value", TRUE, &values, error))
    return FALSE;

  n = json_array_get_length (steps);
  if (json_array_get_length (values) != n)
    {
      g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                   _("Series “%s” has %u steps but %u values"),
                   name, n, json_array_get_length (values));
      return FALSE;
    }

  g_array_set_size (data->steps, n);
  g_array_set_size (data->values, n);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *s = json_array_get_element (steps, i);
      JsonNode *v = json_array_get_element (values, i);
      gint64 step;
      double value = NAN;

      if (!JSON_NODE_HOLDS_VALUE (s) || json_node_get_value_type (s) != G_TYPE_INT64 ||
          (step = json_node_get_int (s)) < 0 || step > LP_STEP_MAX)
        {
          g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE,
                       _("Series “%s”: step %u must be an integer from 0 to %" G_GINT64_FORMAT),
                       name, i + 1, LP_STEP_MAX);
          return FALSE;
        }

      /* null stands for a NaN or infinite value the trainer reported. */
      if (JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_INT64)
        value = (double) json_node_get_int (v);
      else if (JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_DOUBLE)
        value = json_node_get_double (v);
      else if (!JSON_NODE_HOLDS_NULL (v))
        {
          g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_TYPE,
                       _("Series “%s”: value %u must be a number or null"), name, i + 1);
          return FALSE;
        }

      g_array_index (data->steps, gint64, i) = step;
      g_array_index (data->values, double, i) = value;
    }

  return TRUE;
}

static gboolean
get_number_or_nan (JsonObject  *object,
                   const char  *member,
                   double      *value,
                   GError     **error)
{
  *value = NAN;
  return lp_json_get_double (object, member, FALSE, value, error);
}

LpMetrics *
lp_metrics_new_from_json (JsonObject  *object,
                          GError     **error)
{
  g_autoptr(LpMetrics) metrics = NULL;
  JsonObject *series = NULL, *latest = NULL;
  gint64 job_id = 0;
  LpMetricsLatest *l;

  if (!lp_json_get_int_range (object, "job_id", TRUE, 0, G_MAXINT64, &job_id, error) ||
      !lp_json_get_object (object, "series", FALSE, &series, error) ||
      !lp_json_get_object (object, "latest", FALSE, &latest, error))
    return NULL;

  metrics = lp_metrics_new (job_id);

  if (series != NULL)
    {
      metrics->has_series = TRUE;
      for (guint i = 0; i < LP_N_SERIES; i++)
        if (!parse_series (series, lp_series_to_string ((LpSeries) i), &metrics->series[i], error))
          return NULL;
    }

  l = &metrics->latest;
  if (latest != NULL &&
      (!lp_json_get_int_range (latest, "step", FALSE, 0, LP_STEP_MAX, &l->step, error) ||
       !get_number_or_nan (latest, "epoch", &l->epoch, error) ||
       !lp_json_get_time (latest, "ts", FALSE, &l->ts, error) ||
       !get_number_or_nan (latest, "train_loss", &l->train_loss, error) ||
       !get_number_or_nan (latest, "prev_train_loss", &l->prev_train_loss, error) ||
       !get_number_or_nan (latest, "val_loss", &l->val_loss, error) ||
       !get_number_or_nan (latest, "prev_val_loss", &l->prev_val_loss, error) ||
       !get_number_or_nan (latest, "learning_rate", &l->learning_rate, error) ||
       !get_number_or_nan (latest, "gpu_util", &l->gpu_util, error)))
    return NULL;

  return g_steal_pointer (&metrics);
}
