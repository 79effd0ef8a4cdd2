/* lm-jobs-table.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "lp-format.h"
#include "lm-job-cell.h"
#include "lm-jobs-table.h"

struct _LmJobsTable
{
  GtkWidget      parent_instance;

  /* template widgets */
  GtkBox        *filter_bar;
  GtkBox        *status_box;
  GtkDropDown   *status_dropdown;
  GtkDropDown   *range_dropdown;
  GtkSearchEntry *search_entry;
  GtkStack      *stack;
  GtkBox        *skeleton;
  GtkColumnView *column_view;
  AdwStatusPage *no_match_page;
  AdwStatusPage *error_page;
  GtkCenterBox  *pagination;
  GtkLabel      *showing_label;
  GtkLabel      *page_label;

  LmClient      *client;
  GSettings     *settings;
  char          *tab;
  char          *query;
  GListStore    *jobs;
  GHashTable    *jobs_by_id;     /* id -> LpJob in jobs */
  GCancellable  *cancellable;
  gulong         reconnected_id;
  gulong         user_id;
  guint          poll_id;
  guint          focus_row_id;
  guint          page;
  guint          n_pages;
  guint          total;
  guint          loaded : 1;
};

G_DEFINE_FINAL_TYPE (LmJobsTable, lm_jobs_table, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_TAB,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Index order of the Status and Date Range drop-downs. */
static const char *status_values[] = { "all", "active", "completed", "failed", "cancelled" };
static const char *range_values[] = { "7d", "30d", "90d", "all" };

static const struct {
  const char *title;
  double      fixed_width;
} columns[LM_N_JOB_COLUMNS] = {
  [LM_JOB_COLUMN_NAME] = { N_("Job Name"), -1 },
  [LM_JOB_COLUMN_STATUS] = { N_("Status"), 170 },
  [LM_JOB_COLUMN_CREATED_BY] = { N_("Created By"), 150 },
  [LM_JOB_COLUMN_STARTED_AT] = { N_("Started At"), 150 },
  [LM_JOB_COLUMN_DURATION] = { N_("Duration"), 150 },
  [LM_JOB_COLUMN_COST] = { N_("Cost"), 140 },
  [LM_JOB_COLUMN_ACTIONS] = { N_("Actions"), 70 },
};

static void
setup_cell_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  LmJobColumn column = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "column"));

  gtk_list_item_set_child (item, lm_job_cell_new (column));
  /* The actions button is its own focus stop; other cells are read-only. */
  gtk_list_item_set_activatable (item, TRUE);
}

static void
bind_cell_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              LmJobsTable              *self)
{
  LmJobCell *cell = LM_JOB_CELL (gtk_list_item_get_child (item));

  lm_job_cell_set_user (cell, self->client ? lm_client_get_user (self->client) : NULL);
  lm_job_cell_set_job (cell, gtk_list_item_get_item (item));
}

static void
unbind_cell_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  lm_job_cell_set_job (LM_JOB_CELL (gtk_list_item_get_child (item)), NULL);
}

static void
add_columns (LmJobsTable *self)
{
  for (guint i = 0; i < LM_N_JOB_COLUMNS; i++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) column = NULL;

      g_object_set_data (G_OBJECT (factory), "column", GUINT_TO_POINTER (i));
      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell_cb), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell_cb), self);
      g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cell_cb), NULL);

      column = gtk_column_view_column_new (_(columns[i].title), factory);
      if (columns[i].fixed_width > 0)
        gtk_column_view_column_set_fixed_width (column, (int) columns[i].fixed_width);
      else
        gtk_column_view_column_set_expand (column, TRUE);
      gtk_column_view_column_set_resizable (column, i != LM_JOB_COLUMN_ACTIONS);
      gtk_column_view_append_column (self->column_view, column);
    }
}

static void
build_skeleton (LmJobsTable *self)
{
  /* Placeholder bars in the table's shape until the first answer. */
  for (guint i = 0; i < 8; i++)
    {
      GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

      gtk_widget_set_size_request (bar, -1, 28);
      gtk_widget_add_css_class (bar, "skeleton");
      gtk_box_append (self->skeleton, bar);
    }
}

static const char *
current_status (LmJobsTable *self)
{
  guint selected;

  if (g_strcmp0 (self->tab, "active") == 0)
    return "active";
  if (g_strcmp0 (self->tab, "completed") == 0)
    return "completed";

  selected = gtk_drop_down_get_selected (self->status_dropdown);
  return selected < G_N_ELEMENTS (status_values) ? status_values[selected] : "all";
}

static const char *
current_range (LmJobsTable *self)
{
  guint selected = gtk_drop_down_get_selected (self->range_dropdown);

  return selected < G_N_ELEMENTS (range_values) ? range_values[selected] : "30d";
}

static gboolean
filters_are_default (LmJobsTable *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  return (text == NULL || *text == '\0') &&
         g_str_equal (current_range (self), "all") &&
         (g_strcmp0 (self->tab, "all") != 0 || g_str_equal (current_status (self), "all"));
}

static void
update_actions (LmJobsTable *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "table.previous-page", self->page > 1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "table.next-page", self->page < self->n_pages);
}

static void
update_pagination (LmJobsTable *self)
{
  g_autofree char *page_text = NULL;
  g_autofree char *showing = NULL;

  /* Translators: pagination, e.g. "Page 1 of 12" */
  page_text = g_strdup_printf (_("Page %u of %u"), self->page, MAX (self->n_pages, 1u));
  gtk_label_set_label (self->page_label, page_text);

  if (self->total == 0)
    showing = g_strdup ("");
  else
    {
      guint first = (self->page - 1) * LM_JOBS_PER_PAGE + 1;
      guint last = MIN (self->page * LM_JOBS_PER_PAGE, self->total);
      g_autofree char *first_str = lp_format_count (first);
      g_autofree char *last_str = lp_format_count (last);
      g_autofree char *total_str = lp_format_count (self->total);

      /* Translators: e.g. "Showing 1-25 of 287 jobs" */
      showing = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "Showing %s-%s of %s job",
                                              "Showing %s-%s of %s jobs",
                                              self->total),
                                 first_str, last_str, total_str);
    }
  gtk_label_set_label (self->showing_label, showing);
  gtk_widget_set_visible (GTK_WIDGET (self->pagination), self->total > 0);

  update_actions (self);
}

/* Brings the list to the page's jobs, reusing the objects of jobs already
 * shown so their rows update in place instead of being rebuilt. */
static void
merge_jobs (LmJobsTable *self,
            GPtrArray   *incoming)
{
  /* Holds its own references: splicing drops the store's before it adds. */
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean same_order = incoming->len == g_list_model_get_n_items (G_LIST_MODEL (self->jobs));

  for (guint i = 0; i < incoming->len; i++)
    {
      LpJob *fresh = g_ptr_array_index (incoming, i);
      gint64 id = lp_job_get_id (fresh);
      LpJob *existing = g_hash_table_lookup (self->jobs_by_id, &id);
      LpJob *job = fresh;

      if (existing != NULL)
        {
          g_autoptr(JsonNode) node = lp_job_to_json_node (fresh);

          lp_job_update_from_json (existing, json_node_get_object (node), NULL);
          job = existing;
        }

      if (same_order)
        {
          g_autoptr(LpJob) shown = g_list_model_get_item (G_LIST_MODEL (self->jobs), i);
          same_order = shown == job;
        }

      g_ptr_array_add (items, g_object_ref (job));
    }

  if (!same_order)
    g_list_store_splice (self->jobs, 0, g_list_model_get_n_items (G_LIST_MODEL (self->jobs)),
                         items->pdata, items->len);

  /* The store holds the references; the index only points into it. */
  g_hash_table_remove_all (self->jobs_by_id);
  for (guint i = 0; i < items->len; i++)
    {
      LpJob *job = g_ptr_array_index (items, i);
      gint64 *key = g_new (gint64, 1);

      *key = lp_job_get_id (job);
      g_hash_table_replace (self->jobs_by_id, key, job);
    }
}

static gboolean poll_cb (gpointer data);

static void
schedule_poll (LmJobsTable *self,
               gboolean     any_active)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);

  if (any_active && gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->poll_id = g_timeout_add_seconds (LM_JOBS_POLL_SECONDS, poll_cb, self);
}

static void
show_state (LmJobsTable *self,
            const char  *name)
{
  GtkWidget *shown;

  gtk_stack_set_visible_child_name (self->stack, name);

  /* GTK 4.8 lets Tab into a stack's hidden pages (the "No jobs match"
   * page's Clear Filters button, behind the list): only the page in view
   * takes the focus. */
  shown = gtk_stack_get_visible_child (self->stack);
  for (GtkWidget *page = gtk_widget_get_first_child (GTK_WIDGET (self->stack)); page != NULL;
       page = gtk_widget_get_next_sibling (page))
    gtk_widget_set_can_focus (page, page == shown);
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  LmJobsTable *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpJobPage) page = lm_client_list_jobs_finish (LM_CLIENT (object), result, &error);
  gboolean any_active = FALSE;

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
      schedule_poll (self, TRUE);
      return;
    }

  self->loaded = TRUE;
  /* Whatever total the service claims, the page arithmetic here stays
   * within a guint; the pages are the app's own, of LM_JOBS_PER_PAGE. */
  self->total = (guint) CLAMP (page->total, 0, G_MAXINT);
  self->n_pages = MAX (1u, (self->total + LM_JOBS_PER_PAGE - 1) / LM_JOBS_PER_PAGE);

  /* A page beyond the end (jobs were deleted) moves to the last one. */
  if (self->page > self->n_pages && self->total > 0)
    {
      self->page = self->n_pages;
      lm_jobs_table_refresh (self);
      return;
    }

  merge_jobs (self, page->jobs);
  update_pagination (self);

  for (guint i = 0; i < page->jobs->len; i++)
    any_active |= lp_job_status_is_active (lp_job_get_status (g_ptr_array_index (page->jobs, i)));

  if (page->total > 0)
    show_state (self, "jobs");
  else if (page->count_all == 0)
    show_state (self, "empty");
  else
    {
      adw_status_page_set_title (self->no_match_page,
                                 filters_are_default (self) && g_strcmp0 (self->tab, "active") == 0
                                   ? _("No jobs are running")
                                   : _("No jobs match your filters"));
      show_state (self, "no-match");
    }

  schedule_poll (self, any_active);
}

void
lm_jobs_table_refresh (LmJobsTable *self)
{
  g_return_if_fail (LM_IS_JOBS_TABLE (self));

  if (self->client == NULL)
    return;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  lm_client_list_jobs_async (self->client,
                             current_status (self),
                             current_range (self),
                             gtk_editable_get_text (GTK_EDITABLE (self->search_entry)),
                             self->page, LM_JOBS_PER_PAGE,
                             self->cancellable, list_cb, self);
}

static gboolean
poll_cb (gpointer data)
{
  LmJobsTable *self = data;

  self->poll_id = 0;
  lm_jobs_table_refresh (self);
  return G_SOURCE_REMOVE;
}

static void
filters_changed_cb (LmJobsTable *self)
{
  self->page = 1;
  lm_jobs_table_refresh (self);
}

static void
search_changed_cb (LmJobsTable *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  /* The entry also reports when nothing changed (at start, on Escape in an
   * empty field); only a new query is worth a request. */
  if (g_strcmp0 (text, self->query) == 0)
    return;

  g_free (self->query);
  self->query = g_strdup (text);
  filters_changed_cb (self);
}

static void
row_activated_cb (LmJobsTable *self,
                  guint        position)
{
  g_autoptr(LpJob) job = g_list_model_get_item (G_LIST_MODEL (self->jobs), position);

  if (job != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.open-job", "x", lp_job_get_id (job));
}

/* Keyboard: Tab moves between the page's controls and the arrows move
 * within the list, as in Nautilus' list view. GTK 4.8's list view has no
 * such mode (4.12's GtkListTabBehavior), so Tab from a row skips the rest
 * of the list here, and entering the list lands on the selected row.
 */

static GtkWidget *
list_view (LmJobsTable *self)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->column_view));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      return child;
  return NULL;
}

/* The row of @list that holds @widget. */
static GtkWidget *
row_holding (GtkWidget *list,
             GtkWidget *widget)
{
  for (; widget != NULL; widget = gtk_widget_get_parent (widget))
    if (gtk_widget_get_parent (widget) == list)
      return widget;
  return NULL;
}

static LmJobCell *
find_cell (GtkWidget   *widget,
           LmJobColumn  column)
{
  if (LM_IS_JOB_CELL (widget))
    {
      guint cell_column;

      g_object_get (widget, "column", &cell_column, NULL);
      return cell_column == column ? LM_JOB_CELL (widget) : NULL;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      LmJobCell *found = find_cell (child, column);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The selected row takes the focus, or the first row with nothing
 * selected. */
static gboolean
focus_row (LmJobsTable *self)
{
  GtkSelectionModel *selection = gtk_column_view_get_model (self->column_view);
  GtkWidget *list = list_view (self);
  guint selected = gtk_single_selection_get_selected (GTK_SINGLE_SELECTION (selection));
  g_autoptr(LpJob) job = NULL;

  if (list == NULL || g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "jobs") != 0)
    return FALSE;

  if (selected != GTK_INVALID_LIST_POSITION)
    job = g_list_model_get_item (G_LIST_MODEL (selection), selected);

  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      LmJobCell *cell = find_cell (row, LM_JOB_COLUMN_NAME);

      if (cell != NULL && lm_job_cell_get_job (cell) != NULL &&
          (job == NULL || lm_job_cell_get_job (cell) == job))
        return gtk_widget_has_focus (row) || gtk_widget_grab_focus (row);
    }
  return FALSE;
}

static gboolean
inside (GtkWidget *widget,
        GtkWidget *ancestor)
{
  return widget != NULL && (widget == ancestor || gtk_widget_is_ancestor (widget, ancestor));
}

static gboolean
table_key_pressed_cb (LmJobsTable           *self,
                      guint                  keyval,
                      guint                  keycode,
                      GdkModifierType        state,
                      GtkEventControllerKey *controller)
{
  GtkWidget *list = list_view (self);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  GtkWidget *row = list != NULL ? row_holding (list, focus) : NULL;
  GdkModifierType mods = state & gtk_accelerator_get_default_mod_mask ();
  GtkDirectionType direction;

  if (list == NULL || focus == NULL)
    return FALSE;

  if (row != NULL && (keyval == GDK_KEY_Menu || (keyval == GDK_KEY_F10 && mods == GDK_SHIFT_MASK)))
    {
      LmJobCell *actions = find_cell (row, LM_JOB_COLUMN_ACTIONS);

      return actions != NULL && lm_job_cell_popup_menu (actions);
    }

  if ((keyval != GDK_KEY_Tab && keyval != GDK_KEY_KP_Tab && keyval != GDK_KEY_ISO_Left_Tab) ||
      (mods & ~GDK_SHIFT_MASK) != 0)
    return FALSE;

  direction = (mods & GDK_SHIFT_MASK) || keyval == GDK_KEY_ISO_Left_Tab
              ? GTK_DIR_TAB_BACKWARD : GTK_DIR_TAB_FORWARD;

  if (row != NULL)
    {
      /* With the list out of the focus chain the window moves on from it
       * to the next control before or after. */
      gtk_widget_set_can_focus (list, FALSE);
      if (!gtk_widget_child_focus (GTK_WIDGET (root), direction))
        {
          /* Past the last control, round to the first, as GtkWindow does. */
          gtk_root_set_focus (root, NULL);
          gtk_widget_child_focus (GTK_WIDGET (root), direction);
        }
      gtk_widget_set_can_focus (list, TRUE);
      return TRUE;
    }

  /* Into the list from the controls on either side of it: GTK 4.8 can
   * pass over a list in a stack that has changed pages, and enters a list
   * at the row focused last, not the selected one. */
  if (direction == GTK_DIR_TAB_FORWARD && inside (focus, GTK_WIDGET (self->search_entry)))
    return focus_row (self);

  if (direction == GTK_DIR_TAB_BACKWARD && inside (focus, GTK_WIDGET (self->pagination)))
    {
      if (!gtk_widget_child_focus (GTK_WIDGET (root), direction))
        return FALSE;
      focus = gtk_root_get_focus (root);
      if (!inside (focus, GTK_WIDGET (self->pagination)))
        focus_row (self);
      return TRUE;
    }

  return FALSE;
}

static gboolean
focus_selected_row (gpointer data)
{
  LmJobsTable *self = data;
  GtkWidget *list = list_view (self);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  self->focus_row_id = 0;

  /* A click that opened the job has taken the focus elsewhere since. */
  if (list != NULL && inside (focus, list))
    focus_row (self);
  return G_SOURCE_REMOVE;
}

static void
list_focus_enter_cb (LmJobsTable *self)
{
  /* Moving the focus while GTK delivers the focus change would nest one
   * change in another, so it waits for the next turn of the loop. */
  if (self->focus_row_id == 0)
    self->focus_row_id = g_idle_add (focus_selected_row, self);
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  gtk_widget_activate_action (widget, "win.open-job", "x", g_variant_get_int64 (param));
}

static void
previous_page_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  LmJobsTable *self = LM_JOBS_TABLE (widget);

  if (self->page > 1)
    {
      self->page--;
      update_actions (self);
      lm_jobs_table_refresh (self);
    }
}

static void
next_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  LmJobsTable *self = LM_JOBS_TABLE (widget);

  if (self->page < self->n_pages)
    {
      self->page++;
      update_actions (self);
      lm_jobs_table_refresh (self);
    }
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  lm_jobs_table_refresh (LM_JOBS_TABLE (widget));
}

static void
clear_filters_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  LmJobsTable *self = LM_JOBS_TABLE (widget);

  /* Each change would refresh; block them and refresh once. */
  g_signal_handlers_block_by_func (self->status_dropdown, filters_changed_cb, self);
  g_signal_handlers_block_by_func (self->range_dropdown, filters_changed_cb, self);
  g_signal_handlers_block_by_func (self->search_entry, search_changed_cb, self);
  gtk_drop_down_set_selected (self->status_dropdown, 0);
  gtk_drop_down_set_selected (self->range_dropdown, G_N_ELEMENTS (range_values) - 1);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  g_free (self->query);
  self->query = g_strdup ("");
  g_signal_handlers_unblock_by_func (self->search_entry, search_changed_cb, self);
  g_signal_handlers_unblock_by_func (self->range_dropdown, filters_changed_cb, self);
  g_signal_handlers_unblock_by_func (self->status_dropdown, filters_changed_cb, self);

  filters_changed_cb (self);
}

static void
user_changed_cb (LmJobsTable *self)
{
  /* "You" depends on who the service says we are; redraw the rows. */
  GListModel *model = G_LIST_MODEL (self->jobs);
  guint n = g_list_model_get_n_items (model);

  g_list_store_remove_all (self->jobs);
  g_hash_table_remove_all (self->jobs_by_id);
  if (n > 0)
    lm_jobs_table_refresh (self);
}

static void
lm_jobs_table_map (GtkWidget *widget)
{
  LmJobsTable *self = LM_JOBS_TABLE (widget);

  GTK_WIDGET_CLASS (lm_jobs_table_parent_class)->map (widget);

  /* A tab brought back into view shows fresh data at once. */
  lm_jobs_table_refresh (self);
}

static void
lm_jobs_table_unmap (GtkWidget *widget)
{
  LmJobsTable *self = LM_JOBS_TABLE (widget);

  g_clear_handle_id (&self->poll_id, g_source_remove);

  GTK_WIDGET_CLASS (lm_jobs_table_parent_class)->unmap (widget);
}

static guint
range_index_from_settings (LmJobsTable *self)
{
  g_autofree char *range = g_settings_get_string (self->settings, "range-filter");

  for (guint i = 0; i < G_N_ELEMENTS (range_values); i++)
    if (g_str_equal (range, range_values[i]))
      return i;

  return 1;
}

static gboolean
index_to_nick (GValue   *value,
               GVariant *variant,
               gpointer  user_data)
{
  const char **values = user_data;
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; values[i]; i++)
    {
      if (g_str_equal (values[i], nick))
        {
          g_value_set_uint (value, i);
          return TRUE;
        }
    }

  return FALSE;
}

static GVariant *
nick_from_index (const GValue       *value,
                 const GVariantType *type,
                 gpointer            user_data)
{
  const char **values = user_data;
  guint index = g_value_get_uint (value);

  if (index >= g_strv_length ((char **) values))
    return NULL;

  return g_variant_new_string (values[index]);
}

static void
lm_jobs_table_constructed (GObject *object)
{
  LmJobsTable *self = (LmJobsTable *) object;
  static const char *status_nicks[] = { "all", "active", "completed", "failed", "cancelled", NULL };
  static const char *range_nicks[] = { "7d", "30d", "90d", "all", NULL };

  G_OBJECT_CLASS (lm_jobs_table_parent_class)->constructed (object);

  /* The Active and Completed tabs are themselves a status filter. */
  gtk_widget_set_visible (GTK_WIDGET (self->status_box), g_strcmp0 (self->tab, "all") == 0);

  /* Filters are window state, restored on the next start. */
  g_signal_handlers_block_by_func (self->range_dropdown, filters_changed_cb, self);
  g_signal_handlers_block_by_func (self->status_dropdown, filters_changed_cb, self);
  gtk_drop_down_set_selected (self->range_dropdown, range_index_from_settings (self));
  g_settings_bind_with_mapping (self->settings, "range-filter", self->range_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, index_to_nick, nick_from_index,
                                (gpointer) range_nicks, NULL);
  if (g_strcmp0 (self->tab, "all") == 0)
    g_settings_bind_with_mapping (self->settings, "status-filter", self->status_dropdown, "selected",
                                  G_SETTINGS_BIND_DEFAULT, index_to_nick, nick_from_index,
                                  (gpointer) status_nicks, NULL);
  g_signal_handlers_unblock_by_func (self->status_dropdown, filters_changed_cb, self);
  g_signal_handlers_unblock_by_func (self->range_dropdown, filters_changed_cb, self);
}

static void
lm_jobs_table_dispose (GObject *object)
{
  GtkWidget *child;
  LmJobsTable *self = (LmJobsTable *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->focus_row_id, g_source_remove);
  lm_jobs_table_set_client (self, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), LM_TYPE_JOBS_TABLE);

  /* Only bound children are cleared by the template; the root goes here. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  g_clear_object (&self->jobs);
  g_clear_pointer (&self->jobs_by_id, g_hash_table_unref);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->tab, g_free);
  g_clear_pointer (&self->query, g_free);

  G_OBJECT_CLASS (lm_jobs_table_parent_class)->dispose (object);
}

static void
lm_jobs_table_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  LmJobsTable *self = LM_JOBS_TABLE (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_TAB: g_value_set_string (value, self->tab); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_jobs_table_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  LmJobsTable *self = LM_JOBS_TABLE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      lm_jobs_table_set_client (self, g_value_get_object (value));
      break;
    case PROP_TAB:
      g_free (self->tab);
      self->tab = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_jobs_table_class_init (LmJobsTableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = lm_jobs_table_constructed;
  object_class->dispose = lm_jobs_table_dispose;
  object_class->get_property = lm_jobs_table_get_property;
  object_class->set_property = lm_jobs_table_set_property;

  widget_class->map = lm_jobs_table_map;
  widget_class->unmap = lm_jobs_table_unmap;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, LM_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TAB] =
    g_param_spec_string ("tab", NULL, NULL, "all",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-jobs-table.ui");
  gtk_widget_class_bind_template_child (widget_class, LmJobsTable, filter_bar);
  gtk_widget_class_bind_template_child (widget_class, LmJobsTable, status_box);
  gtk_widget_class_bind_template_child (widget_class, LmJobsTable, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LmJobsTable, range_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LmJobsTable, search_entry);
  gtk_widget_class_bind_template_child (widget_class, LmJobsTable, stack);
  gtk_widget_class_bind_template_child (widget_class, LmJobsTable, skeleton);
  gtk_widget_class_bind_template_child (widget_class, LmJobsTable, column_view);
  gtk_widget_class_bind_template_child (widget_class, LmJobsTable, no_match_page);
  gtk_widget_class_bind_template_child (widget_class, LmJobsTable, error_page);
  gtk_widget_class_bind_template_child (widget_class, LmJobsTable, pagination);
  gtk_widget_class_bind_template_child (widget_class, LmJobsTable, showing_label);
  gtk_widget_class_bind_template_child (widget_class, LmJobsTable, page_label);
  gtk_widget_class_bind_template_callback (widget_class, filters_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);

  gtk_widget_class_install_action (widget_class, "table.open", "x", open_action);
  gtk_widget_class_install_action (widget_class, "table.previous-page", NULL, previous_page_action);
  gtk_widget_class_install_action (widget_class, "table.next-page", NULL, next_page_action);
  gtk_widget_class_install_action (widget_class, "table.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "table.clear-filters", NULL, clear_filters_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "jobstable");
}

static void
lm_jobs_table_init (LmJobsTable *self)
{
  g_autoptr(GtkSingleSelection) selection = NULL;
  GtkEventController *controller;

  self->page = 1;
  self->n_pages = 1;
  self->query = g_strdup ("");
  self->jobs = g_list_store_new (LP_TYPE_JOB);
  self->jobs_by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->settings = g_settings_new (APP_ID);

  gtk_widget_init_template (GTK_WIDGET (self));

  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->jobs)));
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_can_unselect (selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (selection));

  add_columns (self);
  build_skeleton (self);
  update_pagination (self);

  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (controller, "key-pressed", G_CALLBACK (table_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_focus_new ();
  g_signal_connect_swapped (controller, "enter", G_CALLBACK (list_focus_enter_cb), self);
  gtk_widget_add_controller (list_view (self), controller);
}

LmClient *
lm_jobs_table_get_client (LmJobsTable *self)
{
  g_return_val_if_fail (LM_IS_JOBS_TABLE (self), NULL);
  return self->client;
}

void
lm_jobs_table_set_client (LmJobsTable *self,
                          LmClient    *client)
{
  g_return_if_fail (LM_IS_JOBS_TABLE (self));

  if (self->client == client)
    return;

  /* An answer from the previous service must not land in this one's list. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);

  if (self->client != NULL)
    {
      g_clear_signal_handler (&self->reconnected_id, self->client);
      g_clear_signal_handler (&self->user_id, self->client);
    }

  g_set_object (&self->client, client);

  if (client != NULL)
    {
      self->reconnected_id = g_signal_connect_object (client, "reconnected",
                                                      G_CALLBACK (lm_jobs_table_refresh),
                                                      self, G_CONNECT_SWAPPED);
      self->user_id = g_signal_connect_object (client, "notify::user",
                                               G_CALLBACK (user_changed_cb),
                                               self, G_CONNECT_SWAPPED);
      self->loaded = FALSE;
      show_state (self, "loading");
      if (gtk_widget_get_mapped (GTK_WIDGET (self)))
        lm_jobs_table_refresh (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
}

const char *
lm_jobs_table_get_tab (LmJobsTable *self)
{
  g_return_val_if_fail (LM_IS_JOBS_TABLE (self), NULL);
  return self->tab;
}

GListModel *
lm_jobs_table_get_jobs (LmJobsTable *self)
{
  g_return_val_if_fail (LM_IS_JOBS_TABLE (self), NULL);
  return G_LIST_MODEL (self->jobs);
}

guint
lm_jobs_table_get_page (LmJobsTable *self)
{
  g_return_val_if_fail (LM_IS_JOBS_TABLE (self), 0);
  return self->page;
}

guint
lm_jobs_table_get_n_pages (LmJobsTable *self)
{
  g_return_val_if_fail (LM_IS_JOBS_TABLE (self), 0);
  return self->n_pages;
}

guint
lm_jobs_table_get_total (LmJobsTable *self)
{
  g_return_val_if_fail (LM_IS_JOBS_TABLE (self), 0);
  return self->total;
}

const char *
lm_jobs_table_get_state (LmJobsTable *self)
{
  g_return_val_if_fail (LM_IS_JOBS_TABLE (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
lm_jobs_table_get_showing (LmJobsTable *self)
{
  g_return_val_if_fail (LM_IS_JOBS_TABLE (self), NULL);
  return gtk_label_get_label (self->showing_label);
}

const char *
lm_jobs_table_get_page_text (LmJobsTable *self)
{
  g_return_val_if_fail (LM_IS_JOBS_TABLE (self), NULL);
  return gtk_label_get_label (self->page_label);
}

void
lm_jobs_table_focus_search (LmJobsTable *self)
{
  g_return_if_fail (LM_IS_JOBS_TABLE (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

gboolean
lm_jobs_table_select_job (LmJobsTable *self,
                          gint64       id)
{
  GListModel *model = G_LIST_MODEL (self->jobs);
  GtkSelectionModel *selection = gtk_column_view_get_model (self->column_view);

  g_return_val_if_fail (LM_IS_JOBS_TABLE (self), FALSE);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(LpJob) job = g_list_model_get_item (model, i);

      if (lp_job_get_id (job) == id)
        {
          gtk_selection_model_select_item (selection, i, TRUE);
          return TRUE;
        }
    }

  return FALSE;
}
