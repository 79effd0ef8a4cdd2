/* lm-stage-bar.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The bar is made of real widgets, one box per stage and an arrow between
 * each pair, so every word on it is a label a screen reader and a test can
 * read. The widget lays its children out itself: the wireframe's 5/10/80/5
 * proportions, but no stage narrower than what it needs to stay legible,
 * the difference taken from the stages that have room to spare (in
 * practice Training).
 *
 * Colours, the fade between states and the pulse of the running stage live
 * in style.css, keyed on one status class per segment, so a status change
 * is a class swap and the CSS transition does the fading.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "lp-format.h"
#include "lm-stage-bar.h"

#define VIEW_ERRORS_ACTION "win.view-job-errors"

/* A stage that was running when its job was cancelled: no longer
 * running, yet nothing went wrong in it. */
#define STATUS_STOPPED (LP_STAGE_STATUS_FAILED + 1)

typedef struct
{
  GtkWidget  *box;
  GtkImage   *icon;
  GtkLabel   *name;
  GtkLabel   *badge;
  GtkLabel   *status;
  GtkWidget  *footer;     /* the failure's link, or the running time */
  GtkLabel   *elapsed;
  GtkWidget  *details_button;

  int         shown;      /* LpStageStatus or STATUS_STOPPED, -1 before the first update */
  char       *label;      /* the segment's accessible label */
} Segment;

struct _LmStageBar
{
  GtkWidget  parent_instance;

  Segment    segments[LP_N_STAGES];
  GtkWidget *arrows[LP_N_STAGES - 1];

  LpJob     *job;
  gulong     notify_id;
  gint64     now;
  gboolean   now_is_set;  /* once the caller owns the clock, set_job keeps it */
  char      *description;
};

G_DEFINE_FINAL_TYPE (LmStageBar, lm_stage_bar, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_JOB,
  PROP_DESCRIPTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The wireframe's share of the bar for each stage, in percent. */
static const int stage_share[LP_N_STAGES] = { 5, 10, 80, 5 };

static const char *stage_icons[LP_N_STAGES] = {
  "emblem-system-symbolic",
  "package-x-generic-symbolic",
  "media-playlist-repeat-symbolic",
  /* Saving the adapters; not the check mark, which means a stage is done. */
  "document-save-symbolic",
};

static const char *status_classes[] = {
  "pending", "active", "completed", "failed", "stopped",
};

G_STATIC_ASSERT (G_N_ELEMENTS (status_classes) == STATUS_STOPPED + 1);

static const LpStage *
get_stage (LmStageBar  *self,
           LpStageKind  kind)
{
  GPtrArray *stages;

  if (self->job == NULL)
    return NULL;

  stages = lp_job_get_stages (self->job);
  if (stages == NULL || kind >= stages->len)
    return NULL;

  return g_ptr_array_index (stages, kind);
}

static int
shown_status (LmStageBar    *self,
              const LpStage *stage)
{
  if (stage == NULL)
    return LP_STAGE_STATUS_PENDING;

  if (stage->status != LP_STAGE_STATUS_ACTIVE)
    return stage->status;

  /* The job's own failure names the stage it happened in, even when the
   * stage never reported it. */
  if (lp_job_get_status (self->job) == LP_JOB_STATUS_FAILED)
    return LP_STAGE_STATUS_FAILED;

  if (stage->finished_at != 0 || lp_job_status_is_finished (lp_job_get_status (self->job)))
    return STATUS_STOPPED;

  return stage->status;
}

/* Errors can carry a traceback; the bar only ever previews the first line. */
static char *
error_preview (LmStageBar    *self,
               const LpStage *stage)
{
  const char *error = stage->error;

  if (error == NULL || *error == '\0')
    error = lp_job_get_error (self->job);
  if (error == NULL || *error == '\0')
    return NULL;

  return g_strndup (error, strcspn (error, "\r\n"));
}

static char *
active_substatus (LmStageBar    *self,
                  const LpStage *stage)
{
  gint64 total_steps;

  if (stage->substatus != NULL && *stage->substatus != '\0')
    return g_strdup (stage->substatus);

  /* The service leaves Training's substatus to the job's own counters. */
  total_steps = lp_job_get_total_steps (self->job);
  if (stage->kind == LP_STAGE_TRAINING && total_steps > 0)
    {
      g_autofree char *steps = lp_format_step_of (lp_job_get_current_step (self->job), total_steps);
      gint64 total_epochs = lp_job_get_total_epochs (self->job);

      if (total_epochs > 0)
        /* Translators: a running training stage, e.g. "Epoch 2/3 - Step 850 of 2,000" */
        return g_strdup_printf (_("Epoch %d/%d - %s"),
                                (int) CLAMP (lp_job_get_epoch (self->job), 1, G_MAXINT),
                                (int) MIN (total_epochs, G_MAXINT), steps);
      return g_steal_pointer (&steps);
    }

  return g_strdup (_("In progress…"));
}

static void
set_shown_status (Segment *segment,
                  int      shown)
{
  if (segment->shown == shown)
    return;

  if (segment->shown >= 0)
    gtk_widget_remove_css_class (segment->box, status_classes[segment->shown]);
  gtk_widget_add_css_class (segment->box, status_classes[shown]);
  segment->shown = shown;
}

/* A stage left running when its job ended stopped with the job, whatever
 * an older database says about its end. */
static gint64
stage_duration (LmStageBar    *self,
                const LpStage *stage)
{
  gint64 end = self->now;

  if (stage->finished_at == 0 && self->job != NULL &&
      lp_job_status_is_finished (lp_job_get_status (self->job)) &&
      lp_job_get_finished_at (self->job) != 0)
    end = MIN (end, lp_job_get_finished_at (self->job));

  return lp_stage_duration_s (stage, end);
}

static void
update_segment (LmStageBar  *self,
                LpStageKind  kind)
{
  Segment *segment = &self->segments[kind];
  const LpStage *stage = get_stage (self, kind);
  const char *name = lp_stage_kind_label (kind);
  int shown = shown_status (self, stage);
  gint64 duration = stage != NULL ? stage_duration (self, stage) : 0;
  gboolean timed = stage != NULL && stage->started_at != 0;
  const char *icon = stage_icons[kind];
  g_autofree char *text = NULL;
  g_autofree char *tooltip = NULL;
  g_autofree char *elapsed = NULL;
  const char *badge = NULL;

  g_free (segment->label);

  switch (shown)
    {
    case LP_STAGE_STATUS_ACTIVE:
      {
        g_autofree char *spoken = NULL;

        text = active_substatus (self, stage);
        tooltip = g_strdup (text);
        if (timed)
          {
            g_autofree char *long_duration = lp_format_duration_long (duration);

            elapsed = lp_format_duration (duration);
            /* Translators: e.g. "6 hours 23 minutes elapsed" */
            spoken = g_strdup_printf (_("%s elapsed"), long_duration);
          }
        /* Translators: a running stage's accessible label, e.g.
         * "Training: Active, Epoch 2/3 - Step 850 of 2,000, 6 hours 23 minutes elapsed" */
        segment->label = spoken != NULL
          ? g_strdup_printf (_("%s: Active, %s, %s"), name, text, spoken)
          : g_strdup_printf (_("%s: Active, %s"), name, text);
      }
      break;

    case LP_STAGE_STATUS_COMPLETED:
      icon = "object-select-symbolic";
      if (timed)
        {
          g_autofree char *long_duration = lp_format_duration_long (duration);

          text = lp_format_duration (duration);
          /* Translators: e.g. "Model Loading: Completed in 3 minutes 42 seconds" */
          segment->label = g_strdup_printf (_("%s: Completed in %s"), name, long_duration);
        }
      else
        {
          text = g_strdup (_("Completed"));
          /* Translators: e.g. "Model Loading: Completed" */
          segment->label = g_strdup_printf (_("%s: Completed"), name);
        }
      break;

    case LP_STAGE_STATUS_FAILED:
      {
        g_autofree char *preview = error_preview (self, stage);

        icon = "window-close-symbolic";
        badge = _("Failed");
        text = preview != NULL ? g_strdup (preview) : g_strdup (_("Stopped with an error"));
        tooltip = g_strdup (stage->error != NULL ? stage->error : lp_job_get_error (self->job));
        /* Translators: e.g. "Training: Failed, CUDA out of memory" */
        segment->label = preview != NULL
          ? g_strdup_printf (_("%s: Failed, %s"), name, preview)
          : g_strdup_printf (_("%s: Failed"), name);
      }
      break;

    case STATUS_STOPPED:
      /* A square, not the failure's cross: the job was stopped on purpose. */
      icon = "media-playback-stop-symbolic";
      badge = _("Stopped");
      if (timed)
        {
          g_autofree char *short_duration = lp_format_duration (duration);
          g_autofree char *long_duration = lp_format_duration_long (duration);

          /* Translators: a cancelled job's last stage, e.g. "Stopped after 2h 5m" */
          text = g_strdup_printf (_("Stopped after %s"), short_duration);
          /* Translators: e.g. "Training: Stopped after 2 hours 5 minutes" */
          segment->label = g_strdup_printf (_("%s: Stopped after %s"), name, long_duration);
        }
      else
        {
          text = g_strdup (_("Stopped"));
          /* Translators: e.g. "Training: Stopped" */
          segment->label = g_strdup_printf (_("%s: Stopped"), name);
        }
      break;

    case LP_STAGE_STATUS_PENDING:
    default:
      /* A finished job will not get to it any more. */
      if (self->job != NULL && lp_job_status_is_finished (lp_job_get_status (self->job)))
        {
          text = g_strdup (_("Not reached"));
          /* Translators: a stage its failed or cancelled job never got to, e.g. "Finalization: Not reached" */
          segment->label = g_strdup_printf (_("%s: Not reached"), name);
          break;
        }
      text = g_strdup (_("Waiting…"));
      /* Translators: a stage that has not started, e.g. "Training: Waiting" */
      segment->label = g_strdup_printf (_("%s: Waiting"), name);
      break;
    }

  set_shown_status (segment, shown);

  gtk_image_set_from_icon_name (segment->icon, icon);
  gtk_label_set_label (segment->status, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (segment->status), tooltip);

  gtk_label_set_label (segment->badge, badge != NULL ? badge : "");
  gtk_widget_set_visible (GTK_WIDGET (segment->badge), badge != NULL);

  gtk_label_set_label (segment->elapsed, elapsed != NULL ? elapsed : "");
  gtk_widget_set_visible (segment->details_button, shown == LP_STAGE_STATUS_FAILED);

  /* A small stage must not shrink a running or failed stage's message to
   * an ellipsis; a waiting or finished one says little enough to fit. */
  gtk_label_set_width_chars (segment->status,
                             shown == LP_STAGE_STATUS_ACTIVE || shown == LP_STAGE_STATUS_FAILED ? 14 : -1);

  gtk_accessible_update_property (GTK_ACCESSIBLE (segment->box),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, segment->label,
                                  -1);
}

static char *
build_description (LmStageBar *self)
{
  guint n_completed = 0;
  gboolean started = FALSE;

  for (guint i = 0; i < LP_N_STAGES; i++)
    {
      const LpStage *stage = get_stage (self, i);
      int shown = shown_status (self, stage);
      const char *name = lp_stage_kind_label (i);
      g_autofree char *state = NULL;

      if (shown == LP_STAGE_STATUS_COMPLETED)
        {
          n_completed++;
          started = TRUE;
          continue;
        }

      if (shown == LP_STAGE_STATUS_PENDING)
        continue;

      if (shown == LP_STAGE_STATUS_ACTIVE && stage->started_at != 0)
        {
          g_autofree char *duration = lp_format_duration_long (stage_duration (self, stage));

          /* Translators: e.g. "Active, 6 hours 23 minutes elapsed" */
          state = g_strdup_printf (_("Active, %s elapsed"), duration);
        }
      else if (shown == LP_STAGE_STATUS_ACTIVE)
        state = g_strdup (_("Active"));
      else if (shown == LP_STAGE_STATUS_FAILED)
        {
          g_autofree char *preview = error_preview (self, stage);

          /* Translators: e.g. "Failed: CUDA out of memory" */
          state = preview != NULL ? g_strdup_printf (_("Failed: %s"), preview) : g_strdup (_("Failed"));
        }
      else if (stage->started_at != 0)
        {
          g_autofree char *duration = lp_format_duration_long (stage_duration (self, stage));

          /* Translators: e.g. "Stopped after 2 hours 5 minutes" */
          state = g_strdup_printf (_("Stopped after %s"), duration);
        }
      else
        state = g_strdup (_("Stopped"));

      /* Translators: the stage bar read as a sentence, e.g.
       * "Stage 3 of 4: Training - Active, 6 hours 23 minutes elapsed" */
      return g_strdup_printf (_("Stage %u of %u: %s - %s"), i + 1, (guint) LP_N_STAGES, name, state);
    }

  if (n_completed == LP_N_STAGES)
    /* Translators: the stage bar of a finished job */
    return g_strdup_printf (_("All %u stages completed"), (guint) LP_N_STAGES);

  if (!started)
    {
      if (self->job != NULL && lp_job_status_is_finished (lp_job_get_status (self->job)))
        /* Translators: the stage bar of a job cancelled or failed before it ran */
        return g_strdup (_("Never started"));
      return g_strdup (_("Waiting to start"));
    }

  /* Between two stages: the last one finished, the next not yet begun. */
  /* Translators: e.g. "Stage 3 of 4: Training - Waiting" */
  return g_strdup_printf (_("Stage %u of %u: %s - Waiting"), n_completed + 1, (guint) LP_N_STAGES,
                          lp_stage_kind_label (MIN (n_completed, LP_N_STAGES - 1)));
}

static void
update (LmStageBar *self)
{
  g_autofree char *description = NULL;

  for (guint i = 0; i < LP_N_STAGES; i++)
    update_segment (self, i);

  description = build_description (self);
  if (g_strcmp0 (description, self->description) == 0)
    return;

  g_free (self->description);
  self->description = g_steal_pointer (&description);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->description,
                                  -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESCRIPTION]);
}

/* Layout */

static int
arrows_width (LmStageBar *self)
{
  int total = 0;

  for (guint i = 0; i < G_N_ELEMENTS (self->arrows); i++)
    {
      int nat;

      gtk_widget_measure (self->arrows[i], GTK_ORIENTATION_HORIZONTAL, -1, NULL, &nat, NULL, NULL);
      total += nat;
    }

  return total;
}

/* The width at which a segment shows its whole name: its minimum, in which
 * the name may shrink to an ellipsis, plus what the name gives up there. */
static int
legible_width (Segment *segment,
               int      minimum)
{
  GtkWidget *header = gtk_widget_get_first_child (segment->box);
  int content_min = 0;
  int content_legible = 0;

  for (GtkWidget *child = header; child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      int min, nat;

      gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
      content_min = MAX (content_min, min);
      content_legible = MAX (content_legible, child == header ? nat : min);
    }

  return minimum + content_legible - content_min;
}

/* Proportional widths, except that a stage whose share is smaller than its
 * floor gets its floor and drops out; the others share what is left in
 * their own proportions, repeated until no share falls short. The floor is
 * the width that shows the stage's whole name, shrinking towards the bare
 * minimum only when the bar is too narrow for every name. */
static void
distribute (LmStageBar *self,
            int         width,
            int         widths[LP_N_STAGES])
{
  int floors[LP_N_STAGES];
  int mins[LP_N_STAGES];
  gboolean fixed[LP_N_STAGES] = { FALSE, };
  int available = width - arrows_width (self);
  int free_width = available;
  int share_sum = 0;
  int sum_min = 0;
  int sum_legible = 0;
  int used = 0;
  gboolean changed = TRUE;

  for (guint i = 0; i < LP_N_STAGES; i++)
    {
      gtk_widget_measure (self->segments[i].box, GTK_ORIENTATION_HORIZONTAL, -1,
                          &mins[i], NULL, NULL, NULL);
      floors[i] = legible_width (&self->segments[i], mins[i]);
      sum_min += mins[i];
      sum_legible += floors[i];
    }

  if (available < sum_legible)
    {
      int slack = MAX (0, available - sum_min);

      for (guint i = 0; i < LP_N_STAGES; i++)
        floors[i] = mins[i] + (int) ((gint64) (floors[i] - mins[i]) * slack / MAX (1, sum_legible - sum_min));
    }

  while (changed)
    {
      changed = FALSE;
      free_width = available;
      share_sum = 0;

      for (guint i = 0; i < LP_N_STAGES; i++)
        {
          if (fixed[i])
            free_width -= floors[i];
          else
            share_sum += stage_share[i];
        }

      if (share_sum == 0)
        break;

      for (guint i = 0; i < LP_N_STAGES; i++)
        {
          if (!fixed[i] && (gint64) free_width * stage_share[i] / share_sum < floors[i])
            {
              fixed[i] = TRUE;
              changed = TRUE;
            }
        }
    }

  for (guint i = 0; i < LP_N_STAGES; i++)
    {
      widths[i] = fixed[i] ? floors[i] : (int) ((gint64) free_width * stage_share[i] / share_sum);
      used += widths[i];
    }

  /* Rounding leftovers go to Training, the one stage with room to spare. */
  if (available > used)
    widths[LP_STAGE_TRAINING] += available - used;
}

static void
lm_stage_bar_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  LmStageBar *self = LM_STAGE_BAR (widget);

  *minimum = *natural = 0;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      int arrows = arrows_width (self);

      for (guint i = 0; i < LP_N_STAGES; i++)
        {
          int min, nat;

          gtk_widget_measure (self->segments[i].box, orientation, -1, &min, &nat, NULL, NULL);
          *minimum += min;
          *natural += nat;
        }

      *minimum += arrows;
      *natural += arrows;
    }
  else
    {
      int widths[LP_N_STAGES];

      if (for_size >= 0)
        distribute (self, for_size, widths);

      for (guint i = 0; i < LP_N_STAGES; i++)
        {
          int min, nat;

          gtk_widget_measure (self->segments[i].box, orientation,
                              for_size >= 0 ? widths[i] : -1, &min, &nat, NULL, NULL);
          *minimum = MAX (*minimum, min);
          *natural = MAX (*natural, nat);
        }

      for (guint i = 0; i < G_N_ELEMENTS (self->arrows); i++)
        {
          int min, nat;

          gtk_widget_measure (self->arrows[i], orientation, -1, &min, &nat, NULL, NULL);
          *minimum = MAX (*minimum, min);
          *natural = MAX (*natural, nat);
        }
    }
}

static void
allocate_child (GtkWidget *child,
                gboolean   rtl,
                int        bar_width,
                int        x,
                int        width,
                int        height)
{
  gtk_widget_size_allocate (child,
                            &(GtkAllocation) { rtl ? bar_width - x - width : x, 0, width, height },
                            -1);
}

static void
lm_stage_bar_size_allocate (GtkWidget *widget,
                            int        width,
                            int        height,
                            int        baseline)
{
  LmStageBar *self = LM_STAGE_BAR (widget);
  gboolean rtl = gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL;
  int widths[LP_N_STAGES];
  int x = 0;

  distribute (self, width, widths);

  for (guint i = 0; i < LP_N_STAGES; i++)
    {
      allocate_child (self->segments[i].box, rtl, width, x, widths[i], height);
      x += widths[i];

      if (i < G_N_ELEMENTS (self->arrows))
        {
          int arrow;

          gtk_widget_measure (self->arrows[i], GTK_ORIENTATION_HORIZONTAL, -1, NULL, &arrow, NULL, NULL);
          allocate_child (self->arrows[i], rtl, width, x, arrow, height);
          x += arrow;
        }
    }
}

static GtkSizeRequestMode
lm_stage_bar_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

/* Construction */

static void
view_details_cb (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  /* The window owns the event log; a window without the action yet simply
   * ignores the request. */
  gtk_widget_activate_action (widget, VIEW_ERRORS_ACTION, NULL);
}

static GtkLabel *
add_label (GtkWidget  *box,
           const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, css_class);
  gtk_box_append (GTK_BOX (box), label);

  return GTK_LABEL (label);
}

static void
build_segment (LmStageBar  *self,
               LpStageKind  kind)
{
  Segment *segment = &self->segments[kind];
  GtkWidget *header;

  segment->shown = -1;
  segment->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_add_css_class (segment->box, "stage-segment");
  gtk_widget_add_css_class (segment->box, lp_stage_kind_to_string (kind));
  gtk_widget_set_parent (segment->box, GTK_WIDGET (self));

  header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_append (GTK_BOX (segment->box), header);

  segment->icon = GTK_IMAGE (gtk_image_new ());
  gtk_widget_add_css_class (GTK_WIDGET (segment->icon), "stage-icon");
  gtk_accessible_update_state (GTK_ACCESSIBLE (segment->icon), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
  gtk_box_append (GTK_BOX (header), GTK_WIDGET (segment->icon));

  /* The layout keeps names whole while there is room; only a window too
   * narrow for all four lets them ellipsize (the segment's label still
   * says it in full). */
  segment->name = add_label (header, "stage-name");
  gtk_label_set_label (segment->name, lp_stage_kind_label (kind));
  gtk_widget_set_tooltip_text (GTK_WIDGET (segment->name), lp_stage_kind_label (kind));

  segment->badge = add_label (header, "stage-badge");
  gtk_label_set_ellipsize (segment->badge, PANGO_ELLIPSIZE_NONE);
  gtk_widget_set_valign (GTK_WIDGET (segment->badge), GTK_ALIGN_CENTER);

  segment->status = add_label (segment->box, "stage-status");
  /* Long errors are previewed; the full text is in the tooltip. */
  gtk_label_set_max_width_chars (segment->status, 60);

  /* Always there, its empty label holding a line even when there is no
   * running time, so a stage starting or failing does not change the
   * bar's height and push the page below it around. */
  segment->footer = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_append (GTK_BOX (segment->box), segment->footer);

  segment->details_button = gtk_button_new_with_label (_("View Details"));
  gtk_widget_add_css_class (segment->details_button, "stage-details");
  gtk_widget_set_halign (segment->details_button, GTK_ALIGN_START);
  gtk_widget_set_tooltip_text (segment->details_button, _("Show the errors in the event log"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (segment->details_button), "stage-bar.view-details");
  gtk_box_append (GTK_BOX (segment->footer), segment->details_button);

  /* The spec puts the running time in the bottom corner. */
  segment->elapsed = add_label (segment->footer, "stage-elapsed");
  gtk_label_set_xalign (segment->elapsed, 1);
  gtk_widget_set_hexpand (GTK_WIDGET (segment->elapsed), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (segment->elapsed), "numeric");
}

static void
job_notify_cb (LmStageBar *self)
{
  update (self);
}

static void
lm_stage_bar_dispose (GObject *object)
{
  LmStageBar *self = LM_STAGE_BAR (object);
  GtkWidget *child;

  if (self->job != NULL)
    {
      g_clear_signal_handler (&self->notify_id, self->job);
      g_clear_object (&self->job);
    }

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))))
    gtk_widget_unparent (child);

  for (guint i = 0; i < LP_N_STAGES; i++)
    g_clear_pointer (&self->segments[i].label, g_free);

  G_OBJECT_CLASS (lm_stage_bar_parent_class)->dispose (object);
}

static void
lm_stage_bar_finalize (GObject *object)
{
  LmStageBar *self = LM_STAGE_BAR (object);

  g_clear_pointer (&self->description, g_free);

  G_OBJECT_CLASS (lm_stage_bar_parent_class)->finalize (object);
}

static void
lm_stage_bar_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  LmStageBar *self = LM_STAGE_BAR (object);

  switch (prop_id)
    {
    case PROP_JOB: g_value_set_object (value, self->job); break;
    case PROP_DESCRIPTION: g_value_set_string (value, self->description); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_stage_bar_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  LmStageBar *self = LM_STAGE_BAR (object);

  switch (prop_id)
    {
    case PROP_JOB: lm_stage_bar_set_job (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_stage_bar_class_init (LmStageBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lm_stage_bar_dispose;
  object_class->finalize = lm_stage_bar_finalize;
  object_class->get_property = lm_stage_bar_get_property;
  object_class->set_property = lm_stage_bar_set_property;

  widget_class->measure = lm_stage_bar_measure;
  widget_class->size_allocate = lm_stage_bar_size_allocate;
  widget_class->get_request_mode = lm_stage_bar_get_request_mode;

  properties[PROP_JOB] =
    g_param_spec_object ("job", NULL, NULL, LP_TYPE_JOB,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A button bound straight to a window action would go insensitive until
   * the window installs it; this one is always there and forwards. */
  gtk_widget_class_install_action (widget_class, "stage-bar.view-details", NULL, view_details_cb);

  gtk_widget_class_set_css_name (widget_class, "stagebar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
lm_stage_bar_init (LmStageBar *self)
{
  for (guint i = 0; i < LP_N_STAGES; i++)
    {
      build_segment (self, i);

      if (i < G_N_ELEMENTS (self->arrows))
        {
          self->arrows[i] = gtk_image_new_from_icon_name ("go-next-symbolic");
          gtk_widget_add_css_class (self->arrows[i], "stage-arrow");
          gtk_widget_set_valign (self->arrows[i], GTK_ALIGN_CENTER);
          gtk_accessible_update_state (GTK_ACCESSIBLE (self->arrows[i]),
                                       GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
          gtk_widget_set_parent (self->arrows[i], GTK_WIDGET (self));
        }
    }

  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Training stages"),
                                  -1);

  self->now = g_get_real_time ();
  update (self);
}

GtkWidget *
lm_stage_bar_new (void)
{
  return g_object_new (LM_TYPE_STAGE_BAR, NULL);
}

/**
 * lm_stage_bar_set_job:
 *
 * Shows @job's stages and follows its changes. Unless lm_stage_bar_set_now()
 * has been called, running stages are timed against the current time.
 * Calling it again with the same job refreshes the bar.
 */
void
lm_stage_bar_set_job (LmStageBar *self,
                      LpJob      *job)
{
  gboolean changed;

  g_return_if_fail (LM_IS_STAGE_BAR (self));
  g_return_if_fail (job == NULL || LP_IS_JOB (job));

  changed = self->job != job;

  if (changed)
    {
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
    }

  if (!self->now_is_set)
    self->now = g_get_real_time ();

  update (self);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOB]);
}

LpJob *
lm_stage_bar_get_job (LmStageBar *self)
{
  g_return_val_if_fail (LM_IS_STAGE_BAR (self), NULL);
  return self->job;
}

/**
 * lm_stage_bar_set_now:
 *
 * Sets the time, in µs since the epoch, running stages are timed against;
 * the page calls it every second. From then on lm_stage_bar_set_job() keeps
 * this clock rather than reading the real one.
 */
void
lm_stage_bar_set_now (LmStageBar *self,
                      gint64      now)
{
  g_return_if_fail (LM_IS_STAGE_BAR (self));

  self->now_is_set = TRUE;
  if (self->now == now)
    return;

  self->now = now;
  update (self);
}

/**
 * lm_stage_bar_describe:
 *
 * Returns: (transfer full): the bar's state as one sentence, the same text
 * as its accessible description.
 */
char *
lm_stage_bar_describe (LmStageBar *self)
{
  g_return_val_if_fail (LM_IS_STAGE_BAR (self), NULL);
  return g_strdup (self->description);
}

/**
 * lm_stage_bar_get_segment_text:
 *
 * Returns: the status line a stage shows under its name: "Waiting…", the
 * running stage's substatus, a finished stage's duration, the first line
 * of an error or "Stopped after …".
 */
const char *
lm_stage_bar_get_segment_text (LmStageBar  *self,
                               LpStageKind  stage)
{
  g_return_val_if_fail (LM_IS_STAGE_BAR (self), NULL);
  g_return_val_if_fail (stage < LP_N_STAGES, NULL);

  return gtk_label_get_label (self->segments[stage].status);
}

/**
 * lm_stage_bar_get_segment_label:
 *
 * Returns: the accessible label of a stage's segment, e.g.
 * "Model Loading: Completed in 3 minutes 42 seconds".
 */
const char *
lm_stage_bar_get_segment_label (LmStageBar  *self,
                                LpStageKind  stage)
{
  g_return_val_if_fail (LM_IS_STAGE_BAR (self), NULL);
  g_return_val_if_fail (stage < LP_N_STAGES, NULL);

  return self->segments[stage].label;
}

/**
 * lm_stage_bar_get_segment_elapsed:
 *
 * Returns: the running time a stage shows in its corner, "" when none.
 */
const char *
lm_stage_bar_get_segment_elapsed (LmStageBar  *self,
                                  LpStageKind  stage)
{
  g_return_val_if_fail (LM_IS_STAGE_BAR (self), NULL);
  g_return_val_if_fail (stage < LP_N_STAGES, NULL);

  return gtk_label_get_label (self->segments[stage].elapsed);
}

/**
 * lm_stage_bar_get_segment_state:
 *
 * Returns: the style a stage is shown in: "pending", "active",
 * "completed", "failed" or "stopped" (its CSS class).
 */
const char *
lm_stage_bar_get_segment_state (LmStageBar  *self,
                                LpStageKind  stage)
{
  g_return_val_if_fail (LM_IS_STAGE_BAR (self), NULL);
  g_return_val_if_fail (stage < LP_N_STAGES, NULL);

  return status_classes[self->segments[stage].shown];
}

/**
 * lm_stage_bar_get_details_button:
 *
 * Returns: (transfer none): the failed stage's "View Details" button, or
 * %NULL when no stage has failed.
 */
GtkWidget *
lm_stage_bar_get_details_button (LmStageBar *self)
{
  g_return_val_if_fail (LM_IS_STAGE_BAR (self), NULL);

  for (guint i = 0; i < LP_N_STAGES; i++)
    if (self->segments[i].shown == LP_STAGE_STATUS_FAILED)
      return self->segments[i].details_button;

  return NULL;
}
