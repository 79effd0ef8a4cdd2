/* test-event-log.c: the Event Log tab against a real lora-jobd
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * External-provider jobs, whose events the test posts as signed webhooks;
 * the service adds its own status events (queued, provisioning, the end),
 * so every expectation is read back from the API rather than counted here.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <adwaita.h>

#include "jobd-fixture.h"
#include "lm-event-log.h"
#include "lm-event-row.h"
#include "lp-format.h"
#include "lp-json.h"

static JobdFixture *jobd;
static LmClient *client;
static GtkWindow *window;
static AdwToastOverlay *overlay;
static LmEventLog *event_log;
static gint64 job_id;
static char *secret;

/* Helpers */

static JsonObject *
api_get (const char *format,
         ...) G_GNUC_PRINTF (1, 2);

static JsonObject *
api_get (const char *format,
         ...)
{
  g_autofree char *path = NULL;
  guint status = 0;
  JsonObject *obj;
  va_list args;

  va_start (args, format);
  path = g_strdup_vprintf (format, args);
  va_end (args);

  obj = jobd_fixture_request (jobd, "GET", path, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (obj);
  return obj;
}

static JsonObject *
api_events (gint64      id,
            const char *type,
            guint       page)
{
  return api_get ("/api/training/jobs/%" G_GINT64_FORMAT "/events?type=%s&page=%u&per_page=50",
                  id, type, page);
}

static guint
api_total (gint64      id,
           const char *type)
{
  g_autoptr(JsonObject) page = api_events (id, type, 1);

  return (guint) json_object_get_int_member (page, "total");
}

static LpJob *
api_job (gint64 id)
{
  g_autoptr(JsonObject) obj = api_get ("/api/training/jobs/%" G_GINT64_FORMAT, id);
  g_autoptr(GError) error = NULL;
  LpJob *job = lp_job_new_from_json (obj, &error);

  g_assert_no_error (error);
  return job;
}

static gboolean
type_matches (LpEvent    *event,
              const char *filter)
{
  LpEventType type = lp_event_get_event_type (event);

  if (g_str_equal (filter, "all"))
    return TRUE;
  if (g_str_equal (filter, "status"))
    return type == LP_EVENT_STATUS || type == LP_EVENT_STAGE;
  return g_str_equal (lp_event_type_to_string (type), filter);
}

typedef struct
{
  const char *filter;
  guint       total;
  guint       page;
} LogWait;

static gboolean
log_shows (gpointer data)
{
  LogWait *w = data;
  GListModel *events = lm_event_log_get_events (event_log);
  guint n = g_list_model_get_n_items (events);
  guint expected = w->total > (w->page - 1) * 50 ? MIN (50u, w->total - (w->page - 1) * 50) : 0;

  if (g_strcmp0 (lm_event_log_get_filter (event_log), w->filter) != 0 ||
      lm_event_log_get_total (event_log) != w->total ||
      lm_event_log_get_page (event_log) != w->page ||
      n != expected)
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LpEvent) event = g_list_model_get_item (events, i);

      if (!type_matches (event, w->filter))
        return FALSE;
    }

  return g_strcmp0 (lm_event_log_get_state (event_log), w->total > 0 ? "events" : "no-match") == 0;
}

static void
wait_for_log (const char *filter,
              guint       total,
              guint       page)
{
  LogWait w = { filter, total, page };

  if (!wait_until (log_shows, &w, 10000))
    g_error ("The log shows %u events of “%s” on page %u (state %s); expected %u of “%s” on page %u",
             lm_event_log_get_total (event_log), lm_event_log_get_filter (event_log),
             lm_event_log_get_page (event_log), lm_event_log_get_state (event_log),
             total, filter, page);
}

static void
spin (guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static gboolean
find_label (GtkWidget  *widget,
            const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0)
    return TRUE;

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    if (find_label (c, text))
      return TRUE;

  return FALSE;
}

static gboolean
toast_shown (gpointer data)
{
  return find_label (GTK_WIDGET (overlay), data);
}

static LmEventRow *
row_at (guint index)
{
  GtkWidget *row = lm_event_log_get_row (event_log, index);

  g_assert_true (LM_IS_EVENT_ROW (row));
  return LM_EVENT_ROW (row);
}

static void
assert_json_equal (const char *a,
                   const char *b)
{
  g_autoptr(JsonParser) pa = json_parser_new ();
  g_autoptr(JsonParser) pb = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (pa, a, -1, &error);
  g_assert_no_error (error);
  json_parser_load_from_data (pb, b, -1, &error);
  g_assert_no_error (error);
  g_assert_true (json_node_equal (json_parser_get_root (pa), json_parser_get_root (pb)));
}

static void
post (gint64      id,
      const char *key,
      const char *json)
{
  jobd_fixture_post_events (jobd, id, key, json);
}

/* Fixture data: a job that trained for 60 steps with a warning, an error,
 * two checkpoints and a stage change, all in one batch. */
static void
build_dataset (void)
{
  g_autoptr(GString) batch = g_string_new ("{\"events\": [");

  job_id = jobd_fixture_create_job (jobd, "Support Bot: Llama <3> & co", "external", &secret);
  post (job_id, secret, "{\"event_id\": \"s-train\", \"type\": \"status\", \"message\": \"Training started (GPU: H100 PCIe 80GB spot)\","
                        " \"data\": {\"status\": \"training\"}}");

  g_string_append (batch, "{\"event_id\": \"stage-1\", \"type\": \"stage\","
                          " \"data\": {\"stage\": \"training\", \"status\": \"active\"}},");
  for (guint i = 1; i <= 60; i++)
    g_string_append_printf (batch, "{\"event_id\": \"m-%u\", \"type\": \"metrics\","
                                   " \"data\": {\"step\": %u, \"train_loss\": %.3f, \"learning_rate\": 0.0002, \"gpu_util\": 89}},",
                            i, i * 10, 2.0 - i * 0.02);
  g_string_append (batch,
                   "{\"event_id\": \"w-1\", \"type\": \"warning\","
                   " \"message\": \"GPU utilization dropped to 45% (possible throttling) <b>&amp;</b>\","
                   " \"data\": {\"gpu_util\": 45, \"throttled\": true, \"node\": null,"
                   " \"temps\": [81.5, 83], \"detail\": {\"reason\": \"power cap \\\"low\\\"\"}}},"
                   "{\"event_id\": \"e-1\", \"type\": \"error\","
                   " \"message\": \"CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.35 GiB total capacity; 76.12 GiB already allocated)\","
                   " \"data\": {\"step\": 310, \"recoverable\": false}},"
                   "{\"event_id\": \"c-1\", \"type\": \"checkpoint\", \"data\": {\"step\": 300, \"path\": \"/data/out/checkpoint-300\"}},"
                   "{\"event_id\": \"c-2\", \"type\": \"checkpoint\", \"data\": {\"step\": 600, \"path\": \"/data/out/checkpoint-600\"}}");
  g_string_append (batch, "]}");
  post (job_id, secret, batch->str);
}

static void
show_job (gint64 id)
{
  g_autoptr(LpJob) job = api_job (id);

  lm_event_log_set_job (event_log, job);
}

/* Tests */

static void
test_rows (void)
{
  g_autoptr(JsonObject) api = api_events (job_id, "all", 1);
  JsonArray *api_list = json_object_get_array_member (api, "events");
  guint total = (guint) json_object_get_int_member (api, "total");
  g_autofree char *showing = g_strdup_printf ("Showing 1-50 of %u events", total);
  g_autofree char *pages = g_strdup_printf ("Page 1 of %u", (total + 49) / 50);

  wait_for_log ("all", total, 1);
  g_assert_cmpuint (total, >, 50);
  g_assert_cmpstr (lm_event_log_get_showing (event_log), ==, showing);
  g_assert_cmpstr (lm_event_log_get_page_text (event_log), ==, pages);
  g_assert_cmpuint (lm_event_log_get_n_pages (event_log), ==, (total + 49) / 50);

  /* Newest first, in the API's order, each row saying what its event is. */
  for (guint i = 0; i < 50; i++)
    {
      JsonObject *expected = json_array_get_object_element (api_list, i);
      LmEventRow *row = row_at (i);
      LpEvent *event = lm_event_row_get_event (row);
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (lp_event_get_ts (event) / G_USEC_PER_SEC);
      g_autofree char *time = lp_format_time_of_day (when);
      g_autofree char *label = lm_event_row_dup_label (row);
      g_autofree char *expected_label = NULL;

      g_assert_cmpint (lp_event_get_id (event), ==, json_object_get_int_member (expected, "id"));
      g_assert_cmpstr (lm_event_row_get_time_text (row), ==, time);
      g_assert_cmpuint (strlen (time), ==, 8);
      g_assert_false (lm_event_row_get_expanded (row));

      expected_label = g_strdup_printf ("%s, %s, %s", lm_event_row_get_type_text (row), time,
                                        json_object_get_string_member (expected, "message"));
      g_assert_cmpstr (label, ==, expected_label);
    }

  /* Stage events read as status changes. */
  for (guint i = 0; i < 50; i++)
    {
      LmEventRow *row = row_at (i);
      LpEventType type = lp_event_get_event_type (lm_event_row_get_event (row));
      static const char *labels[] = { "Status", "Status", "Metrics", "Warning", "Error", "Checkpoint" };

      g_assert_cmpstr (lm_event_row_get_type_text (row), ==, labels[type]);
    }
}

static void
test_filters (void)
{
  static const char *filters[] = { "status", "metrics", "warning", "error", "checkpoint", "all" };
  GtkDropDown *dropdown = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
    {
      guint total = api_total (job_id, filters[i]);

      lm_event_log_set_filter (event_log, filters[i]);
      wait_for_log (filters[i], total, 1);
      g_assert_cmpuint (total, >, 0);
    }

  g_assert_cmpuint (api_total (job_id, "warning"), ==, 1);
  g_assert_cmpuint (api_total (job_id, "checkpoint"), ==, 2);

  /* The drop-down is the same filter, in the order of the API's types. */
  {
    g_autoptr(GPtrArray) stack = g_ptr_array_new ();

    g_ptr_array_add (stack, event_log);
    while (stack->len > 0 && dropdown == NULL)
      {
        GtkWidget *w = g_ptr_array_steal_index (stack, stack->len - 1);

        if (GTK_IS_DROP_DOWN (w))
          dropdown = GTK_DROP_DOWN (w);
        for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
          g_ptr_array_add (stack, c);
      }
  }
  g_assert_nonnull (dropdown);
  gtk_drop_down_set_selected (dropdown, 4);
  g_assert_cmpstr (lm_event_log_get_filter (event_log), ==, "error");
  wait_for_log ("error", 1, 1);

  lm_event_log_set_filter (event_log, "all");
  wait_for_log ("all", api_total (job_id, "all"), 1);
}

static void
test_paging (void)
{
  guint total = api_total (job_id, "all");
  g_autoptr(JsonObject) api_page2 = api_events (job_id, "all", 2);
  JsonObject *first = json_array_get_object_element (json_object_get_array_member (api_page2, "events"), 0);
  g_autofree char *showing = g_strdup_printf ("Showing 51-%u of %u events", total, total);
  g_autoptr(LpEvent) shown = NULL;

  wait_for_log ("all", total, 1);
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (event_log)));

  gtk_widget_activate_action (GTK_WIDGET (event_log), "event-log.next-page", NULL);
  wait_for_log ("all", total, 2);
  g_assert_cmpstr (lm_event_log_get_showing (event_log), ==, showing);
  shown = g_list_model_get_item (lm_event_log_get_events (event_log), 0);
  g_assert_cmpint (lp_event_get_id (shown), ==, json_object_get_int_member (first, "id"));

  /* The last page has no next one. */
  gtk_widget_activate_action (GTK_WIDGET (event_log), "event-log.next-page", NULL);
  spin (100);
  g_assert_cmpuint (lm_event_log_get_page (event_log), ==, 2);

  gtk_widget_activate_action (GTK_WIDGET (event_log), "event-log.previous-page", NULL);
  wait_for_log ("all", total, 1);

  /* A filter change goes back to page 1. */
  gtk_widget_activate_action (GTK_WIDGET (event_log), "event-log.next-page", NULL);
  wait_for_log ("all", total, 2);
  lm_event_log_set_filter (event_log, "metrics");
  wait_for_log ("metrics", api_total (job_id, "metrics"), 1);
  lm_event_log_set_filter (event_log, "all");
  wait_for_log ("all", total, 1);
}

typedef struct
{
  char     *text;
  gboolean  done;
} ClipboardRead;

static void
clipboard_read_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ClipboardRead *read = user_data;
  g_autoptr(GError) error = NULL;

  read->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
  read->done = TRUE;
}

static gboolean
clipboard_read_done (gpointer data)
{
  return ((ClipboardRead *) data)->done;
}

static gboolean
row_expanded (gpointer data)
{
  return lm_event_row_get_expanded (data);
}

static GtkLabel *
find_selectable_label (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget) && gtk_label_get_selectable (GTK_LABEL (widget)))
    return GTK_LABEL (widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkLabel *found = find_selectable_label (c);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
test_expand_and_copy (void)
{
  g_autoptr(JsonObject) api = api_events (job_id, "warning", 1);
  JsonObject *warning = json_array_get_object_element (json_object_get_array_member (api, "events"), 0);
  g_autoptr(JsonNode) payload = json_node_init_object (json_node_alloc (),
                                                       json_object_get_object_member (warning, "payload"));
  g_autofree char *payload_text = lp_json_to_string (payload, FALSE);
  ClipboardRead read = { NULL, FALSE };
  LmEventRow *row;
  GtkWidget *list;

  lm_event_log_set_filter (event_log, "warning");
  wait_for_log ("warning", 1, 1);
  row = row_at (0);
  list = gtk_widget_get_parent (GTK_WIDGET (row));
  g_assert_true (GTK_IS_LIST_BOX (list));

  /* A click on the row (the list box's activation) expands it ... */
  g_assert_false (lm_event_row_get_expanded (row));
  gtk_widget_activate (GTK_WIDGET (row));
  g_assert_true (wait_until (row_expanded, row, 1000));

  /* ... showing the payload as indented JSON, coloured, in plain text the
   * same document. */
  assert_json_equal (lm_event_row_get_json (row), payload_text);

  /* Tab into the payload selects it all; leaving forgets the selection,
   * which would stay behind as a grey block. */
  {
    GtkLabel *json_label = find_selectable_label (GTK_WIDGET (row));
    int start, end;

    g_assert_nonnull (json_label);
    g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (json_label)));
    gtk_label_select_region (json_label, 0, -1);
    g_assert_true (gtk_label_get_selection_bounds (json_label, &start, &end));
    g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (row)));
    g_assert_false (gtk_label_get_selection_bounds (json_label, &start, &end));
  }
  g_assert_nonnull (strstr (lm_event_row_get_json (row), "\n  \"data\" : {"));
  {
    g_autofree char *markup = lm_event_json_markup (lm_event_row_get_json (row), FALSE);
    g_autofree char *dark = lm_event_json_markup (lm_event_row_get_json (row), TRUE);
    g_autofree char *plain = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true (pango_parse_markup (markup, -1, 0, NULL, &plain, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (plain, ==, lm_event_row_get_json (row));
    g_assert_nonnull (strstr (markup, "<span foreground=\"#1c71d8\">&quot;gpu_util&quot;</span>"));
    g_assert_nonnull (strstr (markup, "<span foreground=\"#c64600\">45</span>"));
    g_assert_nonnull (strstr (markup, "<span foreground=\"#813d9c\">true</span>"));
    g_assert_nonnull (strstr (markup, "&lt;b&gt;&amp;amp;&lt;/b&gt;"));
    g_assert_nonnull (strstr (dark, "<span foreground=\"#99c1f1\">&quot;gpu_util&quot;</span>"));
    g_assert_true (pango_parse_markup (dark, -1, 0, NULL, NULL, NULL, NULL));
  }

  /* Enter or Space on the focused row (the list's key binding) collapses
   * and expands it again. */
  gtk_widget_grab_focus (GTK_WIDGET (row));
  g_signal_emit_by_name (list, "activate-cursor-row");
  g_assert_false (lm_event_row_get_expanded (row));
  g_signal_emit_by_name (list, "activate-cursor-row");
  g_assert_true (lm_event_row_get_expanded (row));

  /* Copy JSON puts the pretty payload on the clipboard, with a toast. */
  gtk_widget_activate_action (GTK_WIDGET (row), "row.copy-json", NULL);
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (row)), NULL, clipboard_read_cb, &read);
  g_assert_true (wait_until (clipboard_read_done, &read, 5000));
  g_assert_cmpstr (read.text, ==, lm_event_row_get_json (row));
  assert_json_equal (read.text, payload_text);
  g_assert_true (wait_until (toast_shown, (gpointer) "Copied!", 2000));
  g_free (read.text);

  /* Every payload's markup is well-formed and says the same text. */
  lm_event_log_set_filter (event_log, "all");
  wait_for_log ("all", api_total (job_id, "all"), 1);
  for (guint i = 0; i < 50; i++)
    {
      LmEventRow *r = row_at (i);
      g_autofree char *markup = lm_event_json_markup (lm_event_row_get_json (r), FALSE);
      g_autofree char *plain = NULL;

      g_assert_true (pango_parse_markup (markup, -1, 0, NULL, &plain, NULL, NULL));
      g_assert_cmpstr (plain, ==, lm_event_row_get_json (r));
    }
}

static void
n_new_notified_cb (GObject    *object,
                   GParamSpec *pspec,
                   guint      *count)
{
  (*count)++;
}

static gboolean
n_new_is (gpointer data)
{
  return lm_event_log_get_n_new (event_log) == GPOINTER_TO_UINT (data);
}

static gboolean
first_message_is (gpointer data)
{
  g_autoptr(LpEvent) first = g_list_model_get_item (lm_event_log_get_events (event_log), 0);

  return first != NULL && g_strcmp0 (lp_event_get_message (first), data) == 0;
}

static gboolean
not_highlighted (gpointer data)
{
  return !lm_event_row_get_highlighted (data);
}

static void
test_new_events (void)
{
  guint total = api_total (job_id, "all");
  guint notified = 0;
  gulong handler;
  g_autoptr(LpEvent) kept = NULL;

  wait_for_log ("all", total, 1);
  lm_event_log_set_poll_interval (event_log, 1);
  g_assert_true (lm_event_log_is_polling (event_log));
  handler = g_signal_connect (event_log, "notify::n-new", G_CALLBACK (n_new_notified_cb), &notified);

  /* An expanded row stays expanded while others slide in above it. */
  lm_event_row_set_expanded (row_at (0), TRUE);
  kept = g_object_ref (lm_event_row_get_event (row_at (0)));

  /* The Overview tab is shown: arrivals are counted for the tab's badge. */
  lm_event_log_set_watching (event_log, FALSE);
  post (job_id, secret, "{\"events\": ["
                        "{\"event_id\": \"n-1\", \"type\": \"warning\", \"message\": \"new one\", \"data\": {}},"
                        "{\"event_id\": \"n-2\", \"type\": \"metrics\", \"data\": {\"step\": 610, \"train_loss\": 0.7}},"
                        "{\"event_id\": \"n-3\", \"type\": \"warning\", \"message\": \"new three\", \"data\": {}}]}");
  g_assert_true (wait_until (n_new_is, GUINT_TO_POINTER (3), 5000));
  g_assert_cmpuint (notified, >=, 1);
  g_assert_true (wait_until (first_message_is, (gpointer) "new three", 2000));
  g_assert_cmpuint (lm_event_log_get_total (event_log), ==, total + 3);
  g_assert_cmpuint (g_list_model_get_n_items (lm_event_log_get_events (event_log)), ==, 50);
  g_assert_true (lm_event_row_get_highlighted (row_at (0)));
  g_assert_true (lm_event_row_get_highlighted (row_at (2)));
  g_assert_false (lm_event_row_get_highlighted (row_at (3)));
  g_assert_true (lm_event_row_get_event (row_at (3)) == kept);
  g_assert_true (lm_event_row_get_expanded (row_at (3)));

  /* Unseen arrivals keep their highlight until the tab is shown. */
  spin (2500);
  g_assert_true (lm_event_row_get_highlighted (row_at (0)));
  g_assert_cmpuint (lm_event_log_get_n_new (event_log), ==, 3);

  lm_event_log_set_watching (event_log, TRUE);
  g_assert_cmpuint (lm_event_log_get_n_new (event_log), ==, 0);
  g_assert_true (wait_until (not_highlighted, row_at (0), 3500));

  /* Watching, arrivals are only highlighted. */
  post (job_id, secret, "{\"event_id\": \"n-4\", \"type\": \"checkpoint\", \"data\": {\"step\": 610, \"path\": \"/x\"}}");
  g_assert_true (wait_until (first_message_is, (gpointer) "Checkpoint saved at step 610", 5000));
  g_assert_true (lm_event_row_get_highlighted (row_at (0)));
  g_assert_cmpuint (lm_event_log_get_n_new (event_log), ==, 0);

  /* On page 2 nothing moves under the reader; the newest are one click away. */
  total = api_total (job_id, "all");
  gtk_widget_activate_action (GTK_WIDGET (event_log), "event-log.next-page", NULL);
  wait_for_log ("all", total, 2);
  {
    g_autoptr(LpEvent) page2_first = g_list_model_get_item (lm_event_log_get_events (event_log), 0);

    post (job_id, secret, "{\"event_id\": \"n-5\", \"type\": \"warning\", \"message\": \"while on page two\", \"data\": {}}");
    spin (2000);
    g_assert_cmpuint (lm_event_log_get_page (event_log), ==, 2);
    {
      g_autoptr(LpEvent) still = g_list_model_get_item (lm_event_log_get_events (event_log), 0);
      g_assert_cmpint (lp_event_get_id (still), ==, lp_event_get_id (page2_first));
    }
  }
  gtk_widget_activate_action (GTK_WIDGET (event_log), "event-log.show-newest", NULL);
  wait_for_log ("all", total + 1, 1);
  g_assert_true (first_message_is ((gpointer) "while on page two"));

  /* Polling follows the filter: only matching arrivals come in. */
  lm_event_log_set_filter (event_log, "error");
  wait_for_log ("error", 1, 1);
  post (job_id, secret, "{\"events\": ["
                        "{\"event_id\": \"n-6\", \"type\": \"warning\", \"message\": \"not an error\", \"data\": {}},"
                        "{\"event_id\": \"n-7\", \"type\": \"error\", \"message\": \"NaN loss\", \"data\": {}}]}");
  g_assert_true (wait_until (first_message_is, (gpointer) "NaN loss", 5000));
  wait_for_log ("error", 2, 1);
  lm_event_log_set_filter (event_log, "all");
  wait_for_log ("all", api_total (job_id, "all"), 1);

  g_signal_handler_disconnect (event_log, handler);
}

typedef struct
{
  GAsyncResult *result;
} AsyncWait;

static void
async_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  AsyncWait *w = user_data;

  w->result = g_object_ref (result);
}

static gboolean
async_done (gpointer data)
{
  return ((AsyncWait *) data)->result != NULL;
}

static void
test_export (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("event-export-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "events.json", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(JsonObject) api = api_get ("/api/training/jobs/%" G_GINT64_FORMAT "/events/export", job_id);
  JsonArray *api_events_array = json_object_get_array_member (api, "events");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *expected_toast = NULL;
  AsyncWait w = { NULL };
  JsonObject *root;
  JsonArray *events;
  guint n_events = 0;

  g_assert_no_error (error);

  lm_event_log_export_to_file_async (event_log, file, NULL, async_cb, &w);
  g_assert_true (wait_until (async_done, &w, 10000));
  g_assert_true (lm_event_log_export_to_file_finish (event_log, w.result, &n_events, &error));
  g_assert_no_error (error);
  g_clear_object (&w.result);

  g_assert_cmpuint (n_events, ==, json_array_get_length (api_events_array));
  expected_toast = g_strdup_printf ("Exported %u events", n_events);
  g_assert_true (wait_until (toast_shown, expected_toast, 2000));

  /* The file is the service's document: the same events, oldest first. */
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "job"), "id"), ==, job_id);
  events = json_object_get_array_member (root, "events");
  g_assert_cmpuint (json_array_get_length (events), ==, json_array_get_length (api_events_array));
  for (guint i = 0; i < json_array_get_length (events); i++)
    g_assert_true (json_node_equal (json_array_get_element (events, i),
                                    json_array_get_element (api_events_array, i)));
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (events, 0), "id"), <,
                   json_object_get_int_member (json_array_get_object_element (events, 1), "id"));

  /* A second export replaces the file. */
  lm_event_log_export_to_file_async (event_log, file, NULL, async_cb, &w);
  g_assert_true (wait_until (async_done, &w, 10000));
  g_assert_true (lm_event_log_export_to_file_finish (event_log, w.result, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&w.result);

  /* A folder that is not there is an error, said in a toast. */
  {
    g_autofree char *bad_path = g_build_filename (dir, "missing", "events.json", NULL);
    g_autoptr(GFile) bad = g_file_new_for_path (bad_path);

    lm_event_log_export_to_file_async (event_log, bad, NULL, async_cb, &w);
    g_assert_true (wait_until (async_done, &w, 10000));
    g_assert_false (lm_event_log_export_to_file_finish (event_log, w.result, NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_clear_object (&w.result);
    g_clear_error (&error);
  }

  g_file_delete (file, NULL, NULL);
  g_rmdir (dir);
}

static void
test_default_filename (void)
{
  g_autoptr(GDateTime) when = g_date_time_new_utc (2025, 12, 18, 14, 28, 15);
  g_autofree char *plain = lm_event_log_default_filename ("support-bot_v2.1", when);
  g_autofree char *odd = lm_event_log_default_filename ("Ünïcode / mødel: v1?", when);
  g_autofree char *dot = lm_event_log_default_filename (".hidden", when);
  g_autofree char *empty = lm_event_log_default_filename ("", when);

  g_assert_cmpstr (plain, ==, "support-bot_v2.1-events-20251218-142815.json");
  /* The service's own rule, from its documentation. */
  g_assert_cmpstr (odd, ==, "-n-code---m-del--v1--events-20251218-142815.json");
  g_assert_cmpstr (dot, ==, "-hidden-events-20251218-142815.json");
  g_assert_cmpstr (empty, ==, "job-events-20251218-142815.json");
}

static gboolean
not_polling_and_first_is_end (gpointer data)
{
  g_autoptr(LpEvent) first = g_list_model_get_item (lm_event_log_get_events (event_log), 0);

  return !lm_event_log_is_polling (event_log) && first != NULL &&
         g_str_has_prefix (lp_event_get_message (first), "Job completed");
}

static void
test_empty_filter_and_switching (void)
{
  g_autofree char *other_secret = NULL;
  gint64 other = jobd_fixture_create_job (jobd, "Quiet job", "external", &other_secret);
  guint other_total = api_total (other, "all");

  /* Another job replaces the list; a filter with nothing says so. */
  lm_event_log_set_filter (event_log, "warning");
  wait_for_log ("warning", api_total (job_id, "warning"), 1);
  show_job (other);
  g_assert_cmpstr (lm_event_log_get_filter (event_log), ==, "warning");
  wait_for_log ("warning", 0, 1);
  g_assert_cmpstr (lm_event_log_get_state (event_log), ==, "no-match");

  gtk_widget_activate_action (GTK_WIDGET (event_log), "event-log.show-all", NULL);
  wait_for_log ("all", other_total, 1);
  g_assert_cmpuint (other_total, ==, 2);   /* queued, provisioning */

  /* Quick switches: only the last job's answer lands. */
  show_job (job_id);
  show_job (other);
  show_job (job_id);
  wait_for_log ("all", api_total (job_id, "all"), 1);
  spin (300);
  wait_for_log ("all", api_total (job_id, "all"), 1);
}

static void
test_polling_stops (void)
{
  g_autofree char *other_secret = NULL;
  gint64 other = jobd_fixture_create_job (jobd, "Short job", "external", &other_secret);

  /* The service's own end-of-job event stops polling by itself. */
  show_job (other);
  lm_event_log_set_poll_interval (event_log, 1);
  wait_for_log ("all", api_total (other, "all"), 1);
  g_assert_true (lm_event_log_is_polling (event_log));
  post (other, other_secret, "{\"event_id\": \"done\", \"type\": \"status\", \"data\": {\"status\": \"completed\"}}");
  g_assert_true (wait_until (not_polling_and_first_is_end, NULL, 5000));
  wait_for_log ("all", api_total (other, "all"), 1);

  /* The host saying the job ended stops it too, after one last look; here
   * polls are too far apart to be the ones that notice. */
  show_job (job_id);
  lm_event_log_set_poll_interval (event_log, 60);
  wait_for_log ("all", api_total (job_id, "all"), 1);
  g_assert_true (lm_event_log_is_polling (event_log));
  post (job_id, secret, "{\"event_id\": \"done\", \"type\": \"status\", \"data\": {\"status\": \"completed\"}}");
  show_job (job_id);
  g_assert_true (wait_until (not_polling_and_first_is_end, NULL, 5000));
  wait_for_log ("all", api_total (job_id, "all"), 1);

  /* A finished job is shown without polling at all. */
  show_job (other);
  wait_for_log ("all", api_total (other, "all"), 1);
  g_assert_false (lm_event_log_is_polling (event_log));
}

int
main (int   argc,
      char *argv[])
{
  GtkWidget *scroller;
  int ret;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  jobd = g_new0 (JobdFixture, 1);
  jobd_fixture_start (jobd, NULL);
  build_dataset ();

  client = lm_client_new (jobd->url, jobd->token);
  window = GTK_WINDOW (gtk_window_new ());
  overlay = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  scroller = gtk_scrolled_window_new ();
  event_log = LM_EVENT_LOG (lm_event_log_new ());
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (event_log));
  adw_toast_overlay_set_child (overlay, scroller);
  gtk_window_set_child (window, GTK_WIDGET (overlay));
  gtk_window_set_default_size (window, 1100, 800);
  gtk_window_present (window);

  lm_event_log_set_client (event_log, client);
  show_job (job_id);

  g_test_add_func ("/event-log/rows", test_rows);
  g_test_add_func ("/event-log/filters", test_filters);
  g_test_add_func ("/event-log/paging", test_paging);
  g_test_add_func ("/event-log/expand-and-copy", test_expand_and_copy);
  g_test_add_func ("/event-log/new-events", test_new_events);
  g_test_add_func ("/event-log/export", test_export);
  g_test_add_func ("/event-log/default-filename", test_default_filename);
  g_test_add_func ("/event-log/empty-filter-and-switching", test_empty_filter_and_switching);
  g_test_add_func ("/event-log/polling-stops", test_polling_stops);

  ret = g_test_run ();

  gtk_window_destroy (window);
  g_clear_object (&client);
  g_free (secret);
  jobd_fixture_free (jobd);

  return ret;
}
