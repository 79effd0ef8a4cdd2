/* lm-queue-card.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "lp-catalog.h"
#include "lp-format.h"
#include "lm-queue-card.h"

/* Below this, a precise clock time promises more than the estimate knows. */
#define SOON_SECONDS (15 * 60)

struct _LmQueueCard
{
  GtkWidget      parent_instance;

  GtkLabel      *position_label;
  GtkLabel      *name_label;
  GtkLabel      *config_label;
  GtkLabel      *creator_label;
  GtkLabel      *start_label;
  GtkLabel      *countdown_label;
  GtkMenuButton *menu_button;

  gint64         job_id;
};

G_DEFINE_FINAL_TYPE (LmQueueCard, lm_queue_card, GTK_TYPE_WIDGET)

const char *
lm_queue_position_class (gint64 position)
{
  if (position <= 3)
    return "position-near";
  if (position <= 7)
    return "position-mid";
  return "position-far";
}

char *
lm_queue_start_text (gint64      estimated_start,
                     gint64      starts_in_s,
                     GDateTime  *now,
                     char      **countdown)
{
  g_autoptr(GDateTime) start = NULL;

  if (starts_in_s < SOON_SECONDS)
    {
      *countdown = g_strdup ("");
      return g_strdup (_("Starting within 15 minutes"));
    }

  start = g_date_time_new_from_unix_local (estimated_start / G_USEC_PER_SEC);
  *countdown = lp_format_countdown (starts_in_s);
  return lp_format_start_time (start, now);
}

static void
lm_queue_card_dispose (GObject *object)
{
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (object), LM_TYPE_QUEUE_CARD);

  /* Only bound children are cleared by the template; the root goes here. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (lm_queue_card_parent_class)->dispose (object);
}

static void
lm_queue_card_class_init (LmQueueCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_queue_card_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lorapipeline/Monitor/ui/lm-queue-card.ui");
  gtk_widget_class_bind_template_child (widget_class, LmQueueCard, position_label);
  gtk_widget_class_bind_template_child (widget_class, LmQueueCard, name_label);
  gtk_widget_class_bind_template_child (widget_class, LmQueueCard, config_label);
  gtk_widget_class_bind_template_child (widget_class, LmQueueCard, creator_label);
  gtk_widget_class_bind_template_child (widget_class, LmQueueCard, start_label);
  gtk_widget_class_bind_template_child (widget_class, LmQueueCard, countdown_label);
  gtk_widget_class_bind_template_child (widget_class, LmQueueCard, menu_button);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "queuecard");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
lm_queue_card_init (LmQueueCard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
lm_queue_card_new (const LpQueueEntry *entry,
                   const char         *user)
{
  LmQueueCard *self = g_object_new (LM_TYPE_QUEUE_CARD, NULL);
  LpJob *job = entry->job;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenuItem) view = NULL;
  g_autoptr(GMenuItem) remove = NULL;
  g_autofree char *position = g_strdup_printf ("#%" G_GINT64_FORMAT, entry->position);
  g_autofree char *config = NULL;
  g_autofree char *creator = NULL;
  g_autofree char *countdown = NULL;
  g_autofree char *start = NULL;
  g_autofree char *description = NULL;
  g_autofree char *menu_label = NULL;
  const char *by = lp_job_get_created_by (job);

  self->job_id = lp_job_get_id (job);

  gtk_label_set_label (self->position_label, position);
  gtk_widget_add_css_class (GTK_WIDGET (self->position_label), lm_queue_position_class (entry->position));
  if (entry->position == 1)
    gtk_widget_add_css_class (GTK_WIDGET (self->position_label), "pulse");

  gtk_label_set_label (self->name_label, lp_job_get_name (job));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), lp_job_get_name (job));

  /* Translators: preset, pricing and GPU, e.g. "Balanced • Spot H100" */
  config = g_strdup_printf (_("%s • %s %s"), lp_preset_label (lp_job_get_preset (job)),
                            lp_pricing_label (lp_job_get_pricing (job)), lp_job_get_gpu_type (job));
  gtk_label_set_label (self->config_label, config);

  creator = g_strdup_printf (_("Created by: %s"),
                             user != NULL && g_strcmp0 (by, user) == 0 ? _("You") : by);
  gtk_label_set_label (self->creator_label, creator);

  start = lm_queue_start_text (entry->estimated_start, entry->starts_in_s, now, &countdown);
  gtk_label_set_label (self->start_label, start);
  gtk_label_set_label (self->countdown_label, countdown);
  gtk_widget_set_visible (GTK_WIDGET (self->countdown_label), countdown[0] != '\0');

  view = g_menu_item_new (_("View Configuration"), NULL);
  g_menu_item_set_action_and_target_value (view, "win.view-config", g_variant_new_int64 (self->job_id));
  g_menu_append_item (menu, view);
  remove = g_menu_item_new (_("Remove from Queue"), NULL);
  g_menu_item_set_action_and_target_value (remove, "win.cancel-job", g_variant_new_int64 (self->job_id));
  g_menu_append_item (menu, remove);
  gtk_menu_button_set_menu_model (self->menu_button, G_MENU_MODEL (menu));

  menu_label = g_strdup_printf (_("Actions for %s"), lp_job_get_name (job));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->menu_button), menu_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->menu_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, menu_label, -1);

  /* Translators: a queue card read as one sentence, e.g.
   * "Position 1: Atlas Legal, Balanced • Spot H100, starts Today at 6:45 PM (in 3h 20m)" */
  description = g_strdup_printf (_("Position %lld: %s, %s, %s, starts %s %s"),
                                 (long long) entry->position, lp_job_get_name (job), config, creator, start, countdown);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);

  return GTK_WIDGET (self);
}

gint64
lm_queue_card_get_job_id (LmQueueCard *self)
{
  g_return_val_if_fail (LM_IS_QUEUE_CARD (self), 0);
  return self->job_id;
}

const char *
lm_queue_card_get_start_text (LmQueueCard *self)
{
  g_return_val_if_fail (LM_IS_QUEUE_CARD (self), NULL);
  return gtk_label_get_label (self->start_label);
}

const char *
lm_queue_card_get_position_text (LmQueueCard *self)
{
  g_return_val_if_fail (LM_IS_QUEUE_CARD (self), NULL);
  return gtk_label_get_label (self->position_label);
}

void
lm_queue_card_popup_menu (LmQueueCard *self)
{
  g_return_if_fail (LM_IS_QUEUE_CARD (self));
  gtk_menu_button_popup (self->menu_button);
}
