/* lp-queue.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lp-json.h"
#include "lp-queue.h"

static void
slot_free (LpQueueSlot *slot)
{
  g_free (slot->name);
  g_free (slot->provider);
  g_free (slot->detail);
  g_free (slot);
}

static void
entry_free (LpQueueEntry *entry)
{
  g_clear_object (&entry->job);
  g_free (entry);
}

LpQueue *
lp_queue_new (void)
{
  LpQueue *queue = g_new0 (LpQueue, 1);

  queue->running = g_ptr_array_new_with_free_func ((GDestroyNotify) slot_free);
  queue->queued = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  queue->elsewhere = g_ptr_array_new_with_free_func ((GDestroyNotify) slot_free);

  return queue;
}

void
lp_queue_free (LpQueue *queue)
{
  if (queue == NULL)
    return;

  g_ptr_array_unref (queue->running);
  g_ptr_array_unref (queue->queued);
  g_ptr_array_unref (queue->elsewhere);
  g_free (queue);
}

void
lp_queue_add_running (LpQueue *queue,
                      LpJob   *job)
{
  LpQueueSlot *slot = g_new0 (LpQueueSlot, 1);

  slot->id = lp_job_get_id (job);
  slot->name = g_strdup (lp_job_get_name (job));
  slot->status = lp_job_get_status (job);
  slot->progress = lp_job_get_progress (job);
  g_ptr_array_add (queue->running, slot);
}

void
lp_queue_add_elsewhere (LpQueue *queue,
                        LpJob   *job)
{
  LpQueueSlot *slot = g_new0 (LpQueueSlot, 1);

  slot->id = lp_job_get_id (job);
  slot->name = g_strdup (lp_job_get_name (job));
  slot->status = lp_job_get_status (job);
  slot->progress = lp_job_get_progress (job);
  slot->provider = g_strdup (lp_job_get_provider (job));
  slot->detail = g_strdup (lp_job_get_status_detail (job));
  g_ptr_array_add (queue->elsewhere, slot);
}

void
lp_queue_add_queued (LpQueue *queue,
                     LpJob   *job,
                     gint64   estimated_start,
                     gint64   starts_in_s)
{
  LpQueueEntry *entry = g_new0 (LpQueueEntry, 1);

  entry->position = queue->queued->len + 1;
  entry->job = g_object_ref (job);
  entry->estimated_start = estimated_start;
  entry->starts_in_s = starts_in_s;
  g_ptr_array_add (queue->queued, entry);
}

void
lp_queue_to_json (LpQueue     *queue,
                  JsonBuilder *builder)
{
  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "slots");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "max");
  json_builder_add_int_value (builder, queue->max_slots);
  json_builder_set_member_name (builder, "used");
  json_builder_add_int_value (builder, queue->running->len);
  json_builder_set_member_name (builder, "running");
  json_builder_begin_array (builder);
  for (guint i = 0; i < queue->running->len; i++)
    {
      const LpQueueSlot *slot = g_ptr_array_index (queue->running, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, slot->id);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, slot->name);
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, lp_job_status_to_string (slot->status));
      json_builder_set_member_name (builder, "progress");
      json_builder_add_double_value (builder, slot->progress);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "queued");
  json_builder_begin_array (builder);
  for (guint i = 0; i < queue->queued->len; i++)
    {
      const LpQueueEntry *entry = g_ptr_array_index (queue->queued, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "position");
      json_builder_add_int_value (builder, entry->position);
      json_builder_set_member_name (builder, "job");
      lp_job_to_json (entry->job, builder);
      lp_json_add_time (builder, "estimated_start", entry->estimated_start);
      json_builder_set_member_name (builder, "starts_in_s");
      json_builder_add_int_value (builder, entry->starts_in_s);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "elsewhere");
  json_builder_begin_array (builder);
  for (guint i = 0; i < queue->elsewhere->len; i++)
    {
      const LpQueueSlot *slot = g_ptr_array_index (queue->elsewhere, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, slot->id);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, slot->name);
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, lp_job_status_to_string (slot->status));
      json_builder_set_member_name (builder, "progress");
      json_builder_add_double_value (builder, slot->progress);
      lp_json_add_string_or_null (builder, "provider", slot->provider);
      lp_json_add_string_or_null (builder, "status_detail", slot->detail);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_end_object (builder);
}

static gboolean
not_an_object (GError     **error,
               const char  *array,
               guint        index)
{
  g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_TYPE,
               _("%s[%u] must be an object"), array, index);
  return FALSE;
}

/* A service older than the "elsewhere" list sends none. */
static gboolean
parse_elsewhere (JsonArray  *array,
                 GPtrArray  *slots,
                 GError    **error)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *obj;
      const char *name = NULL, *status = NULL, *provider = NULL, *detail = NULL;
      LpQueueSlot *slot;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return not_an_object (error, "elsewhere", i);
      obj = json_node_get_object (node);
      slot = g_new0 (LpQueueSlot, 1);
      g_ptr_array_add (slots, slot);
      if (!lp_json_get_int (obj, "id", TRUE, &slot->id, error) ||
          !lp_json_get_string (obj, "name", TRUE, &name, error) ||
          !lp_json_get_string (obj, "status", TRUE, &status, error) ||
          !lp_json_get_double (obj, "progress", FALSE, &slot->progress, error) ||
          !lp_json_get_string (obj, "provider", FALSE, &provider, error) ||
          !lp_json_get_string (obj, "status_detail", FALSE, &detail, error))
        return FALSE;
      if (!lp_job_status_from_string (status, &slot->status))
        {
          g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                       _("“%s” is not a job status"), status);
          return FALSE;
        }
      slot->name = g_strdup (name);
      slot->provider = g_strdup (provider);
      slot->detail = g_strdup (detail);
    }

  return TRUE;
}

LpQueue *
lp_queue_new_from_json (JsonObject  *object,
                        GError     **error)
{
  g_autoptr(LpQueue) queue = lp_queue_new ();
  JsonObject *slots = NULL;
  JsonArray *running = NULL, *queued = NULL, *elsewhere = NULL;

  if (!lp_json_get_object (object, "slots", TRUE, &slots, error) ||
      !lp_json_get_int_range (slots, "max", TRUE, 0, LP_COUNT_MAX, &queue->max_slots, error) ||
      !lp_json_get_array (slots, "running", TRUE, &running, error) ||
      !lp_json_get_array (object, "queued", TRUE, &queued, error) ||
      !lp_json_get_array (object, "elsewhere", FALSE, &elsewhere, error) ||
      !parse_elsewhere (elsewhere, queue->elsewhere, error))
    return NULL;

  for (guint i = 0; i < json_array_get_length (running); i++)
    {
      JsonNode *node = json_array_get_element (running, i);
      JsonObject *obj;
      const char *name = NULL, *status = NULL;
      LpQueueSlot *slot;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          not_an_object (error, "running", i);
          return NULL;
        }
      obj = json_node_get_object (node);
      slot = g_new0 (LpQueueSlot, 1);
      g_ptr_array_add (queue->running, slot);
      if (!lp_json_get_int_range (obj, "id", TRUE, 0, G_MAXINT64, &slot->id, error) ||
          !lp_json_get_string (obj, "name", TRUE, &name, error) ||
          !lp_json_get_string (obj, "status", TRUE, &status, error) ||
          !lp_json_get_double_range (obj, "progress", FALSE, 0, 100, &slot->progress, error))
        return NULL;
      if (!lp_job_status_from_string (status, &slot->status))
        {
          g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                       _("“%s” is not a job status"), status);
          return NULL;
        }
      slot->name = g_strdup (name);
    }

  for (guint i = 0; i < json_array_get_length (queued); i++)
    {
      JsonNode *node = json_array_get_element (queued, i);
      JsonObject *obj, *job = NULL;
      LpQueueEntry *entry;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          not_an_object (error, "queued", i);
          return NULL;
        }
      obj = json_node_get_object (node);
      entry = g_new0 (LpQueueEntry, 1);
      g_ptr_array_add (queue->queued, entry);
      if (!lp_json_get_int_range (obj, "position", TRUE, 0, LP_COUNT_MAX, &entry->position, error) ||
          !lp_json_get_object (obj, "job", TRUE, &job, error) ||
          !lp_json_get_time (obj, "estimated_start", FALSE, &entry->estimated_start, error) ||
          !lp_json_get_int_range (obj, "starts_in_s", FALSE, 0, LP_SECONDS_MAX, &entry->starts_in_s, error) ||
          !(entry->job = lp_job_new_from_json (job, error)))
        return NULL;
    }

  return g_steal_pointer (&queue);
}
