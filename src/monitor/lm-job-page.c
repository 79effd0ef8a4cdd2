/* lm-job-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The job's summary; the full dashboard (stages, loss curve, metrics,
 * cost tracker) grows here in the next issue.
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>
#include <adwaita.h>

#include "lp-format.h"
#include "lm-job-cell.h"
#include "lm-job-page.h"
#include "lm-status-badge.h"

#define POLL_SECONDS 60

struct _LmJobPage
{
  GtkWidget       parent_instance;

  AdwWindowTitle *title;
  GtkStack       *stack;
  GtkLabel       *percent_label;
  LmStatusBadge  *badge;
  GtkProgressBar *progress_bar;
  GtkLabel       *details_label;
  AdwStatusPage  *error_page;

  LmClient       *client;
  LpJob          *job;
  GCancellable   *cancellable;
  gint64          job_id;
  guint           poll_id;
};

G_DEFINE_FINAL_TYPE (LmJobPage, lm_job_page, GTK_TYPE_WIDGET)

static void
show_job (LmJobPage *self)
{
  LpJob *job = self->job;
  LpJobStatus status = lp_job_get_status (job);
  double progress = status == LP_JOB_STATUS_COMPLETED ? 100 : lp_job_get_progress (job);
  g_autofree char *percent = lp_format_percent (progress);
  g_autofree char *percent_text = g_strdup_printf (_("%s Complete"), percent);
  g_autofree char *steps = lp_format_step_of (lp_job_get_current_step (job), lp_job_get_total_steps (job));
  g_autofree char *epochs = lp_format_epoch_of (lp_job_get_epoch (job), lp_job_get_total_epochs (job));
  g_autofree char *duration = lm_job_duration_text (job, g_get_real_time ());
  g_autofree char *cost = lm_job_cost_text (job, g_get_real_time ());
  g_autofree char *details = g_strdup_printf ("%s · %s · %s · %s", steps, epochs, duration, cost);
  g_autofree char *accessible = g_strdup_printf (_("%s %s complete, %s"),
                                                 lp_job_status_label (status), percent, steps);

  adw_window_title_set_title (self->title, lp_job_get_name (job));
  gtk_label_set_label (self->percent_label, percent_text);
  lm_status_badge_set_status (self->badge, status, lp_job_get_progress (job));
  gtk_progress_bar_set_fraction (self->progress_bar, progress / 100.0);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  gtk_label_set_label (self->details_label, details);
  gtk_stack_set_visible_child_name (self->stack, "job");
}

static gboolean poll_cb (gpointer data);

static void
job_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  LmJobPage *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpJob) job = lm_client_get_job_finish (LM_CLIENT (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->cancellable);

  if (job == NULL)
    {
      if (self->job == NULL || !g_error_matches (error, LM_CLIENT_ERROR, LM_CLIENT_ERROR_UNREACHABLE))
        {
          adw_status_page_set_description (self->error_page, error->message);
          gtk_stack_set_visible_child_name (self->stack, "error");
        }
      return;
    }

  g_set_object (&self->job, job);
  show_job (self);

  /* Finished jobs are static; only active ones are polled. */
  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (!lp_job_status_is_finished (lp_job_get_status (job)))
    self->poll_id = g_timeout_add_seconds (POLL_SECONDS, poll_cb, self);
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

  lm_client_get_job_async (self->client, self->job_id, self->cancellable, job_cb, self);
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
lm_job_page_dispose (GObject *object)
{
  GtkWidget *child;
  LmJobPage *self = (LmJobPage *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_object (&self->client);
  g_clear_object (&self->job);

  gtk_widget_dispose_template (GTK_WIDGET (object), LM_TYPE_JOB_PAGE);

  /* Only bound children are cleared by the template; the root goes here. */
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

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-job-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, title);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, stack);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, percent_label);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, badge);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, details_label);
  gtk_widget_class_bind_template_child (widget_class, LmJobPage, error_page);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "jobpage");
}

static void
lm_job_page_init (LmJobPage *self)
{
  g_type_ensure (LM_TYPE_STATUS_BADGE);
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
lm_job_page_set_client (LmJobPage *self,
                        LmClient  *client)
{
  g_return_if_fail (LM_IS_JOB_PAGE (self));
  g_set_object (&self->client, client);
}

void
lm_job_page_load (LmJobPage *self,
                  gint64     id)
{
  g_return_if_fail (LM_IS_JOB_PAGE (self));

  if (self->job_id != id)
    {
      g_clear_object (&self->job);
      adw_window_title_set_title (self->title, "");
      gtk_stack_set_visible_child_name (self->stack, "loading");
    }

  self->job_id = id;
  g_clear_handle_id (&self->poll_id, g_source_remove);
  lm_job_page_refresh (self);
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
