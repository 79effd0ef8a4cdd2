/* test-loss-chart.c: the loss curve widget under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The chart needs no service: the tests feed it points the way the job
 * page's polls do and read back what a user would see or hear, the point
 * text, the label under the plot and the accessible description.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <adwaita.h>

#include "jobd-fixture.h"
#include "lm-loss-chart.h"
#include "lm-loss-plot.h"
#include "lp-axis.h"
#include "lp-smooth.h"

static GtkWindow *window;
static LmLossChart *chart;
static guint n_paints;

/* Helpers */

static LmLossPlot *
find_plot (GtkWidget *widget)
{
  if (LM_IS_LOSS_PLOT (widget))
    return LM_LOSS_PLOT (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      LmLossPlot *plot = find_plot (child);

      if (plot != NULL)
        return plot;
    }

  return NULL;
}

static GtkWidget *
find_button (GtkWidget  *widget,
             const char *action_name)
{
  if (GTK_IS_BUTTON (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *button = find_button (child, action_name);

      if (button != NULL)
        return button;
    }

  return NULL;
}

static gboolean
has_label_with_text (GtkWidget  *widget,
                     const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0)
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    if (has_label_with_text (child, text))
      return TRUE;

  return FALSE;
}

static gboolean
zoom_enabled (const char *action_name)
{
  GtkWidget *button = find_button (GTK_WIDGET (chart), action_name);

  g_assert_nonnull (button);
  return gtk_widget_get_sensitive (button);
}

/* Presses @keyval on the plot the way its shortcut controller would: the
 * binding the widget class declares for the key, activated on the plot.
 * GTK 4 has no public way to synthesize a key event.
 */
/* Whether the plot handled @keyval; FALSE lets the key go on to the
 * window. */
static gboolean
press_key_handled (guint keyval)
{
  LmLossPlot *plot = find_plot (GTK_WIDGET (chart));
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (plot));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;

      for (guint k = 0; k < g_list_model_get_n_items (G_LIST_MODEL (controller)); k++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), k);
          GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);

          if (GTK_IS_KEYVAL_TRIGGER (trigger) &&
              gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)) == keyval &&
              gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger)) == 0)
            {
              return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0,
                                                   GTK_WIDGET (plot),
                                                   gtk_shortcut_get_arguments (shortcut));
            }
        }
    }

  g_error ("no binding for %s on the plot", gdk_keyval_name (keyval));
  return FALSE;
}

static void
press_key (guint keyval)
{
  g_assert_true (press_key_handled (keyval));
}

static void
assert_range (double lo,
              double hi)
{
  double min, max;

  lm_loss_chart_get_visible_range (chart, &min, &max);
  g_assert_cmpfloat (min, ==, lo);
  g_assert_cmpfloat (max, ==, hi);
}

/* Training loss every 10 steps from 1.74 at step 10 to 0.342 at step 850. */
static double
train_loss (gint64 step)
{
  return 1.74 - (double) (step - 10) * (1.74 - 0.342) / 840.0;
}

/* Validation loss every 100 steps, 0.358 at step 850. */
static double
val_loss (gint64 step)
{
  return 0.358 + (double) (850 - step) * 0.0001;
}

static void
append_range (LpSeries series,
              gint64   first,
              gint64   last,
              gint64   every,
              double (*loss) (gint64))
{
  g_autoptr(GArray) steps = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));

  for (gint64 step = first; step <= last; step += every)
    {
      double value = loss != NULL ? loss (step) : 1.0 / (1.0 + (double) step / 100.0);

      g_array_append_val (steps, step);
      g_array_append_val (values, value);
    }

  lm_loss_chart_append (chart, series, (const gint64 *) (gpointer) steps->data,
                        (const double *) (gpointer) values->data, steps->len);
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       user_data)
{
  n_paints++;
}

static gboolean
painted_since (gpointer data)
{
  return n_paints > GPOINTER_TO_UINT (data);
}

static void
wait_for_frame (void)
{
  guint before = n_paints;

  gtk_widget_queue_draw (GTK_WIDGET (chart));
  g_assert_true (wait_until (painted_since, GUINT_TO_POINTER (before), 5000));
}

static void
setup (void)
{
  lm_loss_chart_clear (chart);
}

/* Tests */

static void
test_empty (void)
{
  g_autofree char *description = NULL;

  setup ();

  description = lm_loss_chart_describe (chart);
  g_assert_cmpstr (description, ==, "No metrics yet.");
  g_assert_null (lm_loss_chart_get_point_text (chart));
  g_assert_cmpuint (lm_loss_chart_get_n_points (chart, LP_SERIES_TRAIN_LOSS), ==, 0);
  g_assert_cmpint (lm_loss_chart_get_last_step (chart), ==, -1);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, -1);
  assert_range (0, 10);

  g_assert_false (zoom_enabled ("chart.zoom-in"));
  g_assert_false (zoom_enabled ("chart.zoom-out"));
  g_assert_false (zoom_enabled ("chart.zoom-reset"));

  /* The keyboard has nothing to move to. */
  press_key (GDK_KEY_Left);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, -1);

  wait_for_frame ();
}

static void
test_description_follows_data (void)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  g_autofree char *fourth = NULL;

  setup ();

  append_range (LP_SERIES_TRAIN_LOSS, 10, 10, 10, train_loss);
  first = lm_loss_chart_describe (chart);
  g_assert_cmpstr (first, ==,
                   "Training loss 1.74 at step 10; no validation loss yet. Showing steps 0 to 10.");

  append_range (LP_SERIES_TRAIN_LOSS, 20, 850, 10, train_loss);
  second = lm_loss_chart_describe (chart);
  g_assert_cmpstr (second, ==,
                   "Training loss from 1.74 at step 10 to 0.34 at step 850, falling; "
                   "no validation loss yet. Showing steps 0 to 850.");

  append_range (LP_SERIES_VAL_LOSS, 100, 800, 100, val_loss);
  third = lm_loss_chart_describe (chart);
  g_assert_cmpstr (third, ==,
                   "Training loss from 1.74 at step 10 to 0.34 at step 850, falling; "
                   "validation loss 0.36 at step 800. Showing steps 0 to 850.");

  /* The cursor's point joins the description. */
  lm_loss_chart_set_cursor_step (chart, 850);
  fourth = lm_loss_chart_describe (chart);
  g_assert_cmpstr (fourth, ==,
                   "Training loss from 1.74 at step 10 to 0.34 at step 850, falling; "
                   "validation loss 0.36 at step 800. Showing steps 0 to 850. "
                   "Selected: Step 850: Training Loss 0.342, Validation Loss 0.363 (step 800).");

  g_assert_cmpint (lm_loss_chart_get_last_step (chart), ==, 850);
  g_assert_cmpuint (lm_loss_chart_get_n_points (chart, LP_SERIES_TRAIN_LOSS), ==, 85);
  g_assert_cmpuint (lm_loss_chart_get_n_points (chart, LP_SERIES_VAL_LOSS), ==, 8);

  wait_for_frame ();
}

static void
test_point_text (void)
{
  g_autofree char *latest = NULL;
  g_autofree char *between = NULL;
  g_autofree char *before_val = NULL;
  g_autofree char *on_val = NULL;
  g_autofree char *exact = NULL;
  g_autofree char *snapped = NULL;

  setup ();
  append_range (LP_SERIES_TRAIN_LOSS, 10, 850, 10, train_loss);
  append_range (LP_SERIES_VAL_LOSS, 100, 800, 100, val_loss);

  /* Without a cursor, the newest point; the label under the plot says it. */
  latest = lm_loss_chart_get_point_text (chart);
  g_assert_cmpstr (latest, ==, "Step 850: Training Loss 0.342, Validation Loss 0.363 (step 800)");
  g_assert_true (has_label_with_text (GTK_WIDGET (chart), latest));

  /* Between validation runs, the latest earlier one with its step. */
  lm_loss_chart_set_cursor_step (chart, 750);
  between = lm_loss_chart_get_point_text (chart);
  g_assert_cmpstr (between, ==, "Step 750: Training Loss 0.508, Validation Loss 0.373 (step 700)");
  g_assert_true (has_label_with_text (GTK_WIDGET (chart), between));

  lm_loss_chart_set_cursor_step (chart, 50);
  before_val = lm_loss_chart_get_point_text (chart);
  g_assert_cmpstr (before_val, ==, "Step 50: Training Loss 1.673, no validation loss yet");

  lm_loss_chart_set_cursor_step (chart, 800);
  on_val = lm_loss_chart_get_point_text (chart);
  g_assert_cmpstr (on_val, ==, "Step 800: Training Loss 0.425, Validation Loss 0.363");

  /* The brief's example, once step 850 has its validation run. */
  append_range (LP_SERIES_VAL_LOSS, 850, 850, 1, val_loss);
  lm_loss_chart_set_cursor_step (chart, 850);
  exact = lm_loss_chart_get_point_text (chart);
  g_assert_cmpstr (exact, ==, "Step 850: Training Loss 0.342, Validation Loss 0.358");
  g_assert_true (has_label_with_text (GTK_WIDGET (chart), exact));

  /* The cursor snaps to the nearest point. */
  lm_loss_chart_set_cursor_step (chart, 844);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 840);
  lm_loss_chart_set_cursor_step (chart, 100000);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 850);
  snapped = lm_loss_chart_get_point_text (chart);
  g_assert_cmpstr (snapped, ==, exact);

  lm_loss_chart_set_cursor_step (chart, -1);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, -1);
}

static void
test_validation_only (void)
{
  g_autofree char *text = NULL;
  g_autofree char *description = NULL;

  setup ();
  append_range (LP_SERIES_VAL_LOSS, 100, 800, 100, val_loss);

  text = lm_loss_chart_get_point_text (chart);
  g_assert_cmpstr (text, ==, "Step 800: Validation Loss 0.363");
  description = lm_loss_chart_describe (chart);
  g_assert_cmpstr (description, ==, "Validation loss 0.36 at step 800. Showing steps 0 to 800.");

  /* The cursor walks the validation points while there is nothing else. */
  press_key (GDK_KEY_Left);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 800);
  press_key (GDK_KEY_Left);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 700);
}

static void
test_keyboard_cursor (void)
{
  LmLossPlot *plot = find_plot (GTK_WIDGET (chart));
  g_autofree char *text = NULL;

  setup ();
  append_range (LP_SERIES_TRAIN_LOSS, 10, 850, 10, train_loss);
  append_range (LP_SERIES_VAL_LOSS, 100, 800, 100, val_loss);

  g_assert_true (gtk_widget_get_focusable (GTK_WIDGET (plot)));
  gtk_widget_grab_focus (GTK_WIDGET (plot));
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (plot)));

  /* The first arrow picks the newest point. */
  press_key (GDK_KEY_Left);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 850);
  press_key (GDK_KEY_Left);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 840);
  press_key (GDK_KEY_Right);
  press_key (GDK_KEY_Right);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 850);

  press_key (GDK_KEY_Home);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 10);
  press_key (GDK_KEY_Left);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 10);
  text = lm_loss_chart_get_point_text (chart);
  g_assert_cmpstr (text, ==, "Step 10: Training Loss 1.740, no validation loss yet");
  g_assert_true (has_label_with_text (GTK_WIDGET (chart), text));

  /* 85 points: a page is 8 of them. */
  press_key (GDK_KEY_Page_Up);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 90);
  press_key (GDK_KEY_End);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 850);
  press_key (GDK_KEY_Page_Down);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 770);
  press_key (GDK_KEY_KP_Right);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 780);

  /* The same moves are actions, for menus and tests. */
  gtk_widget_activate_action (GTK_WIDGET (plot), "plot.first-point", NULL);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 10);

  press_key (GDK_KEY_Escape);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, -1);
  /* With no cursor left, Escape goes on to the window, which goes back. */
  g_assert_false (press_key_handled (GDK_KEY_Escape));

  wait_for_frame ();
}

static void
test_zoom (void)
{
  g_autofree char *zoomed = NULL;
  g_autofree char *whole = NULL;

  setup ();
  append_range (LP_SERIES_TRAIN_LOSS, 1, 2000, 1, NULL);
  append_range (LP_SERIES_VAL_LOSS, 100, 2000, 100, NULL);

  assert_range (0, 2000);
  g_assert_true (zoom_enabled ("chart.zoom-in"));
  g_assert_false (zoom_enabled ("chart.zoom-out"));
  g_assert_false (zoom_enabled ("chart.zoom-reset"));

  lm_loss_chart_set_cursor_step (chart, 100);

  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.zoom-in", NULL);
  assert_range (1500, 2000);
  g_assert_false (zoom_enabled ("chart.zoom-in"));
  g_assert_true (zoom_enabled ("chart.zoom-out"));
  g_assert_true (zoom_enabled ("chart.zoom-reset"));
  zoomed = lm_loss_chart_describe (chart);
  g_assert_nonnull (strstr (zoomed, "Showing steps 1,500 to 2,000."));

  /* Zoomed, the scale fits the losses in view (0.048 to 0.063), which
   * the full view's 0-2.0 would squash into its bottom pixels. */
  wait_for_frame ();
  {
    double lo, hi;

    g_assert_true (lm_loss_chart_get_value_range (chart, &lo, &hi));
    g_assert_cmpfloat (lo, >=, 0.04);
    g_assert_cmpfloat (lo, <=, 0.0476);
    g_assert_cmpfloat (hi, >=, 0.0625);
    g_assert_cmpfloat (hi, <=, 0.08);
  }

  /* The cursor stays in sight, and so does the keyboard. */
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 1500);
  press_key (GDK_KEY_Home);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 1500);
  press_key (GDK_KEY_Left);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 1500);
  wait_for_frame ();

  /* A zoomed view follows new points. */
  append_range (LP_SERIES_TRAIN_LOSS, 2001, 2100, 1, NULL);
  assert_range (1600, 2100);
  append_range (LP_SERIES_TRAIN_LOSS, 2101, 2200, 1, NULL);
  assert_range (1700, 2200);

  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.zoom-out", NULL);
  assert_range (1200, 2200);
  g_assert_true (zoom_enabled ("chart.zoom-in"));
  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.zoom-out", NULL);
  assert_range (200, 2200);
  /* Twice 2,000 steps is more than there are: the whole history. */
  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.zoom-out", NULL);
  assert_range (0, 2200);
  g_assert_false (zoom_enabled ("chart.zoom-out"));
  g_assert_false (zoom_enabled ("chart.zoom-reset"));
  whole = lm_loss_chart_describe (chart);
  g_assert_nonnull (strstr (whole, "Showing steps 0 to 2,200."));

  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.zoom-in", NULL);
  assert_range (1700, 2200);
  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.zoom-reset", NULL);
  assert_range (0, 2200);
  /* The full view keeps the brief's 0-2.0 while the losses fit in it. */
  wait_for_frame ();
  {
    double lo, hi;

    g_assert_true (lm_loss_chart_get_value_range (chart, &lo, &hi));
    g_assert_cmpfloat (lo, ==, 0.0);
    g_assert_cmpfloat (hi, ==, 2.0);
  }

  /* A short run has nothing to zoom into. */
  setup ();
  append_range (LP_SERIES_TRAIN_LOSS, 1, 400, 1, NULL);
  g_assert_false (zoom_enabled ("chart.zoom-in"));
  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.zoom-in", NULL);
  assert_range (0, 400);

  /* Clearing forgets the zoom. */
  setup ();
  append_range (LP_SERIES_TRAIN_LOSS, 1, 2000, 1, NULL);
  gtk_widget_activate_action (GTK_WIDGET (chart), "chart.zoom-in", NULL);
  setup ();
  assert_range (0, 10);
  g_assert_false (zoom_enabled ("chart.zoom-reset"));
}

static void
test_append_only_later_steps (void)
{
  const gint64 overlap_steps[] = { 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
  const double overlap_values[] = { 9, 9, 9, 9, 9, 9, 0.11, 0.12, 0.13, 0.14, 0.15 };
  const gint64 unsorted_steps[] = { 20, 18, 25, 25 };
  const double unsorted_values[] = { 0.20, 9, 0.25, 9 };
  const gint64 old_step[] = { 3 };
  const double old_value[] = { 9 };
  g_autofree char *text = NULL;

  setup ();
  append_range (LP_SERIES_TRAIN_LOSS, 1, 10, 1, NULL);
  g_assert_cmpint (lm_loss_chart_get_last_step (chart), ==, 10);

  /* An overlapping since_step answer adds only what is new. */
  lm_loss_chart_append (chart, LP_SERIES_TRAIN_LOSS, overlap_steps, overlap_values,
                        G_N_ELEMENTS (overlap_steps));
  g_assert_cmpuint (lm_loss_chart_get_n_points (chart, LP_SERIES_TRAIN_LOSS), ==, 15);
  g_assert_cmpint (lm_loss_chart_get_last_step (chart), ==, 15);

  lm_loss_chart_append (chart, LP_SERIES_TRAIN_LOSS, old_step, old_value, 1);
  g_assert_cmpuint (lm_loss_chart_get_n_points (chart, LP_SERIES_TRAIN_LOSS), ==, 15);

  lm_loss_chart_append (chart, LP_SERIES_TRAIN_LOSS, unsorted_steps, unsorted_values,
                        G_N_ELEMENTS (unsorted_steps));
  g_assert_cmpuint (lm_loss_chart_get_n_points (chart, LP_SERIES_TRAIN_LOSS), ==, 17);
  g_assert_cmpint (lm_loss_chart_get_last_step (chart), ==, 25);

  /* The kept values are the new ones, not the repeats. */
  lm_loss_chart_set_cursor_step (chart, 10);
  text = lm_loss_chart_get_point_text (chart);
  g_assert_cmpstr (text, ==, "Step 10: Training Loss 0.909, no validation loss yet");

  /* Each series keeps its own last step. */
  lm_loss_chart_append (chart, LP_SERIES_VAL_LOSS, old_step, old_value, 1);
  g_assert_cmpuint (lm_loss_chart_get_n_points (chart, LP_SERIES_VAL_LOSS), ==, 1);
  g_assert_cmpint (lm_loss_chart_get_last_step (chart), ==, 25);

  /* Nothing to add is not an error. */
  lm_loss_chart_append (chart, LP_SERIES_VAL_LOSS, NULL, NULL, 0);
}

static void
test_gaps_and_spikes_draw (void)
{
  const gint64 steps[] = { 1, 2, 3, 4, 5 };
  const double values[] = { 1.0, NAN, 25.0, INFINITY, 0.5 };
  g_autofree char *description = NULL;
  g_autofree char *text = NULL;

  setup ();
  lm_loss_chart_append (chart, LP_SERIES_TRAIN_LOSS, steps, values, G_N_ELEMENTS (steps));
  description = lm_loss_chart_describe (chart);
  g_assert_cmpstr (description, ==,
                   "Training loss from 1.00 at step 1 to 0.50 at step 5, falling; "
                   "no validation loss yet. Showing steps 0 to 10.");

  lm_loss_chart_set_cursor_step (chart, 2);
  text = lm_loss_chart_get_point_text (chart);
  g_assert_cmpstr (text, ==, "Step 2: Training Loss NaN, no validation loss yet");

  wait_for_frame ();
}

static void
test_pointer (void)
{
  LmLossPlot *plot = find_plot (GTK_WIDGET (chart));
  g_autoptr(GListModel) controllers = NULL;
  GtkEventController *motion = NULL;
  int width = gtk_widget_get_width (GTK_WIDGET (plot));
  int height = gtk_widget_get_height (GTK_WIDGET (plot));
  g_autoptr(GtkTooltip) tooltip = NULL;
  gboolean shown = FALSE;
  gint64 middle, right;

  setup ();
  append_range (LP_SERIES_TRAIN_LOSS, 10, 850, 10, train_loss);
  append_range (LP_SERIES_VAL_LOSS, 100, 800, 100, val_loss);
  wait_for_frame ();

  controllers = gtk_widget_observe_controllers (GTK_WIDGET (plot));
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_MOTION (controller))
        motion = GTK_EVENT_CONTROLLER (controller);
    }
  g_assert_nonnull (motion);
  g_assert_cmpint (width, >, 300);

  /* The middle of the plot is about the middle of steps 0 to 850. */
  g_signal_emit_by_name (motion, "motion", width / 2.0, height / 2.0);
  middle = lm_loss_chart_get_cursor_step (chart);
  g_assert_cmpint (middle, >=, 380);
  g_assert_cmpint (middle, <=, 470);

  g_signal_emit_by_name (motion, "motion", width * 0.95, height / 2.0);
  right = lm_loss_chart_get_cursor_step (chart);
  g_assert_cmpint (right, >=, 800);

  /* Far outside the plot area the cursor stays put. */
  g_signal_emit_by_name (motion, "motion", width / 2.0, -50.0);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, right);

  /* A tooltip is offered over the plot, none above it. */
  tooltip = g_object_new (GTK_TYPE_TOOLTIP, NULL);
  g_signal_emit_by_name (plot, "query-tooltip", width / 4, height / 2, FALSE, tooltip, &shown);
  g_assert_true (shown);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), <, middle);
  shown = TRUE;
  g_signal_emit_by_name (plot, "query-tooltip", width / 2, -50, FALSE, tooltip, &shown);
  g_assert_false (shown);
}

static void
test_many_points (void)
{
  const guint n = 1000000;
  g_autofree gint64 *steps = g_new (gint64, n);
  g_autofree double *values = g_new (double, n);
  g_autofree char *description = NULL;

  setup ();
  for (guint i = 0; i < n; i++)
    {
      steps[i] = i + 1;
      values[i] = 2.0 / (1.0 + i / 10000.0);
    }
  /* One spike the thinning must keep. */
  values[654321] = 7.5;

  lm_loss_chart_append (chart, LP_SERIES_TRAIN_LOSS, steps, values, n);
  g_assert_cmpuint (lm_loss_chart_get_n_points (chart, LP_SERIES_TRAIN_LOSS), ==, n);
  description = lm_loss_chart_describe (chart);
  g_assert_cmpstr (description, ==,
                   "Training loss from 2.00 at step 1 to 0.02 at step 1,000,000, falling; "
                   "no validation loss yet. Showing steps 0 to 1,000,000.");
  wait_for_frame ();

  press_key (GDK_KEY_End);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 1000000);
  press_key (GDK_KEY_Page_Down);
  g_assert_cmpint (lm_loss_chart_get_cursor_step (chart), ==, 900000);
  wait_for_frame ();
}

static GtkRange *
find_scale (GtkWidget *widget)
{
  if (GTK_IS_SCALE (widget))
    return GTK_RANGE (widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkRange *found = find_scale (c);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static double
noisy_loss (gint64 step)
{
  return 2.0 / (1.0 + (double) step / 100.0) + ((step / 10) % 2 == 0 ? 0.2 : -0.2);
}

/* Issue 16: TensorBoard's smoothing, from the chart's slider, remembered,
 * read out with both values. */
static void
test_smoothing (void)
{
  LmLossPlot *plot = find_plot (GTK_WIDGET (chart));
  GtkRange *scale = find_scale (GTK_WIDGET (chart));
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *raw_text = NULL;
  g_autofree char *smooth_text = NULL;
  g_autofree char *description = NULL;
  g_autofree char *expected = NULL;
  double raw[85], smoothed[85];

  setup ();
  append_range (LP_SERIES_TRAIN_LOSS, 10, 850, 10, noisy_loss);
  g_assert_nonnull (scale);
  g_assert_cmpfloat (lm_loss_plot_get_smoothing (plot), ==, 0);
  raw_text = lm_loss_chart_get_point_text (chart);
  g_assert_null (strstr (raw_text, "smoothed"));

  gtk_range_set_value (scale, 0.6);
  g_assert_cmpfloat_with_epsilon (lm_loss_plot_get_smoothing (plot), 0.6, 1e-9);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "chart-smoothing"), 0.6, 1e-9);

  for (guint i = 0; i < G_N_ELEMENTS (raw); i++)
    raw[i] = noisy_loss (10 * (gint64) (i + 1));
  lp_smooth_ema (raw, G_N_ELEMENTS (raw), 0.6, smoothed);
  {
    g_autofree char *r = lp_axis_format_loss (raw[84], 3);
    g_autofree char *sm = lp_axis_format_loss (smoothed[84], 3);

    expected = g_strdup_printf ("Step 850: Training Loss %s, smoothed %s, no validation loss yet", r, sm);
  }
  smooth_text = lm_loss_chart_get_point_text (chart);
  g_assert_cmpstr (smooth_text, ==, expected);
  g_assert_true (has_label_with_text (GTK_WIDGET (chart), smooth_text));
  description = lm_loss_chart_describe (chart);
  g_assert_nonnull (strstr (description, "Smoothed, weight 0.60."));
  wait_for_frame ();

  /* New points are smoothed on from where the curve was. */
  append_range (LP_SERIES_TRAIN_LOSS, 860, 860, 10, noisy_loss);
  wait_for_frame ();

  /* Another chart (another job's page) starts with the remembered value. */
  {
    GtkWidget *other = g_object_ref_sink (lm_loss_chart_new ());

    g_assert_cmpfloat_with_epsilon (lm_loss_plot_get_smoothing (find_plot (other)), 0.6, 1e-9);
    g_object_unref (other);
  }

  gtk_range_set_value (scale, 0);
  g_clear_pointer (&smooth_text, g_free);
  smooth_text = lm_loss_chart_get_point_text (chart);
  g_assert_null (strstr (smooth_text, "smoothed"));
}

static GtkToggleButton *
find_toggle (GtkWidget *widget)
{
  if (GTK_IS_TOGGLE_BUTTON (widget) && gtk_button_get_label (GTK_BUTTON (widget)) != NULL &&
      g_str_equal (gtk_button_get_label (GTK_BUTTON (widget)), "_Log Scale"))
    return GTK_TOGGLE_BUTTON (widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkToggleButton *found = find_toggle (c);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static double
zero_at_500 (gint64 step)
{
  return step == 500 ? 0.0 : 2.0 / (1.0 + (double) step / 100.0);
}

/* Issue 16: a log scale in whole decades, from a toggle, remembered; a
 * loss of 0 has no place on it and leaves a gap. */
static void
test_log_scale (void)
{
  LmLossPlot *plot = find_plot (GTK_WIDGET (chart));
  GtkToggleButton *toggle = find_toggle (GTK_WIDGET (chart));
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *description = NULL;
  double lo, hi;

  setup ();
  /* 1.82 at step 10 down to 0.105 at 1,800, and a 0 at step 500. */
  append_range (LP_SERIES_TRAIN_LOSS, 10, 1800, 10, zero_at_500);
  g_assert_nonnull (toggle);
  g_assert_false (lm_loss_plot_get_log_scale (plot));

  gtk_toggle_button_set_active (toggle, TRUE);
  g_assert_true (lm_loss_plot_get_log_scale (plot));
  g_assert_true (g_settings_get_boolean (settings, "chart-log-scale"));
  wait_for_frame ();
  g_assert_true (lm_loss_chart_get_value_range (chart, &lo, &hi));
  g_assert_cmpfloat_with_epsilon (lo, 0.1, 1e-12);
  g_assert_cmpfloat_with_epsilon (hi, 10.0, 1e-9);
  description = lm_loss_chart_describe (chart);
  g_assert_nonnull (strstr (description, "Logarithmic scale."));

  /* The cursor on the 0: the text says it, the drawing leaves it out. */
  lm_loss_chart_set_cursor_step (chart, 500);
  {
    g_autofree char *point = lm_loss_chart_get_point_text (chart);

    g_assert_nonnull (strstr (point, "Training Loss 0.000"));
  }
  wait_for_frame ();

  gtk_toggle_button_set_active (toggle, FALSE);
  wait_for_frame ();
  g_assert_true (lm_loss_chart_get_value_range (chart, &lo, &hi));
  g_assert_cmpfloat (lo, ==, 0.0);
  g_assert_cmpfloat (hi, ==, 2.0);
}

int
main (int   argc,
      char *argv[])
{
  GdkFrameClock *clock;
  int ret;

  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  window = GTK_WINDOW (gtk_window_new ());
  chart = LM_LOSS_CHART (lm_loss_chart_new ());
  gtk_window_set_child (window, GTK_WIDGET (chart));
  gtk_window_set_default_size (window, 900, 560);
  gtk_window_present (window);

  g_assert_true (wait_until ((gboolean (*) (gpointer)) gtk_widget_get_mapped, chart, 10000));
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), NULL);

  g_test_add_func ("/loss-chart/empty", test_empty);
  g_test_add_func ("/loss-chart/description", test_description_follows_data);
  g_test_add_func ("/loss-chart/point-text", test_point_text);
  g_test_add_func ("/loss-chart/validation-only", test_validation_only);
  g_test_add_func ("/loss-chart/keyboard", test_keyboard_cursor);
  g_test_add_func ("/loss-chart/zoom", test_zoom);
  g_test_add_func ("/loss-chart/append-only-later", test_append_only_later_steps);
  g_test_add_func ("/loss-chart/gaps", test_gaps_and_spikes_draw);
  g_test_add_func ("/loss-chart/pointer", test_pointer);
  g_test_add_func ("/loss-chart/many-points", test_many_points);
  g_test_add_func ("/loss-chart/smoothing", test_smoothing);
  g_test_add_func ("/loss-chart/log-scale", test_log_scale);

  ret = g_test_run ();

  gtk_window_destroy (window);

  return ret;
}
