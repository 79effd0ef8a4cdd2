/* lp-format.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "lp-format.h"

#define SECONDS_PER_MINUTE 60
#define SECONDS_PER_HOUR   3600
#define SECONDS_PER_DAY    86400

/* Past this, "45 days ago" is less useful than the date itself. */
#define RELATIVE_MAX_DAYS 30

/* Counts handed to printf-style plural strings are ints so translations can
 * use a plain %d; durations that large are nonsense anyway.
 */
static int
clamp_to_int (gint64 value)
{
  return (int) CLAMP (value, (gint64) G_MININT, (gint64) G_MAXINT);
}

/* Digits of a magnitude, grouped by thousands. Done by hand rather than with
 * printf's ' flag so the output does not depend on the C locale in effect,
 * only on the translation.
 */
static char *
group_digits (guint64 magnitude)
{
  /* Translators: the thousands separator in numbers such as "1,234,567". */
  const char *separator = C_("number", ",");
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, magnitude);
  GString *out = g_string_new (NULL);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append (out, separator);
      g_string_append_c (out, digits[i]);
    }

  return g_string_free (out, FALSE);
}

static guint64
magnitude_of (gint64 n)
{
  /* Negating G_MININT64 overflows; going through unsigned does not. */
  return n < 0 ? (guint64) 0 - (guint64) n : (guint64) n;
}

/* Rounds a non-negative amount to a whole number of units, treating values
 * that do not fit (or are not numbers) as zero rather than as garbage.
 */
static guint64
round_units (double value)
{
  double rounded;

  if (!isfinite (value) || value <= 0.0)
    return 0;

  rounded = round (value);
  if (rounded >= 18446744073709551615.0)
    return G_MAXUINT64;

  return (guint64) rounded;
}

static char *
format_dollars (gboolean    negative,
                const char *amount)
{
  if (negative)
    /* Translators: a negative amount of money; %s is the number, e.g. "3.10". */
    return g_strdup_printf (_("-$%s"), amount);
  else
    /* Translators: an amount of money; %s is the number, e.g. "1,234.50". */
    return g_strdup_printf (_("$%s"), amount);
}

char *
lp_format_duration (gint64 seconds)
{
  gint64 s = MAX (seconds, 0);

  if (s >= SECONDS_PER_HOUR)
    /* Translators: a short duration, e.g. "6h 23m". Hours may exceed 24. */
    return g_strdup_printf (_("%dh %dm"),
                            clamp_to_int (s / SECONDS_PER_HOUR),
                            (int) (s % SECONDS_PER_HOUR / SECONDS_PER_MINUTE));

  if (s >= SECONDS_PER_MINUTE)
    /* Translators: a short duration, e.g. "3m 42s". */
    return g_strdup_printf (_("%dm %ds"),
                            (int) (s / SECONDS_PER_MINUTE),
                            (int) (s % SECONDS_PER_MINUTE));

  /* Translators: a short duration, e.g. "42s". */
  return g_strdup_printf (_("%ds"), (int) s);
}

char *
lp_format_duration_long (gint64 seconds)
{
  gint64 s = MAX (seconds, 0);
  g_autofree char *major = NULL;
  g_autofree char *minor = NULL;
  int major_n;
  int minor_n;

  if (s >= SECONDS_PER_HOUR)
    {
      major_n = clamp_to_int (s / SECONDS_PER_HOUR);
      minor_n = (int) (s % SECONDS_PER_HOUR / SECONDS_PER_MINUTE);
      major = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%d hour", "%d hours", major_n),
                               major_n);
      if (minor_n > 0)
        minor = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "%d minute", "%d minutes", minor_n),
                                 minor_n);
    }
  else if (s >= SECONDS_PER_MINUTE)
    {
      major_n = (int) (s / SECONDS_PER_MINUTE);
      minor_n = (int) (s % SECONDS_PER_MINUTE);
      major = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%d minute", "%d minutes", major_n),
                               major_n);
      if (minor_n > 0)
        minor = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "%d second", "%d seconds", minor_n),
                                 minor_n);
    }
  else
    {
      major_n = (int) s;
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%d second", "%d seconds", major_n),
                              major_n);
    }

  if (minor == NULL)
    return g_steal_pointer (&major);

  /* Translators: joins two parts of a spoken duration, e.g. "6 hours" and
   * "23 minutes" into "6 hours 23 minutes".
   */
  return g_strdup_printf (C_("duration", "%s %s"), major, minor);
}

char *
lp_format_money (double usd)
{
  guint64 cents = round_units (fabs (usd) * 100.0);
  g_autofree char *whole = group_digits (cents / 100);
  g_autofree char *amount = NULL;

  /* Translators: the decimal separator in amounts of money such as "22.18". */
  amount = g_strdup_printf ("%s%s%02u", whole, C_("number", "."),
                            (guint) (cents % 100));

  /* Zero cents is never shown negative, whatever the sign of the input. */
  return format_dollars (usd < 0.0 && cents > 0, amount);
}

char *
lp_format_money_whole (double usd)
{
  guint64 dollars = round_units (fabs (usd));
  g_autofree char *amount = group_digits (dollars);

  return format_dollars (usd < 0.0 && dollars > 0, amount);
}

char *
lp_format_count (gint64 n)
{
  g_autofree char *digits = group_digits (magnitude_of (n));

  if (n < 0)
    /* Translators: a negative count; %s is the number, e.g. "5". */
    return g_strdup_printf (_("-%s"), digits);

  return g_steal_pointer (&digits);
}

char *
lp_format_step_of (gint64 step,
                   gint64 total)
{
  g_autofree char *step_text = lp_format_count (step);
  g_autofree char *total_text = lp_format_count (total);

  /* Translators: training progress, e.g. "Step 850 of 2,000". */
  return g_strdup_printf (_("Step %s of %s"), step_text, total_text);
}

char *
lp_format_epoch_of (gint64 epoch,
                    gint64 total)
{
  g_autofree char *epoch_text = lp_format_count (epoch);
  g_autofree char *total_text = lp_format_count (total);

  /* Translators: training progress, e.g. "Epoch 2 of 3". */
  return g_strdup_printf (_("Epoch %s of %s"), epoch_text, total_text);
}

char *
lp_format_percent (double percent)
{
  double floored = isfinite (percent) ? floor (percent) : 0.0;

  /* Progress is floored so that "100%" only ever means finished. */
  floored = CLAMP (floored, (double) G_MININT, (double) G_MAXINT);

  /* Translators: a percentage, e.g. "42%". */
  return g_strdup_printf (_("%d%%"), (int) floored);
}

char *
lp_format_change_percent (double change_percent)
{
  guint64 tenths;
  g_autofree char *whole = NULL;
  g_autofree char *number = NULL;

  if (!isfinite (change_percent) || fabs (change_percent) < 1.0)
    /* Translators: a change too small to matter, next to a trend arrow. */
    return g_strdup (_("~0%"));

  tenths = round_units (fabs (change_percent) * 10.0);
  whole = group_digits (tenths / 10);
  number = g_strdup_printf ("%s%s%u", whole, C_("number", "."),
                            (guint) (tenths % 10));

  if (change_percent < 0.0)
    /* Translators: a decrease next to a trend arrow, e.g. "-12.1%". */
    return g_strdup_printf (_("-%s%%"), number);
  else
    /* Translators: an increase next to a trend arrow, e.g. "+5.2%". */
    return g_strdup_printf (_("+%s%%"), number);
}

char *
lp_format_datetime_short (GDateTime *dt)
{
  g_return_val_if_fail (dt != NULL, NULL);

  /* Translators: a date and time in the job list, e.g. "Dec 18, 2:30 PM".
   * See g_date_time_format(); "%-l" is the 12-hour hour without padding.
   */
  return g_date_time_format (dt, _("%b %-d, %-l:%M %p"));
}

char *
lp_format_datetime_full (GDateTime *dt)
{
  g_return_val_if_fail (dt != NULL, NULL);

  /* Translators: a full timestamp, e.g. "Dec 18, 2025 2:28:15 PM".
   * See g_date_time_format().
   */
  return g_date_time_format (dt, _("%b %-d, %Y %-l:%M:%S %p"));
}

char *
lp_format_time_of_day (GDateTime *dt)
{
  g_return_val_if_fail (dt != NULL, NULL);

  /* Translators: an event log timestamp, e.g. "14:28:15".
   * See g_date_time_format().
   */
  return g_date_time_format (dt, _("%H:%M:%S"));
}

char *
lp_format_relative (GDateTime *dt,
                    GDateTime *now)
{
  gint64 diff;
  gint64 span;
  gboolean future;
  int n;

  g_return_val_if_fail (dt != NULL, NULL);
  g_return_val_if_fail (now != NULL, NULL);

  diff = g_date_time_difference (now, dt) / G_TIME_SPAN_SECOND;
  future = diff < 0;
  span = future ? -diff : diff;

  if (span < SECONDS_PER_MINUTE)
    return g_strdup (_("just now"));

  if (span < SECONDS_PER_HOUR)
    {
      n = (int) (span / SECONDS_PER_MINUTE);
      return g_strdup_printf (future
                              ? g_dngettext (GETTEXT_PACKAGE, "in %d minute",
                                             "in %d minutes", n)
                              : g_dngettext (GETTEXT_PACKAGE, "%d minute ago",
                                             "%d minutes ago", n),
                              n);
    }

  if (span < SECONDS_PER_DAY)
    {
      n = (int) (span / SECONDS_PER_HOUR);
      return g_strdup_printf (future
                              ? g_dngettext (GETTEXT_PACKAGE, "in %d hour",
                                             "in %d hours", n)
                              : g_dngettext (GETTEXT_PACKAGE, "%d hour ago",
                                             "%d hours ago", n),
                              n);
    }

  if (span <= (gint64) RELATIVE_MAX_DAYS * SECONDS_PER_DAY)
    {
      n = (int) (span / SECONDS_PER_DAY);
      return g_strdup_printf (future
                              ? g_dngettext (GETTEXT_PACKAGE, "in %d day",
                                             "in %d days", n)
                              : g_dngettext (GETTEXT_PACKAGE, "%d day ago",
                                             "%d days ago", n),
                              n);
    }

  return lp_format_datetime_short (dt);
}

static gboolean
same_day (GDateTime *a,
          GDateTime *b)
{
  return g_date_time_get_year (a) == g_date_time_get_year (b)
         && g_date_time_get_day_of_year (a) == g_date_time_get_day_of_year (b);
}

char *
lp_format_start_time (GDateTime *dt,
                      GDateTime *now)
{
  g_autoptr(GDateTime) today = NULL;
  g_autoptr(GDateTime) tomorrow = NULL;

  g_return_val_if_fail (dt != NULL, NULL);
  g_return_val_if_fail (now != NULL, NULL);

  /* "Today" is judged on the calendar the time is shown in, which is dt's. */
  today = g_date_time_to_timezone (now, g_date_time_get_timezone (dt));
  tomorrow = g_date_time_add_days (today, 1);

  if (same_day (dt, today))
    /* Translators: an estimated start, e.g. "Today at 6:45 PM".
     * See g_date_time_format().
     */
    return g_date_time_format (dt, _("Today at %-l:%M %p"));

  if (same_day (dt, tomorrow))
    /* Translators: an estimated start, e.g. "Tomorrow at 9:30 AM".
     * See g_date_time_format().
     */
    return g_date_time_format (dt, _("Tomorrow at %-l:%M %p"));

  /* Translators: an estimated start, e.g. "Wed, Dec 18 at 2:15 PM".
   * See g_date_time_format().
   */
  return g_date_time_format (dt, _("%a, %b %-d at %-l:%M %p"));
}

char *
lp_format_countdown (gint64 seconds)
{
  g_autofree char *duration = lp_format_duration (seconds);

  /* Translators: time until a queued job starts, e.g. "(in 3h 20m)". */
  return g_strdup_printf (_("(in %s)"), duration);
}

char *
lp_format_estimate_hours (gint64 min_s,
                          gint64 max_s)
{
  gint64 lo = MAX (min_s, 0);
  gint64 hi = MAX (max_s, 0);
  gint64 lo_h;
  gint64 hi_h;

  if (hi <= lo)
    hi = lo;

  if (hi == 0)
    return g_strdup ("");

  if (hi < SECONDS_PER_HOUR)
    {
      int minutes = (int) MAX (1, (hi + SECONDS_PER_MINUTE / 2) / SECONDS_PER_MINUTE);

      /* Translators: an estimated duration under an hour, e.g. "Est. 45m". */
      return g_strdup_printf (_("Est. %dm"), minutes);
    }

  if (hi == lo)
    {
      /* A single estimate is rounded; only a range is widened outwards. */
      lo_h = hi_h = (hi + SECONDS_PER_HOUR / 2) / SECONDS_PER_HOUR;
    }
  else
    {
      lo_h = lo / SECONDS_PER_HOUR;
      hi_h = (hi + SECONDS_PER_HOUR - 1) / SECONDS_PER_HOUR;
    }

  if (lo_h == hi_h)
    /* Translators: an estimated duration, e.g. "Est. 13h". */
    return g_strdup_printf (_("Est. %dh"), clamp_to_int (hi_h));

  /* Translators: an estimated duration range in hours, e.g. "Est. 12-15h". */
  return g_strdup_printf (_("Est. %d-%dh"), clamp_to_int (lo_h), clamp_to_int (hi_h));
}

char *
lp_format_stopped_at (gint64 seconds)
{
  g_autofree char *duration = lp_format_duration (seconds);

  /* Translators: elapsed time of a failed or cancelled job, e.g.
   * "Stopped at 6h 23m".
   */
  return g_strdup_printf (_("Stopped at %s"), duration);
}

char *
lp_format_estimate_range (double estimate_min,
                          double estimate_max)
{
  guint64 lo;
  guint64 hi;
  g_autofree char *lo_text = NULL;
  g_autofree char *hi_text = NULL;

  if (!(estimate_min > 0.0) || !(estimate_max > 0.0))
    return g_strdup ("");

  /* Whole dollars, as the brief writes estimates, unless that would hide a
   * small one altogether ("$0-0" for 5 to 6 cents). */
  if (MAX (estimate_min, estimate_max) < 10.0 &&
      (fabs (estimate_min - round (estimate_min)) >= 0.005 ||
       fabs (estimate_max - round (estimate_max)) >= 0.005))
    {
      guint64 lo_c = round_units (MIN (estimate_min, estimate_max) * 100.0);
      guint64 hi_c = round_units (MAX (estimate_min, estimate_max) * 100.0);

      hi_text = g_strdup_printf ("%u%s%02u", (guint) (hi_c / 100), C_("number", "."), (guint) (hi_c % 100));
      if (lo_c == hi_c)
        return format_dollars (FALSE, hi_text);
      lo_text = g_strdup_printf ("%u%s%02u", (guint) (lo_c / 100), C_("number", "."), (guint) (lo_c % 100));
      return g_strdup_printf (_("$%s-%s"), lo_text, hi_text);
    }

  lo = round_units (MIN (estimate_min, estimate_max));
  hi = round_units (MAX (estimate_min, estimate_max));
  hi_text = group_digits (hi);

  if (lo == hi)
    return format_dollars (FALSE, hi_text);

  lo_text = group_digits (lo);

  /* Translators: an estimated cost range in dollars, e.g. "$45-55". */
  return g_strdup_printf (_("$%s-%s"), lo_text, hi_text);
}

/* The progress card's texts. */

char *
lp_format_remaining (gint64 seconds)
{
  g_autofree char *duration = lp_format_duration (seconds);

  /* Translators: estimated time left, e.g. "~8h 15m remaining" */
  return g_strdup_printf (_("~%s remaining"), duration);
}

char *
lp_format_completed_in (gint64 seconds)
{
  g_autofree char *duration = lp_format_duration (seconds);

  /* Translators: e.g. "Completed in 12h 45m" */
  return g_strdup_printf (_("Completed in %s"), duration);
}

char *
lp_format_failed_at (gint64 step)
{
  g_autofree char *count = lp_format_count (step);

  /* Translators: e.g. "Failed at Step 1,250" */
  return g_strdup_printf (_("Failed at Step %s"), count);
}

char *
lp_format_cancelled_at (double percent)
{
  g_autofree char *pct = lp_format_percent (percent);

  /* Translators: e.g. "Cancelled at 42%" */
  return g_strdup_printf (_("Cancelled at %s"), pct);
}

char *
lp_format_hourly_rate (double      usd,
                       const char *pricing)
{
  g_autofree char *money = lp_format_money (usd);

  if (g_strcmp0 (pricing, "spot") == 0)
    /* Translators: an hourly GPU rate, e.g. "$2.49/hr (spot)" */
    return g_strdup_printf (_("%s/hr (spot)"), money);
  if (g_strcmp0 (pricing, "on_demand") == 0)
    /* Translators: an hourly GPU rate, e.g. "$7.99/hr (on-demand)" */
    return g_strdup_printf (_("%s/hr (on-demand)"), money);

  /* Translators: an hourly GPU rate, e.g. "$2.49/hr" */
  return g_strdup_printf (_("%s/hr"), money);
}

char *
lp_format_updated_ago (gint64 seconds)
{
  g_autofree char *duration = NULL;

  if (seconds < 5)
    return g_strdup (_("Last updated: just now"));

  duration = lp_format_duration (seconds);
  /* Translators: e.g. "Last updated: 30s ago" */
  return g_strdup_printf (_("Last updated: %s ago"), duration);
}

/* The decimal point of a C-locale number, as the translation writes it. */
static char *
localize_point (const char *number)
{
  g_auto(GStrv) parts = g_strsplit (number, ".", 2);

  return g_strjoinv (C_("number", "."), parts);
}

/* Losses and learning rates span many magnitudes: 0.342 and 0.000182 both
 * keep three significant digits, without an exponent a person must decode. */
char *
lp_format_metric (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *format = NULL;
  double magnitude = fabs (value);
  int decimals;

  if (isnan (value))
    return g_strdup ("—");
  if (!isfinite (value))
    return g_strdup (value > 0 ? "∞" : "-∞");
  if (magnitude == 0)
    return g_strdup ("0");

  /* Below 0.0001 the zeros hide the digits; 8.65e-06 reads better. So
   * does 1e+308 than 309 digits, which also would not fit the buffer. */
  if (magnitude < 1e-4 || magnitude >= 1e6)
    {
      g_ascii_formatd (buf, sizeof buf, "%.3g", value);
      return localize_point (buf);
    }

  decimals = magnitude >= 100 ? 0 : (int) CLAMP (2 - floor (log10 (magnitude)), 0, 12);
  format = g_strdup_printf ("%%.%df", decimals);
  g_ascii_formatd (buf, sizeof buf, format, value);

  return localize_point (buf);
}
