/* lm-loss-plot.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A run can report a million training losses, so nothing here walks the
 * raw series per frame: each series is thinned to the pixel columns of
 * the view with lp_decimate_columns() (first, min, max and last of each
 * column, so no spike disappears), the thinning is kept until the data,
 * view or width change, and the lines are recorded into a render node that
 * is reused while only the cursor moves. A series with more than two
 * points per pixel is filled as one bar per pixel column instead of
 * stroked: same pixels, a fraction of cairo's time.
 *
 * Both y-axes show one scale, so the two curves can be compared by eye:
 * the full view runs from 0 (the brief's "0-2.0") to 2.0 or, when the data
 * goes higher, the next nice value above it; a zoomed view fits the values
 * it shows (lp_axis_value_range()).
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "lp-axis.h"
#include "lp-calc.h"
#include "lp-decimate.h"
#include "lp-format.h"
#include "lp-smooth.h"
#include "lm-loss-plot.h"

/* LP_SERIES_TRAIN_LOSS and LP_SERIES_VAL_LOSS, which are also the indices. */
#define N_PLOTTED 2

#define Y_TOP_FLOOR     2.0
/* One early point should not stretch across the whole width. */
#define MIN_SPAN        10
/* Closer than this (pixels per point) markers merge into a thick line. */
#define MARKER_SPACING  8.0
/* Above this many points per pixel a series is drawn as column bars; up
 * to it, an antialiased line looks smoother and strokes fast enough.
 */
#define DENSE_PER_PIXEL 2.0
#define LINE_WIDTH      2.0
#define MARKER_RADIUS   2.5
#define CURSOR_RADIUS   5.0
/* GTK places a tooltip by the pointer instead for a taller tip area. */
#define TIP_AREA_MAX    32
/* Page Up and Page Down move the cursor by a tenth of the visible points. */
#define PAGE_FRACTION   10
#define TICK_SPACING_X  90
#define TICK_SPACING_Y  36
#define MAX_TICKS       32
#define LABEL_GAP       6
/* Markers and the line width reach a little past the plot area. */
#define CLIP_OVERHANG   (CURSOR_RADIUS + 2)
/* Cairo works in 24.8 fixed point; far-off neighbours are pulled in. */
#define COORD_LIMIT     1e5

typedef struct
{
  GArray   *x;              /* double steps, strictly increasing */
  GArray   *y;              /* double losses, NaN and inf allowed */

  /* The thinned view, valid while its key matches. */
  guint    *picks;
  guint     n_picks;
  guint     picks_capacity;
  guint     picks_len;
  guint     picks_columns;
  double    picks_x_min;
  double    picks_x_max;
  gboolean  picks_valid;
  guint     n_visible;      /* raw points inside the view */

  LpEmaCurve smooth;        /* y smoothed, while the plot smooths */
} Series;

struct _LmLossPlot
{
  GtkWidget        parent_instance;

  Series           series[N_PLOTTED];
  double           smoothing;
  gboolean         log_scale;
  gint64           span;
  gint64           cursor_step;

  /* The geometry of the last frame, for finding the point under the
   * pointer; have_geometry is FALSE until the first frame.
   */
  graphene_rect_t  area;
  double           x_min;
  double           x_max;
  double           y_min;
  double           y_max;
  gboolean         have_geometry;

  /* Bumped by anything that changes the lines other than the size. */
  guint            generation;
  GskRenderNode   *lines_node;
  guint            lines_generation;
  graphene_rect_t  lines_area;
};

G_DEFINE_FINAL_TYPE (LmLossPlot, lm_loss_plot, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CURSOR_STEP,
  PROP_SPAN,
  PROP_SMOOTHING,
  PROP_LOG_SCALE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef enum {
  MOVE_BY,
  MOVE_FIRST,
  MOVE_LAST,
} MoveKind;

/* Series */

static inline double
series_x (const Series *s,
          guint         i)
{
  return g_array_index (s->x, double, i);
}

static inline double
series_y (const Series *s,
          guint         i)
{
  return g_array_index (s->y, double, i);
}

/* Steps are held as doubles, in which the service's largest step, 2^63 - 1,
 * becomes 2^63: one past what a gint64 holds. Every way back saturates. */
static gint64
step_of (double x)
{
  if (isnan (x))
    return 0;
  if (x >= 0x1p63)
    return G_MAXINT64;
  if (x <= -0x1p63)
    return G_MININT64;
  return (gint64) x;
}

/* The first index whose step is not below @value (with @inclusive) or is
 * above it (without).
 */
static guint
series_bound (const Series *s,
              double        value,
              gboolean      inclusive)
{
  guint lo = 0;
  guint hi = s->x->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      double x = series_x (s, mid);
      gboolean before = inclusive ? x < value : x <= value;

      if (before)
        lo = mid + 1;
      else
        hi = mid;
    }

  return lo;
}

/* Index of the point whose step is nearest @value; @s must not be empty. */
static guint
series_nearest (const Series *s,
                double        value)
{
  guint i = series_bound (s, value, TRUE);

  if (i >= s->x->len)
    return s->x->len - 1;
  if (i > 0 && value - series_x (s, i - 1) <= series_x (s, i) - value)
    return i - 1;
  return i;
}

/* The last point at or before @step, or -1. */
static gint64
series_at_or_before (const Series *s,
                     double        step)
{
  return (gint64) series_bound (s, step, FALSE) - 1;
}

static gboolean
series_visible (const Series *s,
                double        x_min,
                double        x_max,
                guint        *first,
                guint        *last)
{
  guint lo = series_bound (s, x_min, TRUE);
  guint hi = series_bound (s, x_max, FALSE);

  if (hi <= lo)
    return FALSE;

  *first = lo;
  *last = hi - 1;
  return TRUE;
}

/* First and last points with a finite loss, so a diverged start does not
 * make the whole description "NaN".
 */
static gboolean
series_finite_ends (const Series *s,
                    guint        *first,
                    guint        *last)
{
  guint n = s->x->len;
  guint i;

  for (i = 0; i < n && !isfinite (series_y (s, i)); i++)
    ;
  if (i == n)
    return FALSE;
  *first = i;

  for (i = n; i > *first && !isfinite (series_y (s, i - 1)); i--)
    ;
  *last = i - 1;

  return TRUE;
}

static void
series_thin (Series *s,
             double  x_min,
             double  x_max,
             guint   columns)
{
  guint needed;
  guint first, last;

  if (s->picks_valid &&
      s->picks_len == s->x->len &&
      s->picks_columns == columns &&
      s->picks_x_min == x_min &&
      s->picks_x_max == x_max)
    return;

  /* Four picks per column and the two neighbours just outside the view. */
  needed = 4 * columns + 2;
  if (s->picks_capacity < needed)
    {
      g_free (s->picks);
      s->picks = g_new (guint, needed);
      s->picks_capacity = needed;
    }

  s->n_picks = lp_decimate_columns ((const double *) (gpointer) s->x->data,
                                    (const double *) (gpointer) s->y->data,
                                    s->x->len, x_min, x_max, columns, s->picks);
  s->n_visible = series_visible (s, x_min, x_max, &first, &last) ? last - first + 1 : 0;

  s->picks_len = s->x->len;
  s->picks_columns = columns;
  s->picks_x_min = x_min;
  s->picks_x_max = x_max;
  s->picks_valid = TRUE;
}

/* The values to draw: the raw ones, or smoothed while the plot smooths. */
static const double *
series_drawn (Series *s,
              double  smoothing)
{
  if (smoothing > 0)
    return lp_ema_curve_update (&s->smooth, (const double *) (gpointer) s->y->data, s->y->len);
  return (const double *) (gpointer) s->y->data;
}

static void
series_clear (Series *s)
{
  g_array_set_size (s->x, 0);
  g_array_set_size (s->y, 0);
  lp_ema_curve_set_weight (&s->smooth, lp_ema_curve_get_weight (&s->smooth));
  s->picks_valid = FALSE;
  s->n_picks = 0;
  s->n_visible = 0;
}

/* Helpers */

/* The series the cursor walks: training loss, or validation loss while
 * there is no training loss at all.
 */
static const Series *
primary_series (LmLossPlot *self)
{
  if (self->series[LP_SERIES_TRAIN_LOSS].x->len > 0)
    return &self->series[LP_SERIES_TRAIN_LOSS];
  return &self->series[LP_SERIES_VAL_LOSS];
}

static gboolean
is_empty (LmLossPlot *self)
{
  return self->series[LP_SERIES_TRAIN_LOSS].x->len == 0 &&
         self->series[LP_SERIES_VAL_LOSS].x->len == 0;
}

static double
first_step (LmLossPlot *self)
{
  double first = 0;

  for (guint i = 0; i < N_PLOTTED; i++)
    if (self->series[i].x->len > 0)
      first = MIN (first, series_x (&self->series[i], 0));

  return first;
}

/* Pixel coordinates are handed to cairo, graphene and ints: never NaN,
 * never far off, whatever the numbers (a range that rounding made empty
 * gives 0 / 0). */
static double
coord (double value)
{
  if (isnan (value))
    return 0;
  return CLAMP (value, -COORD_LIMIT, COORD_LIMIT);
}

static double
to_px (LmLossPlot *self,
       double      x)
{
  return coord (self->area.origin.x +
                (x - self->x_min) / (self->x_max - self->x_min) * self->area.size.width);
}

static double
to_py (LmLossPlot *self,
       double      y)
{
  double fraction;

  if (self->log_scale)
    fraction = (log10 (y) - log10 (self->y_min)) / (log10 (self->y_max) - log10 (self->y_min));
  else
    fraction = (y - self->y_min) / (self->y_max - self->y_min);

  return coord (self->area.origin.y + self->area.size.height - fraction * self->area.size.height);
}

/* A loss the scale can place: finite, and above 0 on a log scale. */
static inline gboolean
plottable (LmLossPlot *self,
           double      y)
{
  return isfinite (y) && (!self->log_scale || y > 0);
}

static void
update_accessible (LmLossPlot *self)
{
  g_autofree char *description = lm_loss_plot_describe (self);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
}

static void
lines_changed (LmLossPlot *self)
{
  self->generation++;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_cursor (LmLossPlot *self,
            gint64      step)
{
  if (self->cursor_step == step)
    return;

  self->cursor_step = step;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  update_accessible (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURSOR_STEP]);
}

static void
move_cursor (LmLossPlot *self,
             MoveKind    kind,
             gint64      delta)
{
  const Series *p = primary_series (self);
  double x_min, x_max;
  guint first, last;
  gint64 target;

  if (p->x->len == 0)
    return;

  /* The cursor stays where the reader can see it. */
  lm_loss_plot_get_visible_range (self, &x_min, &x_max);
  if (!series_visible (p, x_min, x_max, &first, &last))
    {
      first = 0;
      last = p->x->len - 1;
    }

  switch (kind)
    {
    case MOVE_FIRST:
      target = first;
      break;

    case MOVE_LAST:
      target = last;
      break;

    case MOVE_BY:
    default:
      /* The first key press picks the newest point, the one a reader of a
       * running job cares about.
       */
      if (self->cursor_step < 0)
        target = last;
      else
        target = (gint64) series_nearest (p, (double) self->cursor_step) + delta;
      target = CLAMP (target, (gint64) first, (gint64) last);
      break;
    }

  set_cursor (self, step_of (series_x (p, (guint) target)));
}

/* The step of the point nearest to the pointer, if it is over the plot. */
static gboolean
step_at (LmLossPlot *self,
         double      x,
         double      y,
         gint64     *step)
{
  const Series *p = primary_series (self);
  const graphene_rect_t *a = &self->area;
  double value;
  guint first, last, i;

  if (!self->have_geometry || p->x->len == 0 || a->size.width <= 0)
    return FALSE;

  if (x < a->origin.x - CLIP_OVERHANG || x > a->origin.x + a->size.width + CLIP_OVERHANG ||
      y < a->origin.y - CLIP_OVERHANG || y > a->origin.y + a->size.height + CLIP_OVERHANG)
    return FALSE;

  value = self->x_min + (x - a->origin.x) / a->size.width * (self->x_max - self->x_min);
  i = series_nearest (p, value);
  if (series_visible (p, self->x_min, self->x_max, &first, &last))
    i = CLAMP (i, first, last);

  *step = step_of (series_x (p, i));
  return TRUE;
}

/* Smoothed, the reader hears both: the curve drawn and the value behind. */
static void
append_smoothed (LmLossPlot *self,
                 GString    *parts,
                 Series     *s,
                 guint       i)
{
  g_autofree char *value = NULL;

  if (self->smoothing <= 0)
    return;

  value = lp_axis_format_loss (series_drawn (s, self->smoothing)[i], 3);
  /* Translators: after a loss in the chart's point text, e.g.
   * "Training Loss 0.342, smoothed 0.351". */
  g_string_append_printf (parts, _(", smoothed %s"), value);
}

static char *
point_text_for_step (LmLossPlot *self,
                     gint64      step)
{
  Series *train = &self->series[LP_SERIES_TRAIN_LOSS];
  Series *val = &self->series[LP_SERIES_VAL_LOSS];
  /* Translators: separates the losses in "Training Loss 0.342, Validation Loss 0.358". */
  const char *separator = C_("list", ", ");
  g_autofree char *step_text = lp_format_count (step);
  g_autoptr(GString) parts = g_string_new (NULL);
  gint64 i;

  if (train->x->len > 0)
    {
      i = series_at_or_before (train, (double) step);
      if (i >= 0 && series_x (train, (guint) i) == (double) step)
        {
          g_autofree char *value = lp_axis_format_loss (series_y (train, (guint) i), 3);

          /* Translators: part of a chart's point text, e.g. "Training Loss 0.342". */
          g_string_append_printf (parts, _("Training Loss %s"), value);
          append_smoothed (self, parts, train, (guint) i);
        }
    }

  /* Validation runs every so many steps, so between two runs the text
   * gives the latest one before the cursor, with its step; before the
   * first it says so rather than leave the reader guessing.
   */
  i = series_at_or_before (val, (double) step);
  if (parts->len > 0)
    g_string_append (parts, separator);

  if (i < 0)
    /* Translators: part of a chart's point text, after the training loss. */
    g_string_append (parts, _("no validation loss yet"));
  else
    {
      double val_step = series_x (val, (guint) i);
      g_autofree char *value = lp_axis_format_loss (series_y (val, (guint) i), 3);

      if (val_step == (double) step)
        {
          /* Translators: part of a chart's point text, e.g. "Validation Loss 0.358". */
          g_string_append_printf (parts, _("Validation Loss %s"), value);
          append_smoothed (self, parts, val, (guint) i);
        }
      else
        {
          g_autofree char *val_step_text = lp_format_count (step_of (val_step));

          /* Translators: the latest validation loss before the point, e.g.
           * "Validation Loss 0.358 (step 800)".
           */
          g_string_append_printf (parts, _("Validation Loss %s (step %s)"), value, val_step_text);
          append_smoothed (self, parts, val, (guint) i);
        }
    }

  /* Translators: a point of the loss chart, e.g.
   * "Step 850: Training Loss 0.342, Validation Loss 0.358".
   */
  return g_strdup_printf (_("Step %s: %s"), step_text, parts->str);
}

static const char *
trend_word (double first,
            double last)
{
  switch (lp_trend (last, first, TRUE, NULL))
    {
    /* Translators: how the training loss moved, in "from 1.74 at step 10 to 0.34 at step 850, falling". */
    case LP_TREND_IMPROVING: return C_("loss trend", "falling");
    case LP_TREND_WORSENING: return C_("loss trend", "rising");
    case LP_TREND_STABLE:
    default: return C_("loss trend", "steady");
    }
}

static GdkRGBA
foreground_color (GtkWidget *widget)
{
  GdkRGBA fg;

  /* gtk_widget_get_color() arrives only with GTK 4.10. */
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);

  return fg;
}

static GdkRGBA
with_alpha (const GdkRGBA *color,
            float          alpha)
{
  return (GdkRGBA) { color->red, color->green, color->blue, color->alpha * alpha };
}

/* Drawing */

static void
append_text (GtkSnapshot   *snapshot,
             PangoLayout   *layout,
             const GdkRGBA *color,
             double         x,
             double         y)
{
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) round (x), (float) round (y)));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

/* An axis title along a value axis, read from bottom to top on the left
 * and from top to bottom on the right, as in print. */
static void
append_axis_title (GtkSnapshot   *snapshot,
                   PangoLayout   *layout,
                   const GdkRGBA *color,
                   double         cx,
                   double         cy,
                   float          angle)
{
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) round (cx), (float) round (cy)));
  gtk_snapshot_rotate (snapshot, angle);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (-w / 2.0f, -h / 2.0f));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

/* A series with more points than pixels, drawn a pixel column at a time:
 * a bar from the column's lowest to its highest value, stretched to meet
 * the previous column's last value. It covers the same pixels as the
 * polyline through the thinned points, but as pixel-aligned rectangles,
 * which cairo fills many times faster than it strokes a zig-zag of
 * thousands of overlapping segments. Dashes become gaps between columns.
 */
static void
draw_dense_series (LmLossPlot   *self,
                   cairo_t      *cr,
                   const Series *s,
                   const double *ys,
                   gboolean      dashed)
{
  g_autoptr(GArray) bridges = g_array_new (FALSE, FALSE, sizeof (double));
  double x0 = floor (self->area.origin.x);
  gboolean open = FALSE;
  gboolean have_previous = FALSE;
  double column = 0, previous_column = 0;
  double lo = 0, hi = 0, last = 0, previous_last = 0;

  for (guint k = 0; k <= s->n_picks; k++)
    {
      gboolean finite = FALSE;
      double px = 0, py = 0;

      if (k < s->n_picks)
        {
          guint i = s->picks[k];
          double y = ys[i];

          finite = plottable (self, y);
          if (finite)
            {
              px = floor (to_px (self, series_x (s, i)));
              py = to_py (self, y);
            }
        }

      /* Close the open column at a new column, a gap or the end. */
      if (open && (!finite || px != column))
        {
          double phase = fmod (column - x0, 10.0);

          if (!dashed || (phase < 0 ? phase + 10.0 : phase) < 6.0)
            {
              double top = floor (lo - LINE_WIDTH / 2);
              double bottom = ceil (hi + LINE_WIDTH / 2);

              cairo_rectangle (cr, column, top, LINE_WIDTH, bottom - top);
            }

          previous_column = column;
          previous_last = last;
          have_previous = TRUE;
          open = FALSE;
        }

      if (!finite)
        {
          /* NaN breaks the line, as in the sparse drawing. */
          if (k < s->n_picks)
            have_previous = FALSE;
          continue;
        }

      if (!open)
        {
          column = px;
          lo = hi = py;

          if (have_previous)
            {
              if (px - previous_column <= 1)
                {
                  lo = MIN (lo, previous_last);
                  hi = MAX (hi, previous_last);
                }
              else
                {
                  /* Steps missing from the data: bridge them with a line
                   * as the sparse drawing would.
                   */
                  double segment[4] = { previous_column, previous_last, px, py };

                  g_array_append_vals (bridges, segment, 4);
                }
            }
          open = TRUE;
        }

      lo = MIN (lo, py);
      hi = MAX (hi, py);
      last = py;
    }

  cairo_fill (cr);

  if (bridges->len == 0)
    return;

  for (guint i = 0; i + 3 < bridges->len; i += 4)
    {
      const double *segment = &g_array_index (bridges, double, i);

      cairo_move_to (cr, segment[0] + LINE_WIDTH / 2, segment[1]);
      cairo_line_to (cr, segment[2] + LINE_WIDTH / 2, segment[3]);
    }
  cairo_stroke (cr);
}

static void
draw_series (LmLossPlot    *self,
             cairo_t       *cr,
             LpSeries       which,
             const double  *ys,
             gboolean       markers,
             const GdkRGBA *color)
{
  static const double dashes[] = { 6.0, 4.0 };
  const Series *s = &self->series[which];
  gboolean dashed = which == LP_SERIES_VAL_LOSS;
  gboolean pen_down = FALSE;

  if (s->n_picks == 0)
    return;

  gdk_cairo_set_source_rgba (cr, color);
  cairo_set_line_width (cr, LINE_WIDTH);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  if (s->n_visible > DENSE_PER_PIXEL * self->area.size.width)
    {
      draw_dense_series (self, cr, s, ys, dashed);
      return;
    }

  if (dashed)
    cairo_set_dash (cr, dashes, G_N_ELEMENTS (dashes), 0);
  else
    cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);

  for (guint k = 0; k < s->n_picks; k++)
    {
      guint i = s->picks[k];
      double y = ys[i];
      double px, py;

      /* A NaN or infinite loss leaves a gap instead of a bridge. */
      if (!plottable (self, y))
        {
          pen_down = FALSE;
          continue;
        }

      px = to_px (self, series_x (s, i));
      py = to_py (self, y);

      if (pen_down)
        cairo_line_to (cr, px, py);
      else
        cairo_move_to (cr, px, py);
      pen_down = TRUE;
    }

  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);

  if (!markers || s->n_visible == 0 || s->n_visible * MARKER_SPACING > self->area.size.width)
    return;

  /* Sparse enough that the thinning kept every point. */
  for (guint k = 0; k < s->n_picks; k++)
    {
      guint i = s->picks[k];
      double y = ys[i];

      if (!plottable (self, y))
        continue;

      cairo_new_sub_path (cr);
      cairo_arc (cr, to_px (self, series_x (s, i)), to_py (self, y), MARKER_RADIUS, 0, 2 * G_PI);
    }
  cairo_fill (cr);
}

static graphene_rect_t
overhang_area (LmLossPlot *self)
{
  graphene_rect_t clip;

  graphene_rect_inset_r (&self->area, -CLIP_OVERHANG, -CLIP_OVERHANG, &clip);
  return clip;
}

static void
snapshot_lines (LmLossPlot  *self,
                GtkSnapshot *snapshot)
{
  if (self->lines_node == NULL ||
      self->lines_generation != self->generation ||
      !graphene_rect_equal (&self->lines_area, &self->area))
    {
      GtkSnapshot *lines = gtk_snapshot_new ();
      graphene_rect_t clip = overhang_area (self);
      GdkRGBA train_color, val_color;
      cairo_t *cr;

      lm_loss_plot_get_series_color (GTK_WIDGET (self), LP_SERIES_TRAIN_LOSS, &train_color);
      lm_loss_plot_get_series_color (GTK_WIDGET (self), LP_SERIES_VAL_LOSS, &val_color);

      gtk_snapshot_push_clip (lines, &clip);
      cr = gtk_snapshot_append_cairo (lines, &clip);
      /* Smoothed, the raw curve stays faint behind, as in TensorBoard: a
       * spike the average hides is still there to see. */
      if (self->smoothing > 0)
        {
          GdkRGBA faint_train = with_alpha (&train_color, 0.25f);
          GdkRGBA faint_val = with_alpha (&val_color, 0.25f);

          draw_series (self, cr, LP_SERIES_VAL_LOSS, series_drawn (&self->series[LP_SERIES_VAL_LOSS], 0),
                       FALSE, &faint_val);
          draw_series (self, cr, LP_SERIES_TRAIN_LOSS, series_drawn (&self->series[LP_SERIES_TRAIN_LOSS], 0),
                       FALSE, &faint_train);
        }
      /* Training loss on top: it is the denser, primary series. */
      draw_series (self, cr, LP_SERIES_VAL_LOSS,
                   series_drawn (&self->series[LP_SERIES_VAL_LOSS], self->smoothing), TRUE, &val_color);
      draw_series (self, cr, LP_SERIES_TRAIN_LOSS,
                   series_drawn (&self->series[LP_SERIES_TRAIN_LOSS], self->smoothing), TRUE, &train_color);
      cairo_destroy (cr);
      gtk_snapshot_pop (lines);

      g_clear_pointer (&self->lines_node, gsk_render_node_unref);
      self->lines_node = gtk_snapshot_free_to_node (lines);
      self->lines_generation = self->generation;
      self->lines_area = self->area;
    }

  if (self->lines_node != NULL)
    gtk_snapshot_append_node (snapshot, self->lines_node);
}

/* The point of @s that the cursor marks, if any: training loss on its own
 * step only, validation loss at its latest run, the value the point text
 * gives. */
static gint64
cursor_mark (LmLossPlot   *self,
             guint         which,
             double       *y)
{
  const Series *s = &self->series[which];
  gint64 i = series_at_or_before (s, (double) self->cursor_step);

  if (i < 0 || !plottable (self, *y = series_y (s, (guint) i)))
    return -1;
  if (which == LP_SERIES_TRAIN_LOSS && series_x (s, (guint) i) != (double) self->cursor_step)
    return -1;
  return i;
}

/* The vertical extent, in pixels, of the points the cursor marks. */
static gboolean
cursor_marks (LmLossPlot *self,
              double     *top,
              double     *bottom)
{
  gboolean any = FALSE;

  *top = INFINITY;
  *bottom = -INFINITY;
  for (guint which = 0; which < N_PLOTTED; which++)
    {
      double y, py;

      if (cursor_mark (self, which, &y) < 0)
        continue;
      py = coord (to_py (self, y));
      *top = MIN (*top, py);
      *bottom = MAX (*bottom, py);
      any = TRUE;
    }
  return any;
}

static void
snapshot_cursor (LmLossPlot    *self,
                 GtkSnapshot   *snapshot,
                 const GdkRGBA *fg)
{
  graphene_rect_t clip = overhang_area (self);
  GdkRGBA line_color = with_alpha (fg, 0.4f);
  double px;
  cairo_t *cr;

  if (self->cursor_step < 0 ||
      (double) self->cursor_step < self->x_min ||
      (double) self->cursor_step > self->x_max)
    return;

  px = to_px (self, (double) self->cursor_step);
  gtk_snapshot_append_color (snapshot, &line_color,
                             &GRAPHENE_RECT_INIT ((float) floor (px), self->area.origin.y,
                                                  1, self->area.size.height));

  cr = gtk_snapshot_append_cairo (snapshot, &clip);
  for (guint which = 0; which < N_PLOTTED; which++)
    {
      const Series *s = &self->series[which];
      GdkRGBA color;
      double y;
      gint64 i = cursor_mark (self, which, &y);

      if (i < 0)
        continue;

      lm_loss_plot_get_series_color (GTK_WIDGET (self), which, &color);
      gdk_cairo_set_source_rgba (cr, &color);
      cairo_arc (cr, to_px (self, series_x (s, (guint) i)), to_py (self, y), CURSOR_RADIUS, 0, 2 * G_PI);
      cairo_fill_preserve (cr);
      /* A light centre tells the cursor from an ordinary marker. */
      cairo_set_source_rgba (cr, 1, 1, 1, 0.9);
      cairo_set_line_width (cr, 1.5);
      cairo_stroke (cr);
    }
  cairo_destroy (cr);
}

static void
snapshot_focus (LmLossPlot  *self,
                GtkSnapshot *snapshot)
{
  static const float widths[4] = { 2, 2, 2, 2 };
  GtkWidget *widget = GTK_WIDGET (self);
  GdkRGBA accent;
  GdkRGBA colors[4];
  GskRoundedRect outline;

  if (!gtk_widget_has_visible_focus (widget))
    return;

  /* The plot has no CSS node of its own to draw a focus ring, so it draws
   * one in libadwaita's focus colour.
   */
  gdk_rgba_parse (&accent, "rgba(53,132,228,0.5)");
  for (guint i = 0; i < 4; i++)
    colors[i] = accent;

  gsk_rounded_rect_init_from_rect (&outline,
                                   &GRAPHENE_RECT_INIT (1, 1,
                                                        gtk_widget_get_width (widget) - 2,
                                                        gtk_widget_get_height (widget) - 2),
                                   6);
  gtk_snapshot_append_border (snapshot, &outline, widths, colors);
}

/* For bench/bench_app.py: with LM_BENCH_FIRST_CURVE set, the end of the
 * first frame that shows a curve is printed once, in g_get_monotonic_time()
 * microseconds, so the benchmark can time "--job ID to curve on screen"
 * from outside. After-paint comes after the frame is rendered. */
static void
first_curve_painted_cb (GdkFrameClock *clock,
                        gpointer       user_data)
{
  g_printerr ("lora-monitor: first curve on screen at %" G_GINT64_FORMAT " us\n",
              g_get_monotonic_time ());
  g_signal_handlers_disconnect_by_func (clock, first_curve_painted_cb, user_data);
}

static void
note_first_curve (GtkWidget *widget)
{
  static gboolean noted;

  if (G_LIKELY (noted))
    return;
  noted = TRUE;
  if (g_getenv ("LM_BENCH_FIRST_CURVE") != NULL)
    g_signal_connect (gtk_widget_get_frame_clock (widget), "after-paint",
                      G_CALLBACK (first_curve_painted_cb), NULL);
}

/* Zoomed in: the span hides some of the history. */
static gboolean
is_zoomed (LmLossPlot *self)
{
  return self->span > 0 && self->x_min > first_step (self);
}

static void
lm_loss_plot_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  LmLossPlot *self = LM_LOSS_PLOT (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr(PangoLayout) layout = NULL;
  GdkRGBA fg = foreground_color (widget);
  GdkRGBA grid_color = with_alpha (&fg, 0.1f);
  GdkRGBA axis_color = with_alpha (&fg, 0.35f);
  GdkRGBA label_color = with_alpha (&fg, 0.7f);
  char *y_labels[MAX_TICKS + 1] = { NULL, };
  double y_ticks[MAX_TICKS + 1];
  double x_ticks[MAX_TICKS + 1];
  double data_min = INFINITY;
  double data_max = -INFINITY;
  double y_lo, y_hi;
  double y_step = 1;
  double x_step = 1;
  guint n_y_ticks = 0;
  guint n_x_ticks = 0;
  guint max_ticks;
  int line_height;
  int label_width = 0;
  int top, bottom, side;
  float area_width, area_height;

  if (width <= 0 || height <= 0)
    return;

  lm_loss_plot_get_visible_range (self, &self->x_min, &self->x_max);

  /* Thinning to the widget's width rather than the plot's avoids a second
   * pass once the margins are known; a column of a pixel or slightly less
   * looks the same. The columns' extremes are the view's extremes, which
   * sets the scale.
   */
  for (guint which = 0; which < N_PLOTTED; which++)
    {
      Series *s = &self->series[which];

      series_thin (s, self->x_min, self->x_max, (guint) width);

      for (guint k = 0; k < s->n_picks; k++)
        {
          guint i = s->picks[k];
          double x = series_x (s, i);
          double y = series_y (s, i);

          if (x < self->x_min || x > self->x_max || !plottable (self, y))
            continue;
          data_min = MIN (data_min, y);
          data_max = MAX (data_max, y);
        }
    }
  lp_axis_value_range (data_min, data_max, is_zoomed (self), Y_TOP_FLOOR, &y_lo, &y_hi);

  layout = gtk_widget_create_pango_layout (widget, "0");
  pango_layout_get_pixel_size (layout, NULL, &line_height);
  top = line_height / 2 + 2;
  /* The step labels, then the axis title below them. */
  bottom = 2 * line_height + LABEL_GAP;
  area_height = MAX (1, height - top - bottom);

  max_ticks = CLAMP ((guint) (area_height / TICK_SPACING_Y), 2, MAX_TICKS);
  if (self->log_scale)
    {
      /* Whole decades, zoomed or not: the point of a log scale is to see
       * the late, small changes and the early, large ones at once. */
      lp_axis_log_range (data_min, data_max, &self->y_min, &self->y_max);
      n_y_ticks = lp_axis_log_ticks (self->y_min, self->y_max, max_ticks, y_ticks, G_N_ELEMENTS (y_ticks));
    }
  else
    {
      lp_axis_nice_range (y_lo, y_hi, max_ticks, &self->y_min, &self->y_max);
      /* Rounding a loss near DBL_MAX up to a tick overflows to infinity. */
      if (!isfinite (self->y_min) || !isfinite (self->y_max))
        {
          self->y_min = y_lo;
          self->y_max = y_hi;
        }
      lp_axis_ticks (self->y_min, self->y_max, max_ticks, y_ticks, &n_y_ticks, &y_step);
    }

  for (guint i = 0; i < n_y_ticks; i++)
    {
      int w;

      /* On a log scale each label has the decimals of its own decade. */
      y_labels[i] = lp_axis_format_value (y_ticks[i], self->log_scale ? y_ticks[i] : y_step);
      pango_layout_set_text (layout, y_labels[i], -1);
      pango_layout_get_pixel_size (layout, &w, NULL);
      label_width = MAX (label_width, w);
    }

  /* The right axis has the same labels, so both margins match; each has
   * its title beside the labels. */
  side = label_width + 2 * LABEL_GAP + line_height;
  area_width = MAX (1, width - 2 * side);
  self->area = GRAPHENE_RECT_INIT (side, top, area_width, area_height);
  self->have_geometry = TRUE;

  /* Steps are whole, so ticks are never closer than one step. */
  max_ticks = CLAMP ((guint) (area_width / TICK_SPACING_X), 2, MAX_TICKS);
  max_ticks = (guint) MIN ((double) max_ticks, MAX (1.0, self->x_max - self->x_min));
  lp_axis_ticks (self->x_min, self->x_max, max_ticks, x_ticks, &n_x_ticks, &x_step);

  /* Grid and labels */
  for (guint i = 0; i < n_y_ticks; i++)
    {
      double py = floor (to_py (self, y_ticks[i]));
      int w, h;

      gtk_snapshot_append_color (snapshot, i == 0 ? &axis_color : &grid_color,
                                 &GRAPHENE_RECT_INIT (side, (float) py, area_width, 1));

      pango_layout_set_text (layout, y_labels[i], -1);
      pango_layout_get_pixel_size (layout, &w, &h);
      append_text (snapshot, layout, &label_color, side - LABEL_GAP - w, py - h / 2.0);
      append_text (snapshot, layout, &label_color, side + area_width + LABEL_GAP, py - h / 2.0);
      g_free (y_labels[i]);
    }

  for (guint i = 0; i < n_x_ticks; i++)
    {
      g_autofree char *text = lp_axis_format_step (x_ticks[i], x_step);
      double px = floor (to_px (self, x_ticks[i]));
      int w;

      gtk_snapshot_append_color (snapshot, &grid_color,
                                 &GRAPHENE_RECT_INIT ((float) px, top, 1, area_height));

      pango_layout_set_text (layout, text, -1);
      pango_layout_get_pixel_size (layout, &w, NULL);
      append_text (snapshot, layout, &label_color,
                   CLAMP (px - w / 2.0, 0, MAX (0, width - w)),
                   top + area_height + LABEL_GAP / 2.0);
    }

  /* Translators: the chart's horizontal axis */
  pango_layout_set_text (layout, _("Step"), -1);
  {
    int w;

    pango_layout_get_pixel_size (layout, &w, NULL);
    append_text (snapshot, layout, &label_color,
                 side + (area_width - w) / 2.0, top + area_height + LABEL_GAP / 2.0 + line_height);
  }
  /* Translators: the chart's left axis, for the training loss */
  pango_layout_set_text (layout, _("Training loss"), -1);
  append_axis_title (snapshot, layout, &label_color,
                     line_height / 2.0, top + area_height / 2.0, -90.f);
  /* Translators: the chart's right axis, for the validation loss */
  pango_layout_set_text (layout, _("Validation loss"), -1);
  append_axis_title (snapshot, layout, &label_color,
                     width - line_height / 2.0, top + area_height / 2.0, 90.f);

  /* The two value axes, one for each series. */
  gtk_snapshot_append_color (snapshot, &axis_color,
                             &GRAPHENE_RECT_INIT (side - 1, top, 1, area_height));
  gtk_snapshot_append_color (snapshot, &axis_color,
                             &GRAPHENE_RECT_INIT (side + area_width, top, 1, area_height));

  if (is_empty (self))
    {
      int w, h;

      pango_layout_set_text (layout, _("No metrics yet"), -1);
      pango_layout_get_pixel_size (layout, &w, &h);
      append_text (snapshot, layout, &label_color,
                   side + (area_width - w) / 2.0, top + (area_height - h) / 2.0);
    }
  else
    {
      snapshot_lines (self, snapshot);
      snapshot_cursor (self, snapshot, &fg);
      note_first_curve (widget);
    }

  snapshot_focus (self, snapshot);
}

/* GtkWidget */

static void
lm_loss_plot_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 240;
      *natural = 640;
    }
  else
    {
      *minimum = 180;
      *natural = 300;
    }
}

static gboolean
lm_loss_plot_query_tooltip (GtkWidget  *widget,
                            int         x,
                            int         y,
                            gboolean    keyboard_mode,
                            GtkTooltip *tooltip)
{
  LmLossPlot *self = LM_LOSS_PLOT (widget);
  g_autofree char *text = NULL;
  gint64 step;
  double px;
  double mark_top, mark_bottom;

  if (!keyboard_mode)
    {
      if (!step_at (self, x, y, &step))
        return FALSE;
      set_cursor (self, step);
    }

  if (self->cursor_step < 0 || !self->have_geometry)
    return FALSE;

  text = point_text_for_step (self, self->cursor_step);
  gtk_tooltip_set_text (tooltip, text);

  /* GTK puts a tooltip below its tip area, and below the pointer when the
   * area is taller than 32 pixels: an area around the marked points keeps
   * the tooltip off them. Leaving it asks for a new text, so the tooltip
   * follows the pointer from point to point.
   */
  px = to_px (self, (double) self->cursor_step);
  if (!cursor_marks (self, &mark_top, &mark_bottom))
    mark_top = mark_bottom = self->area.origin.y + self->area.size.height / 2;
  if (mark_bottom - mark_top > TIP_AREA_MAX - 2 * CURSOR_RADIUS)
    mark_top = mark_bottom - (TIP_AREA_MAX - 2 * CURSOR_RADIUS);
  gtk_tooltip_set_tip_area (tooltip,
                            &(GdkRectangle) { (int) floor (px - CURSOR_RADIUS),
                                              (int) floor (mark_top - CURSOR_RADIUS),
                                              (int) ceil (2 * CURSOR_RADIUS),
                                              (int) ceil (mark_bottom - mark_top + 2 * CURSOR_RADIUS) });
  return TRUE;
}

static void
lm_loss_plot_css_changed (GtkWidget         *widget,
                          GtkCssStyleChange *change)
{
  /* The series colours follow the light or dark style. */
  lines_changed (LM_LOSS_PLOT (widget));

  GTK_WIDGET_CLASS (lm_loss_plot_parent_class)->css_changed (widget, change);
}

static void
motion_cb (GtkEventControllerMotion *motion,
           double                    x,
           double                    y,
           LmLossPlot               *self)
{
  gint64 step;

  if (step_at (self, x, y, &step))
    set_cursor (self, step);
}

static void
focus_changed_cb (LmLossPlot *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
cursor_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  LmLossPlot *self = LM_LOSS_PLOT (widget);
  const Series *p = primary_series (self);
  double x_min, x_max;
  guint first, last;
  gint64 page = 1;

  lm_loss_plot_get_visible_range (self, &x_min, &x_max);
  if (p->x->len > 0 && series_visible (p, x_min, x_max, &first, &last))
    page = MAX (1, (gint64) (last - first + 1) / PAGE_FRACTION);

  if (g_str_equal (action_name, "plot.previous-point"))
    move_cursor (self, MOVE_BY, -1);
  else if (g_str_equal (action_name, "plot.next-point"))
    move_cursor (self, MOVE_BY, 1);
  else if (g_str_equal (action_name, "plot.page-back"))
    move_cursor (self, MOVE_BY, -page);
  else if (g_str_equal (action_name, "plot.page-forward"))
    move_cursor (self, MOVE_BY, page);
  else if (g_str_equal (action_name, "plot.first-point"))
    move_cursor (self, MOVE_FIRST, 0);
  else if (g_str_equal (action_name, "plot.last-point"))
    move_cursor (self, MOVE_LAST, 0);
  else if (g_str_equal (action_name, "plot.clear-cursor"))
    set_cursor (self, -1);
}

/* Escape first takes the cursor away; with none, it is not the plot's to
 * handle and goes on to the window, which goes back as from anywhere else
 * on the page. */
static gboolean
escape_cb (GtkWidget *widget,
           GVariant  *args,
           gpointer   user_data)
{
  LmLossPlot *self = LM_LOSS_PLOT (widget);

  if (self->cursor_step < 0)
    return FALSE;

  set_cursor (self, -1);
  return TRUE;
}

static void
add_key_binding (GtkWidgetClass *widget_class,
                 guint           keyval,
                 guint           keypad_keyval,
                 const char     *action_name)
{
  gtk_widget_class_add_binding_action (widget_class, keyval, 0, action_name, NULL);
  if (keypad_keyval != 0)
    gtk_widget_class_add_binding_action (widget_class, keypad_keyval, 0, action_name, NULL);
}

/* GObject */

static void
lm_loss_plot_finalize (GObject *object)
{
  LmLossPlot *self = LM_LOSS_PLOT (object);

  for (guint i = 0; i < N_PLOTTED; i++)
    {
      g_clear_pointer (&self->series[i].x, g_array_unref);
      g_clear_pointer (&self->series[i].y, g_array_unref);
      g_clear_pointer (&self->series[i].picks, g_free);
      lp_ema_curve_clear (&self->series[i].smooth);
    }
  g_clear_pointer (&self->lines_node, gsk_render_node_unref);

  G_OBJECT_CLASS (lm_loss_plot_parent_class)->finalize (object);
}

static void
lm_loss_plot_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  LmLossPlot *self = LM_LOSS_PLOT (object);

  switch (prop_id)
    {
    case PROP_CURSOR_STEP: g_value_set_int64 (value, self->cursor_step); break;
    case PROP_SPAN: g_value_set_int64 (value, self->span); break;
    case PROP_SMOOTHING: g_value_set_double (value, self->smoothing); break;
    case PROP_LOG_SCALE: g_value_set_boolean (value, self->log_scale); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_loss_plot_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  LmLossPlot *self = LM_LOSS_PLOT (object);

  switch (prop_id)
    {
    case PROP_CURSOR_STEP: lm_loss_plot_set_cursor_step (self, g_value_get_int64 (value)); break;
    case PROP_SPAN: lm_loss_plot_set_span (self, g_value_get_int64 (value)); break;
    case PROP_SMOOTHING: lm_loss_plot_set_smoothing (self, g_value_get_double (value)); break;
    case PROP_LOG_SCALE: lm_loss_plot_set_log_scale (self, g_value_get_boolean (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lm_loss_plot_class_init (LmLossPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = lm_loss_plot_finalize;
  object_class->get_property = lm_loss_plot_get_property;
  object_class->set_property = lm_loss_plot_set_property;

  widget_class->measure = lm_loss_plot_measure;
  widget_class->snapshot = lm_loss_plot_snapshot;
  widget_class->query_tooltip = lm_loss_plot_query_tooltip;
  widget_class->css_changed = lm_loss_plot_css_changed;

  /**
   * LmLossPlot:cursor-step:
   *
   * The step of the point the cursor is on, always a point of the training
   * loss (of the validation loss while there is no training loss); -1 for
   * none, when the point text describes the newest point.
   */
  properties[PROP_CURSOR_STEP] =
    g_param_spec_int64 ("cursor-step", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * LmLossPlot:span:
   *
   * How many of the most recent steps the plot shows; 0 for the whole
   * history from step 0. A non-zero span follows new points as they
   * arrive.
   */
  properties[PROP_SPAN] =
    g_param_spec_int64 ("span", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * LmLossPlot:smoothing:
   *
   * The weight of TensorBoard's debiased exponential moving average, 0
   * (the raw curves) to 0.99; smoothed, the raw curves stay faint behind.
   */
  properties[PROP_SMOOTHING] =
    g_param_spec_double ("smoothing", NULL, NULL, 0, LP_SMOOTH_WEIGHT_MAX, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * LmLossPlot:log-scale:
   *
   * Whether the losses are on a logarithmic scale, in whole decades; a
   * loss of 0 or below has no place on it and leaves a gap.
   */
  properties[PROP_LOG_SCALE] =
    g_param_spec_boolean ("log-scale", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "plot.previous-point", NULL, cursor_action);
  gtk_widget_class_install_action (widget_class, "plot.next-point", NULL, cursor_action);
  gtk_widget_class_install_action (widget_class, "plot.page-back", NULL, cursor_action);
  gtk_widget_class_install_action (widget_class, "plot.page-forward", NULL, cursor_action);
  gtk_widget_class_install_action (widget_class, "plot.first-point", NULL, cursor_action);
  gtk_widget_class_install_action (widget_class, "plot.last-point", NULL, cursor_action);
  gtk_widget_class_install_action (widget_class, "plot.clear-cursor", NULL, cursor_action);

  /* As on a slider: Page Up goes towards later steps. */
  add_key_binding (widget_class, GDK_KEY_Left, GDK_KEY_KP_Left, "plot.previous-point");
  add_key_binding (widget_class, GDK_KEY_Right, GDK_KEY_KP_Right, "plot.next-point");
  add_key_binding (widget_class, GDK_KEY_Page_Down, GDK_KEY_KP_Page_Down, "plot.page-back");
  add_key_binding (widget_class, GDK_KEY_Page_Up, GDK_KEY_KP_Page_Up, "plot.page-forward");
  add_key_binding (widget_class, GDK_KEY_Home, GDK_KEY_KP_Home, "plot.first-point");
  add_key_binding (widget_class, GDK_KEY_End, GDK_KEY_KP_End, "plot.last-point");
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, escape_cb, NULL);

  gtk_widget_class_set_css_name (widget_class, "lossplot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
lm_loss_plot_init (LmLossPlot *self)
{
  GtkEventController *controller;

  for (guint i = 0; i < N_PLOTTED; i++)
    {
      self->series[i].x = g_array_new (FALSE, FALSE, sizeof (double));
      self->series[i].y = g_array_new (FALSE, FALSE, sizeof (double));
      lp_ema_curve_init (&self->series[i].smooth, 0);
    }
  self->cursor_step = -1;

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "motion", G_CALLBACK (motion_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_focus_new ();
  g_signal_connect_swapped (controller, "enter", G_CALLBACK (focus_changed_cb), self);
  g_signal_connect_swapped (controller, "leave", G_CALLBACK (focus_changed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Loss curve"),
                                  -1);
  update_accessible (self);
}

/* Public API */

GtkWidget *
lm_loss_plot_new (void)
{
  return g_object_new (LM_TYPE_LOSS_PLOT, NULL);
}

/**
 * lm_loss_plot_clear:
 * @self: a #LmLossPlot
 *
 * Forgets every point, the zoom and the cursor, for another job.
 */
void
lm_loss_plot_clear (LmLossPlot *self)
{
  g_return_if_fail (LM_IS_LOSS_PLOT (self));

  for (guint i = 0; i < N_PLOTTED; i++)
    series_clear (&self->series[i]);

  g_object_freeze_notify (G_OBJECT (self));
  lm_loss_plot_set_span (self, 0);
  set_cursor (self, -1);
  g_object_thaw_notify (G_OBJECT (self));

  lines_changed (self);
  update_accessible (self);
}

/**
 * lm_loss_plot_append:
 * @self: a #LmLossPlot
 * @series: %LP_SERIES_TRAIN_LOSS or %LP_SERIES_VAL_LOSS
 * @steps: (array length=n_points): the points' steps
 * @values: (array length=n_points): the points' losses
 * @n_points: how many points
 *
 * Adds the points whose step is above the series' last one and drops the
 * rest, so a poll that overlaps what is already drawn changes nothing.
 *
 * Returns: how many points were added
 */
guint
lm_loss_plot_append (LmLossPlot   *self,
                     LpSeries      series,
                     const gint64 *steps,
                     const double *values,
                     guint         n_points)
{
  Series *s;
  guint old_len;
  guint len;
  double last;

  g_return_val_if_fail (LM_IS_LOSS_PLOT (self), 0);
  g_return_val_if_fail (series == LP_SERIES_TRAIN_LOSS || series == LP_SERIES_VAL_LOSS, 0);
  g_return_val_if_fail (n_points == 0 || (steps != NULL && values != NULL), 0);

  s = &self->series[series];
  old_len = len = s->x->len;
  last = len > 0 ? series_x (s, len - 1) : -INFINITY;

  /* Sized once up front: a whole history can be a million points. */
  g_array_set_size (s->x, old_len + n_points);
  g_array_set_size (s->y, old_len + n_points);

  for (guint i = 0; i < n_points; i++)
    {
      double x = (double) steps[i];

      if (!(x > last))
        continue;

      g_array_index (s->x, double, len) = x;
      g_array_index (s->y, double, len) = values[i];
      last = x;
      len++;
    }

  g_array_set_size (s->x, len);
  g_array_set_size (s->y, len);

  if (len == old_len)
    return 0;

  lines_changed (self);
  update_accessible (self);

  return len - old_len;
}

guint
lm_loss_plot_get_n_points (LmLossPlot *self,
                           LpSeries    series)
{
  g_return_val_if_fail (LM_IS_LOSS_PLOT (self), 0);

  if (series != LP_SERIES_TRAIN_LOSS && series != LP_SERIES_VAL_LOSS)
    return 0;

  return self->series[series].x->len;
}

/**
 * lm_loss_plot_get_series_last_step:
 * @self: a #LmLossPlot
 * @series: %LP_SERIES_TRAIN_LOSS or %LP_SERIES_VAL_LOSS
 *
 * Returns: the highest step of @series, or -1 without points
 */
gint64
lm_loss_plot_get_series_last_step (LmLossPlot *self,
                                   LpSeries    series)
{
  const Series *s;

  g_return_val_if_fail (LM_IS_LOSS_PLOT (self), -1);

  if (series != LP_SERIES_TRAIN_LOSS && series != LP_SERIES_VAL_LOSS)
    return -1;

  s = &self->series[series];
  return s->x->len > 0 ? step_of (series_x (s, s->x->len - 1)) : -1;
}

/**
 * lm_loss_plot_get_last_step:
 * @self: a #LmLossPlot
 *
 * Returns: the highest step of either series, or -1 without points
 */
gint64
lm_loss_plot_get_last_step (LmLossPlot *self)
{
  gint64 last = -1;

  g_return_val_if_fail (LM_IS_LOSS_PLOT (self), -1);

  for (guint i = 0; i < N_PLOTTED; i++)
    {
      const Series *s = &self->series[i];

      if (s->x->len > 0)
        last = MAX (last, step_of (series_x (s, s->x->len - 1)));
    }

  return last;
}

gint64
lm_loss_plot_get_span (LmLossPlot *self)
{
  g_return_val_if_fail (LM_IS_LOSS_PLOT (self), 0);

  return self->span;
}

/**
 * lm_loss_plot_set_span:
 * @self: a #LmLossPlot
 * @span: how many of the most recent steps to show, or 0 for all
 *
 * Zooms. A cursor that falls out of the new view moves to the nearest
 * visible point.
 */
void
lm_loss_plot_set_span (LmLossPlot *self,
                       gint64      span)
{
  double x_min, x_max;

  g_return_if_fail (LM_IS_LOSS_PLOT (self));

  span = MAX (span, 0);
  if (self->span == span)
    return;

  self->span = span;

  lm_loss_plot_get_visible_range (self, &x_min, &x_max);
  if (self->cursor_step >= 0 &&
      ((double) self->cursor_step < x_min || (double) self->cursor_step > x_max))
    move_cursor (self, MOVE_BY, 0);

  lines_changed (self);
  update_accessible (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPAN]);
}

/**
 * lm_loss_plot_get_visible_range:
 * @self: a #LmLossPlot
 * @step_min: (out) (optional): the step at the left edge
 * @step_max: (out) (optional): the step at the right edge
 *
 * The whole history runs from step 0 to the last step; a span shows that
 * many steps up to the last. The range is at least 10 steps wide, also
 * with no points at all.
 */
void
lm_loss_plot_get_visible_range (LmLossPlot *self,
                                double     *step_min,
                                double     *step_max)
{
  double first;
  double last;
  double lo;
  double hi;

  g_return_if_fail (LM_IS_LOSS_PLOT (self));

  first = first_step (self);
  last = MAX ((double) lm_loss_plot_get_last_step (self), 0);
  lo = self->span > 0 ? MAX (first, last - (double) self->span) : first;
  hi = MAX (last, lo + MIN_SPAN);
  /* Near 2^63 adding 10 changes nothing; the view still needs a width. */
  if (!(hi > lo))
    hi = nextafter (lo, INFINITY);

  if (step_min != NULL)
    *step_min = lo;
  if (step_max != NULL)
    *step_max = hi;
}

double
lm_loss_plot_get_smoothing (LmLossPlot *self)
{
  g_return_val_if_fail (LM_IS_LOSS_PLOT (self), 0);
  return self->smoothing;
}

/**
 * lm_loss_plot_set_smoothing:
 * @self: a #LmLossPlot
 * @weight: 0 for the raw curves, up to 0.99
 */
void
lm_loss_plot_set_smoothing (LmLossPlot *self,
                            double      weight)
{
  g_return_if_fail (LM_IS_LOSS_PLOT (self));

  weight = isfinite (weight) ? CLAMP (weight, 0, LP_SMOOTH_WEIGHT_MAX) : 0;
  if (self->smoothing == weight)
    return;

  self->smoothing = weight;
  for (guint i = 0; i < N_PLOTTED; i++)
    lp_ema_curve_set_weight (&self->series[i].smooth, weight);

  lines_changed (self);
  update_accessible (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SMOOTHING]);
}

gboolean
lm_loss_plot_get_log_scale (LmLossPlot *self)
{
  g_return_val_if_fail (LM_IS_LOSS_PLOT (self), FALSE);
  return self->log_scale;
}

void
lm_loss_plot_set_log_scale (LmLossPlot *self,
                            gboolean    log_scale)
{
  g_return_if_fail (LM_IS_LOSS_PLOT (self));

  log_scale = !!log_scale;
  if (self->log_scale == log_scale)
    return;

  self->log_scale = log_scale;
  lines_changed (self);
  update_accessible (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG_SCALE]);
}

/**
 * lm_loss_plot_get_value_range:
 * @self: a #LmLossPlot
 * @value_min: (out) (optional): the loss at the bottom of the scale
 * @value_max: (out) (optional): the loss at the top of the scale
 *
 * The scale of the last frame: the full view's 0 to 2.0 (or more), or the
 * values a zoomed view fits.
 *
 * Returns: %FALSE before the first frame
 */
gboolean
lm_loss_plot_get_value_range (LmLossPlot *self,
                              double     *value_min,
                              double     *value_max)
{
  g_return_val_if_fail (LM_IS_LOSS_PLOT (self), FALSE);

  if (value_min != NULL)
    *value_min = self->y_min;
  if (value_max != NULL)
    *value_max = self->y_max;
  return self->have_geometry;
}

gint64
lm_loss_plot_get_cursor_step (LmLossPlot *self)
{
  g_return_val_if_fail (LM_IS_LOSS_PLOT (self), -1);

  return self->cursor_step;
}

/**
 * lm_loss_plot_set_cursor_step:
 * @self: a #LmLossPlot
 * @step: a step, or -1 to remove the cursor
 *
 * Puts the cursor on the point nearest @step.
 */
void
lm_loss_plot_set_cursor_step (LmLossPlot *self,
                              gint64      step)
{
  const Series *p;

  g_return_if_fail (LM_IS_LOSS_PLOT (self));

  p = primary_series (self);
  if (step < 0 || p->x->len == 0)
    set_cursor (self, -1);
  else
    set_cursor (self, step_of (series_x (p, series_nearest (p, (double) step))));
}

/**
 * lm_loss_plot_get_point_text:
 * @self: a #LmLossPlot
 *
 * The cursor's point, or the newest one without a cursor, as "Step 850:
 * Training Loss 0.342, Validation Loss 0.358". Between validation runs the
 * latest earlier one is given with its step ("Validation Loss 0.358 (step
 * 800)"); before the first, "no validation loss yet".
 *
 * Returns: (transfer full) (nullable): the text, or %NULL without points
 */
char *
lm_loss_plot_get_point_text (LmLossPlot *self)
{
  const Series *p;

  g_return_val_if_fail (LM_IS_LOSS_PLOT (self), NULL);

  p = primary_series (self);
  if (p->x->len == 0)
    return NULL;

  if (self->cursor_step >= 0)
    return point_text_for_step (self, self->cursor_step);

  return point_text_for_step (self, step_of (series_x (p, p->x->len - 1)));
}

/**
 * lm_loss_plot_describe:
 * @self: a #LmLossPlot
 *
 * The plot in words, which is also its accessible description: "Training
 * loss from 1.74 at step 10 to 0.34 at step 850, falling; validation loss
 * 0.36 at step 800. Showing steps 0 to 850." and, with a cursor,
 * "Selected: …" with its point text. It costs a few lookups, not a walk
 * over the data, so it is rebuilt on every change.
 *
 * Returns: (transfer full): the description
 */
char *
lm_loss_plot_describe (LmLossPlot *self)
{
  const Series *train;
  const Series *val;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *train_part = NULL;
  g_autofree char *val_part = NULL;
  g_autofree char *lo_text = NULL;
  g_autofree char *hi_text = NULL;
  double lo, hi;
  guint first, last;

  g_return_val_if_fail (LM_IS_LOSS_PLOT (self), NULL);

  if (is_empty (self))
    return g_strdup (_("No metrics yet."));

  train = &self->series[LP_SERIES_TRAIN_LOSS];
  val = &self->series[LP_SERIES_VAL_LOSS];

  if (train->x->len > 0)
    {
      if (!series_finite_ends (train, &first, &last))
        {
          first = 0;
          last = train->x->len - 1;
        }

      {
        g_autofree char *first_value = lp_axis_format_loss (series_y (train, first), 2);
        g_autofree char *first_step_text = lp_format_count (step_of (series_x (train, first)));
        g_autofree char *last_value = lp_axis_format_loss (series_y (train, last), 2);
        g_autofree char *last_step_text = lp_format_count (step_of (series_x (train, last)));

        if (first == last)
          /* Translators: the chart in words, e.g. "Training loss 1.74 at step 10". */
          train_part = g_strdup_printf (_("Training loss %s at step %s"), last_value, last_step_text);
        else
          /* Translators: the chart in words, e.g. "Training loss from 1.74 at step 10
           * to 0.34 at step 850, falling".
           */
          train_part = g_strdup_printf (_("Training loss from %s at step %s to %s at step %s, %s"),
                                        first_value, first_step_text, last_value, last_step_text,
                                        trend_word (series_y (train, first), series_y (train, last)));
      }
    }

  if (val->x->len > 0)
    {
      guint i = val->x->len - 1;
      g_autofree char *value = NULL;
      g_autofree char *step_text = NULL;

      if (series_finite_ends (val, &first, &last))
        i = last;
      value = lp_axis_format_loss (series_y (val, i), 2);
      step_text = lp_format_count (step_of (series_x (val, i)));

      if (train_part != NULL)
        /* Translators: the chart in words, after the training loss, e.g.
         * "validation loss 0.36 at step 800".
         */
        val_part = g_strdup_printf (_("validation loss %s at step %s"), value, step_text);
      else
        /* Translators: the chart in words, e.g. "Validation loss 0.36 at step 800". */
        val_part = g_strdup_printf (_("Validation loss %s at step %s"), value, step_text);
    }
  else
    val_part = g_strdup (_("no validation loss yet"));

  if (train_part != NULL)
    /* Translators: joins the training and validation parts of the chart's description. */
    g_string_append_printf (text, _("%s; %s."), train_part, val_part);
  else
    g_string_append_printf (text, _("%s."), val_part);

  lm_loss_plot_get_visible_range (self, &lo, &hi);
  lo_text = lp_format_count (step_of (floor (lo)));
  hi_text = lp_format_count (step_of (ceil (hi)));
  g_string_append_c (text, ' ');
  /* Translators: the zoom of the loss chart, e.g. "Showing steps 0 to 850." */
  g_string_append_printf (text, _("Showing steps %s to %s."), lo_text, hi_text);

  if (self->log_scale)
    {
      g_string_append_c (text, ' ');
      /* Translators: the loss chart's scale */
      g_string_append (text, _("Logarithmic scale."));
    }

  if (self->smoothing > 0)
    {
      g_autofree char *weight = g_strdup_printf ("%.2f", self->smoothing);

      g_string_append_c (text, ' ');
      /* Translators: the chart's smoothing, e.g. "Smoothed, weight 0.60." */
      g_string_append_printf (text, _("Smoothed, weight %s."), weight);
    }

  if (self->cursor_step >= 0)
    {
      g_autofree char *point = point_text_for_step (self, self->cursor_step);

      g_string_append_c (text, ' ');
      /* Translators: the point under the chart's cursor, e.g.
       * "Selected: Step 850: Training Loss 0.342, Validation Loss 0.358."
       */
      g_string_append_printf (text, _("Selected: %s."), point);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/**
 * lm_loss_plot_get_series_color:
 * @widget: the widget that draws, for its light or dark style
 * @series: %LP_SERIES_TRAIN_LOSS or %LP_SERIES_VAL_LOSS
 * @color: (out): the series colour
 *
 * GNOME palette blue and orange, the lighter shades on a dark style. They
 * are never the only difference: training loss is solid, validation loss
 * dashed, and the legend names both.
 */
void
lm_loss_plot_get_series_color (GtkWidget *widget,
                               LpSeries   series,
                               GdkRGBA   *color)
{
  GdkRGBA fg = foreground_color (widget);
  /* Light text means a dark background. */
  gboolean dark = 0.299 * fg.red + 0.587 * fg.green + 0.114 * fg.blue > 0.5;
  const char *spec;

  if (series == LP_SERIES_VAL_LOSS)
    spec = dark ? "#ffa348" : "#e66100";
  else
    spec = dark ? "#62a0ea" : "#3584e4";

  gdk_rgba_parse (color, spec);
}
