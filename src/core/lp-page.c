/* lp-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lp-json.h"
#include "lp-page.h"

LpJobPage *
lp_job_page_new (void)
{
  LpJobPage *page = g_new0 (LpJobPage, 1);

  page->jobs = g_ptr_array_new_with_free_func (g_object_unref);
  page->page = 1;
  page->per_page = 25;

  return page;
}

void
lp_job_page_free (LpJobPage *page)
{
  if (page == NULL)
    return;

  g_ptr_array_unref (page->jobs);
  g_free (page);
}

/* Divides before adding, so no total or page size can overflow. */
gint64
lp_job_page_get_n_pages (LpJobPage *page)
{
  if (page->per_page <= 0 || page->total <= 0)
    return 1;

  return page->total / page->per_page + (page->total % page->per_page != 0);
}

static void
add_int (JsonBuilder *builder,
         const char  *member,
         gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

void
lp_job_page_to_json (LpJobPage   *page,
                     JsonBuilder *builder)
{
  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "jobs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < page->jobs->len; i++)
    lp_job_to_json (g_ptr_array_index (page->jobs, i), builder);
  json_builder_end_array (builder);

  add_int (builder, "total", page->total);
  add_int (builder, "page", page->page);
  add_int (builder, "per_page", page->per_page);

  json_builder_set_member_name (builder, "counts");
  json_builder_begin_object (builder);
  for (guint i = 0; i < LP_N_JOB_STATUSES; i++)
    add_int (builder, lp_job_status_to_string ((LpJobStatus) i), page->counts[i]);
  add_int (builder, "active", page->count_active);
  add_int (builder, "all", page->count_all);
  json_builder_end_object (builder);

  json_builder_end_object (builder);
}

static gboolean
get_paging (JsonObject  *object,
            gint64      *total,
            gint64      *page,
            gint64      *per_page,
            GError     **error)
{
  return lp_json_get_int_range (object, "total", TRUE, 0, LP_COUNT_MAX, total, error) &&
         lp_json_get_int_range (object, "page", TRUE, 1, LP_COUNT_MAX, page, error) &&
         lp_json_get_int_range (object, "per_page", TRUE, 1, LP_PER_PAGE_MAX, per_page, error);
}

static gboolean
element_error (GError     **error,
               const char  *array,
               guint        index)
{
  if (error != NULL && *error != NULL)
    g_prefix_error (error, "%s[%u]: ", array, index);
  else
    g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_TYPE,
                 _("%s[%u] must be an object"), array, index);
  return FALSE;
}

LpJobPage *
lp_job_page_new_from_json (JsonObject  *object,
                           GError     **error)
{
  g_autoptr(LpJobPage) page = lp_job_page_new ();
  JsonArray *jobs = NULL;
  JsonObject *counts = NULL;

  if (!lp_json_get_array (object, "jobs", TRUE, &jobs, error) ||
      !get_paging (object, &page->total, &page->page, &page->per_page, error) ||
      !lp_json_get_object (object, "counts", FALSE, &counts, error))
    return NULL;

  for (guint i = 0; i < json_array_get_length (jobs); i++)
    {
      JsonNode *node = json_array_get_element (jobs, i);
      LpJob *job;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          element_error (error, "jobs", i);
          return NULL;
        }
      if (!(job = lp_job_new_from_json (json_node_get_object (node), error)))
        {
          element_error (error, "jobs", i);
          return NULL;
        }
      g_ptr_array_add (page->jobs, job);
    }

  if (counts != NULL)
    {
      for (guint i = 0; i < LP_N_JOB_STATUSES; i++)
        if (!lp_json_get_int_range (counts, lp_job_status_to_string ((LpJobStatus) i), FALSE,
                                    0, LP_COUNT_MAX, &page->counts[i], error))
          return NULL;
      if (!lp_json_get_int_range (counts, "active", FALSE, 0, LP_COUNT_MAX, &page->count_active, error) ||
          !lp_json_get_int_range (counts, "all", FALSE, 0, LP_COUNT_MAX, &page->count_all, error))
        return NULL;
    }

  return g_steal_pointer (&page);
}

LpEventPage *
lp_event_page_new (void)
{
  LpEventPage *page = g_new0 (LpEventPage, 1);

  page->events = g_ptr_array_new_with_free_func (g_object_unref);
  page->page = 1;
  page->per_page = 50;

  return page;
}

void
lp_event_page_free (LpEventPage *page)
{
  if (page == NULL)
    return;

  g_ptr_array_unref (page->events);
  g_free (page);
}

void
lp_event_page_to_json (LpEventPage *page,
                       JsonBuilder *builder)
{
  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "events");
  json_builder_begin_array (builder);
  for (guint i = 0; i < page->events->len; i++)
    lp_event_to_json (g_ptr_array_index (page->events, i), builder);
  json_builder_end_array (builder);

  add_int (builder, "total", page->total);
  add_int (builder, "page", page->page);
  add_int (builder, "per_page", page->per_page);

  json_builder_end_object (builder);
}

LpEventPage *
lp_event_page_new_from_json (JsonObject  *object,
                             GError     **error)
{
  g_autoptr(LpEventPage) page = lp_event_page_new ();
  JsonArray *events = NULL;

  if (!lp_json_get_array (object, "events", TRUE, &events, error) ||
      !get_paging (object, &page->total, &page->page, &page->per_page, error))
    return NULL;

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      LpEvent *event;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          element_error (error, "events", i);
          return NULL;
        }
      if (!(event = lp_event_new_from_json (json_node_get_object (node), error)))
        {
          element_error (error, "events", i);
          return NULL;
        }
      g_ptr_array_add (page->events, event);
    }

  return g_steal_pointer (&page);
}
