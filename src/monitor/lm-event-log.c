/* lm-event-log.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Page 1 of the current filter is kept live: every poll asks only for the
 * events after the newest id seen and slides them in at the top, so the
 * page is never rebuilt under the reader's eyes (nor their expanded rows
 * collapsed). On later pages new events would shift what the page shows,
 * so they are only counted, with a button back to the newest. While the
 * host says the log is not watched (its tab is hidden), arrivals are
 * counted in LmEventLog:n-new for the tab's badge.
 *
 * One GCancellable covers the page load or poll in flight: a new job,
 * filter, page or client cancels it, and every callback checks for the
 * cancellation before it touches the widget.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "lp-format.h"
#include "lp-json.h"
#include "lm-event-log.h"
#include "lm-event-row.h"
#include "lm-toast.h"

struct _LmEventLog
{
  GtkWidget             parent_instance;

  /* template widgets */
  GtkBox               *filter_bar;
  GtkDropDown          *filter_dropdown;
  GtkButton            *new_button;
  GtkButton            *export_button;
  GtkStack             *stack;
  GtkBox               *skeleton;
  GtkListBox           *list;
  AdwStatusPage        *error_page;
  GtkCenterBox         *pagination;
  GtkLabel             *showing_label;
  GtkLabel             *page_label;

  LmClient             *client;
  LpJob                *job;
  gint64                job_id;
  GListStore           *events;
  GCancellable         *cancellable;        /* the page load or poll in flight */
  GCancellable         *export_cancellable;
  GtkFileChooserNative *export_dialog;
  GTask                *export_pending;     /* waiting for the dialog */
  gulong                reconnected_id;
  guint                 poll_id;
  guint                 poll_seconds;
  guint                 page;
  guint                 n_pages;
  guint                 total;
  gint64                newest_id;          /* of the current filter */
  guint                 n_new;              /* arrived while not watched */
  guint                 n_pending;          /* arrived while not on page 1 */
  guint                 loaded : 1;
  guint                 watching : 1;
  guint                 finished : 1;       /* the job will have no more events */
  guint                 focus_pending : 1;  /* focus the events once they show */
  guint                 final_poll : 1;     /* one more poll, then stop */
  guint                 request_final : 1;  /* the poll in flight is that one */
  guint                 arriving : 1;       /* rows being created came by polling */
  guint                 exporting : 1;
};

G_DEFINE_FINAL_TYPE (LmEventLog, lm_event_log, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_JOB,
  PROP_FILTER,
  PROP_WATCHING,
  PROP_N_NEW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Index order of the Show drop-down; the values are the API's types. */
static const char *filter_values[] = { "all", "status", "metrics", "warning", "error", "checkpoint" };

static void lm_event_log_poll (LmEventLog *self);

static void
build_skeleton (LmEventLog *self)
{
  /* Placeholder bars in the list's shape until the first answer. */
  for (guint i = 0; i < 8; i++)
    {
      GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

      gtk_widget_set_size_request (bar, -1, 28);
      gtk_widget_add_css_class (bar, "skeleton");
      gtk_box_append (self->skeleton, bar);
    }
}

static void
show_state (LmEventLog *self,
            const char *name)
{
  gtk_stack_set_visible_child_name (self->stack, name);
}

static void
cancel_request (LmEventLog *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}

static GCancellable *
new_request (LmEventLog *self)
{
  cancel_request (self);
  self->cancellable = g_cancellable_new ();
  return self->cancellable;
}

/* State */

static gboolean
job_may_change (LmEventLog *self)
{
  LpJobStatus status;

  if (self->job == NULL || self->finished)
    return FALSE;

  status = lp_job_get_status (self->job);
  return lp_job_status_is_active (status) || status == LP_JOB_STATUS_QUEUED;
}

static gboolean
wants_poll (LmEventLog *self)
{
  return self->client != NULL && self->job != NULL && (self->final_poll || job_may_change (self));
}

/* Shown, or hidden behind the host's other tab (which still wants the
 * count); not when the whole page is gone. */
static gboolean
can_request (LmEventLog *self)
{
  GtkWidget *parent = gtk_widget_get_parent (GTK_WIDGET (self));

  return gtk_widget_get_mapped (GTK_WIDGET (self)) ||
         (!self->watching && parent != NULL && gtk_widget_get_mapped (parent));
}

static gboolean poll_timeout_cb (gpointer data);

static void
schedule_poll_in (LmEventLog *self,
                  guint       ms)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);

  if (!wants_poll (self))
    return;

  /* Whole seconds let GLib batch the wake-up with others. */
  if (ms > 0 && ms % 1000 == 0)
    self->poll_id = g_timeout_add_seconds (ms / 1000, poll_timeout_cb, self);
  else
    self->poll_id = g_timeout_add (ms, poll_timeout_cb, self);
}

/* The catch-up after the job ended goes at once; the rest at the pace. */
static void
schedule_poll (LmEventLog *self)
{
  schedule_poll_in (self, self->final_poll ? 0 : self->poll_seconds * 1000);
}

static void
update_actions (LmEventLog *self)
{
  GtkWidget *widget = GTK_WIDGET (self);

  gtk_widget_action_set_enabled (widget, "event-log.previous-page", self->page > 1);
  gtk_widget_action_set_enabled (widget, "event-log.next-page", self->page < self->n_pages);
  gtk_widget_action_set_enabled (widget, "event-log.export",
                                 self->client != NULL && self->job != NULL && !self->exporting);
}

static void
update_new_button (LmEventLog *self)
{
  g_autofree char *count = lp_format_count (self->n_pending);
  g_autofree char *text = NULL;

  /* Translators: a button on later pages of the event log that goes back
   * to the first, e.g. "3 new events" */
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s new event", "%s new events", self->n_pending),
                          count);
  gtk_button_set_label (self->new_button, text);
  gtk_widget_set_visible (GTK_WIDGET (self->new_button), self->n_pending > 0 && self->page != 1);
}

static void
update_pagination (LmEventLog *self)
{
  g_autofree char *page_text = NULL;
  g_autofree char *showing = NULL;
  g_autofree char *total_str = lp_format_count (self->total);
  g_autofree char *list_label = NULL;

  self->n_pages = MAX (1u, (self->total + LM_EVENT_LOG_PER_PAGE - 1) / LM_EVENT_LOG_PER_PAGE);

  /* Translators: pagination, e.g. "Page 1 of 12" */
  page_text = g_strdup_printf (_("Page %u of %u"), self->page, self->n_pages);
  gtk_label_set_label (self->page_label, page_text);

  if (self->total == 0)
    showing = g_strdup ("");
  else
    {
      guint first = (self->page - 1) * LM_EVENT_LOG_PER_PAGE + 1;
      guint last = MIN (self->page * LM_EVENT_LOG_PER_PAGE, self->total);
      g_autofree char *first_str = lp_format_count (first);
      g_autofree char *last_str = lp_format_count (MAX (first, last));

      /* Translators: e.g. "Showing 1-50 of 583 events" */
      showing = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "Showing %s-%s of %s event",
                                              "Showing %s-%s of %s events",
                                              self->total),
                                 first_str, last_str, total_str);
    }
  gtk_label_set_label (self->showing_label, showing);
  gtk_widget_set_visible (GTK_WIDGET (self->pagination), self->total > 0);

  /* Translators: the event list's name for screen readers, e.g. "Event log, 583 events" */
  list_label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Event log, %s event", "Event log, %s events",
                                             self->total),
                                total_str);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, list_label,
                                  -1);

  update_new_button (self);
  update_actions (self);
}

static void
show_list_state (LmEventLog *self)
{
  if (self->total > 0 || g_list_model_get_n_items (G_LIST_MODEL (self->events)) > 0)
    show_state (self, "events");
  else if (g_str_equal (lm_event_log_get_filter (self), "all"))
    show_state (self, "empty");
  else
    show_state (self, "no-match");
}

static void
set_n_new (LmEventLog *self,
           guint       n_new)
{
  if (self->n_new == n_new)
    return;

  self->n_new = n_new;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_NEW]);
}

/* The service writes its own status event when a job ends; nothing comes
 * after it, so polling can stop without waiting for the host to say so. */
static gboolean
is_final_event (LpEvent *event)
{
  JsonObject *payload = lp_event_get_payload (event);
  const char *status = NULL, *source = NULL;
  LpJobStatus job_status;

  if (lp_event_get_event_type (event) != LP_EVENT_STATUS)
    return FALSE;

  lp_json_get_string (payload, "status", FALSE, &status, NULL);
  lp_json_get_string (payload, "source", FALSE, &source, NULL);

  return g_strcmp0 (source, "service") == 0 && status != NULL &&
         lp_job_status_from_string (status, &job_status) &&
         lp_job_status_is_finished (job_status);
}

static void
note_final_events (LmEventLog *self,
                   GPtrArray  *events)
{
  for (guint i = 0; i < events->len; i++)
    if (is_final_event (g_ptr_array_index (events, i)))
      self->finished = TRUE;
}

/* Loading a page */

/* The first event, or with none the filter that left none. */
static void
focus_events (LmEventLog *self)
{
  GtkListBoxRow *first = gtk_list_box_get_row_at_index (self->list, 0);

  self->focus_pending = FALSE;
  if (first == NULL || !gtk_widget_grab_focus (GTK_WIDGET (first)))
    gtk_widget_grab_focus (GTK_WIDGET (self->filter_dropdown));
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  LmEventLog *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpEventPage) page = lm_client_list_events_finish (LM_CLIENT (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->cancellable);

  if (page == NULL)
    {
      /* Unreachable: the banner says so; keep what is on screen. */
      if (!self->loaded || !g_error_matches (error, LM_CLIENT_ERROR, LM_CLIENT_ERROR_UNREACHABLE))
        {
          g_autofree char *description = g_markup_escape_text (error->message, -1);

          /* The description is Pango markup; the service's text is shown as it is. */
          adw_status_page_set_description (self->error_page, description);
          show_state (self, "error");
        }
      schedule_poll (self);
      return;
    }

  /* Whatever total the service claims, the page arithmetic stays in a guint. */
  self->total = (guint) CLAMP (page->total, 0, G_MAXINT);

  /* A page beyond the end (a filter with fewer events) moves to the last. */
  if (self->total > 0 && (self->page - 1) * LM_EVENT_LOG_PER_PAGE >= self->total)
    {
      self->page = (self->total + LM_EVENT_LOG_PER_PAGE - 1) / LM_EVENT_LOG_PER_PAGE;
      lm_event_log_refresh (self);
      return;
    }

  self->loaded = TRUE;

  if (self->page == 1)
    {
      if (page->events->len > 0)
        self->newest_id = MAX (self->newest_id, lp_event_get_id (g_ptr_array_index (page->events, 0)));
      self->n_pending = 0;
      note_final_events (self, page->events);
    }

  g_list_store_splice (self->events, 0, g_list_model_get_n_items (G_LIST_MODEL (self->events)),
                       page->events->pdata, page->events->len);

  update_pagination (self);
  show_list_state (self);
  if (self->focus_pending)
    focus_events (self);
  schedule_poll (self);
}

void
lm_event_log_refresh (LmEventLog *self)
{
  g_return_if_fail (LM_IS_EVENT_LOG (self));

  g_clear_handle_id (&self->poll_id, g_source_remove);

  if (self->client == NULL || self->job == NULL)
    {
      cancel_request (self);
      return;
    }

  lm_client_list_events_async (self->client, self->job_id, lm_event_log_get_filter (self),
                               self->page, LM_EVENT_LOG_PER_PAGE, 0,
                               new_request (self), list_cb, self);
}

/* Polling */

static void
prepend_events (LmEventLog *self,
                GPtrArray  *events)
{
  guint n;

  /* The list box creates the rows during the splice; they know from this
   * flag that they are arrivals. */
  self->arriving = TRUE;
  g_list_store_splice (self->events, 0, 0, events->pdata, events->len);
  self->arriving = FALSE;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->events));
  if (n > LM_EVENT_LOG_PER_PAGE)
    g_list_store_splice (self->events, LM_EVENT_LOG_PER_PAGE, n - LM_EVENT_LOG_PER_PAGE, NULL, 0);
}

static void
poll_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  LmEventLog *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpEventPage) page = lm_client_list_events_finish (LM_CLIENT (object), result, &error);
  guint arrived;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->cancellable);

  /* A failed poll changes nothing on screen; the next one tries again. */
  if (page == NULL)
    {
      schedule_poll (self);
      return;
    }

  if (self->request_final)
    self->final_poll = FALSE;
  arrived = (guint) CLAMP (page->total, 0, G_MAXINT);

  if (arrived > 0)
    {
      note_final_events (self, page->events);

      if (!self->watching)
        set_n_new (self, (guint) MIN ((guint64) self->n_new + arrived, G_MAXINT));

      if (self->page != 1)
        {
          self->n_pending = (guint) MIN ((guint64) self->n_pending + arrived, G_MAXINT);
          if (page->events->len > 0)
            self->newest_id = MAX (self->newest_id, lp_event_get_id (g_ptr_array_index (page->events, 0)));
          update_new_button (self);
        }
      else if (arrived > page->events->len)
        {
          /* More than a page came at once: the page is simply reloaded. */
          lm_event_log_refresh (self);
          return;
        }
      else
        {
          self->newest_id = MAX (self->newest_id, lp_event_get_id (g_ptr_array_index (page->events, 0)));
          prepend_events (self, page->events);
          self->total = (guint) MIN ((guint64) self->total + arrived, G_MAXINT);
          update_pagination (self);
          show_list_state (self);
        }
    }

  /* Asked for while this poll was out: the list on screen is current. */
  if (self->focus_pending)
    focus_events (self);
  schedule_poll (self);
}

static void
lm_event_log_poll (LmEventLog *self)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);

  if (self->client == NULL || self->job == NULL)
    return;

  if (!self->loaded)
    {
      lm_event_log_refresh (self);
      return;
    }

  /* Only a poll asked for after the job ended is sure to have its end. */
  self->request_final = self->final_poll;
  lm_client_list_events_async (self->client, self->job_id, lm_event_log_get_filter (self),
                               1, LM_EVENT_LOG_PER_PAGE, self->newest_id,
                               new_request (self), poll_cb, self);
}

static gboolean
poll_timeout_cb (gpointer data)
{
  LmEventLog *self = data;

  self->poll_id = 0;

  /* A request in flight answers for this tick too. */
  if (self->cancellable != NULL)
    return G_SOURCE_REMOVE;

  if (can_request (self))
    lm_event_log_poll (self);
  else
    schedule_poll_in (self, self->poll_seconds * 1000);

  return G_SOURCE_REMOVE;
}

/* Rows */

static GtkWidget *
create_row_cb (gpointer item,
               gpointer user_data)
{
  LmEventLog *self = user_data;
  GtkWidget *row = lm_event_row_new (item);

  if (self->arriving)
    lm_event_row_arrive (LM_EVENT_ROW (row), self->watching);

  return row;
}

static void
row_activated_cb (LmEventLog    *self,
                  GtkListBoxRow *row)
{
  if (LM_IS_EVENT_ROW (row))
    lm_event_row_toggle (LM_EVENT_ROW (row));
}

static void
mark_rows_seen (LmEventLog *self)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (LM_IS_EVENT_ROW (child))
      lm_event_row_seen (LM_EVENT_ROW (child));
}

/* Filter and pages */

static void
filter_changed_cb (LmEventLog *self)
{
  self->page = 1;
  self->newest_id = 0;
  self->n_pending = 0;
  update_pagination (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);

  lm_event_log_refresh (self);
}

static void
go_to_page (LmEventLog *self,
            guint       page)
{
  self->page = page;
  update_actions (self);
  update_new_button (self);
  lm_event_log_refresh (self);
}

static void
previous_page_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  LmEventLog *self = LM_EVENT_LOG (widget);

  if (self->page > 1)
    go_to_page (self, self->page - 1);
}

static void
next_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  LmEventLog *self = LM_EVENT_LOG (widget);

  if (self->page < self->n_pages)
    go_to_page (self, self->page + 1);
}

static void
show_newest_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  go_to_page (LM_EVENT_LOG (widget), 1);
}

static void
show_all_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  lm_event_log_set_filter (LM_EVENT_LOG (widget), "all");
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  lm_event_log_refresh (LM_EVENT_LOG (widget));
}

/* Export */

typedef struct
{
  GFile  *file;
  GBytes *bytes;
  guint   n_events;
} Export;

static void
export_free (gpointer data)
{
  Export *export = data;

  g_clear_object (&export->file);
  g_clear_pointer (&export->bytes, g_bytes_unref);
  g_free (export);
}

/* The service's name for the file, or the same pattern made here:
 * {job_name}-events-{YYYYMMDD-HHMMSS}.json, in UTC, with every character
 * that is awkward in a file name replaced as the service does. */
char *
lm_event_log_default_filename (const char *job_name,
                               GDateTime  *now)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc (now);
  g_autofree char *stamp = g_date_time_format (utc, "%Y%m%d-%H%M%S");
  g_autoptr(GString) name = g_string_new (NULL);

  for (const char *p = job_name ? job_name : ""; *p; p = g_utf8_next_char (p))
    {
      gboolean keep = g_ascii_isalnum (*p) || *p == '_' || *p == '-' || (*p == '.' && name->len > 0);

      g_string_append_c (name, keep ? *p : '-');
    }
  if (name->len == 0)
    g_string_assign (name, "job");

  return g_strdup_printf ("%s-events-%s.json", name->str, stamp);
}

static void
export_written_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Export *export = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_int (task, export->n_events);
}

/* Writes an export the service sent: the bytes as they came, so the file
 * is exactly the service's document. */
static void
export_write (GTask *task)
{
  Export *export = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) root = NULL;
  JsonArray *events = NULL;
  gsize len;
  const char *data = g_bytes_get_data (export->bytes, &len);

  root = lp_json_parse_object (data, len, &error);
  if (root == NULL || !lp_json_get_array (root, "events", TRUE, &events, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  export->n_events = json_array_get_length (events);

  g_file_replace_contents_bytes_async (export->file, export->bytes, NULL, FALSE,
                                       G_FILE_CREATE_REPLACE_DESTINATION,
                                       g_task_get_cancellable (task),
                                       export_written_cb, task);
}

static void
export_fetched_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Export *export = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  export->bytes = lm_client_export_events_finish (LM_CLIENT (object), result, NULL, &error);
  if (export->bytes == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  export_write (g_steal_pointer (&task));
}

/* The export's own task finishes as lm_event_log_export_to_file_finish()
 * says; this one adds the toast and the button's sensitivity. */
static void
export_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  LmEventLog *self = LM_EVENT_LOG (object);
  g_autoptr(GError) error = NULL;
  gssize n_events = g_task_propagate_int (G_TASK (result), &error);

  self->exporting = FALSE;
  update_actions (self);

  if (n_events < 0)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* Translators: a toast; the argument is the reason */
          g_autofree char *text = g_strdup_printf (_("Couldn't export events: %s"), error->message);

          lm_toast_show (GTK_WIDGET (self), text, 3);
        }
      g_task_return_error (outer, g_steal_pointer (&error));
    }
  else
    {
      g_autofree char *count = lp_format_count (n_events);
      /* Translators: a toast, e.g. "Exported 583 events" */
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exported %s event",
                                                            "Exported %s events", n_events),
                                               count);

      lm_toast_show (GTK_WIDGET (self), text, 3);
      g_task_return_int (outer, n_events);
    }
}

static GTask *
export_task_new (LmEventLog          *self,
                 GFile               *file,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  GTask *outer = g_task_new (self, cancellable, callback, user_data);
  GTask *inner;
  Export *export = g_new0 (Export, 1);

  g_task_set_source_tag (outer, lm_event_log_export_to_file_async);

  /* The inner task does the work under the widget's own cancellable, so
   * disposing the widget stops a write in progress. */
  g_clear_object (&self->export_cancellable);
  self->export_cancellable = g_cancellable_new ();
  inner = g_task_new (self, self->export_cancellable, export_done_cb, outer);
  export->file = file ? g_object_ref (file) : NULL;
  g_task_set_task_data (inner, export, export_free);

  self->exporting = TRUE;
  update_actions (self);

  return inner;
}

void
lm_event_log_export_to_file_async (LmEventLog          *self,
                                   GFile               *file,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *inner;

  g_return_if_fail (LM_IS_EVENT_LOG (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->client == NULL || self->job == NULL)
    {
      g_task_report_new_error (self, callback, user_data, lm_event_log_export_to_file_async,
                               G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, _("No job to export"));
      return;
    }

  inner = export_task_new (self, file, cancellable, callback, user_data);
  lm_client_export_events_async (self->client, self->job_id, g_task_get_cancellable (inner),
                                 export_fetched_cb, inner);
}

gboolean
lm_event_log_export_to_file_finish (LmEventLog    *self,
                                    GAsyncResult  *result,
                                    guint         *n_events,
                                    GError       **error)
{
  gssize n;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  n = g_task_propagate_int (G_TASK (result), error);
  if (n < 0)
    return FALSE;

  if (n_events != NULL)
    *n_events = (guint) n;
  return TRUE;
}

static void
export_response_cb (GtkNativeDialog *dialog,
                    int              response,
                    LmEventLog      *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->export_pending);
  Export *export;

  if (task == NULL)
    return;

  export = g_task_get_task_data (task);
  if (response == GTK_RESPONSE_ACCEPT)
    export->file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

  gtk_native_dialog_destroy (dialog);
  g_clear_object (&self->export_dialog);

  if (export->file == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Export cancelled"));
      return;
    }

  export_write (g_steal_pointer (&task));
}

/* The button: the service's document first, so the dialog can offer the
 * name the service suggests, then the file chooser, then the write. */
static void
export_ask_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Export *export = g_task_get_task_data (task);
  LmEventLog *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *filename = NULL;
  g_autoptr(GtkFileFilter) filter = NULL;
  GtkRoot *root;

  export->bytes = lm_client_export_events_finish (LM_CLIENT (object), result, &filename, &error);
  if (export->bytes == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (filename == NULL || *filename == '\0')
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      g_free (filename);
      filename = lm_event_log_default_filename (lp_job_get_name (self->job), now);
    }

  root = gtk_widget_get_root (GTK_WIDGET (self));
  self->export_dialog = gtk_file_chooser_native_new (_("Export Events"),
                                                     GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                     GTK_FILE_CHOOSER_ACTION_SAVE,
                                                     _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->export_dialog), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->export_dialog), filename);

  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("JSON files"));
  gtk_file_filter_add_mime_type (filter, "application/json");
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->export_dialog), filter);

  self->export_pending = g_steal_pointer (&task);
  g_signal_connect (self->export_dialog, "response", G_CALLBACK (export_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->export_dialog));
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  LmEventLog *self = LM_EVENT_LOG (widget);
  GTask *inner;

  if (self->exporting || self->client == NULL || self->job == NULL)
    return;

  inner = export_task_new (self, NULL, NULL, NULL, NULL);
  lm_client_export_events_async (self->client, self->job_id, g_task_get_cancellable (inner),
                                 export_ask_cb, inner);
}

/* GObject */

static void
lm_event_log_map (GtkWidget *widget)
{
  LmEventLog *self = LM_EVENT_LOG (widget);

  GTK_WIDGET_CLASS (lm_event_log_parent_class)->map (widget);

  if (self->watching)
    mark_rows_seen (self);

  /* Back in view: catch up now rather than at the next tick. */
  if (self->loaded && self->cancellable == NULL && wants_poll (self))
    lm_event_log_poll (self);
}

static void
lm_event_log_dispose (GObject *object)
{
  LmEventLog *self = (LmEventLog *) object;
  GtkWidget *child;

  cancel_request (self);
  if (self->export_cancellable != NULL)
    g_cancellable_cancel (self->export_cancellable);
  g_clear_object (&self->export_cancellable);
  if (self->export_dialog != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->export_dialog, export_response_cb, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->export_dialog));
    }
  g_clear_object (&self->export_dialog);
  if (self->export_pending != NULL)
    {
      GTask *task = g_steal_pointer (&self->export_pending);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Export cancelled"));
      g_object_unref (task);
    }
  g_clear_handle_id (&self->poll_id, g_source_remove);
  lm_event_log_set_client (self, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), LM_TYPE_EVENT_LOG);

  /* Only bound children are cleared by the template; the root goes here. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  g_clear_object (&self->events);
  g_clear_object (&self->job);

  G_OBJECT_CLASS (lm_event_log_parent_class)->dispose (object);
}

static void
lm_event_log_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  LmEventLog *self = LM_EVENT_LOG (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_JOB: g_value_set_object (value, self->job); break;
    case PROP_FILTER: g_value_set_string (value, lm_event_log_get_filter (self)); break;
    case PROP_WATCHING: g_value_set_boolean (value, self->watching); break;
    case PROP_N_NEW: g_value_set_uint (value, self->n_new); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_event_log_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  LmEventLog *self = LM_EVENT_LOG (object);

  switch (prop_id)
    {
    case PROP_CLIENT: lm_event_log_set_client (self, g_value_get_object (value)); break;
    case PROP_JOB: lm_event_log_set_job (self, g_value_get_object (value)); break;
    case PROP_FILTER: lm_event_log_set_filter (self, g_value_get_string (value)); break;
    case PROP_WATCHING: lm_event_log_set_watching (self, g_value_get_boolean (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_event_log_class_init (LmEventLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_event_log_dispose;
  object_class->get_property = lm_event_log_get_property;
  object_class->set_property = lm_event_log_set_property;

  widget_class->map = lm_event_log_map;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, LM_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_JOB] =
    g_param_spec_object ("job", NULL, NULL, LP_TYPE_JOB,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILTER] =
    g_param_spec_string ("filter", NULL, NULL, "all",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_WATCHING] =
    g_param_spec_boolean ("watching", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_NEW] =
    g_param_spec_uint ("n-new", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-event-log.ui");
  gtk_widget_class_bind_template_child (widget_class, LmEventLog, filter_bar);
  gtk_widget_class_bind_template_child (widget_class, LmEventLog, filter_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LmEventLog, new_button);
  gtk_widget_class_bind_template_child (widget_class, LmEventLog, export_button);
  gtk_widget_class_bind_template_child (widget_class, LmEventLog, stack);
  gtk_widget_class_bind_template_child (widget_class, LmEventLog, skeleton);
  gtk_widget_class_bind_template_child (widget_class, LmEventLog, list);
  gtk_widget_class_bind_template_child (widget_class, LmEventLog, error_page);
  gtk_widget_class_bind_template_child (widget_class, LmEventLog, pagination);
  gtk_widget_class_bind_template_child (widget_class, LmEventLog, showing_label);
  gtk_widget_class_bind_template_child (widget_class, LmEventLog, page_label);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);

  gtk_widget_class_install_action (widget_class, "event-log.previous-page", NULL, previous_page_action);
  gtk_widget_class_install_action (widget_class, "event-log.next-page", NULL, next_page_action);
  gtk_widget_class_install_action (widget_class, "event-log.show-newest", NULL, show_newest_action);
  gtk_widget_class_install_action (widget_class, "event-log.show-all", NULL, show_all_action);
  gtk_widget_class_install_action (widget_class, "event-log.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "event-log.export", NULL, export_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "eventlog");

  g_type_ensure (LM_TYPE_EVENT_ROW);
}

static void
lm_event_log_init (LmEventLog *self)
{
  self->page = 1;
  self->n_pages = 1;
  self->watching = TRUE;
  self->poll_seconds = LM_EVENT_LOG_POLL_SECONDS;
  self->events = g_list_store_new (LP_TYPE_EVENT);

  gtk_widget_init_template (GTK_WIDGET (self));
  /* Its name is "Show events of type"; GTK 4.8 would read the mnemonic
   * label's "Show:" after it as well. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (self->filter_dropdown), GTK_ACCESSIBLE_RELATION_LABELLED_BY);

  gtk_list_box_bind_model (self->list, G_LIST_MODEL (self->events), create_row_cb, self, NULL);

  build_skeleton (self);
  show_state (self, "loading");
  update_pagination (self);
}

GtkWidget *
lm_event_log_new (void)
{
  return g_object_new (LM_TYPE_EVENT_LOG, NULL);
}

void
lm_event_log_set_client (LmEventLog *self,
                         LmClient   *client)
{
  g_return_if_fail (LM_IS_EVENT_LOG (self));
  g_return_if_fail (client == NULL || LM_IS_CLIENT (client));

  if (self->client == client)
    return;

  /* An answer from the previous service must not land in this one's list. */
  cancel_request (self);
  g_clear_handle_id (&self->poll_id, g_source_remove);

  if (self->client != NULL)
    g_clear_signal_handler (&self->reconnected_id, self->client);

  g_set_object (&self->client, client);

  if (client != NULL)
    {
      self->reconnected_id = g_signal_connect_object (client, "reconnected",
                                                      G_CALLBACK (lm_event_log_refresh),
                                                      self, G_CONNECT_SWAPPED);
      self->loaded = FALSE;
      self->newest_id = 0;
      show_state (self, "loading");
      lm_event_log_refresh (self);
    }

  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
}

/* The host hands over a fresh LpJob on each of its own refreshes: the same
 * job only updates whether the log keeps polling; another job starts over. */
void
lm_event_log_set_job (LmEventLog *self,
                      LpJob      *job)
{
  g_return_if_fail (LM_IS_EVENT_LOG (self));
  g_return_if_fail (job == NULL || LP_IS_JOB (job));

  if (job != NULL && self->job != NULL && lp_job_get_id (job) == self->job_id)
    {
      gboolean was_finished = self->finished;

      g_set_object (&self->job, job);

      /* Ended since the last poll: one more picks up its last events. */
      if (!was_finished && lp_job_status_is_finished (lp_job_get_status (job)))
        {
          self->finished = TRUE;
          self->final_poll = TRUE;
          /* A request in flight may predate the end; its answer schedules
           * the catch-up. */
          if (self->cancellable == NULL)
            lm_event_log_poll (self);
        }
      else if (self->poll_id == 0 && self->cancellable == NULL)
        schedule_poll (self);

      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOB]);
      return;
    }

  cancel_request (self);
  if (self->export_cancellable != NULL)
    g_cancellable_cancel (self->export_cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);

  g_set_object (&self->job, job);
  self->job_id = job ? lp_job_get_id (job) : 0;
  self->finished = job != NULL && lp_job_status_is_finished (lp_job_get_status (job));
  self->final_poll = FALSE;
  self->loaded = FALSE;
  self->page = 1;
  self->total = 0;
  self->newest_id = 0;
  self->n_pending = 0;
  set_n_new (self, 0);

  g_list_store_remove_all (self->events);
  update_pagination (self);
  show_state (self, "loading");

  lm_event_log_refresh (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOB]);
}

/**
 * lm_event_log_focus_events:
 * @self: a #LmEventLog
 *
 * Moves the keyboard focus to the first event shown, once the events
 * being loaded are there: after "View Details" or "View Error Log" a
 * keyboard or screen reader user lands on what they asked to see.
 */
void
lm_event_log_focus_events (LmEventLog *self)
{
  g_return_if_fail (LM_IS_EVENT_LOG (self));

  self->focus_pending = TRUE;
  if (self->loaded && self->cancellable == NULL)
    focus_events (self);
}

LpJob *
lm_event_log_get_job (LmEventLog *self)
{
  g_return_val_if_fail (LM_IS_EVENT_LOG (self), NULL);
  return self->job;
}

void
lm_event_log_set_filter (LmEventLog *self,
                         const char *type)
{
  g_return_if_fail (LM_IS_EVENT_LOG (self));

  for (guint i = 0; i < G_N_ELEMENTS (filter_values); i++)
    {
      if (g_strcmp0 (type, filter_values[i]) == 0)
        {
          /* The drop-down's notify::selected does the rest. */
          gtk_drop_down_set_selected (self->filter_dropdown, i);
          return;
        }
    }

  g_critical ("“%s” is not an event log filter", type);
}

const char *
lm_event_log_get_filter (LmEventLog *self)
{
  guint selected;

  g_return_val_if_fail (LM_IS_EVENT_LOG (self), NULL);

  selected = gtk_drop_down_get_selected (self->filter_dropdown);
  return selected < G_N_ELEMENTS (filter_values) ? filter_values[selected] : "all";
}

void
lm_event_log_set_poll_interval (LmEventLog *self,
                                guint       seconds)
{
  g_return_if_fail (LM_IS_EVENT_LOG (self));
  g_return_if_fail (seconds > 0);

  self->poll_seconds = seconds;
  if (self->poll_id != 0)
    schedule_poll (self);
}

/* FALSE while the host shows another tab: arrivals then go to n-new. */
void
lm_event_log_set_watching (LmEventLog *self,
                           gboolean    watching)
{
  g_return_if_fail (LM_IS_EVENT_LOG (self));

  watching = !!watching;
  if (self->watching == watching)
    return;

  self->watching = watching;
  if (watching)
    {
      set_n_new (self, 0);
      mark_rows_seen (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WATCHING]);
}

gboolean
lm_event_log_get_watching (LmEventLog *self)
{
  g_return_val_if_fail (LM_IS_EVENT_LOG (self), FALSE);
  return self->watching;
}

guint
lm_event_log_get_n_new (LmEventLog *self)
{
  g_return_val_if_fail (LM_IS_EVENT_LOG (self), 0);
  return self->n_new;
}

GListModel *
lm_event_log_get_events (LmEventLog *self)
{
  g_return_val_if_fail (LM_IS_EVENT_LOG (self), NULL);
  return G_LIST_MODEL (self->events);
}

guint
lm_event_log_get_page (LmEventLog *self)
{
  g_return_val_if_fail (LM_IS_EVENT_LOG (self), 0);
  return self->page;
}

guint
lm_event_log_get_n_pages (LmEventLog *self)
{
  g_return_val_if_fail (LM_IS_EVENT_LOG (self), 0);
  return self->n_pages;
}

guint
lm_event_log_get_total (LmEventLog *self)
{
  g_return_val_if_fail (LM_IS_EVENT_LOG (self), 0);
  return self->total;
}

const char *
lm_event_log_get_showing (LmEventLog *self)
{
  g_return_val_if_fail (LM_IS_EVENT_LOG (self), NULL);
  return gtk_label_get_label (self->showing_label);
}

const char *
lm_event_log_get_page_text (LmEventLog *self)
{
  g_return_val_if_fail (LM_IS_EVENT_LOG (self), NULL);
  return gtk_label_get_label (self->page_label);
}

const char *
lm_event_log_get_state (LmEventLog *self)
{
  g_return_val_if_fail (LM_IS_EVENT_LOG (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

GtkWidget *
lm_event_log_get_row (LmEventLog *self,
                      guint       index)
{
  g_return_val_if_fail (LM_IS_EVENT_LOG (self), NULL);
  return GTK_WIDGET (gtk_list_box_get_row_at_index (self->list, (int) index));
}

/* TRUE while the log will ask the service for more: the job can still
 * change, or its last events are still to be fetched. */
gboolean
lm_event_log_is_polling (LmEventLog *self)
{
  g_return_val_if_fail (LM_IS_EVENT_LOG (self), FALSE);
  return wants_poll (self);
}
