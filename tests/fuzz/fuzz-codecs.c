/* fuzz-codecs.c: the readers of the service's answers, as the app uses them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The app reads whatever answers at the URL it is given. Each input is
 * tried as every answer: a job, a page of jobs, a page of events, an
 * event, the queue, metrics and an error body. What decodes is then put
 * through what the app computes and shows from it (progress, pages, costs,
 * durations, axes, thinning), and written back and read again as the
 * service would, so that no value the readers let through can overflow
 * or crash anything downstream.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "fuzz-common.h"
#include "lp-axis.h"
#include "lp-calc.h"
#include "lp-decimate.h"
#include "lp-format.h"
#include "lp-json.h"
#include "lp-metrics.h"
#include "lp-page.h"
#include "lp-queue.h"

typedef void (*ToJson) (gpointer item, JsonBuilder *builder);

static char *
to_text (gpointer  item,
         ToJson    to_json)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  char *text;

  to_json (item, builder);
  text = lp_json_builder_to_string (builder);
  fuzz_assert_text (text);
  return text;
}

/* What the service writes, the app reads: nothing decoded may encode into
 * something its own reader refuses. */
static JsonObject *
read_back (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonObject *object = lp_json_parse_object (text, strlen (text), &error);

  if (object == NULL)
    g_error ("an encoded answer does not read back: %s\n%s", error->message, text);
  return object;
}

static void
show_text (char *text)
{
  fuzz_assert_text (text);
  g_free (text);
}

static void
show_time (gint64 usec)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  if (usec == 0 || !(dt = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC)))
    return;

  show_text (lp_format_datetime_short (dt));
  show_text (lp_format_datetime_full (dt));
  show_text (lp_format_relative (dt, now));
  show_text (lp_format_start_time (dt, now));
}

static void
show_job (LpJob *job)
{
  double progress = lp_job_get_progress (job);
  gint64 elapsed = lp_job_get_elapsed_s (job), remaining = lp_job_get_remaining_s (job);
  double cost = lp_job_get_cost (job), rate = lp_job_get_hourly_rate (job);
  double est_min = lp_job_get_estimate_min (job), est_max = lp_job_get_estimate_max (job);
  GPtrArray *stages = lp_job_get_stages (job);
  gint64 now = g_get_real_time ();

  g_assert_true (progress >= 0 && progress <= 100);
  fuzz_assert_text (lp_job_get_name (job));
  show_text (lp_format_percent (progress));
  show_text (lp_format_cancelled_at (progress));
  show_text (lp_format_step_of (lp_job_get_current_step (job), lp_job_get_total_steps (job)));
  show_text (lp_format_epoch_of (lp_job_get_epoch (job), lp_job_get_total_epochs (job)));
  show_text (lp_format_failed_at (lp_job_get_current_step (job)));
  show_text (lp_format_duration (elapsed));
  show_text (lp_format_duration_long (elapsed));
  show_text (lp_format_completed_in (elapsed));
  show_text (lp_format_stopped_at (elapsed));
  show_text (lp_format_updated_ago (elapsed));
  show_text (lp_format_remaining (remaining));
  show_text (lp_format_countdown (remaining));
  show_text (lp_format_money (cost));
  show_text (lp_format_money_whole (lp_job_get_projected_cost (job)));
  show_text (lp_format_hourly_rate (rate, lp_job_get_pricing (job)));
  show_text (lp_format_estimate_range (est_min, est_max));
  show_text (lp_format_estimate_hours (lp_estimated_duration_s (est_min, est_max, rate, 0),
                                       lp_estimated_duration_s (est_max, est_max, rate, 0)));
  (void) lp_cost_level (cost, cost, est_min);
  (void) lp_cost_over_estimate (cost, est_min);
  (void) lp_cost_bar_fraction (cost, est_max);
  (void) lp_estimate_percent (cost, est_min);
  (void) lp_list_cost_level (cost);
  (void) lp_projected_cost (cost, remaining, rate);
  (void) lp_cost_for_elapsed (elapsed, rate);
  (void) lp_remaining_seconds (lp_job_get_current_step (job), lp_job_get_total_steps (job), elapsed);
  (void) lp_job_get_stage (job);
  show_time (lp_job_get_created_at (job));
  show_time (lp_job_get_started_at (job));
  show_time (lp_job_get_finished_at (job));
  for (guint i = 0; i < stages->len; i++)
    {
      const LpStage *stage = g_ptr_array_index (stages, i);

      show_text (lp_format_duration (lp_stage_duration_s (stage, now)));
      show_time (stage->started_at);
    }
}

static void
job_to_json (gpointer     job,
             JsonBuilder *builder)
{
  lp_job_to_json (job, builder);
}

static void
try_job (JsonObject *object)
{
  g_autoptr(LpJob) job = lp_job_new_from_json (object, NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(LpJob) job_again = NULL;
  g_autoptr(GError) error = NULL;

  if (job == NULL)
    return;

  show_job (job);
  text = to_text (job, job_to_json);
  again = read_back (text);
  if (!(job_again = lp_job_new_from_json (again, &error)))
    g_error ("an encoded job does not decode: %s\n%s", error->message, text);
}

static void
try_job_page (JsonObject *object)
{
  g_autoptr(LpJobPage) page = lp_job_page_new_from_json (object, NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(LpJobPage) page_again = NULL;
  g_autoptr(GError) error = NULL;

  if (page == NULL)
    return;

  g_assert_cmpint (lp_job_page_get_n_pages (page), >=, 1);
  for (guint i = 0; i < page->jobs->len; i++)
    show_job (g_ptr_array_index (page->jobs, i));
  for (guint i = 0; i < LP_N_JOB_STATUSES; i++)
    show_text (lp_format_count (page->counts[i]));

  text = to_text (page, (ToJson) lp_job_page_to_json);
  again = read_back (text);
  if (!(page_again = lp_job_page_new_from_json (again, &error)))
    g_error ("an encoded job page does not decode: %s\n%s", error->message, text);
}

static void
try_event_page (JsonObject *object)
{
  g_autoptr(LpEventPage) page = lp_event_page_new_from_json (object, NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(LpEventPage) page_again = NULL;
  g_autoptr(GError) error = NULL;

  if (page == NULL)
    return;

  for (guint i = 0; i < page->events->len; i++)
    {
      LpEvent *event = g_ptr_array_index (page->events, i);

      fuzz_assert_text (lp_event_get_message (event));
      show_time (lp_event_get_ts (event));
    }

  text = to_text (page, (ToJson) lp_event_page_to_json);
  again = read_back (text);
  if (!(page_again = lp_event_page_new_from_json (again, &error)))
    g_error ("an encoded event page does not decode: %s\n%s", error->message, text);
}

static void
try_event (JsonObject *object)
{
  g_autoptr(LpEvent) event = lp_event_new_from_json (object, NULL);

  if (event != NULL)
    fuzz_assert_text (lp_event_get_message (event));
}

static void
try_queue (JsonObject *object)
{
  g_autoptr(LpQueue) queue = lp_queue_new_from_json (object, NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(LpQueue) queue_again = NULL;
  g_autoptr(GError) error = NULL;

  if (queue == NULL)
    return;

  for (guint i = 0; i < queue->queued->len; i++)
    {
      const LpQueueEntry *entry = g_ptr_array_index (queue->queued, i);

      show_job (entry->job);
      show_text (lp_format_countdown (entry->starts_in_s));
      show_time (entry->estimated_start);
    }
  for (guint i = 0; i < queue->running->len; i++)
    {
      const LpQueueSlot *slot = g_ptr_array_index (queue->running, i);

      show_text (lp_format_percent (slot->progress));
    }

  text = to_text (queue, (ToJson) lp_queue_to_json);
  again = read_back (text);
  if (!(queue_again = lp_queue_new_from_json (again, &error)))
    g_error ("an encoded queue does not decode: %s\n%s", error->message, text);
}

/* What the loss chart does with a series: thin it, then lay out axes. */
static void
plot_series (const LpSeriesData *series)
{
  guint n = series->steps->len;
  g_autofree double *x = g_new (double, MAX (n, 1));
  g_autofree guint *indices = g_new (guint, n + 1024);
  const double *y = (const double *) series->values->data;
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
  double ticks[32], step;
  guint n_ticks = 0;

  for (guint i = 0; i < n; i++)
    {
      x[i] = (double) g_array_index (series->steps, gint64, i);
      x_min = MIN (x_min, x[i]);
      x_max = MAX (x_max, x[i]);
      if (isfinite (y[i]))
        {
          y_min = MIN (y_min, y[i]);
          y_max = MAX (y_max, y[i]);
        }
    }

  (void) lp_decimate_minmax (y, n, 64, indices);
  if (n > 0)
    (void) lp_decimate_columns (x, y, n, x_min, x_max, 200, indices);

  if (n > 0 && lp_axis_ticks (x_min, x_max, 8, ticks, &n_ticks, &step))
    for (guint i = 0; i < n_ticks; i++)
      show_text (lp_axis_format_step (ticks[i], step));

  if (y_min <= y_max)
    {
      double nice_min, nice_max;

      lp_axis_nice_range (y_min, y_max, 6, &nice_min, &nice_max);
      if (lp_axis_ticks (nice_min, nice_max, 6, ticks, &n_ticks, &step))
        for (guint i = 0; i < n_ticks; i++)
          {
            show_text (lp_axis_format_value (ticks[i], step));
            show_text (lp_axis_format_loss (ticks[i], lp_axis_decimals (step)));
          }
    }
}

static void
try_metrics (JsonObject *object)
{
  g_autoptr(LpMetrics) metrics = lp_metrics_new_from_json (object, NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(LpMetrics) metrics_again = NULL;
  g_autoptr(GError) error = NULL;
  const LpMetricsLatest *l;
  double change = 0;

  if (metrics == NULL)
    return;

  for (guint i = 0; i < LP_N_SERIES; i++)
    plot_series (&metrics->series[i]);

  l = &metrics->latest;
  (void) lp_trend (l->train_loss, l->prev_train_loss, TRUE, &change);
  show_text (lp_format_change_percent (change));
  show_text (lp_format_metric (l->train_loss));
  show_text (lp_format_metric (l->learning_rate));
  show_text (lp_format_percent (l->gpu_util));
  show_text (lp_format_count (l->step));
  (void) lp_display_epoch (l->epoch, 3);
  show_time (l->ts);

  text = to_text (metrics, (ToJson) lp_metrics_to_json);
  again = read_back (text);
  if (!(metrics_again = lp_metrics_new_from_json (again, &error)))
    g_error ("encoded metrics do not decode: %s\n%s", error->message, text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;

  fuzz_setup ();

  if (lp_json_parse_api_error ((const char *) data, size, &code, &message))
    {
      fuzz_assert_text (code);
      fuzz_assert_text (message);
    }

  if (!(object = lp_json_parse_object ((const char *) data, size, NULL)))
    return 0;

  try_job (object);
  try_job_page (object);
  try_event_page (object);
  try_event (object);
  try_queue (object);
  try_metrics (object);

  return 0;
}
