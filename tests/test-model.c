/* test-model.c: the job model and its JSON codecs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lp-event.h"
#include "lp-job.h"
#include "lp-json.h"
#include "lp-metrics.h"
#include "lp-page.h"
#include "lp-queue.h"
#include "lp-trainer-event.h"

static void
test_names_round_trip (void)
{
  for (guint i = 0; i < LP_N_JOB_STATUSES; i++)
    {
      LpJobStatus status;

      g_assert_true (lp_job_status_from_string (lp_job_status_to_string (i), &status));
      g_assert_cmpint (status, ==, i);
    }

  for (guint i = 0; i < LP_N_STAGES; i++)
    {
      LpStageKind kind;

      g_assert_true (lp_stage_kind_from_string (lp_stage_kind_to_string (i), &kind));
      g_assert_cmpint (kind, ==, i);
    }

  g_assert_cmpstr (lp_job_status_to_string (LP_JOB_STATUS_CANCELLING), ==, "cancelling");
  g_assert_cmpstr (lp_stage_kind_to_string (LP_STAGE_MODEL_LOADING), ==, "model_loading");
  g_assert_false (lp_job_status_from_string ("Training", &(LpJobStatus) { 0 }));
  g_assert_false (lp_job_status_from_string (NULL, &(LpJobStatus) { 0 }));

  g_assert_true (lp_job_status_is_active (LP_JOB_STATUS_CANCELLING));
  g_assert_false (lp_job_status_is_active (LP_JOB_STATUS_QUEUED));
  g_assert_true (lp_job_status_is_finished (LP_JOB_STATUS_CANCELLED));
  g_assert_false (lp_job_status_is_finished (LP_JOB_STATUS_TRAINING));
}

static void
test_iso8601 (void)
{
  g_autofree char *str = lp_iso8601_from_usec (G_GINT64_CONSTANT (1766068215) * G_USEC_PER_SEC);
  gint64 usec = 0;

  g_assert_cmpstr (str, ==, "2025-12-18T14:30:15Z");
  g_assert_true (lp_usec_from_iso8601 (str, &usec));
  g_assert_cmpint (usec, ==, G_GINT64_CONSTANT (1766068215) * G_USEC_PER_SEC);
  /* Offsets are honoured; a time without a zone is UTC. */
  g_assert_true (lp_usec_from_iso8601 ("2025-12-18T15:30:15+01:00", &usec));
  g_assert_cmpint (usec, ==, G_GINT64_CONSTANT (1766068215) * G_USEC_PER_SEC);
  g_assert_true (lp_usec_from_iso8601 ("2025-12-18T14:30:15", &usec));
  g_assert_cmpint (usec, ==, G_GINT64_CONSTANT (1766068215) * G_USEC_PER_SEC);
  g_assert_false (lp_usec_from_iso8601 ("yesterday", &usec));
  g_assert_false (lp_usec_from_iso8601 ("", &usec));
}

static LpJob *
sample_job (void)
{
  g_autoptr(GPtrArray) stages = g_ptr_array_copy (lp_job_get_stages (lp_job_new ()),
                                                  (GCopyFunc) lp_stage_copy, NULL);
  g_autoptr(JsonObject) config = json_object_new ();
  LpJob *job = lp_job_new ();
  LpStage *training;

  lp_job_set_id (job, 42);
  lp_job_set_name (job, "Elena Morales Financial");
  lp_job_set_status (job, LP_JOB_STATUS_TRAINING);
  lp_job_set_created_by (job, "elena");
  lp_job_set_created_at (job, G_GINT64_CONSTANT (1766060000) * G_USEC_PER_SEC);
  lp_job_set_started_at (job, G_GINT64_CONSTANT (1766061000) * G_USEC_PER_SEC);
  lp_job_set_total_steps (job, 2000);
  lp_job_set_current_step (job, 850);
  lp_job_set_total_epochs (job, 3);
  lp_job_set_epoch (job, 2);
  lp_job_set_gpu_type (job, "H100 SXM 80GB");
  lp_job_set_pricing (job, "spot");
  lp_job_set_hourly_rate (job, 2.49);
  lp_job_set_cost (job, 22.18);
  lp_job_set_projected_cost (job, 47.32);
  lp_job_set_estimate (job, 45, 55);
  lp_job_set_elapsed_s (job, 6 * 3600 + 23 * 60);
  lp_job_set_remaining_s (job, 8 * 3600 + 15 * 60);
  lp_job_set_provider (job, "simulator");
  lp_job_set_preset (job, "balanced");
  json_object_set_int_member (config, "seed", 7);
  lp_job_set_config (job, config);

  for (guint i = 0; i < LP_STAGE_TRAINING; i++)
    {
      LpStage *stage = g_ptr_array_index (stages, i);
      stage->status = LP_STAGE_STATUS_COMPLETED;
      stage->started_at = (G_GINT64_CONSTANT (1766061000) + i * 300) * G_USEC_PER_SEC;
      stage->finished_at = stage->started_at + 222 * G_USEC_PER_SEC;
    }
  training = g_ptr_array_index (stages, LP_STAGE_TRAINING);
  training->status = LP_STAGE_STATUS_ACTIVE;
  training->started_at = G_GINT64_CONSTANT (1766062000) * G_USEC_PER_SEC;
  training->substatus = g_strdup ("Epoch 2/3 - Step 850 of 2,000");
  lp_job_set_stages (job, stages);

  return job;
}

static void
test_job_round_trip (void)
{
  g_autoptr(LpJob) job = sample_job ();
  g_autoptr(JsonNode) node = lp_job_to_json_node (job);
  g_autoptr(GError) error = NULL;
  g_autoptr(LpJob) parsed = lp_job_new_from_json (json_node_get_object (node), &error);
  JsonObject *obj = json_node_get_object (node);
  const LpStage *stage;

  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (obj, "status"), ==, "training");
  g_assert_cmpstr (json_object_get_string_member (obj, "stage"), ==, "training");
  g_assert_cmpfloat (json_object_get_double_member (obj, "progress"), ==, 42.5);
  g_assert_cmpstr (json_object_get_string_member (obj, "created_at"), ==, "2025-12-18T12:13:20Z");
  g_assert_true (json_object_get_null_member (obj, "finished_at"));
  g_assert_true (json_object_get_null_member (obj, "queue_position"));

  g_assert_cmpint (lp_job_get_id (parsed), ==, 42);
  g_assert_cmpstr (lp_job_get_name (parsed), ==, "Elena Morales Financial");
  g_assert_cmpint (lp_job_get_status (parsed), ==, LP_JOB_STATUS_TRAINING);
  g_assert_cmpint (lp_job_get_current_step (parsed), ==, 850);
  g_assert_cmpfloat (lp_job_get_progress (parsed), ==, 42.5);
  g_assert_cmpfloat (lp_job_get_cost (parsed), ==, 22.18);
  g_assert_cmpfloat (lp_job_get_estimate_max (parsed), ==, 55);
  g_assert_cmpint (lp_job_get_remaining_s (parsed), ==, 8 * 3600 + 15 * 60);
  g_assert_cmpint (lp_job_get_started_at (parsed), ==, G_GINT64_CONSTANT (1766061000) * G_USEC_PER_SEC);
  g_assert_cmpstr (lp_job_get_stage (parsed), ==, "training");
  g_assert_cmpint (json_object_get_int_member (lp_job_get_config (parsed), "seed"), ==, 7);

  stage = g_ptr_array_index (lp_job_get_stages (parsed), LP_STAGE_TRAINING);
  g_assert_cmpint (stage->status, ==, LP_STAGE_STATUS_ACTIVE);
  g_assert_cmpstr (stage->substatus, ==, "Epoch 2/3 - Step 850 of 2,000");
  stage = g_ptr_array_index (lp_job_get_stages (parsed), LP_STAGE_PREPROCESSING);
  g_assert_cmpint (lp_stage_duration_s (stage, 0), ==, 222);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              GPtrArray  *names)
{
  g_ptr_array_add (names, g_strdup (pspec->name));
}

/* A row bound to a job must hear about what changed, and nothing else. */
static void
test_job_update_notifies_changes_only (void)
{
  g_autoptr(LpJob) job = sample_job ();
  g_autoptr(LpJob) other = sample_job ();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  lp_job_set_current_step (other, 900);
  lp_job_set_cost (other, 23.5);
  node = lp_job_to_json_node (other);

  /* Parse once so that config, which is a new object per parse, is
   * already distinct from the sample's. */
  g_signal_connect (job, "notify", G_CALLBACK (count_notify), names);
  g_assert_true (lp_job_update_from_json (job, json_node_get_object (node), &error));
  g_assert_no_error (error);

  g_assert_true (g_ptr_array_find_with_equal_func (names, "current-step", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (names, "progress", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (names, "cost", g_str_equal, NULL));
  g_assert_false (g_ptr_array_find_with_equal_func (names, "name", g_str_equal, NULL));
  g_assert_false (g_ptr_array_find_with_equal_func (names, "status", g_str_equal, NULL));
  g_assert_false (g_ptr_array_find_with_equal_func (names, "stages", g_str_equal, NULL));
}

static void
test_job_rejects_bad_json (void)
{
  const char *bad[] = {
    "{\"name\": \"x\", \"status\": \"training\"}",                  /* no id */
    "{\"id\": 1, \"name\": \"x\", \"status\": \"sleeping\"}",       /* bad status */
    "{\"id\": \"1\", \"name\": \"x\", \"status\": \"queued\"}",     /* id as string */
    "{\"id\": 1, \"name\": \"x\", \"status\": \"queued\", \"cost\": \"$5\"}",
    "{\"id\": 1, \"name\": \"x\", \"status\": \"queued\", \"created_at\": \"noon\"}",
    "{\"id\": 1, \"name\": \"x\", \"status\": \"queued\", \"stages\": [1, 2, 3, 4]}",
    "{\"id\": 1, \"name\": \"x\", \"status\": \"queued\", \"stages\": []}",
  };
  g_autoptr(LpJob) job = sample_job ();

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) obj = lp_json_parse_object (bad[i], strlen (bad[i]), &error);

      g_assert_no_error (error);
      g_assert_false (lp_job_update_from_json (job, obj, &error));
      g_assert_error (error, LP_JSON_ERROR, error->code);
      /* A failed update leaves the job as it was. */
      g_assert_cmpstr (lp_job_get_name (job), ==, "Elena Morales Financial");
      g_assert_cmpint (lp_job_get_id (job), ==, 42);
    }
}

static void
test_parse_object_errors (void)
{
  const char *bad[] = { "", "[1,2]", "{\"a\":", "\"text\"", "{\"a\": 1} trailing" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) obj = lp_json_parse_object (bad[i], strlen (bad[i]), &error);

      g_assert_null (obj);
      g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID);
    }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) deep = g_string_new ("{\"a\": ");
    g_autoptr(JsonObject) ok = NULL;

    for (guint i = 0; i < 200000; i++)
      g_string_append_c (deep, '[');
    g_assert_null (lp_json_parse_object (deep->str, deep->len, &error));
    g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID);

    /* Brackets inside strings are text, not nesting. */
    {
      g_autoptr(GString) text = g_string_new ("{\"a\": \"");

      for (guint i = 0; i < 500; i++)
        g_string_append (text, "[{");
      g_string_append (text, "\\\"\"}");
      ok = lp_json_parse_object (text->str, text->len, NULL);
    }
    g_assert_nonnull (ok);
  }

  {
    g_autoptr(GError) error = NULL;
    const char latin1[] = "{\"name\": \"Caf\xe9\"}";

    g_assert_null (lp_json_parse_object (latin1, sizeof latin1 - 1, &error));
    g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID);
  }
}

static void
test_json_int_accepts_whole_doubles (void)
{
  g_autoptr(JsonObject) obj = lp_json_parse_object ("{\"a\": 2000.0, \"b\": 2000.5}", 26, NULL);
  g_autoptr(GError) error = NULL;
  gint64 value = 0;

  g_assert_nonnull (obj);
  g_assert_true (lp_json_get_int (obj, "a", TRUE, &value, &error));
  g_assert_cmpint (value, ==, 2000);
  g_assert_false (lp_json_get_int (obj, "b", TRUE, &value, &error));
  g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_TYPE);
  g_clear_error (&error);
  g_assert_false (lp_json_get_int (obj, "c", TRUE, &value, &error));
  g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_MISSING);
}

static void
test_event_round_trip (void)
{
  g_autoptr(JsonObject) payload = json_object_new ();
  g_autoptr(LpEvent) event = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(LpEvent) parsed = NULL;
  g_autoptr(GError) error = NULL;

  json_object_set_double_member (payload, "gpu_util", 45);
  event = lp_event_new (7, G_GINT64_CONSTANT (1766068095) * G_USEC_PER_SEC, LP_EVENT_WARNING,
                        "GPU utilization dropped to 45%", payload);
  lp_event_to_json (event, builder);
  node = json_builder_get_root (builder);
  parsed = lp_event_new_from_json (json_node_get_object (node), &error);

  g_assert_no_error (error);
  g_assert_cmpint (lp_event_get_id (parsed), ==, 7);
  g_assert_cmpint (lp_event_get_event_type (parsed), ==, LP_EVENT_WARNING);
  g_assert_cmpstr (lp_event_get_message (parsed), ==, "GPU utilization dropped to 45%");
  g_assert_cmpfloat (json_object_get_double_member (lp_event_get_payload (parsed), "gpu_util"), ==, 45);
  g_assert_cmpint (lp_event_get_ts (parsed), ==, G_GINT64_CONSTANT (1766068095) * G_USEC_PER_SEC);
}

static void
test_metrics_round_trip (void)
{
  g_autoptr(LpMetrics) metrics = lp_metrics_new (3);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(LpMetrics) parsed = NULL;
  g_autoptr(GError) error = NULL;
  gint64 steps[] = { 10, 20, 30 };
  double values[] = { 1.5, NAN, 0.9 };

  metrics->has_series = TRUE;
  g_array_append_vals (metrics->series[LP_SERIES_TRAIN_LOSS].steps, steps, 3);
  g_array_append_vals (metrics->series[LP_SERIES_TRAIN_LOSS].values, values, 3);
  metrics->latest.step = 30;
  metrics->latest.train_loss = 0.342;
  metrics->latest.prev_train_loss = 0.389;

  lp_metrics_to_json (metrics, builder);
  node = json_builder_get_root (builder);
  parsed = lp_metrics_new_from_json (json_node_get_object (node), &error);

  g_assert_no_error (error);
  g_assert_true (parsed->has_series);
  g_assert_cmpuint (parsed->series[LP_SERIES_TRAIN_LOSS].steps->len, ==, 3);
  /* JSON has no NaN: a gap travels as null and comes back as NaN. */
  g_assert_true (isnan (g_array_index (parsed->series[LP_SERIES_TRAIN_LOSS].values, double, 1)));
  g_assert_cmpfloat (g_array_index (parsed->series[LP_SERIES_TRAIN_LOSS].values, double, 2), ==, 0.9);
  g_assert_cmpuint (parsed->series[LP_SERIES_VAL_LOSS].steps->len, ==, 0);
  g_assert_cmpint (parsed->latest.step, ==, 30);
  g_assert_cmpfloat (parsed->latest.prev_train_loss, ==, 0.389);
  g_assert_true (isnan (parsed->latest.val_loss));
}

static GPtrArray *
parse_events (const char  *json,
              GError     **error)
{
  return lp_trainer_events_parse (json, strlen (json), error);
}

static void
test_trainer_event_parsing (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;
  const LpTrainerEvent *e;

  events = parse_events ("{\"event_id\": 12, \"type\": \"metrics\", \"ts\": \"2025-12-18T14:28:15Z\","
                         " \"data\": {\"step\": 100, \"epoch\": 0.4, \"train_loss\": 0.521,"
                         " \"learning_rate\": 0.0002, \"gpu_util\": 89}}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  e = g_ptr_array_index (events, 0);
  g_assert_cmpstr (e->event_id, ==, "12");
  g_assert_cmpint (e->type, ==, LP_EVENT_METRICS);
  g_assert_cmpint (e->step, ==, 100);
  g_assert_cmpfloat (e->train_loss, ==, 0.521);
  g_assert_true (isnan (e->val_loss));
  g_assert_cmpuint (e->metrics_present, ==, (1u << LP_SERIES_TRAIN_LOSS) |
                                            (1u << LP_SERIES_LEARNING_RATE) |
                                            (1u << LP_SERIES_GPU_UTIL));
  {
    g_autofree char *message = lp_trainer_event_describe (e);
    g_assert_cmpstr (message, ==, "Step 100: loss=0.521, lr=0.0002, gpu_util=89%");
  }
  g_clear_pointer (&events, g_ptr_array_unref);

  events = parse_events ("{\"events\": ["
                         "{\"event_id\": \"a\", \"type\": \"stage\", \"data\": {\"stage\": \"training\","
                         " \"status\": \"failed\", \"error\": \"Out of memory\"}},"
                         "{\"event_id\": \"b\", \"type\": \"metrics\", \"data\": {\"step\": 5, \"train_loss\": \"NaN\"}},"
                         "{\"event_id\": \"c\", \"type\": \"checkpoint\", \"data\": {\"step\": 500}},"
                         "{\"event_id\": \"d\", \"type\": \"status\", \"data\": {\"status\": \"completed\"}}]}",
                         &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 4);
  e = g_ptr_array_index (events, 0);
  g_assert_cmpint (e->stage, ==, LP_STAGE_TRAINING);
  g_assert_cmpint (e->stage_status, ==, LP_STAGE_STATUS_FAILED);
  {
    g_autofree char *message = lp_trainer_event_describe (e);
    g_assert_cmpstr (message, ==, "Training failed: Out of memory");
  }
  e = g_ptr_array_index (events, 1);
  g_assert_true (isnan (e->train_loss));
  g_assert_true (e->metrics_present & (1u << LP_SERIES_TRAIN_LOSS));
  {
    g_autofree char *message = lp_trainer_event_describe (e);
    g_assert_cmpstr (message, ==, "Step 5: loss=NaN");
  }
  {
    g_autofree char *message = lp_trainer_event_describe (g_ptr_array_index (events, 2));
    g_assert_cmpstr (message, ==, "Checkpoint saved at step 500");
  }
  e = g_ptr_array_index (events, 3);
  g_assert_cmpint (e->status, ==, LP_JOB_STATUS_COMPLETED);
}

static void
test_trainer_event_errors (void)
{
  struct {
    const char *json;
    const char *needle;
  } bad[] = {
    { "{\"type\": \"metrics\", \"data\": {\"step\": 1}}", "event_id" },
    { "{\"event_id\": \"\", \"type\": \"metrics\", \"data\": {\"step\": 1}}", "event_id" },
    { "{\"event_id\": \"x\", \"type\": \"gossip\"}", "type" },
    { "{\"event_id\": \"x\", \"type\": \"metrics\", \"data\": {}}", "step" },
    { "{\"event_id\": \"x\", \"type\": \"metrics\", \"data\": {\"step\": -1}}", "step" },
    { "{\"event_id\": \"x\", \"type\": \"metrics\", \"data\": {\"step\": 1, \"gpu_util\": 140}}", "gpu_util" },
    { "{\"event_id\": \"x\", \"type\": \"metrics\", \"data\": {\"step\": 1, \"train_loss\": \"low\"}}", "train_loss" },
    { "{\"event_id\": \"x\", \"type\": \"stage\", \"data\": {\"stage\": \"baking\", \"status\": \"active\"}}", "stage" },
    { "{\"event_id\": \"x\", \"type\": \"status\", \"data\": {\"status\": \"queued\"}}", "status" },
    { "{\"event_id\": \"x\", \"type\": \"status\", \"ts\": \"soon\", \"data\": {\"status\": \"failed\"}}", "ts" },
    { "{\"events\": []}", "events" },
    { "{\"events\": [{\"event_id\": \"a\", \"type\": \"warning\"}, 3]}", "Event 2" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) events = parse_events (bad[i].json, &error);

      g_assert_null (events);
      g_assert_nonnull (error);
      if (strstr (error->message, bad[i].needle) == NULL)
        g_error ("“%s” gave “%s”, which does not name %s", bad[i].json, error->message, bad[i].needle);
    }
}

static void
test_job_page_round_trip (void)
{
  g_autoptr(LpJobPage) page = lp_job_page_new ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(LpJobPage) parsed = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (page->jobs, sample_job ());
  page->total = 287;
  page->page = 2;
  page->per_page = 25;
  page->counts[LP_JOB_STATUS_QUEUED] = 5;
  page->count_active = 2;
  page->count_all = 287;
  lp_job_page_to_json (page, builder);
  node = json_builder_get_root (builder);

  parsed = lp_job_page_new_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (parsed->jobs->len, ==, 1);
  g_assert_cmpstr (lp_job_get_name (g_ptr_array_index (parsed->jobs, 0)), ==, "Elena Morales Financial");
  g_assert_cmpint (parsed->total, ==, 287);
  g_assert_cmpint (lp_job_page_get_n_pages (parsed), ==, 12);
  g_assert_cmpint (parsed->counts[LP_JOB_STATUS_QUEUED], ==, 5);
  g_assert_cmpint (parsed->count_active, ==, 2);
}

static void
test_event_page_errors_name_the_element (void)
{
  const char *json = "{\"events\": [{\"id\": 1, \"ts\": \"2025-12-18T14:28:15Z\", \"type\": \"status\"},"
                     " {\"id\": 2, \"ts\": \"2025-12-18T14:28:16Z\", \"type\": \"bogus\"}],"
                     " \"total\": 2, \"page\": 1, \"per_page\": 50}";
  g_autoptr(JsonObject) obj = lp_json_parse_object (json, strlen (json), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LpEventPage) page = lp_event_page_new_from_json (obj, &error);

  g_assert_null (page);
  g_assert_nonnull (strstr (error->message, "events[1]"));
}

static void
test_queue_round_trip (void)
{
  g_autoptr(LpQueue) queue = lp_queue_new ();
  g_autoptr(LpJob) running = sample_job ();
  g_autoptr(LpJob) waiting = sample_job ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(LpQueue) parsed = NULL;
  g_autoptr(GError) error = NULL;
  const LpQueueEntry *entry;
  const LpQueueSlot *slot;

  queue->max_slots = 3;
  lp_queue_add_running (queue, running);
  lp_job_set_status (waiting, LP_JOB_STATUS_QUEUED);
  lp_queue_add_queued (queue, waiting, G_GINT64_CONSTANT (1766082300) * G_USEC_PER_SEC, 12000);
  lp_queue_to_json (queue, builder);
  node = json_builder_get_root (builder);

  parsed = lp_queue_new_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);
  g_assert_cmpint (parsed->max_slots, ==, 3);
  g_assert_cmpuint (parsed->running->len, ==, 1);
  slot = g_ptr_array_index (parsed->running, 0);
  g_assert_cmpfloat (slot->progress, ==, 42.5);
  g_assert_cmpint (slot->status, ==, LP_JOB_STATUS_TRAINING);
  entry = g_ptr_array_index (parsed->queued, 0);
  g_assert_cmpint (entry->position, ==, 1);
  g_assert_cmpint (entry->starts_in_s, ==, 12000);
  g_assert_cmpint (entry->estimated_start, ==, G_GINT64_CONSTANT (1766082300) * G_USEC_PER_SEC);
  g_assert_cmpint (lp_job_get_status (entry->job), ==, LP_JOB_STATUS_QUEUED);
}

static void
test_api_error (void)
{
  const char *body = "{\"error\": {\"code\": \"conflict\", \"message\": \"Job 3 has already finished\"}}";
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;

  g_assert_true (lp_json_parse_api_error (body, strlen (body), &code, &message));
  g_assert_cmpstr (code, ==, "conflict");
  g_assert_cmpstr (message, ==, "Job 3 has already finished");
  g_assert_false (lp_json_parse_api_error ("<html>502</html>", 16, NULL, NULL));
}

static void
test_json_writer (void)
{
  const char *doc = "{\"money\": 0.07, \"rate\": 0.74, \"whole\": 2.0, \"tiny\": 1e-05,"
                    " \"third\": 0.3333333333333333, \"n\": -42, \"big\": 9007199254740993,"
                    " \"s\": \"quote \\\" back \\\\ nl \\n tab \\t ctl \\u0001 ü\","
                    " \"list\": [true, false, null, {}], \"empty\": []}";
  g_autoptr(JsonObject) obj = lp_json_parse_object (doc, strlen (doc), NULL);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), obj);
  g_autofree char *compact = lp_json_to_string (node, FALSE);
  g_autofree char *pretty = lp_json_to_string (node, TRUE);
  g_autoptr(JsonObject) again = NULL;

  g_assert_cmpstr (compact, ==,
                   "{\"money\":0.07,\"rate\":0.74,\"whole\":2.0,\"tiny\":1e-05,"
                   "\"third\":0.3333333333333333,\"n\":-42,\"big\":9007199254740993,"
                   "\"s\":\"quote \\\" back \\\\ nl \\n tab \\t ctl \\u0001 ü\","
                   "\"list\":[true,false,null,{}],\"empty\":[]}");

  /* Both forms read back to the same values. */
  again = lp_json_parse_object (pretty, strlen (pretty), NULL);
  g_assert_nonnull (again);
  g_assert_cmpfloat (json_object_get_double_member (again, "third"), ==, 1.0 / 3.0);
  g_assert_cmpint (json_object_get_int_member (again, "big"), ==, G_GINT64_CONSTANT (9007199254740993));
  g_assert_cmpstr (json_object_get_string_member (again, "s"), ==, "quote \" back \\ nl \n tab \t ctl \001 ü");
  g_assert_nonnull (strstr (pretty, "\n  \"money\" : 0.07,"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/model/names", test_names_round_trip);
  g_test_add_func ("/model/iso8601", test_iso8601);
  g_test_add_func ("/model/job/round-trip", test_job_round_trip);
  g_test_add_func ("/model/job/notify", test_job_update_notifies_changes_only);
  g_test_add_func ("/model/job/bad-json", test_job_rejects_bad_json);
  g_test_add_func ("/model/json/parse-errors", test_parse_object_errors);
  g_test_add_func ("/model/json/int", test_json_int_accepts_whole_doubles);
  g_test_add_func ("/model/event/round-trip", test_event_round_trip);
  g_test_add_func ("/model/metrics/round-trip", test_metrics_round_trip);
  g_test_add_func ("/model/trainer-event/parse", test_trainer_event_parsing);
  g_test_add_func ("/model/trainer-event/errors", test_trainer_event_errors);
  g_test_add_func ("/model/job-page/round-trip", test_job_page_round_trip);
  g_test_add_func ("/model/event-page/errors", test_event_page_errors_name_the_element);
  g_test_add_func ("/model/queue/round-trip", test_queue_round_trip);
  g_test_add_func ("/model/api-error", test_api_error);
  g_test_add_func ("/model/json/writer", test_json_writer);

  return g_test_run ();
}
