/* test-hostile-service.c: the app against a service that answers with hostile bodies
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A fake service (hostile-service.c) answers the app's routes with garbage,
 * truncated or empty bodies, 10 MB of valid JSON, 100 MiB streams declared
 * and chunked, wrong types, extreme numbers, deep nesting, markup in every
 * text, bytes that are not UTF-8 and HTML error pages. For each the real
 * main window, job page, event log and export must neither crash nor log a
 * warning or critical (both are fatal in a GLib test), must show an error
 * with a readable message where the answer is unusable, and must show the
 * characters of markup as they are.
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "hostile-service.h"
#include "lm-banner.h"
#include "lm-event-log.h"
#include "lm-event-row.h"
#include "lm-job-page.h"
#include "lm-jobs-table.h"
#include "lm-loss-chart.h"
#include "lm-loss-plot.h"
#include "lm-queue-view.h"
#include "lm-window.h"
#include "lp-event.h"
#include "lp-job.h"
#include "lp-json.h"
#include "lp-metrics.h"
#include "lp-page.h"
#include "lp-queue.h"

static HostileService *service;
/* A gateway's 502 makes the service unreachable: then the banner speaks,
 * and views that have data keep it without a word of their own. */
static gboolean gateway;

/* What a view must show for a case. */
typedef enum {
  SHOWS_DATA,
  SHOWS_ERROR,
  SHOWS_EITHER,     /* accepted or refused; either way shown sensibly */
} Outcome;

typedef struct
{
  HostileCase  which;
  Outcome      outcome;
  const char  *message;   /* part of the error shown, for SHOWS_ERROR */
} Expectation;

static const Expectation expectations[] = {
  { HOSTILE_NORMAL, SHOWS_DATA, NULL },
  { HOSTILE_GARBAGE, SHOWS_ERROR, "not valid JSON" },
  { HOSTILE_TRUNCATED, SHOWS_ERROR, "not valid JSON" },
  { HOSTILE_EMPTY, SHOWS_ERROR, "empty" },
  { HOSTILE_BIG_VALID, SHOWS_DATA, NULL },
  { HOSTILE_HUGE_DECLARED, SHOWS_ERROR, "larger than 32 MiB" },
  { HOSTILE_HUGE_CHUNKED, SHOWS_ERROR, "larger than 32 MiB" },
  { HOSTILE_STRINGS_FOR_NUMBERS, SHOWS_ERROR, "must be" },
  { HOSTILE_ARRAYS_FOR_OBJECTS, SHOWS_ERROR, "must be" },
  { HOSTILE_OBJECTS_FOR_ARRAYS, SHOWS_ERROR, "must be" },
  { HOSTILE_NULLS, SHOWS_ERROR, "unexpected" },
  { HOSTILE_NUMBERS_FOR_STRINGS, SHOWS_ERROR, "must be" },
  { HOSTILE_HUGE_NUMBERS, SHOWS_EITHER, NULL },
  { HOSTILE_NEGATIVE_NUMBERS, SHOWS_EITHER, NULL },
  { HOSTILE_RAW_NUMBERS, SHOWS_EITHER, NULL },
  { HOSTILE_DEEP, SHOWS_ERROR, "deep" },
  { HOSTILE_DEEP_OK, SHOWS_DATA, NULL },
  { HOSTILE_MARKUP, SHOWS_DATA, NULL },
  { HOSTILE_INVALID_UTF8, SHOWS_ERROR, "UTF-8" },
  { HOSTILE_LONE_SURROGATE, SHOWS_ERROR, "unexpected" },
  { HOSTILE_HTML_500, SHOWS_ERROR, "500" },
  { HOSTILE_MARKUP_500, SHOWS_ERROR, HOSTILE_MARKUP_TEXT },
  { HOSTILE_HTML_502, SHOWS_ERROR, "502" },
  { HOSTILE_HUGE_ERROR, SHOWS_ERROR, "500" },
};

/* Iterates without sleeping between events, unlike jobd-fixture's
 * wait_until(): a body read in 64 KiB chunks takes an iteration a chunk. */
static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
wait_until (gboolean (*predicate) (gpointer),
            gpointer   data,
            guint      timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint tick = g_timeout_add (10, tick_cb, NULL);
  gboolean met;

  while (!(met = predicate (data)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (tick);
  return met;
}

/* Widgets */

static void
collect (GtkWidget *widget,
         GType      type,
         GPtrArray *out)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (out, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    collect (child, type, out);
}

/* On screen as far as @root goes: stacks hide their other pages by making
 * them child-invisible. */
static gboolean
is_shown (GtkWidget *widget,
          GtkWidget *root)
{
  for (GtkWidget *w = widget; w != NULL && w != root; w = gtk_widget_get_parent (w))
    if (!gtk_widget_get_visible (w) || !gtk_widget_get_child_visible (w))
      return FALSE;
  return TRUE;
}

/* The text (markup already interpreted) of the description of the status
 * page @root shows, or NULL. */
static char *
shown_status_text (GtkWidget *root)
{
  g_autoptr(GPtrArray) pages = g_ptr_array_new ();

  collect (root, ADW_TYPE_STATUS_PAGE, pages);
  for (guint i = 0; i < pages->len; i++)
    {
      AdwStatusPage *page = g_ptr_array_index (pages, i);
      const char *description = adw_status_page_get_description (page);
      g_autoptr(GPtrArray) labels = g_ptr_array_new ();

      if (!is_shown (GTK_WIDGET (page), root) || description == NULL || *description == '\0')
        continue;

      collect (GTK_WIDGET (page), GTK_TYPE_LABEL, labels);
      for (guint j = 0; j < labels->len; j++)
        if (g_strcmp0 (gtk_label_get_label (g_ptr_array_index (labels, j)), description) == 0)
          return g_strdup (gtk_label_get_text (g_ptr_array_index (labels, j)));
    }

  return NULL;
}

static void
assert_readable (const char *text,
                 const char *expected,
                 const char *where)
{
  if (text == NULL || !g_utf8_validate (text, -1, NULL) || strlen (text) < 10 ||
      strstr (text, "(null)") != NULL ||
      (expected != NULL && strstr (text, expected) == NULL))
    g_error ("%s: expected a readable error with “%s”, shown: “%s”", where,
             expected ? expected : "", text ? text : "(nothing)");
}

/* Every label whose text is the service's markup shows it literally;
 * returns how many there are. */
static guint
assert_markup_literal (GtkWidget *root)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  guint n = 0;

  collect (root, GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      GtkLabel *label = g_ptr_array_index (labels, i);
      const char *shown = gtk_label_get_text (label);

      if (strstr (gtk_label_get_label (label), "bold") == NULL && strstr (shown, "bold") == NULL)
        continue;

      /* Interpreted, the tags would be gone; JSON shows the quotes escaped. */
      if (strstr (shown, "<b>bold</b> & <span foreground=") == NULL)
        g_error ("A label interprets the service's text as markup: label “%s” shows “%s”",
                 gtk_label_get_label (label), shown);
      n++;
    }

  return n;
}

static gboolean
tick_cb_count (GtkWidget     *widget,
               GdkFrameClock *clock,
               gpointer       data)
{
  ++*(guint *) data;
  return G_SOURCE_CONTINUE;
}

static gboolean
two_frames (gpointer data)
{
  return *(guint *) data >= 2;
}

/* Waits for @window to be laid out and drawn as it is now. */
static void
draw (GtkWidget *window)
{
  guint frames = 0;
  guint id = gtk_widget_add_tick_callback (window, tick_cb_count, &frames, NULL);

  wait_until (two_frames, &frames, 2000);
  gtk_widget_remove_tick_callback (window, id);

  /* No answer may widen the window past its size (1400 of a 1440 screen):
   * 1000 slots side by side were 112 000 pixels, an X error that ends the app. */
  if (gtk_widget_get_width (window) > 1440 || gtk_widget_get_height (window) > 1000)
    g_error ("The window grew to %d × %d", gtk_widget_get_width (window), gtk_widget_get_height (window));
}

/* Walks the loss chart with the keyboard's actions and zooms it, so the
 * point text and the visible range are worked out for whatever arrived. */
static void
work_chart (LmJobPage *page)
{
  GtkWidget *chart = lm_job_page_get_chart (page);
  g_autoptr(GPtrArray) plots = g_ptr_array_new ();
  static const char * const plot_actions[] = {
    "plot.last-point", "plot.previous-point", "plot.page-back", "plot.first-point",
    "plot.next-point", "plot.page-forward", "plot.clear-cursor",
  };
  static const char * const chart_actions[] = {
    "chart.zoom-in", "chart.zoom-out", "chart.zoom-out", "chart.zoom-reset",
  };

  collect (chart, LM_TYPE_LOSS_PLOT, plots);
  g_assert_cmpuint (plots->len, ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (plot_actions); i++)
    {
      g_autofree char *text = NULL;

      gtk_widget_activate_action (g_ptr_array_index (plots, 0), plot_actions[i], NULL);
      text = lm_loss_chart_describe (LM_LOSS_CHART (chart));
      g_assert_true (g_utf8_validate (text, -1, NULL));
    }
  for (guint i = 0; i < G_N_ELEMENTS (chart_actions); i++)
    gtk_widget_activate_action (chart, chart_actions[i], NULL);
}

typedef struct
{
  LmWindow    *window;
  LmJobsTable *table;
  LmQueueView *queue;
  LmJobPage   *page;
} Views;

static gboolean
lists_settled (gpointer data)
{
  Views *v = data;

  return g_strcmp0 (lm_jobs_table_get_state (v->table), "loading") != 0 &&
         g_strcmp0 (lm_queue_view_get_state (v->queue), "loading") != 0;
}

static gboolean
chart_settled (LmJobPage *page)
{
  LmLossChart *chart = LM_LOSS_CHART (lm_job_page_get_chart (page));

  return gateway || lm_loss_chart_get_n_points (chart, LP_SERIES_TRAIN_LOSS) > 0 ||
         lm_loss_chart_get_error (chart) != NULL;
}

static gboolean
page_settled (gpointer data)
{
  Views *v = data;

  return g_strcmp0 (lm_job_page_get_state (v->page), "loading") != 0 && chart_settled (v->page);
}

static gboolean
page_and_log_settled (gpointer data)
{
  Views *v = data;
  LmEventLog *log = LM_EVENT_LOG (lm_job_page_get_event_log (v->page));

  return g_strcmp0 (lm_job_page_get_state (v->page), "job") == 0 && chart_settled (v->page) &&
         lm_event_log_get_job (log) != NULL &&
         g_strcmp0 (lm_event_log_get_state (log), "loading") != 0;
}

static void
check_view (GtkWidget         *view,
            const char        *state,
            const char        *data_state,
            const Expectation *e,
            const char        *where)
{
  g_autofree char *text = NULL;

  if (e->outcome == SHOWS_DATA)
    {
      if (g_strcmp0 (state, data_state) != 0)
        {
          text = shown_status_text (view);
          g_error ("%s: expected %s, got %s (%s)", where, data_state, state, text ? text : "");
        }
      return;
    }

  if (g_strcmp0 (state, "error") == 0)
    {
      text = shown_status_text (view);
      assert_readable (text, e->message, where);
    }
  else if (e->outcome == SHOWS_ERROR)
    g_error ("%s: expected an error, got %s", where, state);
  else
    /* Accepted: the data, or "nothing matches" for a count of -1. */
    g_assert_cmpstr (state, !=, "loading");

  if (g_test_verbose () && text != NULL)
    g_printerr ("  %s: %s\n", where, text);
}

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Wait;

static gboolean
is_done (gpointer data)
{
  return ((Wait *) data)->done;
}

static void
exported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Wait *w = user_data;

  w->ok = lm_event_log_export_to_file_finish (LM_EVENT_LOG (object), result, NULL, &w->error);
  w->done = TRUE;
}

static void
check_export (LmEventLog        *log,
              const Expectation *e)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hostile-export-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "events.json", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  Wait w = { 0, };

  g_assert_no_error (error);
  lm_event_log_export_to_file_async (log, file, NULL, exported_cb, &w);
  g_assert_true (wait_until (is_done, &w, 20000));

  if (e->outcome == SHOWS_DATA)
    {
      g_assert_no_error (w.error);
      g_assert_true (w.ok);
    }
  else if (e->outcome == SHOWS_ERROR)
    {
      g_assert_false (w.ok);
      g_assert_nonnull (w.error);
      assert_readable (w.error->message, NULL, "export");
    }
  g_clear_error (&w.error);

  g_remove (path);
  g_rmdir (dir);
}

static gboolean toast_shows (gpointer data);

typedef struct
{
  GtkWidget  *root;
  const char *text;
} ToastWait;

static gboolean
dialog_open (gpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window))
        {
          *(GtkWidget **) data = GTK_WIDGET (window);
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
toast_shows (gpointer data)
{
  ToastWait *t = data;
  g_autoptr(GPtrArray) toasts = g_ptr_array_new ();

  collect (t->root, g_type_from_name ("AdwToastWidget"), toasts);
  for (guint i = 0; i < toasts->len; i++)
    {
      g_autoptr(GPtrArray) labels = g_ptr_array_new ();

      collect (g_ptr_array_index (toasts, i), GTK_TYPE_LABEL, labels);
      for (guint j = 0; j < labels->len; j++)
        if (strstr (gtk_label_get_text (g_ptr_array_index (labels, j)), t->text) != NULL)
          return TRUE;
    }
  return FALSE;
}

typedef struct
{
  GtkWidget **dialog;
  ToastWait   toast;
} DialogOrToast;

static gboolean
dialog_or_toast (gpointer data)
{
  DialogOrToast *d = data;

  return dialog_open (d->dialog) || toast_shows (&d->toast);
}

static void
run_case (gconstpointer data)
{
  const Expectation *e = data;
  g_autoptr(LmClient) client = NULL;
  Views v = { 0, };
  gboolean job_ok;
  LmEventLog *log;
  gint64 started = g_get_monotonic_time ();

  hostile_service_set_case (service, e->which, HOSTILE_ROUTE_ALL);
  hostile_service_reset_max_streamed (service);
  gateway = e->which == HOSTILE_HTML_502;

  client = lm_client_new (hostile_service_get_url (service), "hostile-token");
  v.window = lm_window_new (NULL);
  lm_window_set_client (v.window, client);
  gtk_window_set_default_size (GTK_WINDOW (v.window), 1400, 1000);
  gtk_window_present (GTK_WINDOW (v.window));
  v.table = LM_JOBS_TABLE (lm_window_get_jobs_table (v.window, "all"));
  v.queue = LM_QUEUE_VIEW (lm_window_get_queue_view (v.window));
  v.page = LM_JOB_PAGE (lm_window_get_job_page (v.window));

  /* The Jobs page and the queue */
  if (!wait_until (lists_settled, &v, 20000))
    g_error ("The lists did not settle: table %s, queue %s",
             lm_jobs_table_get_state (v.table), lm_queue_view_get_state (v.queue));
  check_view (GTK_WIDGET (v.table), lm_jobs_table_get_state (v.table), "jobs", e, "jobs table");
  check_view (GTK_WIDGET (v.queue), lm_queue_view_get_state (v.queue), "cards", e, "queue");

  draw (GTK_WIDGET (v.window));

  if (gateway)
    g_assert_true (lm_banner_get_revealed (LM_BANNER (lm_window_get_banner (v.window))));

  /* A toast with the service's message, or the configuration dialog. */
  gtk_widget_activate_action (GTK_WIDGET (v.window), "win.view-config", "x", (gint64) 1);
  if (e->outcome == SHOWS_ERROR && !gateway)
    {
      ToastWait t = { GTK_WIDGET (v.window), e->message };

      if (!wait_until (toast_shows, &t, 10000))
        g_error ("No toast says “%s”", e->message);
    }
  else if (!gateway)
    {
      GtkWidget *dialog = NULL;
      DialogOrToast d = { &dialog, { GTK_WIDGET (v.window), "unexpected" } };

      if (wait_until (dialog_or_toast, &d, 10000) && dialog != NULL)
        {
          if (e->which == HOSTILE_MARKUP)
            g_assert_cmpuint (assert_markup_literal (dialog), >=, 1);
          gtk_window_destroy (GTK_WINDOW (dialog));
        }
      else
        g_assert_cmpint (e->outcome, ==, SHOWS_EITHER);
    }

  /* The job page, with the job answer spoiled too */
  lm_window_open_job (v.window, 1);
  if (!wait_until (page_settled, &v, 20000))
    g_error ("The job page did not settle: %s", lm_job_page_get_state (v.page));
  check_view (GTK_WIDGET (v.page), lm_job_page_get_state (v.page), "job", e, "job page");
  job_ok = g_strcmp0 (lm_job_page_get_state (v.page), "job") == 0;
  draw (GTK_WIDGET (v.window));

  /* The event log, metrics and export behind a job that loads */
  hostile_service_set_case (service, e->which, HOSTILE_ROUTE_ALL & ~HOSTILE_ROUTE_JOB & ~HOSTILE_ROUTE_ME);
  lm_job_page_load (v.page, 2);
  if (!wait_until (page_and_log_settled, &v, 20000))
    g_error ("The job page or its events did not settle: page %s, events %s",
             lm_job_page_get_state (v.page),
             lm_event_log_get_state (LM_EVENT_LOG (lm_job_page_get_event_log (v.page))));
  log = LM_EVENT_LOG (lm_job_page_get_event_log (v.page));
  check_view (GTK_WIDGET (log), lm_event_log_get_state (log), "events", e, "event log");
  work_chart (v.page);
  draw (GTK_WIDGET (v.window));

  {
    const char *chart_error = lm_loss_chart_get_error (LM_LOSS_CHART (lm_job_page_get_chart (v.page)));

    if (e->outcome == SHOWS_DATA)
      g_assert_null (chart_error);
    else if (e->outcome == SHOWS_ERROR && !gateway)
      assert_readable (chart_error, e->message, "loss chart");
  }

  /* The export's limit is 256 MiB, so a chunked 300 MiB stream would be
   * read that far: only its declared length is tried. */
  if (e->which != HOSTILE_HUGE_CHUNKED)
    check_export (log, e);

  /* The four status pages and the toasts of the view and the export. */
  if (e->which == HOSTILE_MARKUP_500)
    g_assert_cmpuint (assert_markup_literal (GTK_WIDGET (v.window)), >=, 5);

  if (e->which == HOSTILE_MARKUP)
    {
      guint n = assert_markup_literal (GTK_WIDGET (v.window));

      /* Names in the table, queue and page, creators, errors, substatus,
       * event messages: far more than a handful. */
      g_assert_cmpuint (n, >=, 10);
      if (g_test_verbose ())
        g_printerr ("  %u labels show the markup literally\n", n);
    }

  /* The service streamed no further than the limit and what the sockets'
   * buffers hold (a few MiB on loopback), far from its 100 MiB. */
  if (e->which == HOSTILE_HUGE_DECLARED || e->which == HOSTILE_HUGE_CHUNKED || e->which == HOSTILE_HUGE_ERROR)
    {
      guint64 streamed = hostile_service_get_max_streamed (service);

      if (g_test_verbose ())
        g_printerr ("  at most %" G_GUINT64_FORMAT " bytes streamed to one request\n", streamed);
      g_assert_cmpuint (streamed, <, (guint64) (e->which == HOSTILE_HUGE_CHUNKED ? 48 : 16) * 1024 * 1024);
    }

  if (g_test_verbose ())
    g_printerr ("  %s: job page %s, %.2f s\n", hostile_case_name (e->which),
                job_ok ? "loaded" : "refused", (g_get_monotonic_time () - started) / 1e6);

  gtk_window_destroy (GTK_WINDOW (v.window));
  /* Let cancelled requests and closed connections wind down. */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
}

/* Codecs: every member of every answer, replaced by every kind of value */

typedef gpointer (*Codec) (JsonObject *object, GError **error);

static gpointer
parse_me (JsonObject  *object,
          GError     **error)
{
  const char *user = NULL;

  return lp_json_get_string (object, "user", TRUE, &user, error) ? g_strdup (user) : NULL;
}

static gpointer
parse_export (JsonObject  *object,
              GError     **error)
{
  JsonObject *job = NULL;

  if (!lp_json_get_object (object, "job", TRUE, &job, error))
    return NULL;
  return lp_job_new_from_json (job, error);
}

static const struct {
  HostileRoute   route;
  Codec          parse;
  GDestroyNotify free;
} codecs[] = {
  { HOSTILE_ROUTE_ME, parse_me, g_free },
  { HOSTILE_ROUTE_LIST, (Codec) lp_job_page_new_from_json, (GDestroyNotify) lp_job_page_free },
  { HOSTILE_ROUTE_JOB, (Codec) lp_job_new_from_json, g_object_unref },
  { HOSTILE_ROUTE_METRICS, (Codec) lp_metrics_new_from_json, (GDestroyNotify) lp_metrics_free },
  { HOSTILE_ROUTE_EVENTS, (Codec) lp_event_page_new_from_json, (GDestroyNotify) lp_event_page_free },
  { HOSTILE_ROUTE_EXPORT, parse_export, g_object_unref },
  { HOSTILE_ROUTE_QUEUE, (Codec) lp_queue_new_from_json, (GDestroyNotify) lp_queue_free },
};

static const char * const replacements[] = {
  "\"s\"", "\"NaN\"", "\"12\"", "\"<b>bold</b> & <span foreground=\\\"red\\\">\"", "\"\"", "12", "0", "-1", "0.5",
  "1e308", "-1e308", "5e-324", "9223372036854775807", "-9223372036854775808",
  "[]", "[1]", "{}", "{\"a\":{}}", "null", "true", "false",
};

/* json_node_copy() shares objects and arrays; a mutation must not. */
static JsonNode *
deep_copy (JsonNode *node)
{
  JsonNode *copy;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      JsonObject *members_copy = json_object_new ();
      g_autoptr(GList) members = json_object_get_members (object);

      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (members_copy, l->data, deep_copy (json_object_get_member (object, l->data)));
      copy = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (copy, members_copy);
      return copy;
    }

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      JsonArray *elements_copy = json_array_new ();

      for (guint i = 0; i < json_array_get_length (array); i++)
        json_array_add_element (elements_copy, deep_copy (json_array_get_element (array, i)));
      copy = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (copy, elements_copy);
      return copy;
    }

  return json_node_copy (node);
}

static gpointer
copy_string (gconstpointer string,
             gpointer      data)
{
  return g_strdup (string);
}

/* The way from the root to a node: members' names, or array indices as
 * "#N". */
static void
collect_paths (JsonNode  *node,
               GPtrArray *prefix,
               GPtrArray *paths)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autoptr(GList) members = json_object_get_members (json_node_get_object (node));

      for (GList *l = members; l != NULL; l = l->next)
        {
          g_ptr_array_add (prefix, g_strdup (l->data));
          g_ptr_array_add (paths, g_ptr_array_copy (prefix, copy_string, NULL));
          collect_paths (json_object_get_member (json_node_get_object (node), l->data), prefix, paths);
          g_ptr_array_remove_index (prefix, prefix->len - 1);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_ptr_array_add (prefix, g_strdup_printf ("#%u", i));
          g_ptr_array_add (paths, g_ptr_array_copy (prefix, copy_string, NULL));
          collect_paths (json_array_get_element (array, i), prefix, paths);
          g_ptr_array_remove_index (prefix, prefix->len - 1);
        }
    }
}

/* Replaces the node at @path under @root (a copy) with @value. */
static void
replace_at (JsonNode  *root,
            GPtrArray *path,
            JsonNode  *value)
{
  JsonNode *parent = root;
  const char *last;

  for (guint i = 0; i + 1 < path->len; i++)
    {
      const char *step = g_ptr_array_index (path, i);

      parent = step[0] == '#'
        ? json_array_get_element (json_node_get_array (parent), (guint) atoi (step + 1))
        : json_object_get_member (json_node_get_object (parent), step);
    }

  last = g_ptr_array_index (path, path->len - 1);
  if (last[0] != '#')
    json_object_set_member (json_node_get_object (parent), last, value);
  else
    {
      JsonArray *array = json_node_get_array (parent);
      JsonArray *rebuilt = json_array_new ();
      guint index = (guint) atoi (last + 1);

      /* json-glib cannot replace an element in place. */
      for (guint i = 0; i < json_array_get_length (array); i++)
        json_array_add_element (rebuilt, i == index ? json_node_ref (value)
                                                    : json_node_ref (json_array_get_element (array, i)));
      json_node_unref (value);
      json_node_take_array (parent, rebuilt);
    }
}

static void
test_codecs (void)
{
  guint n_tried = 0, n_refused = 0;
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  for (guint r = 0; r < G_N_ELEMENTS (replacements); r++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      g_assert_true (json_parser_load_from_data (parser, replacements[r], -1, NULL));
      g_ptr_array_add (values, json_node_copy (json_parser_get_root (parser)));
    }

  for (guint c = 0; c < G_N_ELEMENTS (codecs); c++)
    {
      g_autofree char *document = hostile_document (codecs[c].route);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
      g_autoptr(GPtrArray) prefix = g_ptr_array_new_with_free_func (g_free);

      g_assert_true (json_parser_load_from_data (parser, document, -1, NULL));
      collect_paths (json_parser_get_root (parser), prefix, paths);

      /* Wholesale, through text: the documents of the window test. */
      for (guint w = 0; w < HOSTILE_N_CASES; w++)
        {
          gsize length = 0;
          g_autofree char *body = hostile_spoil (document, (HostileCase) w, &length);
          g_autoptr(JsonObject) root = NULL;
          g_autoptr(GError) error = NULL;
          gpointer parsed = NULL;

          if (body == NULL)
            continue;
          /* json-glib's refusals may quote bytes that are not UTF-8; LmClient
           * makes them valid, and is tested for it by the window test. */
          root = lp_json_parse_object (body, length, &error);
          if (root == NULL)
            {
              g_assert_nonnull (error);
              continue;
            }
          parsed = codecs[c].parse (root, &error);
          if (parsed != NULL)
            codecs[c].free (parsed);
          else
            assert_readable (error->message, NULL, hostile_case_name (w));
        }

      /* One member at a time, on a copy of the parsed document. */
      for (guint i = 0; i < paths->len; i++)
        for (guint r = 0; r < values->len; r++)
          {
            g_autoptr(JsonNode) root = deep_copy (json_parser_get_root (parser));
            g_autoptr(GError) error = NULL;
            gpointer parsed;

            replace_at (root, g_ptr_array_index (paths, i), deep_copy (g_ptr_array_index (values, r)));
            parsed = codecs[c].parse (json_node_get_object (root), &error);
            n_tried++;
            if (parsed != NULL)
              codecs[c].free (parsed);
            else
              {
                n_refused++;
                assert_readable (error->message, NULL, replacements[r]);
              }
          }
    }

  if (g_test_verbose ())
    g_printerr ("  %u documents with one member replaced, %u refused\n", n_tried, n_refused);
  g_assert_cmpuint (n_tried, >, 1000);
}

/* The event log's JSON colouring is markup made from the service's text. */
static void
test_json_markup (void)
{
  static const char * const texts[] = {
    "{\"message\": \"" HOSTILE_MARKUP_TEXT "\"}",
    "{\"a\": \"unterminated <b>",
    "\"\\\"<i>\\\\\" & </span>",
    "{\"k\": -1e308, \"t\": true, \"f\": false, \"n\": null, \"x\": nulled, \"y\": trueish}",
    "<span foreground=\"red\">&amp;&lt;&#0;&#xffff;</span>",
    "{\"\\u0000\": \"\\ud800\", \"é\": \"ü & ü\"}",
    "----------9999e999999tf",
    "\\",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    for (guint dark = 0; dark < 2; dark++)
      {
        g_autofree char *markup = lm_event_json_markup (texts[i], dark);
        g_autofree char *plain = NULL;
        g_autoptr(GError) error = NULL;

        g_assert_true (pango_parse_markup (markup, -1, 0, NULL, &plain, NULL, &error));
        g_assert_no_error (error);
        g_assert_cmpstr (plain, ==, texts[i]);
      }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  service = hostile_service_new ();

  g_test_add_func ("/hostile/codecs", test_codecs);
  g_test_add_func ("/hostile/json-markup", test_json_markup);
  for (guint i = 0; i < G_N_ELEMENTS (expectations); i++)
    {
      g_autofree char *path = g_strdup_printf ("/hostile/window/%s", hostile_case_name (expectations[i].which));

      g_test_add_data_func (path, &expectations[i], run_case);
    }

  ret = g_test_run ();

  hostile_service_free (service);
  return ret;
}
