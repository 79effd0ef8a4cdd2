/* lm-job-cell.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A cell watches its job and redraws its own text when the job changes, so
 * a refresh updates rows in place; a brief highlight marks what changed.
 * Running jobs' duration and cost tick on the client between refreshes,
 * computed with the same arithmetic the service uses.
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "lp-calc.h"
#include "lp-format.h"
#include "lm-a11y.h"
#include "lm-job-cell.h"
#include "lm-status-badge.h"

#define HIGHLIGHT_MS 1500
#define TICK_SECONDS 30

struct _LmJobCell
{
  GtkWidget    parent_instance;

  LmJobColumn  column;
  LpJob       *job;
  char        *user;
  GtkWidget   *child;      /* label, badge or menu button */
  GtkImage    *icon;       /* duration's clock, for running jobs */
  gulong       notify_id;
  guint        highlight_id;
  guint        tick_id;
};

G_DEFINE_FINAL_TYPE (LmJobCell, lm_job_cell, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_COLUMN,
  PROP_JOB,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Seconds of a money / rate quotient; any double the service sends (1e308
 * dollars at 1e-300 an hour) must still make a gint64. */
static gint64
seconds_of (double seconds)
{
  if (!(seconds > 0))
    return 0;
  if (seconds >= 0x1p63)
    return G_MAXINT64;
  return (gint64) seconds;
}

gint64
lm_job_elapsed_s (LpJob  *job,
                  gint64  now)
{
  gint64 started = lp_job_get_started_at (job);

  if (started == 0)
    return 0;

  if (lp_job_status_is_finished (lp_job_get_status (job)))
    return lp_job_get_elapsed_s (job);

  return MAX (0, (now - started) / G_USEC_PER_SEC);
}

char *
lm_job_duration_text (LpJob  *job,
                      gint64  now)
{
  LpJobStatus status = lp_job_get_status (job);
  gint64 elapsed = lm_job_elapsed_s (job, now);

  switch (status)
    {
    case LP_JOB_STATUS_QUEUED:
      {
        double rate = lp_job_get_hourly_rate (job);

        if (lp_job_has_estimate (job) && rate > 0)
          return lp_format_estimate_hours (seconds_of (lp_job_get_estimate_min (job) / rate * 3600),
                                           seconds_of (lp_job_get_estimate_max (job) / rate * 3600));
        return lp_format_estimate_hours (lp_estimated_duration_s (0, 0, 0, lp_job_get_total_steps (job)), 0);
      }
    case LP_JOB_STATUS_FAILED:
    case LP_JOB_STATUS_CANCELLED:
      /* Removed from the queue: it never ran, so it never stopped. */
      if (lp_job_get_started_at (job) == 0)
        return g_strdup ("—");
      return lp_format_stopped_at (elapsed);
    default:
      return lp_format_duration (elapsed);
    }
}

char *
lm_job_cost_text (LpJob  *job,
                  gint64  now)
{
  LpJobStatus status = lp_job_get_status (job);

  if (lp_job_status_is_active (status))
    {
      g_autofree char *money =
        lp_format_money (lp_cost_for_elapsed (lm_job_elapsed_s (job, now), lp_job_get_hourly_rate (job)));
      /* Translators: the cost so far of a running job */
      return g_strdup_printf (_("Current: %s"), money);
    }

  if (status == LP_JOB_STATUS_QUEUED)
    return g_strdup ("—");

  return lp_format_money (lp_job_get_cost (job));
}

static void
add_item (GMenu      *menu,
          const char *label,
          const char *action,
          gint64      id)
{
  g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

  g_menu_item_set_action_and_target_value (item, action, g_variant_new_int64 (id));
  g_menu_append_item (menu, item);
}

GMenuModel *
lm_job_actions_menu (LpJob *job)
{
  GMenu *menu = g_menu_new ();
  gint64 id = lp_job_get_id (job);

  switch (lp_job_get_status (job))
    {
    case LP_JOB_STATUS_QUEUED:
      add_item (menu, _("View Dashboard"), "table.open", id);
      add_item (menu, _("Remove from Queue"), "win.cancel-job", id);
      break;
    case LP_JOB_STATUS_PROVISIONING:
    case LP_JOB_STATUS_TRAINING:
      add_item (menu, _("View Dashboard"), "table.open", id);
      add_item (menu, _("Cancel Job"), "win.cancel-job", id);
      break;
    case LP_JOB_STATUS_CANCELLING:
      add_item (menu, _("View Dashboard"), "table.open", id);
      break;
    case LP_JOB_STATUS_COMPLETED:
      add_item (menu, _("View Results"), "table.open", id);
      add_item (menu, _("Delete"), "win.delete-job", id);
      break;
    case LP_JOB_STATUS_FAILED:
      add_item (menu, _("View Error Log"), "win.open-error-log", id);
      add_item (menu, _("Delete"), "win.delete-job", id);
      break;
    case LP_JOB_STATUS_CANCELLED:
    default:
      add_item (menu, _("View Partial Results"), "table.open", id);
      add_item (menu, _("Delete"), "win.delete-job", id);
      break;
    }

  return G_MENU_MODEL (menu);
}

static void
set_label (LmJobCell  *self,
           const char *text,
           const char *tooltip)
{
  gtk_label_set_label (GTK_LABEL (self->child), text);
  gtk_widget_set_tooltip_text (self->child, tooltip);
}

static void
set_cost_class (LmJobCell   *self,
                const char  *css_class)
{
  static const char *classes[] = { "cost-ok", "cost-warning", "cost-over" };

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    {
      if (g_strcmp0 (classes[i], css_class) == 0)
        gtk_widget_add_css_class (self->child, classes[i]);
      else
        gtk_widget_remove_css_class (self->child, classes[i]);
    }
}

static gboolean tick_cb (gpointer data);

static void
update (LmJobCell *self)
{
  LpJob *job = self->job;
  gint64 now = g_get_real_time ();
  gboolean ticking = FALSE;

  if (job == NULL)
    {
      /* An unbound cell waits to be recycled; it has nothing to tick. */
      g_clear_handle_id (&self->tick_id, g_source_remove);
      if (GTK_IS_LABEL (self->child))
        set_label (self, "", NULL);
      return;
    }

  switch (self->column)
    {
    case LM_JOB_COLUMN_NAME:
      set_label (self, lp_job_get_name (job), lp_job_get_name (job));
      lm_a11y_name_list_row (GTK_WIDGET (self), lp_job_get_name (job));
      break;

    case LM_JOB_COLUMN_STATUS:
      lm_status_badge_set_status (LM_STATUS_BADGE (self->child),
                                  lp_job_get_status (job), lp_job_get_progress (job));
      break;

    case LM_JOB_COLUMN_CREATED_BY:
      {
        const char *by = lp_job_get_created_by (job);
        gboolean is_me = self->user != NULL && g_strcmp0 (by, self->user) == 0;

        set_label (self, is_me ? _("You") : by, is_me ? by : NULL);
      }
      break;

    case LM_JOB_COLUMN_STARTED_AT:
      if (lp_job_get_started_at (job) == 0)
        set_label (self, _("Not started"), NULL);
      else
        {
          g_autoptr(GDateTime) started = g_date_time_new_from_unix_local (lp_job_get_started_at (job) / G_USEC_PER_SEC);
          g_autoptr(GDateTime) local_now = g_date_time_new_now_local ();
          g_autofree char *text = lp_format_datetime_short (started);
          g_autofree char *relative = lp_format_relative (started, local_now);

          set_label (self, text, relative);
        }
      break;

    case LM_JOB_COLUMN_DURATION:
      {
        g_autofree char *text = lm_job_duration_text (job, now);
        gboolean running = lp_job_status_is_active (lp_job_get_status (job));

        gtk_label_set_label (GTK_LABEL (self->child), text);
        gtk_widget_set_visible (GTK_WIDGET (self->icon), running);
        ticking = running;
      }
      break;

    case LM_JOB_COLUMN_COST:
      {
        g_autofree char *text = lm_job_cost_text (job, now);
        LpJobStatus status = lp_job_get_status (job);
        double cost = lp_job_status_is_active (status)
                        ? lp_cost_for_elapsed (lm_job_elapsed_s (job, now), lp_job_get_hourly_rate (job))
                        : lp_job_get_cost (job);
        static const char *levels[] = { "cost-ok", "cost-warning", "cost-over" };
        /* Translators: tooltip of the cost column's colour */
        static const char *level_words[] = { N_("Under $50"), N_("$50 to $100"), N_("Over $100") };
        LpCostLevel level = lp_list_cost_level (cost);

        set_label (self, text, status == LP_JOB_STATUS_QUEUED ? NULL : _(level_words[level]));
        set_cost_class (self, status == LP_JOB_STATUS_QUEUED ? NULL : levels[level]);
        ticking = lp_job_status_is_active (status);
      }
      break;

    case LM_JOB_COLUMN_ACTIONS:
      {
        g_autoptr(GMenuModel) menu = lm_job_actions_menu (job);
        /* Translators: accessible name of a row's actions menu button */
        g_autofree char *label = g_strdup_printf (_("Actions for %s"), lp_job_get_name (job));

        gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (self->child), menu);
        gtk_widget_set_tooltip_text (self->child, label);
        gtk_accessible_update_property (GTK_ACCESSIBLE (self->child),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  if (ticking && self->tick_id == 0)
    self->tick_id = g_timeout_add_seconds (TICK_SECONDS, tick_cb, self);
  else if (!ticking)
    g_clear_handle_id (&self->tick_id, g_source_remove);
}

static gboolean
tick_cb (gpointer data)
{
  update (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
unhighlight_cb (gpointer data)
{
  LmJobCell *self = data;

  self->highlight_id = 0;
  gtk_widget_remove_css_class (GTK_WIDGET (self), "updated");
  return G_SOURCE_REMOVE;
}

static void
job_notify_cb (LmJobCell  *self,
               GParamSpec *pspec,
               LpJob      *job)
{
  update (self);

  /* Only what a person watches counts as a change worth a highlight. */
  if (g_str_equal (pspec->name, "status") || g_str_equal (pspec->name, "current-step"))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self), "updated");
      g_clear_handle_id (&self->highlight_id, g_source_remove);
      self->highlight_id = g_timeout_add (HIGHLIGHT_MS, unhighlight_cb, self);
    }
}

static void
lm_job_cell_dispose (GObject *object)
{
  LmJobCell *self = (LmJobCell *) object;

  lm_job_cell_set_job (self, NULL);
  g_clear_handle_id (&self->highlight_id, g_source_remove);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_pointer (&self->child, gtk_widget_unparent);
  if (self->icon != NULL)
    gtk_widget_unparent (GTK_WIDGET (self->icon));
  self->icon = NULL;
  g_clear_pointer (&self->user, g_free);

  G_OBJECT_CLASS (lm_job_cell_parent_class)->dispose (object);
}

static void
lm_job_cell_constructed (GObject *object)
{
  LmJobCell *self = (LmJobCell *) object;

  G_OBJECT_CLASS (lm_job_cell_parent_class)->constructed (object);

  switch (self->column)
    {
    case LM_JOB_COLUMN_STATUS:
      self->child = lm_status_badge_new ();
      break;

    case LM_JOB_COLUMN_ACTIONS:
      self->child = gtk_menu_button_new ();
      gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->child), "view-more-symbolic");
      gtk_widget_add_css_class (self->child, "flat");
      gtk_widget_set_halign (self->child, GTK_ALIGN_CENTER);
      /* Not a Tab stop in every row, which would make Tab walk the whole
       * list: the row is the stop, and its menu opens with Menu or
       * Shift+F10 (see LmJobsTable). */
      gtk_widget_set_can_focus (self->child, FALSE);
      break;

    case LM_JOB_COLUMN_DURATION:
      self->icon = GTK_IMAGE (gtk_image_new_from_icon_name ("document-open-recent-symbolic"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->icon), _("Running"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->icon),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Running"), -1);
      gtk_widget_set_parent (GTK_WIDGET (self->icon), GTK_WIDGET (self));
      G_GNUC_FALLTHROUGH;

    default:
      self->child = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (self->child), 0);
      gtk_label_set_ellipsize (GTK_LABEL (self->child), PANGO_ELLIPSIZE_END);
      gtk_widget_set_hexpand (self->child, TRUE);
      if (self->column == LM_JOB_COLUMN_NAME)
        gtk_widget_add_css_class (self->child, "job-name");
      if (self->column == LM_JOB_COLUMN_COST || self->column == LM_JOB_COLUMN_DURATION)
        gtk_widget_add_css_class (self->child, "numeric");
      break;
    }

  gtk_widget_set_parent (self->child, GTK_WIDGET (self));
  update (self);
}

static void
lm_job_cell_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  LmJobCell *self = LM_JOB_CELL (object);

  switch (prop_id)
    {
    case PROP_COLUMN: g_value_set_uint (value, self->column); break;
    case PROP_JOB: g_value_set_object (value, self->job); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_job_cell_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  LmJobCell *self = LM_JOB_CELL (object);

  switch (prop_id)
    {
    case PROP_COLUMN: self->column = g_value_get_uint (value); break;
    case PROP_JOB: lm_job_cell_set_job (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_job_cell_class_init (LmJobCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = lm_job_cell_constructed;
  object_class->dispose = lm_job_cell_dispose;
  object_class->get_property = lm_job_cell_get_property;
  object_class->set_property = lm_job_cell_set_property;

  properties[PROP_COLUMN] =
    g_param_spec_uint ("column", NULL, NULL, 0, LM_N_JOB_COLUMNS - 1, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_JOB] =
    g_param_spec_object ("job", NULL, NULL, LP_TYPE_JOB,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "jobcell");
}

static void
lm_job_cell_init (LmJobCell *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 6);
}

GtkWidget *
lm_job_cell_new (LmJobColumn column)
{
  return g_object_new (LM_TYPE_JOB_CELL, "column", column, NULL);
}

void
lm_job_cell_set_job (LmJobCell *self,
                     LpJob     *job)
{
  g_return_if_fail (LM_IS_JOB_CELL (self));

  if (self->job == job)
    return;

  if (self->job != NULL)
    {
      g_clear_signal_handler (&self->notify_id, self->job);
      g_clear_object (&self->job);
    }

  if (job != NULL)
    {
      self->job = g_object_ref (job);
      self->notify_id = g_signal_connect_object (job, "notify", G_CALLBACK (job_notify_cb),
                                                 self, G_CONNECT_SWAPPED);
    }

  /* A recycled cell must not flash for the row it used to show. */
  g_clear_handle_id (&self->highlight_id, g_source_remove);
  gtk_widget_remove_css_class (GTK_WIDGET (self), "updated");

  if (self->child != NULL)
    update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOB]);
}

LpJob *
lm_job_cell_get_job (LmJobCell *self)
{
  g_return_val_if_fail (LM_IS_JOB_CELL (self), NULL);
  return self->job;
}

void
lm_job_cell_set_user (LmJobCell  *self,
                      const char *user)
{
  g_return_if_fail (LM_IS_JOB_CELL (self));

  if (g_strcmp0 (self->user, user) == 0)
    return;

  g_free (self->user);
  self->user = g_strdup (user);
  if (self->child != NULL)
    update (self);
}

/**
 * lm_job_cell_popup_menu:
 * @self: a #LmJobCell
 *
 * Opens the row's actions menu, for the Menu key and Shift+F10.
 *
 * Returns: %FALSE if @self is not the Actions cell or has no menu
 */
gboolean
lm_job_cell_popup_menu (LmJobCell *self)
{
  g_return_val_if_fail (LM_IS_JOB_CELL (self), FALSE);

  if (!GTK_IS_MENU_BUTTON (self->child) ||
      gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (self->child)) == NULL)
    return FALSE;

  gtk_menu_button_popup (GTK_MENU_BUTTON (self->child));
  return TRUE;
}

const char *
lm_job_cell_get_text (LmJobCell *self)
{
  g_return_val_if_fail (LM_IS_JOB_CELL (self), NULL);

  if (GTK_IS_LABEL (self->child))
    return gtk_label_get_label (GTK_LABEL (self->child));
  if (LM_IS_STATUS_BADGE (self->child))
    return lm_status_badge_get_text (LM_STATUS_BADGE (self->child));

  return NULL;
}
