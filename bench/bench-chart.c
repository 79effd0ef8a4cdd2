/* bench-chart.c: the loss curve with a million points
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opens LmLossChart in a window with a long run's history (training loss
 * every step, validation loss every 100) and prints:
 *
 *  - the time from creating the window to its first painted frame,
 *  - the work of one frame (frame clock "before-paint" to "after-paint":
 *    layout, snapshot, rendering) when only the cursor moves and when
 *    new data forces the series to be thinned again,
 *  - the plot's snapshot and its rendering to a texture, timed directly,
 *    free of the frame clock's pacing,
 *  - a since_step-style append of 100 points and the frame that follows.
 *
 * It needs a display (xvfb-run) and runs with GSK_RENDERER=cairo unless
 * told otherwise. `meson test --benchmark` runs it; plain `meson test`
 * does not. Options: --points N, --frames N, --screenshot FILE.PNG, and
 * for screenshots --zoom-in (the most recent steps) and --dark; --points 0
 * shows the empty chart and times nothing.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <adwaita.h>

#include "lm-loss-chart.h"
#include "lm-loss-plot.h"

static guint n_paints;
static gint64 paint_started;
static gint64 last_frame_us;

static void
before_paint_cb (GdkFrameClock *clock,
                 gpointer       user_data)
{
  paint_started = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       user_data)
{
  last_frame_us = g_get_monotonic_time () - paint_started;
  n_paints++;
}

static gboolean
wait_for_paint (guint    after,
                guint    timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (n_paints <= after)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }

  return TRUE;
}

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

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
report (const char *what,
        double     *ms,
        guint       n)
{
  double sum = 0;

  qsort (ms, n, sizeof (double), compare_doubles);
  for (guint i = 0; i < n; i++)
    sum += ms[i];

  printf ("  %-44s mean %7.3f ms  median %7.3f ms  p95 %7.3f ms  max %7.3f ms  (%u frames)\n",
          what, sum / n, ms[n / 2], ms[MIN (n - 1, n * 95 / 100)], ms[n - 1], n);
}

/* Appends one point past the end, which invalidates the thinning of the
 * training series and the recorded lines: the cost of a frame after new
 * data, as opposed to one where only the cursor moved.
 */
static void
append_one (LmLossChart *chart,
            gint64      *next_step)
{
  double value = 0.3;

  lm_loss_chart_append (chart, LP_SERIES_TRAIN_LOSS, next_step, &value, 1);
  (*next_step)++;
}

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

/* The plot alone, snapshot and rendering timed apart. */
static void
time_direct (GtkWindow   *window,
             LmLossChart *chart,
             LmLossPlot  *plot,
             guint        frames,
             gboolean     new_data,
             gint64      *next_step)
{
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  GtkWidgetClass *plot_class = GTK_WIDGET_GET_CLASS (plot);
  graphene_rect_t viewport = GRAPHENE_RECT_INIT (0, 0,
                                                 gtk_widget_get_width (GTK_WIDGET (plot)),
                                                 gtk_widget_get_height (GTK_WIDGET (plot)));
  g_autofree double *snapshot_ms = g_new (double, frames);
  g_autofree double *render_ms = g_new (double, frames);
  g_autofree double *total_ms = g_new (double, frames);
  gint64 last = lm_loss_chart_get_last_step (chart);

  for (guint i = 0; i < frames; i++)
    {
      GtkSnapshot *snapshot;
      g_autoptr(GskRenderNode) node = NULL;
      g_autoptr(GdkTexture) texture = NULL;
      gint64 start;

      if (new_data)
        append_one (chart, next_step);
      else
        lm_loss_chart_set_cursor_step (chart, last - (gint64) i * (last / frames));

      start = g_get_monotonic_time ();
      snapshot = gtk_snapshot_new ();
      plot_class->snapshot (GTK_WIDGET (plot), snapshot);
      node = gtk_snapshot_free_to_node (snapshot);
      snapshot_ms[i] = ms_since (start);

      start = g_get_monotonic_time ();
      texture = gsk_renderer_render_texture (renderer, node, &viewport);
      render_ms[i] = ms_since (start);
      total_ms[i] = snapshot_ms[i] + render_ms[i];
    }

  if (new_data)
    {
      report ("plot snapshot, new data (thin + record)", snapshot_ms, frames);
      report ("plot render to texture, new data", render_ms, frames);
      report ("plot snapshot + render, new data", total_ms, frames);
    }
  else
    {
      report ("plot snapshot, cursor moved", snapshot_ms, frames);
      report ("plot render to texture, cursor moved", render_ms, frames);
      report ("plot snapshot + render, cursor moved", total_ms, frames);
    }
}

/* Whole window frames through the frame clock. */
static void
time_frames (GtkWindow   *window,
             LmLossChart *chart,
             guint        frames,
             gboolean     new_data,
             gint64      *next_step)
{
  g_autofree double *ms = g_new (double, frames);
  gint64 last = lm_loss_chart_get_last_step (chart);

  for (guint i = 0; i < frames; i++)
    {
      guint before = n_paints;

      if (new_data)
        append_one (chart, next_step);
      else
        lm_loss_chart_set_cursor_step (chart, last - (gint64) i * (last / frames));

      if (!wait_for_paint (before, 5000))
        g_error ("no frame within 5 s");
      ms[i] = last_frame_us / 1000.0;
    }

  report (new_data ? "window frame, new data" : "window frame, cursor moved", ms, frames);
}

static void
save_screenshot (GtkWindow  *window,
                 const char *path)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  int width = gtk_widget_get_width (GTK_WIDGET (window));
  int height = gtk_widget_get_height (GTK_WIDGET (window));
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    g_printerr ("could not save %s\n", path);
  else
    printf ("screenshot: %s\n", path);
}

int
main (int   argc,
      char *argv[])
{
  guint n_points = 1000000;
  guint frames = 60;
  g_autofree char *screenshot = NULL;
  gboolean zoom_in = FALSE;
  gboolean dark = FALSE;
  GOptionEntry entries[] = {
    { "points", 0, 0, G_OPTION_ARG_INT, &n_points, "Training loss points (one per step)", "N" },
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "Frames to time per case", "N" },
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &screenshot, "Save the window as PNG", "FILE" },
    { "zoom-in", 0, 0, G_OPTION_ARG_NONE, &zoom_in, "Zoom in before the screenshot", NULL },
    { "dark", 0, 0, G_OPTION_ARG_NONE, &dark, "Use the dark style", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- loss chart benchmark");
  g_autoptr(GError) error = NULL;
  g_autofree gint64 *train_steps = NULL;
  g_autofree double *train_values = NULL;
  g_autofree gint64 *val_steps = NULL;
  g_autofree double *val_values = NULL;
  gint64 batch_steps[100];
  double batch_values[100];
  guint n_val;
  GtkWindow *window;
  LmLossChart *chart;
  LmLossPlot *plot;
  GdkFrameClock *clock;
  gint64 start;
  gint64 next_step;
  double append_ms, first_frame_ms, batch_ms, batch_frame_ms;
  guint before;

  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GSETTINGS_BACKEND", "memory", FALSE);

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  frames = MAX (frames, 1u);

  gtk_init ();
  adw_init ();
  if (dark)
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);

  /* A noisy, falling loss with a spike, like a real run; not timed. */
  {
    g_autoptr(GRand) rand = g_rand_new_with_seed (7);

    train_steps = g_new (gint64, n_points);
    train_values = g_new (double, n_points);
    n_val = n_points / 100;
    val_steps = g_new (gint64, n_val);
    val_values = g_new (double, n_val);

    for (guint i = 0; i < n_points; i++)
      {
        double base = 0.3 + 1.5 * exp (-(double) i / (n_points / 8.0));

        train_steps[i] = i + 1;
        train_values[i] = base * (1.0 + g_rand_double_range (rand, -0.08, 0.08));
      }
    if (n_points > 0)
      train_values[n_points * 2 / 3] = 3.1;

    for (guint i = 0; i < n_val; i++)
      {
        val_steps[i] = (gint64) (i + 1) * 100;
        val_values[i] = train_values[(i + 1) * 100 - 1] * 1.05;
      }
  }

  printf ("LmLossChart with %u training and %u validation points, GSK_RENDERER=%s\n",
          n_points, n_val, g_getenv ("GSK_RENDERER"));

  start = g_get_monotonic_time ();

  window = GTK_WINDOW (gtk_window_new ());
  chart = LM_LOSS_CHART (lm_loss_chart_new ());
  gtk_window_set_child (window, GTK_WIDGET (chart));
  gtk_window_set_default_size (window, 1000, 600);

  {
    gint64 append_start = g_get_monotonic_time ();

    lm_loss_chart_append (chart, LP_SERIES_TRAIN_LOSS, train_steps, train_values, n_points);
    lm_loss_chart_append (chart, LP_SERIES_VAL_LOSS, val_steps, val_values, n_val);
    append_ms = ms_since (append_start);
  }

  gtk_window_present (window);

  /* The frame clock exists once the window is realized. */
  while (!gtk_widget_get_realized (GTK_WIDGET (window)))
    g_main_context_iteration (NULL, TRUE);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_connect (clock, "before-paint", G_CALLBACK (before_paint_cb), NULL);
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), NULL);

  if (!wait_for_paint (0, 10000))
    g_error ("no first frame within 10 s");
  first_frame_ms = ms_since (start);

  plot = find_plot (GTK_WIDGET (chart));
  g_assert (plot != NULL);

  printf ("window %dx%d, plot %dx%d\n",
          gtk_widget_get_width (GTK_WIDGET (window)), gtk_widget_get_height (GTK_WIDGET (window)),
          gtk_widget_get_width (GTK_WIDGET (plot)), gtk_widget_get_height (GTK_WIDGET (plot)));
  if (n_points == 0)
    goto screenshot;

  printf ("time to first frame:                            %8.1f ms (of which appending the history %.1f ms; first frame's paint %.1f ms)\n",
          first_frame_ms, append_ms, last_frame_us / 1000.0);

  next_step = lm_loss_chart_get_last_step (chart) + 1;

  printf ("redraw per frame:\n");
  time_frames (window, chart, frames, FALSE, &next_step);
  time_frames (window, chart, frames, TRUE, &next_step);
  time_direct (window, chart, plot, frames, FALSE, &next_step);
  time_direct (window, chart, plot, frames, TRUE, &next_step);

  /* A poll's answer: the next 100 steps. */
  for (guint i = 0; i < G_N_ELEMENTS (batch_steps); i++)
    {
      batch_steps[i] = next_step + i;
      batch_values[i] = 0.31;
    }
  before = n_paints;
  start = g_get_monotonic_time ();
  lm_loss_chart_append (chart, LP_SERIES_TRAIN_LOSS, batch_steps, batch_values, G_N_ELEMENTS (batch_steps));
  batch_ms = ms_since (start);
  if (!wait_for_paint (before, 5000))
    g_error ("no frame after the append");
  batch_frame_ms = last_frame_us / 1000.0;
  printf ("since_step append of 100 points to %u:     %8.3f ms; the next frame %.3f ms\n",
          n_points, batch_ms, batch_frame_ms);

screenshot:
  if (screenshot != NULL)
    {
      if (zoom_in)
        gtk_widget_activate_action (GTK_WIDGET (chart), "chart.zoom-in", NULL);
      lm_loss_chart_set_cursor_step (chart, lm_loss_chart_get_last_step (chart) * 2 / 3);
      before = n_paints;
      wait_for_paint (before, 5000);
      save_screenshot (window, screenshot);
    }

  gtk_window_destroy (window);

  return 0;
}
