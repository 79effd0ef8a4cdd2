/* lm-job-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The dashboard of one job. It fetches the job and its metrics, then polls
 * both while the job is active: metrics with since_step, so a long run's
 * history is read once and only new points come after. Between polls the
 * elapsed time, cost and stage timer tick on the client every second.
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>
#include <adwaita.h>

#include "lp-calc.h"
#include "lp-format.h"
#include "lm-banner.h"
#include "lm-columns.h"
#include "lm-cost-tracker.h"
#include "lm-event-log.h"
#include "lm-guard-row.h"
#include "lm-job-cell.h"
#include "lm-job-page.h"
#include "lm-loss-chart.h"
#include "lm-metric-row.h"
#include "lm-stage-bar.h"
#include "lm-status-badge.h"
#include "lm-toast.h"

enum {
  METRIC_TRAIN_LOSS,
  METRIC_VAL_LOSS,
  METRIC_LEARNING_RATE,
  METRIC_GPU_UTIL,
  N_METRICS
};

struct _LmJobPage
{
  GtkWidget        parent_instance;

  /* template widgets */
  AdwWindowTitle  *title;
  GtkStack        *cancel_stack;
  GtkLabel        *cancelled_label;
  GtkButton       *refresh_button;
  GtkStack        *refresh_stack;
  LmBanner        *banner;
  GtkStack        *stack;
  GtkLabel        *crumb_label;
  GtkLabel        *name_label;
  GtkLabel        *percent_label;
  LmStatusBadge   *badge;
  GtkProgressBar  *progress_bar;
  GtkLabel        *step_label;
  GtkLabel        *epoch_label;
  GtkLabel        *elapsed_label;
  GtkLabel        *remaining_label;
  GtkLabel        *stage_badge;
  GtkLabel        *outcome_label;
  LmGuardRow      *guard_row;
  LmStageBar      *stage_bar;
  AdwViewStack    *tabs;
  AdwViewStackPage *events_page;
  LmEventLog      *event_log;
  GtkWidget       *overview;
  LmLossChart     *chart;
  GtkBox          *metrics_box;
  LmCostTracker   *cost_tracker;
  GtkLabel        *updated_label;
  AdwStatusPage   *error_page;

  GSettings       *settings;
  LmMetricRow     *metrics[N_METRICS];
  AdwAnimation    *progress_animation;

  LmClient        *client;
  gulong           reconnected_id;
  LpJob           *job;
  GCancellable    *cancellable;
  gint64           job_id;
  gint64           updated_at;     /* monotonic µs of the last answer */
  guint            pending;        /* requests of the current refresh */
  guint            poll_seconds;
  guint            poll_id;
  guint            tick_id;
  guint            manual : 1;     /* the current refresh was asked for */
  guint            have_metrics : 1;
  guint            seen_under_estimate : 1;
  guint            over_announced : 1;
  char            *announcement;   /* the last thing said to screen readers */
};

G_DEFINE_FINAL_TYPE (LmJobPage, lm_job_page, GTK_TYPE_WIDGET)

/* A screen reader does not see a label change on a page the user is not
 * reading; the window speaks what matters through its alert. */
static void
announce (LmJobPage  *self,
          const char *text)
{
  g_free (self->announcement);
  self->announcement = g_strdup (text);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.announce", "s", text);
}

static const char *
progress_class (LpJobStatus status)
{
  switch (status)
    {
    case LP_JOB_STATUS_COMPLETED: return "completed";
    case LP_JOB_STATUS_FAILED: return "failed";
    case LP_JOB_STATUS_CANCELLED:
    case LP_JOB_STATUS_CANCELLING: return "cancelled";
    default: return "active";
    }
}

static void
set_progress_class (LmJobPage  *self,
                    const char *css_class)
{
  static const char *classes[] = { "active", "completed", "failed", "cancelled" };

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    if (!g_str_equal (classes[i], css_class))
      gtk_widget_remove_css_class (GTK_WIDGET (self->progress_bar), classes[i]);
  gtk_widget_add_css_class (GTK_WIDGET (self->progress_bar), css_class);
}

static double
display_progress (LpJob *job)
{
  /* A completed run is complete, even if its trainer stopped a step short. */
  return lp_job_get_status (job) == LP_JOB_STATUS_COMPLETED ? 100.0 : lp_job_get_progress (job);
}

/* The parts that move every second between polls. */
static void
update_ticking (LmJobPage *self)
{
  LpJob *job = self->job;
  gint64 now = g_get_real_time ();
  g_autofree char *elapsed = NULL;
  g_autofree char *updated = NULL;
  double spend;

  if (job == NULL)
    return;

  elapsed = lp_format_duration (lm_job_elapsed_s (job, now));
  gtk_label_set_label (self->elapsed_label, elapsed);

  spend = lp_job_status_is_active (lp_job_get_status (job))
            ? lp_cost_for_elapsed (lm_job_elapsed_s (job, now), lp_job_get_hourly_rate (job))
            : lp_job_get_cost (job);
  lm_cost_tracker_update (self->cost_tracker, job, spend);
  lm_stage_bar_set_now (self->stage_bar, now);

  /* Said once, and only when it happens in front of the user: a job that
   * was already over when opened shows it, but is not news. */
  if (lp_job_has_estimate (job) && lp_job_status_is_active (lp_job_get_status (job)))
    {
      if (!lp_cost_over_estimate (spend, lp_job_get_estimate_max (job)))
        self->seen_under_estimate = TRUE;
      else if (self->seen_under_estimate && !self->over_announced)
        {
          g_autofree char *money = lp_format_money (spend);
          g_autofree char *estimate = lp_format_estimate_range (lp_job_get_estimate_min (job),
                                                                lp_job_get_estimate_max (job));
          /* Translators: e.g. "Support Bot passed its cost estimate: $55.10 spent, estimate $45-55" */
          g_autofree char *text = g_strdup_printf (_("%s passed its cost estimate: %s spent, estimate %s"),
                                                   lp_job_get_name (job), money, estimate);

          self->over_announced = TRUE;
          announce (self, text);
        }
    }

  if (self->updated_at != 0)
    {
      updated = lp_format_updated_ago ((g_get_monotonic_time () - self->updated_at) / G_USEC_PER_SEC);
      gtk_label_set_label (self->updated_label, updated);
    }
}

static gboolean
tick_cb (gpointer data)
{
  update_ticking (data);
  return G_SOURCE_CONTINUE;
}

static const char *
stage_label (LpJob *job)
{
  LpStageKind kind;

  if (lp_job_get_stage (job) == NULL || !lp_stage_kind_from_string (lp_job_get_stage (job), &kind))
    return NULL;

  return lp_stage_kind_label (kind);
}

static void
show_job (LmJobPage *self)
{
  LpJob *job = self->job;
  LpJobStatus status = lp_job_get_status (job);
  double progress = display_progress (job);
  g_autofree char *percent = lp_format_percent (progress);
  g_autofree char *percent_text = g_strdup_printf (_("%s Complete"), percent);
  g_autofree char *steps = lp_format_step_of (lp_job_get_current_step (job), lp_job_get_total_steps (job));
  g_autofree char *epochs = lp_format_epoch_of (lp_job_get_epoch (job), lp_job_get_total_epochs (job));
  g_autofree char *accessible = NULL;
  g_autofree char *outcome = NULL;
  const char *stage = stage_label (job);

  adw_window_title_set_title (self->title, lp_job_get_name (job));
  lm_guard_row_set_job (self->guard_row, job);
  gtk_label_set_label (self->crumb_label, lp_job_get_name (job));
  gtk_label_set_label (self->name_label, lp_job_get_name (job));
  gtk_label_set_label (self->percent_label, percent_text);
  lm_status_badge_set_status (self->badge, status, lp_job_get_progress (job));

  /* The bar slides to its new width instead of jumping. */
  adw_timed_animation_set_value_from (ADW_TIMED_ANIMATION (self->progress_animation),
                                      gtk_progress_bar_get_fraction (self->progress_bar));
  adw_timed_animation_set_value_to (ADW_TIMED_ANIMATION (self->progress_animation), progress / 100.0);
  adw_animation_play (self->progress_animation);
  set_progress_class (self, progress_class (status));

  /* Translators: the progress bar read aloud, e.g. "Training 42% complete, Step 850 of 2,000" */
  accessible = g_strdup_printf (_("%s %s complete, %s"), lp_job_status_label (status), percent, steps);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);

  gtk_label_set_label (self->step_label, steps);
  gtk_label_set_label (self->epoch_label, epochs);

  /* Where a job in a cluster's own queue stands there ("Waiting in
   * Slurm: Resources") says more than an estimate of what is left. */
  if (lp_job_status_is_active (status) && lp_job_get_status_detail (job) != NULL &&
      *lp_job_get_status_detail (job) != '\0')
    gtk_label_set_label (self->remaining_label, lp_job_get_status_detail (job));
  else if (lp_job_status_is_active (status) && lp_job_get_remaining_s (job) >= 0)
    {
      g_autofree char *remaining = lp_format_remaining (lp_job_get_remaining_s (job));
      gtk_label_set_label (self->remaining_label, remaining);
    }
  else if (status == LP_JOB_STATUS_QUEUED)
    {
      if (lp_job_get_queue_position (job) > 0)
        {
          g_autofree char *position = g_strdup_printf (_("Waiting in the queue at position %lld"),
                                                       (long long) lp_job_get_queue_position (job));
          gtk_label_set_label (self->remaining_label, position);
        }
      else
        gtk_label_set_label (self->remaining_label, _("Waiting in the queue"));
    }
  else
    gtk_label_set_label (self->remaining_label, "");

  gtk_label_set_label (self->stage_badge, stage ? stage : "");
  gtk_widget_set_visible (GTK_WIDGET (self->stage_badge), stage != NULL && lp_job_status_is_active (status));

  switch (status)
    {
    case LP_JOB_STATUS_COMPLETED:
      outcome = lp_format_completed_in (lp_job_get_elapsed_s (job));
      break;
    case LP_JOB_STATUS_FAILED:
      {
        g_autofree char *at = lp_format_failed_at (lp_job_get_current_step (job));
        outcome = lp_job_get_error (job) ? g_strdup_printf ("%s: %s", at, lp_job_get_error (job))
                                         : g_steal_pointer (&at);
      }
      break;
    case LP_JOB_STATUS_CANCELLED:
      outcome = lp_format_cancelled_at (lp_job_get_progress (job));
      break;
    default:
      break;
    }
  gtk_label_set_label (self->outcome_label, outcome ? outcome : "");
  gtk_widget_set_visible (GTK_WIDGET (self->outcome_label), outcome != NULL);

  /* Cancel is offered while there is something to stop. */
  if (status == LP_JOB_STATUS_QUEUED || status == LP_JOB_STATUS_PROVISIONING ||
      status == LP_JOB_STATUS_TRAINING)
    gtk_stack_set_visible_child_name (self->cancel_stack, "button");
  else if (status == LP_JOB_STATUS_CANCELLED && lp_job_get_finished_at (job) != 0)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (lp_job_get_finished_at (job) / G_USEC_PER_SEC);
      g_autofree char *date = g_date_time_format (when, _("%b %-d"));
      g_autofree char *time = g_date_time_format (when, _("%-l:%M %p"));
      /* Translators: e.g. "Job Cancelled on Dec 18 at 4:45 PM" */
      g_autofree char *text = g_strdup_printf (_("Job Cancelled on %s at %s"), date, time);

      gtk_label_set_label (self->cancelled_label, text);
      gtk_stack_set_visible_child_name (self->cancel_stack, "cancelled");
    }
  else
    gtk_stack_set_visible_child_name (self->cancel_stack, "none");

  lm_stage_bar_set_job (self->stage_bar, job);
  lm_event_log_set_job (self->event_log, job);
  update_ticking (self);

  gtk_stack_set_visible_child_name (self->stack, "job");
}

static void
show_latest (LmJobPage       *self,
             LpMetricsLatest *latest)
{
  lm_metric_row_set_values (self->metrics[METRIC_TRAIN_LOSS], latest->train_loss, latest->prev_train_loss);
  lm_metric_row_set_values (self->metrics[METRIC_VAL_LOSS], latest->val_loss, latest->prev_val_loss);
  lm_metric_row_set_values (self->metrics[METRIC_LEARNING_RATE], latest->learning_rate, NAN);
  lm_metric_row_set_values (self->metrics[METRIC_GPU_UTIL], latest->gpu_util, NAN);
}

static gboolean poll_cb (gpointer data);

static void
schedule_poll (LmJobPage *self)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);

  /* Finished jobs never change again; only active ones are polled. */
  if (self->job != NULL && !lp_job_status_is_finished (lp_job_get_status (self->job)) &&
      gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->poll_id = g_timeout_add_seconds (self->poll_seconds, poll_cb, self);
}

static void
request_done (LmJobPage *self)
{
  if (self->pending > 0 && --self->pending > 0)
    return;

  g_clear_object (&self->cancellable);
  gtk_stack_set_visible_child_name (self->refresh_stack, "icon");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "job.refresh", TRUE);

  if (self->manual && self->job != NULL)
    lm_toast_show (GTK_WIDGET (self), _("Metrics updated"), 2);
  self->manual = FALSE;

  schedule_poll (self);
}

static void
job_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  LmJobPage *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpJob) job = lm_client_get_job_finish (LM_CLIENT (object), result, &error);
  LpJobStatus before;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (job == NULL)
    {
      /* Unreachable: the banner says so and the last data stays. */
      if (self->job == NULL || !g_error_matches (error, LM_CLIENT_ERROR, LM_CLIENT_ERROR_UNREACHABLE))
        {
          g_autofree char *description = g_markup_escape_text (error->message, -1);

          /* The description is Pango markup; the service's text is shown as it is. */
          adw_status_page_set_description (self->error_page, description);
          gtk_stack_set_visible_child_name (self->stack, "error");
        }
      request_done (self);
      return;
    }

  before = self->job ? lp_job_get_status (self->job) : lp_job_get_status (job);
  self->updated_at = g_get_monotonic_time ();
  g_set_object (&self->job, job);
  show_job (self);

  if (lp_job_status_is_active (before) && lp_job_get_status (job) == LP_JOB_STATUS_COMPLETED)
    lm_toast_show (GTK_WIDGET (self), _("Training completed successfully!"), 2);

  if (lp_job_status_is_active (before) && lp_job_status_is_finished (lp_job_get_status (job)))
    {
      g_autofree char *text = NULL;

      switch (lp_job_get_status (job))
        {
        case LP_JOB_STATUS_COMPLETED:
          text = g_strdup_printf (_("%s completed"), lp_job_get_name (job));
          break;
        case LP_JOB_STATUS_FAILED:
          text = g_strdup_printf (_("%s failed"), lp_job_get_name (job));
          break;
        default:
          text = g_strdup_printf (_("%s was cancelled"), lp_job_get_name (job));
          break;
        }
      announce (self, text);
    }

  request_done (self);
}

static void
metrics_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  LmJobPage *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpMetrics) metrics = lm_client_get_metrics_finish (LM_CLIENT (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (metrics != NULL)
    {
      static const LpSeries charted[] = { LP_SERIES_TRAIN_LOSS, LP_SERIES_VAL_LOSS };

      for (guint i = 0; i < G_N_ELEMENTS (charted); i++)
        {
          LpSeriesData *data = &metrics->series[charted[i]];

          lm_loss_chart_append (self->chart, charted[i],
                                (const gint64 *) (gpointer) data->steps->data,
                                (const double *) (gpointer) data->values->data,
                                data->steps->len);
        }
      show_latest (self, &metrics->latest);
      lm_loss_chart_set_error (self->chart, NULL);
      self->have_metrics = TRUE;
    }
  else if (!g_error_matches (error, LM_CLIENT_ERROR, LM_CLIENT_ERROR_UNREACHABLE))
    {
      /* Translators: under the loss chart; the argument is the reason */
      g_autofree char *text = g_strdup_printf (_("Couldn't load the metrics: %s"), error->message);

      /* Unreachable is the banner's to say; anything else would leave an
       * empty or stale curve without a word. */
      lm_loss_chart_set_error (self->chart, text);
    }

  request_done (self);
}

void
lm_job_page_refresh (LmJobPage *self)
{
  g_return_if_fail (LM_IS_JOB_PAGE (self));

  if (self->client == NULL || self->job_id <= 0)
    return;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->pending = 2;

  /* The refresh button spins and stays insensitive until both answer. */
  gtk_stack_set_visible_child_name (self->refresh_stack, "spinner");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "job.refresh", FALSE);

  lm_client_get_job_async (self->client, self->job_id, self->cancellable, job_cb, self);

  /* The first answer brings the history (thinned only when huge); every
   * later one only the points after the last step already drawn. */
  if (self->have_metrics)
    {
      /* Each charted series from its own last step (a validation point
       * can come at a step already drawn for training); the others are
       * not charted, so only their newest. */
      gint64 train = lm_loss_chart_get_series_last_step (self->chart, LP_SERIES_TRAIN_LOSS);
      gint64 val = lm_loss_chart_get_series_last_step (self->chart, LP_SERIES_VAL_LOSS);
      const gint64 since_steps[LP_N_SERIES] = {
        [LP_SERIES_TRAIN_LOSS] = train,
        [LP_SERIES_VAL_LOSS] = val,
        [LP_SERIES_LEARNING_RATE] = MAX (train, val),
        [LP_SERIES_GPU_UTIL] = MAX (train, val),
      };

      lm_client_get_metrics_async (self->client, self->job_id, since_steps, 0,
                                   FALSE, self->cancellable, metrics_cb, self);
    }
  else
    lm_client_get_metrics_async (self->client, self->job_id, NULL,
                                 LM_JOB_PAGE_MAX_HISTORY_POINTS,
                                 FALSE, self->cancellable, metrics_cb, self);
}

static gboolean
poll_cb (gpointer data)
{
  LmJobPage *self = data;

  self->poll_id = 0;
  lm_job_page_refresh (self);
  return G_SOURCE_REMOVE;
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  LmJobPage *self = LM_JOB_PAGE (widget);

  self->manual = TRUE;
  lm_job_page_refresh (self);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  LmJobPage *self = LM_JOB_PAGE (widget);

  if (self->job_id > 0)
    gtk_widget_activate_action (widget, "win.cancel-job", "x", self->job_id);
}

static void
tab_changed_cb (LmJobPage *self)
{
  gboolean events = adw_view_stack_get_visible_child (self->tabs) == GTK_WIDGET (self->event_log);

  /* Unseen events are counted for the tab's badge while it is hidden. */
  lm_event_log_set_watching (self->event_log, events);
}

static void
new_events_cb (LmJobPage *self)
{
  guint n = lm_event_log_get_n_new (self->event_log);
  g_autofree char *title = NULL;

  /* Translators: the Event Log tab with events not seen yet, e.g. "Event Log (5 new)" */
  title = n > 0 ? g_strdup_printf (_("Event Log (%u new)"), n) : g_strdup (_("Event Log"));
  adw_view_stack_page_set_title (self->events_page, title);
  adw_view_stack_page_set_needs_attention (self->events_page, n > 0);
}

static void
view_errors_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  lm_job_page_show_errors (LM_JOB_PAGE (widget));
}

static void
lm_job_page_map (GtkWidget *widget)
{
  LmJobPage *self = LM_JOB_PAGE (widget);

  GTK_WIDGET_CLASS (lm_job_page_parent_class)->map (widget);

  self->tick_id = g_timeout_add_seconds (1, tick_cb, self);
  schedule_poll (self);
}

static void
lm_job_page_unmap (GtkWidget *widget)
{
  LmJobPage *self = LM_JOB_PAGE (widget);

  /* A page out of sight neither polls nor ticks. */
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->poll_id, g_source_remove);

  GTK_WIDGET_CLASS (lm_job_page_parent_class)->unmap (widget);
}

static void
lm_job_page_dispose (GObject *object)
{
  LmJobPage *self = (LmJobPage *) object;
  GtkWidget *child;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  lm_job_page_set_client (self, NULL);
  g_clear_object (&self->job);
  g_clear_pointer (&self->announcement, g_free);
  g_clear_object (&self->progress_animation);
  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (object), LM_TYPE_JOB_PAGE);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (lm_job_page_parent_class)->dispose (object);
}

static void
lm_job_page_class_init (LmJobPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_job_page_dispose;

  widget_class->map = lm_job_page_map;
  widget_class->unmap = lm_job_page_unmap;

  g_type_ensure (LM_TYPE_BANNER);
  g_type_ensure (LM_TYPE_COLUMNS);
  g_type_ensure (LM_TYPE_COST_TRACKER);
  g_type_ensure (LM_TYPE_EVENT_LOG);
  g_type_ensure (LM_TYPE_GUARD_ROW);
  g_type_ensure (LM_TYPE_LOSS_CHART);
  g_type_ensure (LM_TYPE_STAGE_BAR);
  g_type_ensure (LM_TYPE_STATUS_BADGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-job-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, title);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, cancel_stack);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, cancelled_label);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, refresh_button);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, refresh_stack);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, banner);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, stack);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, crumb_label);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, name_label);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, percent_label);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, badge);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, step_label);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, epoch_label);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, elapsed_label);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, remaining_label);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, stage_badge);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, outcome_label);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, stage_bar);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, tabs);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, events_page);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, event_log);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, overview);
  gtk_widget_class_bind_template_callback (widget_class, tab_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, new_events_cb);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, chart);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, metrics_box);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, cost_tracker);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, guard_row);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, updated_label);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, error_page);

  gtk_widget_class_install_action (widget_class, "job.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "job.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "job.view-errors", NULL, view_errors_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "jobpage");
}

static void
lm_job_page_init (LmJobPage *self)
{
  static const struct {
    const char   *title;
    LmMetricKind  kind;
  } rows[N_METRICS] = {
    [METRIC_TRAIN_LOSS] = { N_("Training Loss"), LM_METRIC_LOSS },
    [METRIC_VAL_LOSS] = { N_("Validation Loss"), LM_METRIC_LOSS },
    [METRIC_LEARNING_RATE] = { N_("Learning Rate"), LM_METRIC_PLAIN },
    [METRIC_GPU_UTIL] = { N_("GPU Utilization"), LM_METRIC_PERCENT },
  };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->poll_seconds = LM_JOB_PAGE_POLL_SECONDS;

  /* The chosen tab is remembered, as the brief's ?tab= was. */
  self->settings = g_settings_new (APP_ID);
  g_settings_bind (self->settings, "job-tab", self->tabs, "visible-child-name", G_SETTINGS_BIND_DEFAULT);
  tab_changed_cb (self);

  for (guint i = 0; i < N_METRICS; i++)
    {
      self->metrics[i] = LM_METRIC_ROW (lm_metric_row_new (_(rows[i].title), rows[i].kind));
      gtk_box_append (self->metrics_box, GTK_WIDGET (self->metrics[i]));
    }

  self->progress_animation =
    adw_timed_animation_new (GTK_WIDGET (self->progress_bar), 0, 0, 300,
                             adw_property_animation_target_new (G_OBJECT (self->progress_bar), "fraction"));
  adw_timed_animation_set_easing (ADW_TIMED_ANIMATION (self->progress_animation), ADW_EASE_OUT_CUBIC);
}

void
lm_job_page_set_client (LmJobPage *self,
                        LmClient  *client)
{
  g_return_if_fail (LM_IS_JOB_PAGE (self));

  if (self->client == client)
    return;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (self->client != NULL)
    g_clear_signal_handler (&self->reconnected_id, self->client);

  g_set_object (&self->client, client);
  lm_banner_set_client (self->banner, client);
  lm_event_log_set_client (self->event_log, client);
  lm_guard_row_set_client (self->guard_row, client);

  /* Back from an outage, the page catches up at once. */
  if (client != NULL)
    self->reconnected_id = g_signal_connect_object (client, "reconnected",
                                                    G_CALLBACK (lm_job_page_refresh),
                                                    self, G_CONNECT_SWAPPED);
}

void
lm_job_page_load (LmJobPage *self,
                  gint64     id)
{
  g_return_if_fail (LM_IS_JOB_PAGE (self));

  if (self->job_id != id)
    {
      g_clear_object (&self->job);
      lm_loss_chart_clear (self->chart);
      self->have_metrics = FALSE;
      self->seen_under_estimate = FALSE;
      self->over_announced = FALSE;
      g_clear_pointer (&self->announcement, g_free);
      self->updated_at = 0;
      gtk_progress_bar_set_fraction (self->progress_bar, 0);
      adw_window_title_set_title (self->title, "");
      gtk_label_set_label (self->updated_label, "");
      for (guint i = 0; i < N_METRICS; i++)
        lm_metric_row_set_values (self->metrics[i], NAN, NAN);
      /* No Cancel Job for a job not seen yet, or one that cannot be shown. */
      gtk_stack_set_visible_child_name (self->cancel_stack, "none");
      gtk_stack_set_visible_child_name (self->stack, "loading");
    }

  self->job_id = id;
  g_clear_handle_id (&self->poll_id, g_source_remove);
  lm_job_page_refresh (self);
}

void
lm_job_page_set_poll_interval (LmJobPage *self,
                               guint      seconds)
{
  g_return_if_fail (LM_IS_JOB_PAGE (self));

  self->poll_seconds = MAX (seconds, 1u);
  schedule_poll (self);
}

gint64
lm_job_page_get_job_id (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), 0);
  return self->job_id;
}

LpJob *
lm_job_page_get_job (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), NULL);
  return self->job;
}

gboolean
lm_job_page_is_polling (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), FALSE);
  return self->poll_id != 0 || self->cancellable != NULL;
}

const char *
lm_job_page_get_state (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
lm_job_page_get_percent_text (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), NULL);
  return gtk_label_get_label (self->percent_label);
}

const char *
lm_job_page_get_outcome_text (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->outcome_label))
           ? gtk_label_get_label (self->outcome_label) : NULL;
}

/* For tests: "step", "epoch", "elapsed", "remaining", "stage", "cancelled". */
const char *
lm_job_page_get_details_text (LmJobPage  *self,
                              const char *which)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), NULL);

  if (g_str_equal (which, "step"))
    return gtk_label_get_label (self->step_label);
  if (g_str_equal (which, "epoch"))
    return gtk_label_get_label (self->epoch_label);
  if (g_str_equal (which, "elapsed"))
    return gtk_label_get_label (self->elapsed_label);
  if (g_str_equal (which, "remaining"))
    return gtk_label_get_label (self->remaining_label);
  if (g_str_equal (which, "stage"))
    return gtk_label_get_label (self->stage_badge);
  if (g_str_equal (which, "cancelled"))
    return g_strcmp0 (gtk_stack_get_visible_child_name (self->cancel_stack), "cancelled") == 0
             ? gtk_label_get_label (self->cancelled_label) : NULL;
  if (g_str_equal (which, "cancel-button"))
    return gtk_stack_get_visible_child_name (self->cancel_stack);

  return NULL;
}

GtkWidget *
lm_job_page_get_chart (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), NULL);
  return GTK_WIDGET (self->chart);
}

GtkWidget *
lm_job_page_get_stage_bar (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), NULL);
  return GTK_WIDGET (self->stage_bar);
}

GtkWidget *
lm_job_page_get_guard_row (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), NULL);
  return GTK_WIDGET (self->guard_row);
}

GtkWidget *
lm_job_page_get_cost_tracker (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), NULL);
  return GTK_WIDGET (self->cost_tracker);
}

GtkWidget *
lm_job_page_get_metric_row (LmJobPage *self,
                            guint      index)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), NULL);
  g_return_val_if_fail (index < N_METRICS, NULL);
  return GTK_WIDGET (self->metrics[index]);
}

gboolean
lm_job_page_is_two_columns (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), FALSE);
  return lm_columns_is_wide (LM_COLUMNS (self->overview));
}

/* The stage bar's "View Details": the log, filtered to errors. */
void
lm_job_page_show_errors (LmJobPage *self)
{
  g_return_if_fail (LM_IS_JOB_PAGE (self));

  lm_event_log_set_filter (self->event_log, "error");
  adw_view_stack_set_visible_child_name (self->tabs, "events");
  lm_event_log_focus_events (self->event_log);
}

GtkWidget *
lm_job_page_get_event_log (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), NULL);
  return GTK_WIDGET (self->event_log);
}

const char *
lm_job_page_get_tab (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), NULL);
  return adw_view_stack_get_visible_child_name (self->tabs);
}

void
lm_job_page_set_tab (LmJobPage  *self,
                     const char *tab)
{
  g_return_if_fail (LM_IS_JOB_PAGE (self));
  adw_view_stack_set_visible_child_name (self->tabs, tab);
}

const char *
lm_job_page_get_events_tab_title (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), NULL);
  return adw_view_stack_page_get_title (self->events_page);
}

/* The last text given to screen readers: a finished run, a passed estimate. */
const char *
lm_job_page_get_announcement (LmJobPage *self)
{
  g_return_val_if_fail (LM_IS_JOB_PAGE (self), NULL);

  return self->announcement;
}
