/* lm-status-badge.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Colour is never the only signal: every status has its own icon and
 * words, and the accessible description says the status in a sentence.
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "lm-status-badge.h"

struct _LmStatusBadge
{
  GtkWidget    parent_instance;

  GtkImage    *icon;
  GtkLabel    *label;
  LpJobStatus  status;
  double       progress;
  const char  *css_class;
};

G_DEFINE_FINAL_TYPE (LmStatusBadge, lm_status_badge, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STATUS,
  PROP_PROGRESS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char *
lm_status_icon_name (LpJobStatus status)
{
  switch (status)
    {
    case LP_JOB_STATUS_QUEUED: return "appointment-soon-symbolic";
    case LP_JOB_STATUS_PROVISIONING: return "content-loading-symbolic";
    case LP_JOB_STATUS_TRAINING: return "media-playback-start-symbolic";
    case LP_JOB_STATUS_CANCELLING: return "process-stop-symbolic";
    case LP_JOB_STATUS_COMPLETED: return "object-select-symbolic";
    case LP_JOB_STATUS_FAILED: return "window-close-symbolic";
    case LP_JOB_STATUS_CANCELLED: return "process-stop-symbolic";
    default: return "dialog-question-symbolic";
    }
}

const char *
lm_status_css_class (LpJobStatus status)
{
  switch (status)
    {
    case LP_JOB_STATUS_QUEUED: return "status-queued";
    case LP_JOB_STATUS_PROVISIONING: return "status-provisioning";
    case LP_JOB_STATUS_TRAINING: return "status-training";
    case LP_JOB_STATUS_CANCELLING: return "status-cancelling";
    case LP_JOB_STATUS_COMPLETED: return "status-completed";
    case LP_JOB_STATUS_FAILED: return "status-failed";
    case LP_JOB_STATUS_CANCELLED: return "status-cancelled";
    default: return "status-queued";
    }
}

static void
update (LmStatusBadge *self)
{
  g_autofree char *text = NULL;
  g_autofree char *description = NULL;
  /* CLAMP lets NaN through, and NaN has no int. */
  int percent = isfinite (self->progress) ? (int) floor (CLAMP (self->progress, 0, 100)) : 0;

  if (self->status == LP_JOB_STATUS_TRAINING)
    {
      /* Translators: a job's status with its progress, e.g. "Training (42%)" */
      text = g_strdup_printf (_("Training (%d%%)"), percent);
      description = g_strdup_printf (_("Status: Training in progress, %d percent complete"), percent);
    }
  else
    {
      text = g_strdup (lp_job_status_label (self->status));
      /* Translators: %s is a status such as "Completed" */
      description = g_strdup_printf (_("Status: %s"), text);
    }

  gtk_label_set_label (self->label, text);
  gtk_image_set_from_icon_name (self->icon, lm_status_icon_name (self->status));

  if (self->css_class != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (self), self->css_class);
  self->css_class = lm_status_css_class (self->status);
  gtk_widget_add_css_class (GTK_WIDGET (self), self->css_class);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
}

static void
lm_status_badge_dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (lm_status_badge_parent_class)->dispose (object);
}

static void
lm_status_badge_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  LmStatusBadge *self = LM_STATUS_BADGE (object);

  switch (prop_id)
    {
    case PROP_STATUS: g_value_set_uint (value, self->status); break;
    case PROP_PROGRESS: g_value_set_double (value, self->progress); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_status_badge_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  LmStatusBadge *self = LM_STATUS_BADGE (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      lm_status_badge_set_status (self, g_value_get_uint (value), self->progress);
      break;
    case PROP_PROGRESS:
      lm_status_badge_set_status (self, self->status, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_status_badge_class_init (LmStatusBadgeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_status_badge_dispose;
  object_class->get_property = lm_status_badge_get_property;
  object_class->set_property = lm_status_badge_set_property;

  properties[PROP_STATUS] =
    g_param_spec_uint ("status", NULL, NULL, 0, LP_N_JOB_STATUSES - 1, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROGRESS] =
    g_param_spec_double ("progress", NULL, NULL, 0, 100, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "statusbadge");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_STATUS);
}

static void
lm_status_badge_init (LmStatusBadge *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 6);
  gtk_widget_set_halign (GTK_WIDGET (self), GTK_ALIGN_START);
  gtk_widget_set_valign (GTK_WIDGET (self), GTK_ALIGN_CENTER);

  self->icon = GTK_IMAGE (gtk_image_new ());
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->icon), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
  gtk_widget_set_parent (GTK_WIDGET (self->icon), GTK_WIDGET (self));

  self->label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_parent (GTK_WIDGET (self->label), GTK_WIDGET (self));

  update (self);
}

GtkWidget *
lm_status_badge_new (void)
{
  return g_object_new (LM_TYPE_STATUS_BADGE, NULL);
}

void
lm_status_badge_set_status (LmStatusBadge *self,
                            LpJobStatus    status,
                            double         progress)
{
  gboolean status_changed, progress_changed;

  g_return_if_fail (LM_IS_STATUS_BADGE (self));

  status_changed = self->status != status;
  progress_changed = self->progress != progress;

  if (!status_changed && !progress_changed)
    return;

  self->status = status;
  self->progress = progress;
  update (self);

  if (status_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
  if (progress_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
}

LpJobStatus
lm_status_badge_get_status (LmStatusBadge *self)
{
  g_return_val_if_fail (LM_IS_STATUS_BADGE (self), 0);
  return self->status;
}

const char *
lm_status_badge_get_text (LmStatusBadge *self)
{
  g_return_val_if_fail (LM_IS_STATUS_BADGE (self), NULL);
  return gtk_label_get_label (self->label);
}
