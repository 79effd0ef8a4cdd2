/* lp-axis.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lp-axis.h"
#include "lp-format.h"

/* Decimal steps such as 0.2 are not exact in binary, so every comparison
 * against a step boundary allows this much relative slack; without it 0.2
 * would count as "more than 2 × 0.1" and jump to 0.5.
 */
#define EPSILON 1e-9

/* Past this many decimals a double has nothing left to say. */
#define MAX_DECIMALS 12

/**
 * lp_axis_nice_step:
 * @span: the length of the range to cover
 * @max_ticks: the most intervals the range may be cut into
 *
 * Returns: the smallest step of 1, 2 or 5 × 10^k that cuts @span into at
 *   most @max_ticks intervals; 1 for an empty or invalid span.
 */
double
lp_axis_nice_step (double span,
                   guint  max_ticks)
{
  double raw;
  double base;
  double fraction;
  double nice;

  if (!isfinite (span) || span <= 0.0)
    return 1.0;

  raw = span / MAX (max_ticks, 1u);
  base = pow (10.0, floor (log10 (raw)));
  fraction = raw / base;

  if (fraction <= 1.0 + EPSILON)
    nice = 1.0;
  else if (fraction <= 2.0 + EPSILON)
    nice = 2.0;
  else if (fraction <= 5.0 + EPSILON)
    nice = 5.0;
  else
    nice = 10.0;

  return nice * base;
}

/**
 * lp_axis_ticks:
 * @min: the low end of the range
 * @max: the high end of the range
 * @max_ticks: the most intervals between ticks; at least 1
 * @out: (out caller-allocates) (array): room for @max_ticks + 1 values
 * @n_out: (out): how many ticks were written
 * @step: (out) (optional): the distance between ticks
 *
 * Writes the multiples of a nice step that lie in [@min, @max], in
 * ascending order. Ends that miss a multiple by rounding noise count as on
 * it, so [0, 2] with a step of 0.5 has both 0 and 2.
 *
 * Returns: %FALSE, with no ticks, when the range is not finite or @max is
 *   below @min
 */
gboolean
lp_axis_ticks (double  min,
               double  max,
               guint   max_ticks,
               double *out,
               guint  *n_out,
               double *step)
{
  double s;
  double first;
  double last;
  guint capacity = MAX (max_ticks, 1u) + 1;
  guint n = 0;

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (n_out != NULL, FALSE);

  *n_out = 0;
  if (step != NULL)
    *step = 1.0;

  if (!isfinite (min) || !isfinite (max) || max < min)
    return FALSE;

  if (max == min)
    {
      out[0] = min;
      *n_out = 1;
      return TRUE;
    }

  s = lp_axis_nice_step (max - min, max_ticks);
  first = ceil (min / s - EPSILON);
  last = floor (max / s + EPSILON);

  /* Multiplying the index, rather than adding the step up, keeps 0.1 × 3
   * from drifting; the sign fix turns -0 into 0.
   */
  for (double k = first; k <= last && n < capacity; k++)
    {
      double value = k * s;

      out[n++] = value == 0.0 ? 0.0 : value;
    }

  *n_out = n;
  if (step != NULL)
    *step = s;

  return TRUE;
}

/* A zoomed view keeps this fraction of its span free above and below the
 * data, so the highest and lowest points do not sit on the frame.
 */
#define FIT_MARGIN 0.05

/**
 * lp_axis_value_range:
 * @data_min: the lowest finite value in view, or +inf when there is none
 * @data_max: the highest finite value in view, or -inf when there is none
 * @fit: %TRUE to fit the values (a zoomed view), %FALSE for the full view
 * @full_top: the top of the full view while the values stay below it
 * @min: (out): the bottom of the scale, before rounding to ticks
 * @max: (out): the top of the scale, before rounding to ticks
 *
 * The full view of a loss chart runs from 0 to @full_top (the brief's
 * 0-2.0), or higher when the data goes higher, so runs compare by eye.
 * A zoomed view is for reading a detail: it fits the values in view, as a
 * curve that moves between 0.41 and 0.43 would otherwise be a flat line in
 * the bottom quarter. Values that are never negative do not get a scale
 * that is.
 */
void
lp_axis_value_range (double    data_min,
                     double    data_max,
                     gboolean  fit,
                     double    full_top,
                     double   *min,
                     double   *max)
{
  double margin;

  g_return_if_fail (min != NULL);
  g_return_if_fail (max != NULL);

  if (!isfinite (data_min) || !isfinite (data_max) || data_max < data_min)
    {
      *min = 0.0;
      *max = full_top;
      return;
    }

  if (!fit)
    {
      *min = MIN (0.0, data_min);
      *max = MAX (full_top, data_max);
      return;
    }

  margin = (data_max - data_min) * FIT_MARGIN;
  /* One value alone, or a flat line: a scale around it, not a point. */
  if (!(margin > 0.0))
    margin = MAX (fabs (data_max) * FIT_MARGIN, 1e-6);
  if (!isfinite (margin))
    margin = 0.0;

  *min = data_min - margin;
  *max = data_max + margin;
  if (data_min >= 0.0 && *min < 0.0)
    *min = 0.0;
}

/* The decades a log scale may span: a loss from 1e-12 to 1e12. */
#define LOG_MIN_EXPONENT -12
#define LOG_MAX_EXPONENT 12

/**
 * lp_axis_log_range:
 * @data_min: the lowest positive finite value in view, or +inf for none
 * @data_max: the highest finite value in view, or -inf for none
 * @min: (out): the bottom of a log scale, a power of ten
 * @max: (out): its top, a power of ten above @min
 *
 * Whole decades, so the scale starts and ends on a labelled power of ten
 * and curves of different runs land on the same grid.
 */
void
lp_axis_log_range (double  data_min,
                   double  data_max,
                   double *min,
                   double *max)
{
  double lo, hi;

  g_return_if_fail (min != NULL);
  g_return_if_fail (max != NULL);

  if (!isfinite (data_min) || !isfinite (data_max) || data_min <= 0 || data_max < data_min)
    {
      *min = 0.01;
      *max = 10.0;
      return;
    }

  lo = floor (log10 (data_min) + EPSILON);
  hi = ceil (log10 (data_max) - EPSILON);
  lo = CLAMP (lo, LOG_MIN_EXPONENT, LOG_MAX_EXPONENT - 1);
  hi = CLAMP (hi, lo + 1, LOG_MAX_EXPONENT);

  *min = pow (10, lo);
  *max = pow (10, hi);
}

/**
 * lp_axis_log_ticks:
 * @min: the bottom of a log scale, from lp_axis_log_range()
 * @max: its top
 * @max_ticks: the most ticks that fit
 * @out: (out) (array length=capacity): the ticks, in increasing order
 * @capacity: the size of @out
 *
 * The powers of ten between @min and @max; with room to spare, 2 and 5
 * times each as well, as on log paper. With more decades than room, every
 * other decade (or fewer).
 *
 * Returns: the number of ticks written
 */
guint
lp_axis_log_ticks (double  min,
                   double  max,
                   guint   max_ticks,
                   double *out,
                   guint   capacity)
{
  static const double mantissas[] = { 1, 2, 5 };
  double lo, hi, stride;
  guint decades, n = 0;
  gboolean minor;

  g_return_val_if_fail (out != NULL || capacity == 0, 0);

  if (!(min > 0) || !(max > min) || !isfinite (max) || max_ticks == 0)
    return 0;

  lo = round (log10 (min));
  hi = round (log10 (max));
  decades = (guint) MAX (1, hi - lo);
  minor = decades * G_N_ELEMENTS (mantissas) + 1 <= max_ticks;
  stride = minor ? 1 : ceil ((decades + 1) / (double) max_ticks);

  for (double e = lo; e <= hi && n < capacity; e += stride)
    for (guint m = 0; m < (minor ? G_N_ELEMENTS (mantissas) : 1) && n < capacity; m++)
      {
        double value = mantissas[m] * pow (10, e);

        if (value > max * (1 + EPSILON))
          break;
        out[n++] = value;
      }

  return n;
}

/**
 * lp_axis_nice_range:
 * @min: the lowest value to show
 * @max: the highest value to show
 * @max_ticks: the most intervals between ticks
 * @nice_min: (out): @min rounded down to a tick
 * @nice_max: (out): @max rounded up to a tick
 *
 * Widens [@min, @max] to the nearest ticks so an axis starts and ends on a
 * labelled value. An empty range becomes one step wide.
 */
void
lp_axis_nice_range (double  min,
                    double  max,
                    guint   max_ticks,
                    double *nice_min,
                    double *nice_max)
{
  double lo = min;
  double hi = max;

  g_return_if_fail (nice_min != NULL);
  g_return_if_fail (nice_max != NULL);

  if (!isfinite (lo) || !isfinite (hi))
    {
      *nice_min = 0.0;
      *nice_max = 1.0;
      return;
    }

  if (hi < lo)
    {
      double tmp = lo;

      lo = hi;
      hi = tmp;
    }

  /* Widening can make the span need a coarser step, which can widen it
   * again; two rounds settle every case, the third is for safety.
   */
  for (guint round = 0; round < 3; round++)
    {
      double s = lp_axis_nice_step (hi - lo, max_ticks);
      double new_lo = floor (lo / s + EPSILON) * s;
      double new_hi = ceil (hi / s - EPSILON) * s;

      if (new_hi <= new_lo)
        new_hi = new_lo + s;

      if (new_lo == lo && new_hi == hi)
        break;

      lo = new_lo;
      hi = new_hi;
    }

  *nice_min = lo == 0.0 ? 0.0 : lo;
  *nice_max = hi;
}

/**
 * lp_axis_decimals:
 * @step: the distance between ticks
 *
 * Returns: how many decimals tell ticks @step apart: 0 for 1 or 5, 1 for
 *   0.5 or 0.2, 2 for 0.05.
 */
guint
lp_axis_decimals (double step)
{
  double digits;

  if (!isfinite (step) || step <= 0.0)
    return 0;

  digits = ceil (-log10 (step) - EPSILON);

  return (guint) CLAMP (digits, 0.0, (double) MAX_DECIMALS);
}

/* A fixed-point number with the translated separators, independent of the
 * C locale, like the rest of lp-format.
 */
static char *
format_fixed (double value,
              guint  decimals)
{
  double scale = pow (10.0, decimals);
  double rounded = round (fabs (value) * scale);
  guint64 units;
  guint64 whole;
  guint64 fraction;
  g_autofree char *whole_text = NULL;
  g_autofree char *number = NULL;

  /* Past 10^15 digits say less than an exponent: a diverged loss of 1e308
   * reads "1e+308", not as the same saturated number for every tick.
   */
  if (fabs (value) >= 1e15)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_auto(GStrv) parts = NULL;

      g_ascii_formatd (buf, sizeof buf, "%.3g", value);
      parts = g_strsplit (buf, ".", 2);
      /* Translators: the decimal separator in numbers such as "0.342". */
      return g_strjoinv (C_("number", "."), parts);
    }

  /* Many decimals of a large value still overflow 2^63 units; axes never
   * show those, so saturating is enough.
   */
  if (rounded >= 9.2e18)
    rounded = 9.2e18;

  units = (guint64) rounded;
  whole = units / (guint64) scale;
  fraction = units % (guint64) scale;
  whole_text = lp_format_count ((gint64) whole);

  if (decimals == 0)
    number = g_steal_pointer (&whole_text);
  else
    /* Translators: the decimal separator in numbers such as "0.342". */
    number = g_strdup_printf ("%s%s%0*" G_GUINT64_FORMAT, whole_text,
                              C_("number", "."), (int) decimals, fraction);

  /* Rounding to zero never shows a sign. */
  if (value < 0.0 && units > 0)
    /* Translators: a negative number; %s is the number, e.g. "0.5". */
    return g_strdup_printf (_("-%s"), number);

  return g_steal_pointer (&number);
}

/**
 * lp_axis_format_value:
 * @value: a tick value
 * @step: the distance between the axis's ticks
 *
 * Returns: @value with as many decimals as @step needs, e.g. "0.5", "1.0",
 *   "1,500"
 */
char *
lp_axis_format_value (double value,
                      double step)
{
  if (!isfinite (value))
    return lp_axis_format_loss (value, 0);

  return format_fixed (value, lp_axis_decimals (step));
}

/**
 * lp_axis_format_step:
 * @value: a training step on the axis
 * @step: the distance between the axis's ticks
 *
 * Short labels for training steps: grouped digits ("2,000") while the
 * ticks are under 10,000 apart, then thousands ("20k", "12.5k") and, from
 * 100,000 apart, millions ("0.2M", "1.0M"), so a label stays about five
 * characters wide whatever the run's length.
 *
 * Returns: the label
 */
char *
lp_axis_format_step (double value,
                     double step)
{
  g_autofree char *number = NULL;

  if (!isfinite (value))
    return lp_axis_format_loss (value, 0);

  if (fabs (value) < 0.5)
    return g_strdup ("0");

  if (step >= 100000.0)
    {
      number = format_fixed (value / 1e6, lp_axis_decimals (step / 1e6));
      /* Translators: millions of training steps on a chart axis, e.g. "1.5M". */
      return g_strdup_printf (_("%sM"), number);
    }

  if (step >= 10000.0)
    {
      number = format_fixed (value / 1e3, lp_axis_decimals (step / 1e3));
      /* Translators: thousands of training steps on a chart axis, e.g. "20k". */
      return g_strdup_printf (_("%sk"), number);
    }

  return format_fixed (value, lp_axis_decimals (step));
}

/**
 * lp_axis_format_loss:
 * @value: a loss
 * @decimals: how many decimals to show
 *
 * Returns: @value with @decimals decimals, e.g. "0.342"; "NaN" or "∞" for a
 *   diverged run, which is exactly what the reader should see.
 */
char *
lp_axis_format_loss (double value,
                     guint  decimals)
{
  if (isnan (value))
    /* Translators: a loss that is not a number, shown on a chart. */
    return g_strdup (C_("loss", "NaN"));

  if (isinf (value))
    return g_strdup (value > 0 ? "∞" : "-∞");

  return format_fixed (value, MIN (decimals, (guint) MAX_DECIMALS));
}
