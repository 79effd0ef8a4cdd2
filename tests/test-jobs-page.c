/* test-jobs-page.c: the Jobs page against a real lora-jobd
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One service with a known set of jobs serves every test: external-provider
 * jobs whose state the test sets through signed webhooks, and one job
 * written straight into the database with a creation date 60 days ago so
 * the date filter has something to exclude.
 */
#include "config.h"

#include <adwaita.h>

#include "jobd-fixture.h"
#include "ljd-store.h"
#include "lm-banner.h"
#include "lm-job-cell.h"
#include "lm-jobs-table.h"
#include "lm-queue-card.h"
#include "lm-queue-view.h"
#include "lm-window.h"
#include "lp-format.h"

static JobdFixture *jobd;
static gint64 ids[32];          /* ids[n] is "Job nn"; ids[31] the Unicode one */
static gint64 old_id;
static LmWindow *window;
static LmClient *client;

/* Fixture data */

static void
insert_old_job (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LjdStore) store = ljd_store_open (jobd->db, &error);
  g_autoptr(LpJob) job = lp_job_new ();
  gint64 created = g_get_real_time () - 60 * G_TIME_SPAN_DAY;

  g_assert_no_error (error);
  lp_job_set_name (job, "Archived Sixty Days");
  lp_job_set_status (job, LP_JOB_STATUS_COMPLETED);
  lp_job_set_created_by (job, "someone");
  lp_job_set_created_at (job, created);
  lp_job_set_total_steps (job, 100);
  lp_job_set_total_epochs (job, 1);
  lp_job_set_gpu_type (job, "A100 SXM 80GB");
  lp_job_set_pricing (job, "spot");
  lp_job_set_hourly_rate (job, 1.19);
  lp_job_set_preset (job, "fast");
  lp_job_set_provider (job, "external");
  g_assert_true (ljd_store_insert_job (store, job, "old-secret", &error));
  lp_job_set_started_at (job, created + G_TIME_SPAN_MINUTE);
  lp_job_set_finished_at (job, created + G_TIME_SPAN_HOUR);
  lp_job_set_cost (job, 1.19);
  g_assert_true (ljd_store_update_job (store, job, &error));
  g_assert_no_error (error);
  old_id = lp_job_get_id (job);
}

static void
build_dataset (void)
{
  g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL;
  guint status = 0;

  jobd_fixture_stop (jobd);
  insert_old_job ();
  jobd_fixture_restart (jobd);

  for (guint n = 1; n <= 30; n++)
    {
      g_autofree char *name = g_strdup_printf ("Job %02u", n);
      ids[n] = jobd_fixture_create_job (jobd, name, "external",
                                        n == 1 ? &s1 : n == 2 ? &s2 : n == 3 ? &s3 : NULL);
    }
  ids[31] = jobd_fixture_create_job (jobd, "Ünïcode Spécial", "external", NULL);

  /* Job 01 trains at 42 %. */
  jobd_fixture_post_events (jobd, ids[1], s1,
                            "{\"event_id\": \"m850\", \"type\": \"metrics\","
                            " \"data\": {\"step\": 850, \"epoch\": 1.2, \"train_loss\": 0.342}}");
  /* Job 02 completes, which starts Job 03; Job 03 fails, which starts 04. */
  jobd_fixture_post_events (jobd, ids[2], s2,
                            "{\"event_id\": \"done\", \"type\": \"status\", \"data\": {\"status\": \"completed\"}}");
  jobd_fixture_post_events (jobd, ids[3], s3,
                            "{\"event_id\": \"oom\", \"type\": \"status\","
                            " \"data\": {\"status\": \"failed\", \"error\": \"CUDA out of memory\"}}");
  /* Job 05 is removed from the queue. */
  {
    g_autofree char *path = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT "/cancel", ids[5]);
    g_autoptr(JsonObject) cancelled = jobd_fixture_request (jobd, "POST", path,
                                                            "{\"reason\": \"testing\"}", &status);

    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (cancelled, "status"), ==, "cancelled");
  }
}

/* Helpers */

static void
collect_cells (GtkWidget *widget,
               GPtrArray *cells)
{
  if (LM_IS_JOB_CELL (widget))
    g_ptr_array_add (cells, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    collect_cells (child, cells);
}

static const char *
cell_text (LmJobsTable *table,
           gint64       id,
           LmJobColumn  column)
{
  g_autoptr(GPtrArray) cells = g_ptr_array_new ();

  collect_cells (GTK_WIDGET (table), cells);
  for (guint i = 0; i < cells->len; i++)
    {
      LmJobCell *cell = g_ptr_array_index (cells, i);
      LpJob *job = lm_job_cell_get_job (cell);
      guint cell_column;

      g_object_get (cell, "column", &cell_column, NULL);
      if (job != NULL && lp_job_get_id (job) == id && cell_column == column)
        return lm_job_cell_get_text (cell);
    }

  return NULL;
}

typedef struct
{
  LmJobsTable *table;
  guint        total;
  guint        page;
} TableWait;

static gboolean
table_shows (gpointer data)
{
  TableWait *w = data;

  return g_strcmp0 (lm_jobs_table_get_state (w->table), "jobs") == 0 &&
         lm_jobs_table_get_total (w->table) == w->total &&
         lm_jobs_table_get_page (w->table) == w->page &&
         g_list_model_get_n_items (lm_jobs_table_get_jobs (w->table)) ==
           MIN (25u, w->total - (w->page - 1) * 25);
}

static void
wait_for_table (LmJobsTable *table,
                guint        total,
                guint        page)
{
  TableWait w = { table, total, page };

  if (!wait_until (table_shows, &w, 10000))
    g_error ("The table shows %u jobs on page %u in state %s; expected %u on page %u",
             lm_jobs_table_get_total (table), lm_jobs_table_get_page (table),
             lm_jobs_table_get_state (table), total, page);
}

static LmJobsTable *
all_table (void)
{
  return LM_JOBS_TABLE (lm_window_get_jobs_table (window, "all"));
}

static void
collect_dropdowns (GtkWidget *widget,
                   GPtrArray *found)
{
  if (GTK_IS_DROP_DOWN (widget))
    g_ptr_array_add (found, widget);

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    collect_dropdowns (c, found);
}

/* In document order: 0 is Status, 1 is Date Range. */
static GtkDropDown *
find_dropdown (LmJobsTable *table,
               guint        n)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect_dropdowns (GTK_WIDGET (table), found);
  g_assert_cmpuint (found->len, >, n);
  return g_ptr_array_index (found, n);
}

static GtkEditable *
find_search (GtkWidget *widget)
{
  if (GTK_IS_SEARCH_ENTRY (widget))
    return GTK_EDITABLE (widget);

  /* A drop-down's popover has a search entry of its own. */
  if (GTK_IS_DROP_DOWN (widget))
    return NULL;

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkEditable *e = find_search (c);
      if (e != NULL)
        return e;
    }

  return NULL;
}

static gboolean
shows_no_match (gpointer data)
{
  return g_strcmp0 (lm_jobs_table_get_state (data), "no-match") == 0;
}

static gboolean
knows_user (gpointer data)
{
  return lm_client_get_user (data) != NULL;
}

/* Tests */

static void
test_columns (void)
{
  LmJobsTable *table = all_table ();
  g_autofree char *queued_estimate = lp_format_estimate_hours ((gint64) (45 / 2.49 * 3600),
                                                               (gint64) (55 / 2.49 * 3600));

  /* The default range, the last 30 days, leaves the archived job out. */
  wait_for_table (table, 31, 1);
  g_assert_cmpstr (lm_jobs_table_get_showing (table), ==, "Showing 1-25 of 31 jobs");
  g_assert_cmpstr (lm_jobs_table_get_page_text (table), ==, "Page 1 of 2");

  /* Newest first: the Unicode job leads, Job 01 is on page two. */
  {
    g_autoptr(LpJob) first = g_list_model_get_item (lm_jobs_table_get_jobs (table), 0);
    g_assert_cmpint (lp_job_get_id (first), ==, ids[31]);
  }

  g_assert_cmpstr (cell_text (table, ids[31], LM_JOB_COLUMN_NAME), ==, "Ünïcode Spécial");
  g_assert_cmpstr (cell_text (table, ids[31], LM_JOB_COLUMN_STATUS), ==, "Queued");
  g_assert_cmpstr (cell_text (table, ids[31], LM_JOB_COLUMN_CREATED_BY), ==, "You");
  g_assert_cmpstr (cell_text (table, ids[31], LM_JOB_COLUMN_STARTED_AT), ==, "Not started");
  g_assert_cmpstr (cell_text (table, ids[31], LM_JOB_COLUMN_DURATION), ==, queued_estimate);
  g_assert_cmpstr (queued_estimate, ==, "Est. 18-23h");
  g_assert_cmpstr (cell_text (table, ids[31], LM_JOB_COLUMN_COST), ==, "—");

  gtk_widget_activate_action (GTK_WIDGET (table), "table.next-page", NULL);
  wait_for_table (table, 31, 2);
  g_assert_cmpstr (lm_jobs_table_get_showing (table), ==, "Showing 26-31 of 31 jobs");
  g_assert_cmpstr (lm_jobs_table_get_page_text (table), ==, "Page 2 of 2");

  g_assert_cmpstr (cell_text (table, ids[1], LM_JOB_COLUMN_STATUS), ==, "Training (42%)");
  g_assert_true (g_str_has_prefix (cell_text (table, ids[1], LM_JOB_COLUMN_COST), "Current: $"));
  g_assert_cmpstr (cell_text (table, ids[1], LM_JOB_COLUMN_STARTED_AT), !=, "Not started");
  g_assert_cmpstr (cell_text (table, ids[2], LM_JOB_COLUMN_STATUS), ==, "Completed");
  g_assert_cmpstr (cell_text (table, ids[2], LM_JOB_COLUMN_COST), ==, "$0.00");
  g_assert_cmpstr (cell_text (table, ids[3], LM_JOB_COLUMN_STATUS), ==, "Failed");
  g_assert_true (g_str_has_prefix (cell_text (table, ids[3], LM_JOB_COLUMN_DURATION), "Stopped at "));
  g_assert_cmpstr (cell_text (table, ids[4], LM_JOB_COLUMN_STATUS), ==, "Provisioning");
  g_assert_cmpstr (cell_text (table, ids[5], LM_JOB_COLUMN_STATUS), ==, "Cancelled");
  g_assert_cmpstr (cell_text (table, ids[5], LM_JOB_COLUMN_DURATION), ==, "—");

  gtk_widget_activate_action (GTK_WIDGET (table), "table.previous-page", NULL);
  wait_for_table (table, 31, 1);
}

static void
test_filters (void)
{
  LmJobsTable *table = all_table ();
  GtkDropDown *status = find_dropdown (table, 0);
  GtkDropDown *range = find_dropdown (table, 1);
  GtkEditable *search = find_search (GTK_WIDGET (table));
  gint64 until;

  wait_for_table (table, 31, 1);

  gtk_drop_down_set_selected (status, 3);   /* Failed */
  wait_for_table (table, 1, 1);
  {
    g_autoptr(LpJob) job = g_list_model_get_item (lm_jobs_table_get_jobs (table), 0);
    g_assert_cmpint (lp_job_get_id (job), ==, ids[3]);
  }

  gtk_drop_down_set_selected (status, 4);   /* Cancelled */
  wait_for_table (table, 1, 1);

  gtk_drop_down_set_selected (status, 1);   /* Active: training and provisioning */
  wait_for_table (table, 2, 1);

  gtk_drop_down_set_selected (status, 2);   /* Completed, within 30 days */
  wait_for_table (table, 1, 1);

  gtk_drop_down_set_selected (range, 3);    /* All time brings the archived one */
  wait_for_table (table, 2, 1);

  gtk_drop_down_set_selected (status, 0);
  wait_for_table (table, 32, 1);

  gtk_drop_down_set_selected (range, 0);    /* Last 7 days */
  wait_for_table (table, 31, 1);

  /* The search waits for a pause in typing before it asks the service. */
  gtk_editable_set_text (search, "üNÏ");
  until = g_get_monotonic_time () + 250 * 1000;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (lm_jobs_table_get_total (table), ==, 31);
  wait_for_table (table, 1, 1);

  gtk_editable_set_text (search, "no such job");
  g_assert_true (wait_until (shows_no_match, table, 10000));

  gtk_widget_activate_action (GTK_WIDGET (table), "table.clear-filters", NULL);
  wait_for_table (table, 32, 1);
  g_assert_cmpstr (gtk_editable_get_text (search), ==, "");
  g_assert_cmpuint (gtk_drop_down_get_selected (status), ==, 0);

  gtk_drop_down_set_selected (range, 1);
  wait_for_table (table, 31, 1);
}

static gboolean
queue_loaded (gpointer data)
{
  return g_strcmp0 (lm_queue_view_get_state (data), "cards") == 0 &&
         lm_queue_view_get_n_queued (data) == 26;
}

static void
test_queue (void)
{
  LmQueueView *queue = LM_QUEUE_VIEW (lm_window_get_queue_view (window));
  GtkListBox *cards = lm_queue_view_get_cards (queue);
  GtkListBoxRow *row;
  LmQueueCard *first;
  const char *start;

  lm_window_set_tab (window, "queue");
  g_assert_true (wait_until (queue_loaded, queue, 10000));

  g_assert_cmpstr (lm_queue_view_get_slots_text (queue), ==, "Active Training Jobs: 2 of 2 slots");
  g_assert_cmpstr (lm_window_get_queue_title (window), ==, "Queue (26)");

  row = gtk_list_box_get_row_at_index (cards, 0);
  first = LM_QUEUE_CARD (gtk_list_box_row_get_child (row));
  g_assert_cmpstr (lm_queue_card_get_position_text (first), ==, "#1");
  /* FIFO: the oldest queued job, Job 06, is first. */
  g_assert_cmpint (lm_queue_card_get_job_id (first), ==, ids[6]);
  start = lm_queue_card_get_start_text (first);
  g_assert_true (g_str_has_prefix (start, "Today at ") || g_str_has_prefix (start, "Tomorrow at ") ||
                 g_strcmp0 (start, "Starting within 15 minutes") == 0 || strstr (start, " at ") != NULL);

  row = gtk_list_box_get_row_at_index (cards, 25);
  g_assert_cmpstr (lm_queue_card_get_position_text (LM_QUEUE_CARD (gtk_list_box_row_get_child (row))), ==, "#26");
  g_assert_cmpint (lm_queue_card_get_job_id (LM_QUEUE_CARD (gtk_list_box_row_get_child (row))), ==, ids[31]);

  /* Positions beyond the first two slots' turn start later, never earlier. */
  {
    g_autofree char *countdown = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_local ();
    g_autofree char *soon = lm_queue_start_text (0, 60, now, &countdown);

    g_assert_cmpstr (soon, ==, "Starting within 15 minutes");
  }

  lm_window_set_tab (window, "all");
}

static gboolean
unreachable (gpointer data)
{
  return !lm_client_get_reachable (client) && lm_banner_get_revealed (LM_BANNER (data));
}

static gboolean
reachable (gpointer data)
{
  return lm_client_get_reachable (client) && !lm_banner_get_revealed (LM_BANNER (data));
}

static void
test_unreachable_banner (void)
{
  LmJobsTable *table = all_table ();
  LmBanner *banner = LM_BANNER (lm_window_get_banner (window));
  g_autofree char *expected = g_strdup_printf ("Can't reach the job service at %s, retrying in", jobd->url);

  wait_for_table (table, 31, 1);
  g_assert_false (lm_banner_get_revealed (banner));

  jobd_fixture_stop (jobd);
  lm_jobs_table_refresh (table);
  g_assert_true (wait_until (unreachable, banner, 10000));
  if (!g_str_has_prefix (lm_banner_get_title (banner), expected))
    g_error ("Banner says “%s”", lm_banner_get_title (banner));
  /* The last data stays on screen. */
  g_assert_cmpuint (g_list_model_get_n_items (lm_jobs_table_get_jobs (table)), ==, 25);
  g_assert_cmpstr (lm_jobs_table_get_state (table), ==, "jobs");

  jobd_fixture_restart (jobd);
  /* The backed-off check finds it by itself within its first delay. */
  g_assert_true (wait_until (reachable, banner, 15000));
  wait_for_table (table, 31, 1);
}

static GtkColumnView *
find_column_view (GtkWidget *widget)
{
  if (GTK_IS_COLUMN_VIEW (widget))
    return GTK_COLUMN_VIEW (widget);

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkColumnView *found = find_column_view (c);
      if (found != NULL)
        return found;
    }

  return NULL;
}

/* The row of the list view that holds @widget, and its position. */
static GtkWidget *
row_of (GtkWidget *widget)
{
  for (; widget != NULL; widget = gtk_widget_get_parent (widget))
    if (gtk_widget_get_parent (widget) != NULL && GTK_IS_LIST_VIEW (gtk_widget_get_parent (widget)))
      return widget;
  return NULL;
}

typedef struct
{
  GtkWidget *list;
  LpJob     *job;
} FocusWait;

static gboolean
focus_on_job_row (gpointer data)
{
  FocusWait *w = data;
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));
  GtkWidget *row = row_of (focus);
  g_autoptr(GPtrArray) cells = g_ptr_array_new ();

  if (row == NULL || gtk_widget_get_parent (row) != w->list)
    return FALSE;
  collect_cells (row, cells);
  return cells->len > 0 && lm_job_cell_get_job (g_ptr_array_index (cells, 0)) == w->job;
}

/* What a key press does in the list, through the table's own handler. */
static gboolean
press_in_list (LmJobsTable     *table,
               guint            keyval,
               GdkModifierType  state)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (table));
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller))
        {
          g_signal_emit_by_name (controller, "key-pressed", keyval, 0, state, &handled);
          return handled;
        }
    }
  g_error ("the jobs list has no key handler");
  return FALSE;
}

static GtkWidget *
find_next_page (GtkWidget *widget)
{
  if (GTK_IS_BUTTON (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "table.next-page") == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_next_page (c);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
inside_pagination (LmJobsTable *table)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));

  for (; focus != NULL; focus = gtk_widget_get_parent (focus))
    if (GTK_IS_CENTER_BOX (focus) && gtk_widget_is_ancestor (focus, GTK_WIDGET (table)))
      return TRUE;
  return FALSE;
}

static GtkPopover *
open_popover (GtkWidget *widget)
{
  if (GTK_IS_POPOVER (widget) && gtk_widget_get_visible (widget))
    return GTK_POPOVER (widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkPopover *found = open_popover (c);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
row_menu_open (gpointer data)
{
  return open_popover (data) != NULL;
}

/* Tab enters the list at the selected row and leaves it at the next
 * control; it does not walk every row or every row's Actions button. The
 * row's menu opens with Menu and Shift+F10. */
static void
test_keyboard (void)
{
  LmJobsTable *table = all_table ();
  GtkColumnView *view;
  GtkEditable *search = find_search (GTK_WIDGET (table));
  GtkWidget *list = NULL;
  GtkWidget *focus;
  GtkPopover *menu;
  g_autoptr(LpJob) selected = NULL;
  FocusWait w;

  wait_for_table (table, 31, 1);
  view = find_column_view (GTK_WIDGET (table));
  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (view)); c; c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_LIST_VIEW (c))
      list = c;
  g_assert_nonnull (list);

  gtk_selection_model_select_item (gtk_column_view_get_model (view), 3, TRUE);
  selected = g_list_model_get_item (G_LIST_MODEL (gtk_column_view_get_model (view)), 3);
  w = (FocusWait) { list, selected };

  gtk_widget_grab_focus (GTK_WIDGET (search));
  g_assert_true (press_in_list (table, GDK_KEY_Tab, 0));
  g_assert_true (focus_on_job_row (&w));

  /* The Actions buttons are not Tab stops. */
  g_assert_true (press_in_list (table, GDK_KEY_Tab, 0));
  focus = gtk_root_get_focus (GTK_ROOT (window));
  g_assert_nonnull (focus);
  g_assert_false (gtk_widget_is_ancestor (focus, list));
  g_assert_false (gtk_widget_is_ancestor (focus, GTK_WIDGET (search)) || focus == GTK_WIDGET (search));

  /* The next control: the pager, or a toast's button over the page. */
  g_assert_true (inside_pagination (table) || gtk_widget_get_ancestor (focus, ADW_TYPE_TOAST_OVERLAY) != NULL);
  gtk_widget_grab_focus (find_next_page (GTK_WIDGET (table)));

  /* Back in, at the selected row again, and Shift+Tab leaves before it. */
  g_assert_true (press_in_list (table, GDK_KEY_ISO_Left_Tab, GDK_SHIFT_MASK));
  while (!focus_on_job_row (&w) && inside_pagination (table))
    g_assert_true (press_in_list (table, GDK_KEY_ISO_Left_Tab, GDK_SHIFT_MASK));
  g_assert_true (focus_on_job_row (&w));
  g_assert_true (press_in_list (table, GDK_KEY_ISO_Left_Tab, GDK_SHIFT_MASK));
  focus = gtk_root_get_focus (GTK_ROOT (window));
  g_assert_true (focus == GTK_WIDGET (search) || gtk_widget_is_ancestor (focus, GTK_WIDGET (search)));

  /* The row's menu, from the keyboard. */
  g_assert_true (press_in_list (table, GDK_KEY_Tab, 0));
  g_assert_true (focus_on_job_row (&w));
  g_assert_true (press_in_list (table, GDK_KEY_Menu, 0));
  g_assert_true (wait_until (row_menu_open, list, 5000));
  menu = open_popover (list);
  gtk_popover_popdown (menu);
  g_assert_true (press_in_list (table, GDK_KEY_F10, GDK_SHIFT_MASK));
  g_assert_true (wait_until (row_menu_open, list, 5000));
  gtk_popover_popdown (open_popover (list));
  /* Plain F10 is the window's menu key, not the row's. */
  g_assert_false (press_in_list (table, GDK_KEY_F10, 0));

  /* Alt+2 and Alt+1: the view switcher's tabs. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.tab", "i", 2);
  g_assert_cmpstr (lm_window_get_tab (window), ==, "queue");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.tab", "i", 1);
  g_assert_cmpstr (lm_window_get_tab (window), ==, "all");
}

/* Anything in the window can have a sentence spoken through win.announce. */
static void
test_announce (void)
{
  g_assert_null (lm_window_get_announcement (window));
  g_assert_true (gtk_widget_activate_action (lm_window_get_job_page (window), "win.announce", "s",
                                             "Run A completed"));
  g_assert_cmpstr (lm_window_get_announcement (window), ==, "Run A completed");
  lm_window_announce (window, "Run B failed");
  g_assert_cmpstr (lm_window_get_announcement (window), ==, "Run B failed");
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

  jobd = g_new0 (JobdFixture, 1);
  jobd_fixture_start (jobd, "--slots 2");
  build_dataset ();

  client = lm_client_new (jobd->url, jobd->token);
  window = lm_window_new (NULL);
  lm_window_set_client (window, client);
  lm_client_get_me_async (client, NULL, NULL, NULL);
  g_assert_true (wait_until (knows_user, client, 10000));
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 1000);
  gtk_window_present (GTK_WINDOW (window));

  g_test_add_func ("/jobs-page/columns", test_columns);
  g_test_add_func ("/jobs-page/filters", test_filters);
  g_test_add_func ("/jobs-page/queue", test_queue);
  g_test_add_func ("/jobs-page/unreachable", test_unreachable_banner);
  g_test_add_func ("/jobs-page/announce", test_announce);
  g_test_add_func ("/jobs-page/keyboard", test_keyboard);

  ret = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&client);
  jobd_fixture_free (jobd);

  return ret;
}
