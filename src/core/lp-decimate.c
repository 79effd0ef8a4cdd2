/* lp-decimate.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both functions pick indices rather than averaging values: a loss spike or
 * a NaN gap is exactly what the user needs to see, and averaging hides it.
 */

#include "config.h"

#include <math.h>

#include "lp-decimate.h"

/* Min and max of y over [start, end), ignoring NaN. Returns FALSE when every
 * value in the range is NaN.
 */
static gboolean
find_extremes (const double *y,
               guint         start,
               guint         end,
               guint        *out_min,
               guint        *out_max)
{
  gboolean found = FALSE;
  guint imin = start;
  guint imax = start;

  for (guint i = start; i < end; i++)
    {
      if (isnan (y[i]))
        continue;

      if (!found)
        {
          imin = imax = i;
          found = TRUE;
          continue;
        }

      if (y[i] < y[imin])
        imin = i;
      if (y[i] > y[imax])
        imax = i;
    }

  *out_min = imin;
  *out_max = imax;

  return found;
}

/* Appends up to n_picks indices in ascending order without duplicates. The
 * picks of one bucket all lie after everything already written, so only
 * duplicates within the bucket need removing.
 */
static guint
emit_sorted (guint *picks,
             guint  n_picks,
             guint *out,
             guint  count)
{
  /* Insertion sort: there are at most four. */
  for (guint i = 1; i < n_picks; i++)
    {
      guint v = picks[i];
      guint j = i;

      for (; j > 0 && picks[j - 1] > v; j--)
        picks[j] = picks[j - 1];
      picks[j] = v;
    }

  for (guint i = 0; i < n_picks; i++)
    if (i == 0 || picks[i] != picks[i - 1])
      out[count++] = picks[i];

  return count;
}

guint
lp_decimate_minmax (const double *y,
                    guint         n,
                    guint         max_points,
                    guint        *out_indices)
{
  guint n_buckets;
  guint count = 0;

  g_return_val_if_fail (n == 0 || y != NULL, 0);
  g_return_val_if_fail (max_points == 0 || out_indices != NULL, 0);

  if (n <= max_points || max_points < 2)
    {
      guint keep = MIN (n, max_points);

      for (guint i = 0; i < keep; i++)
        out_indices[i] = i;

      return keep;
    }

  /* n > max_points >= 2 * n_buckets, so no bucket is empty. */
  n_buckets = max_points / 2;

  for (guint b = 0; b < n_buckets; b++)
    {
      guint start = (guint) ((guint64) b * n / n_buckets);
      guint end = (guint) ((guint64) (b + 1) * n / n_buckets);
      guint picks[2];
      guint imin;
      guint imax;

      if (!find_extremes (y, start, end, &imin, &imax))
        {
          /* Keep the NaN so the plot shows the gap instead of bridging it. */
          out_indices[count++] = start;
          continue;
        }

      picks[0] = imin;
      picks[1] = imax;
      count = emit_sorted (picks, 2, out_indices, count);
    }

  return count;
}

/* First index in [0, n) whose x is not below value (or, with inclusive
 * FALSE, is above it): the usual lower/upper bound on a sorted array.
 */
static guint
bound (const double *x,
       guint         n,
       double        value,
       gboolean      inclusive)
{
  guint lo = 0;
  guint hi = n;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      gboolean before = inclusive ? x[mid] < value : x[mid] <= value;

      if (before)
        lo = mid + 1;
      else
        hi = mid;
    }

  return lo;
}

static guint
flush_column (guint     first,
              guint     min,
              guint     max,
              guint     last,
              gboolean  has_value,
              guint    *out,
              guint     count)
{
  guint picks[4] = { first, last, min, max };

  /* An all-NaN column has no min or max; its first and last still mark
   * where the gap begins and ends.
   */
  return emit_sorted (picks, has_value ? 4 : 2, out, count);
}

guint
lp_decimate_columns (const double *x,
                     const double *y,
                     guint         n,
                     double        x_min,
                     double        x_max,
                     guint         columns,
                     guint        *out_indices)
{
  guint first;
  guint last;
  guint count = 0;
  double width;
  guint column = 0;
  guint col_first = 0;
  guint col_last = 0;
  guint col_min = 0;
  guint col_max = 0;
  gboolean col_has_value = FALSE;
  gboolean col_open = FALSE;

  g_return_val_if_fail (n == 0 || (x != NULL && y != NULL), 0);
  g_return_val_if_fail (out_indices != NULL, 0);

  if (n == 0 || isnan (x_min) || isnan (x_max))
    return 0;

  if (x_max < x_min)
    {
      double tmp = x_min;

      x_min = x_max;
      x_max = tmp;
    }

  columns = MAX (columns, 1);
  width = (x_max - x_min) / columns;

  first = bound (x, n, x_min, TRUE);
  last = bound (x, n, x_max, FALSE);

  /* The neighbours just outside the view let the line run off its edges
   * rather than stop short of them.
   */
  if (first > 0)
    out_indices[count++] = first - 1;

  for (guint i = first; i < last; i++)
    {
      guint c = 0;

      if (width > 0.0)
        {
          double position = (x[i] - x_min) / width;

          c = position >= columns ? columns - 1 : (guint) position;
        }

      if (col_open && c != column)
        {
          count = flush_column (col_first, col_min, col_max, col_last,
                                col_has_value, out_indices, count);
          col_open = FALSE;
        }

      if (!col_open)
        {
          column = c;
          col_first = i;
          col_has_value = FALSE;
          col_open = TRUE;
        }

      col_last = i;

      if (isnan (y[i]))
        continue;

      if (!col_has_value)
        {
          col_min = col_max = i;
          col_has_value = TRUE;
        }
      else
        {
          if (y[i] < y[col_min])
            col_min = i;
          if (y[i] > y[col_max])
            col_max = i;
        }
    }

  if (col_open)
    count = flush_column (col_first, col_min, col_max, col_last,
                          col_has_value, out_indices, count);

  if (last < n)
    out_indices[count++] = last;

  return count;
}
