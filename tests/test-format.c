/* test-format.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Expects the untranslated English texts: run with LC_ALL=C.UTF-8, TZ=UTC.
 */

#include "config.h"

#include <glib.h>
#include <math.h>

#include "lp-format.h"

#define assert_format(call, expected)              \
  G_STMT_START {                                   \
    g_autofree char *_text = (call);               \
    g_assert_cmpstr (_text, ==, (expected));       \
  } G_STMT_END

static GDateTime *
utc (int year,
     int month,
     int day,
     int hour,
     int minute,
     double seconds)
{
  return g_date_time_new_utc (year, month, day, hour, minute, seconds);
}

static void
test_duration (void)
{
  assert_format (lp_format_duration (6 * 3600 + 23 * 60), "6h 23m");
  assert_format (lp_format_duration (6 * 3600 + 23 * 60 + 59), "6h 23m");
  assert_format (lp_format_duration (26 * 3600 + 5 * 60), "26h 5m");
  assert_format (lp_format_duration (3600), "1h 0m");
  assert_format (lp_format_duration (3 * 60 + 42), "3m 42s");
  assert_format (lp_format_duration (60), "1m 0s");
  assert_format (lp_format_duration (3599), "59m 59s");
  assert_format (lp_format_duration (42), "42s");
  assert_format (lp_format_duration (0), "0s");
  assert_format (lp_format_duration (-5), "0s");
}

static void
test_duration_long (void)
{
  assert_format (lp_format_duration_long (6 * 3600 + 23 * 60), "6 hours 23 minutes");
  assert_format (lp_format_duration_long (3600), "1 hour");
  assert_format (lp_format_duration_long (3600 + 60), "1 hour 1 minute");
  assert_format (lp_format_duration_long (2 * 3600 + 59), "2 hours");
  assert_format (lp_format_duration_long (3 * 60 + 42), "3 minutes 42 seconds");
  assert_format (lp_format_duration_long (61), "1 minute 1 second");
  assert_format (lp_format_duration_long (120), "2 minutes");
  assert_format (lp_format_duration_long (42), "42 seconds");
  assert_format (lp_format_duration_long (1), "1 second");
  assert_format (lp_format_duration_long (0), "0 seconds");
  assert_format (lp_format_duration_long (-9), "0 seconds");
}

static void
test_money (void)
{
  assert_format (lp_format_money (22.18), "$22.18");
  assert_format (lp_format_money (22.1821), "$22.18");
  assert_format (lp_format_money (22.185001), "$22.19");
  assert_format (lp_format_money (1234.5), "$1,234.50");
  assert_format (lp_format_money (1234567.891), "$1,234,567.89");
  assert_format (lp_format_money (999.999), "$1,000.00");
  assert_format (lp_format_money (0.0), "$0.00");
  assert_format (lp_format_money (-0.001), "$0.00");
  assert_format (lp_format_money (-3.1), "-$3.10");
  assert_format (lp_format_money (NAN), "$0.00");
}

static void
test_money_whole (void)
{
  assert_format (lp_format_money_whole (54.0), "$54");
  assert_format (lp_format_money_whole (45.0), "$45");
  assert_format (lp_format_money_whole (53.6), "$54");
  assert_format (lp_format_money_whole (45.4), "$45");
  assert_format (lp_format_money_whole (1200.0), "$1,200");
  assert_format (lp_format_money_whole (0.0), "$0");
  assert_format (lp_format_money_whole (-3.4), "-$3");
}

static void
test_count (void)
{
  assert_format (lp_format_count (2000), "2,000");
  assert_format (lp_format_count (850), "850");
  assert_format (lp_format_count (1234567), "1,234,567");
  assert_format (lp_format_count (100000), "100,000");
  assert_format (lp_format_count (0), "0");
  assert_format (lp_format_count (-5), "-5");
  assert_format (lp_format_count (-1234), "-1,234");
  assert_format (lp_format_count (G_MININT64), "-9,223,372,036,854,775,808");
}

static void
test_step_epoch (void)
{
  assert_format (lp_format_step_of (850, 2000), "Step 850 of 2,000");
  assert_format (lp_format_epoch_of (2, 3), "Epoch 2 of 3");
}

static void
test_percent (void)
{
  assert_format (lp_format_percent (42.5), "42%");
  assert_format (lp_format_percent (99.9), "99%");
  assert_format (lp_format_percent (100.0), "100%");
  assert_format (lp_format_percent (0.0), "0%");
  assert_format (lp_format_percent (NAN), "0%");
}

static void
test_change_percent (void)
{
  assert_format (lp_format_change_percent (-12.082), "-12.1%");
  assert_format (lp_format_change_percent (-13.1), "-13.1%");
  assert_format (lp_format_change_percent (5.2), "+5.2%");
  assert_format (lp_format_change_percent (1.0), "+1.0%");
  assert_format (lp_format_change_percent (0.99), "~0%");
  assert_format (lp_format_change_percent (-0.398), "~0%");
  assert_format (lp_format_change_percent (0.0), "~0%");
  assert_format (lp_format_change_percent (NAN), "~0%");
}

static void
test_datetimes (void)
{
  g_autoptr(GDateTime) afternoon = utc (2025, 12, 18, 14, 30, 0);
  g_autoptr(GDateTime) precise = utc (2025, 12, 18, 14, 28, 15);
  g_autoptr(GDateTime) morning = utc (2025, 1, 5, 9, 5, 7);
  g_autoptr(GDateTime) midnight = utc (2025, 1, 5, 0, 0, 0);
  g_autoptr(GDateTime) noon = utc (2025, 1, 5, 12, 0, 0);

  assert_format (lp_format_datetime_short (afternoon), "Dec 18, 2:30 PM");
  assert_format (lp_format_datetime_short (morning), "Jan 5, 9:05 AM");
  assert_format (lp_format_datetime_short (midnight), "Jan 5, 12:00 AM");
  assert_format (lp_format_datetime_short (noon), "Jan 5, 12:00 PM");

  assert_format (lp_format_datetime_full (precise), "Dec 18, 2025 2:28:15 PM");
  assert_format (lp_format_datetime_full (morning), "Jan 5, 2025 9:05:07 AM");

  assert_format (lp_format_time_of_day (precise), "14:28:15");
  assert_format (lp_format_time_of_day (morning), "09:05:07");
}

static void
test_datetime_keeps_zone (void)
{
  g_autoptr(GTimeZone) plus_two = g_time_zone_new_offset (2 * 3600);
  g_autoptr(GDateTime) dt = g_date_time_new (plus_two, 2025, 12, 18, 14, 30, 0);

  /* Shown as given, not converted to local time or UTC. */
  assert_format (lp_format_datetime_short (dt), "Dec 18, 2:30 PM");
}

static void
test_relative (void)
{
  g_autoptr(GDateTime) now = utc (2025, 12, 18, 14, 30, 0);
  struct {
    GTimeSpan offset;  /* dt - now */
    const char *expected;
  } cases[] = {
    { 0, "just now" },
    { -59 * G_TIME_SPAN_SECOND, "just now" },
    { 59 * G_TIME_SPAN_SECOND, "just now" },
    { -60 * G_TIME_SPAN_SECOND, "1 minute ago" },
    { -5 * G_TIME_SPAN_MINUTE, "5 minutes ago" },
    { -(5 * G_TIME_SPAN_MINUTE + 59 * G_TIME_SPAN_SECOND), "5 minutes ago" },
    { -G_TIME_SPAN_HOUR, "1 hour ago" },
    { -2 * G_TIME_SPAN_HOUR, "2 hours ago" },
    { -G_TIME_SPAN_DAY, "1 day ago" },
    { -3 * G_TIME_SPAN_DAY, "3 days ago" },
    { -30 * G_TIME_SPAN_DAY, "30 days ago" },
    { 5 * G_TIME_SPAN_MINUTE, "in 5 minutes" },
    { G_TIME_SPAN_MINUTE, "in 1 minute" },
    { 2 * G_TIME_SPAN_HOUR, "in 2 hours" },
    { 3 * G_TIME_SPAN_DAY, "in 3 days" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GDateTime) dt = g_date_time_add (now, cases[i].offset);

      assert_format (lp_format_relative (dt, now), cases[i].expected);
    }

  {
    g_autoptr(GDateTime) old = g_date_time_add (now, -31 * G_TIME_SPAN_DAY);
    g_autoptr(GDateTime) far = g_date_time_add (now, 40 * G_TIME_SPAN_DAY);

    assert_format (lp_format_relative (old, now), "Nov 17, 2:30 PM");
    assert_format (lp_format_relative (far, now), "Jan 27, 2:30 PM");
  }
}

static void
test_start_time (void)
{
  g_autoptr(GDateTime) now = utc (2025, 12, 17, 10, 0, 0);
  g_autoptr(GDateTime) today = utc (2025, 12, 17, 18, 45, 0);
  g_autoptr(GDateTime) earlier_today = utc (2025, 12, 17, 0, 5, 0);
  g_autoptr(GDateTime) tomorrow = utc (2025, 12, 18, 9, 30, 0);
  g_autoptr(GDateTime) later = utc (2025, 12, 19, 14, 15, 0);
  g_autoptr(GDateTime) new_year_eve = utc (2025, 12, 31, 22, 0, 0);
  g_autoptr(GDateTime) new_year = utc (2026, 1, 1, 9, 30, 0);
  g_autoptr(GTimeZone) minus_five = g_time_zone_new_offset (-5 * 3600);
  g_autoptr(GDateTime) evening_elsewhere = NULL;

  assert_format (lp_format_start_time (today, now), "Today at 6:45 PM");
  assert_format (lp_format_start_time (earlier_today, now), "Today at 12:05 AM");
  assert_format (lp_format_start_time (tomorrow, now), "Tomorrow at 9:30 AM");
  assert_format (lp_format_start_time (later, now), "Fri, Dec 19 at 2:15 PM");
  assert_format (lp_format_start_time (new_year, new_year_eve), "Tomorrow at 9:30 AM");

  /* 03:00 UTC on the 18th is still the evening of the 17th at UTC-5, and the
   * day is judged on dt's calendar.
   */
  evening_elsewhere = g_date_time_new (minus_five, 2025, 12, 17, 22, 0, 0);
  assert_format (lp_format_start_time (evening_elsewhere, now), "Today at 10:00 PM");
}

static void
test_countdown_and_stopped (void)
{
  assert_format (lp_format_countdown (3 * 3600 + 20 * 60), "(in 3h 20m)");
  assert_format (lp_format_countdown (12 * 60 + 5), "(in 12m 5s)");
  assert_format (lp_format_stopped_at (6 * 3600 + 23 * 60), "Stopped at 6h 23m");
}

static void
test_estimate_hours (void)
{
  assert_format (lp_format_estimate_hours (12 * 3600, 15 * 3600), "Est. 12-15h");
  assert_format (lp_format_estimate_hours (12 * 3600 + 1800, 14 * 3600 + 60), "Est. 12-15h");
  assert_format (lp_format_estimate_hours (45000, 45000), "Est. 13h");
  assert_format (lp_format_estimate_hours (13 * 3600, 13 * 3600), "Est. 13h");
  assert_format (lp_format_estimate_hours (13 * 3600, 10 * 3600), "Est. 13h");
  assert_format (lp_format_estimate_hours (45 * 60, 45 * 60), "Est. 45m");
  assert_format (lp_format_estimate_hours (30 * 60, 45 * 60), "Est. 45m");
  assert_format (lp_format_estimate_hours (10, 10), "Est. 1m");
  assert_format (lp_format_estimate_hours (0, 0), "");
}

static void
test_estimate_range (void)
{
  assert_format (lp_format_estimate_range (45.0, 55.0), "$45-55");
  assert_format (lp_format_estimate_range (50.0, 50.0), "$50");
  assert_format (lp_format_estimate_range (49.8, 50.2), "$50");
  assert_format (lp_format_estimate_range (1200.0, 1500.0), "$1,200-1,500");
  /* Small estimates keep their cents rather than read "$0-0". */
  assert_format (lp_format_estimate_range (0.05, 0.06), "$0.05-0.06");
  assert_format (lp_format_estimate_range (2.5, 2.5), "$2.50");
  assert_format (lp_format_estimate_range (3.0, 4.0), "$3-4");
  assert_format (lp_format_estimate_range (0.0, 55.0), "");
  assert_format (lp_format_estimate_range (45.0, 0.0), "");
  assert_format (lp_format_estimate_range (-1.0, -1.0), "");
}

static void
test_progress_texts (void)
{
  struct { char *got; const char *want; } cases[] = {
    { lp_format_remaining (8 * 3600 + 15 * 60), "~8h 15m remaining" },
    { lp_format_completed_in (12 * 3600 + 45 * 60), "Completed in 12h 45m" },
    { lp_format_failed_at (1250), "Failed at Step 1,250" },
    { lp_format_cancelled_at (42.5), "Cancelled at 42%" },
    { lp_format_hourly_rate (2.49, "spot"), "$2.49/hr (spot)" },
    { lp_format_hourly_rate (7.99, "on_demand"), "$7.99/hr (on-demand)" },
    { lp_format_updated_ago (30), "Last updated: 30s ago" },
    { lp_format_updated_ago (2), "Last updated: just now" },
    { lp_format_metric (0.342), "0.342" },
    { lp_format_metric (0.000182), "0.000182" },
    { lp_format_metric (0.00000865), "8.65e-06" },
    { lp_format_metric (1.5), "1.50" },
    { lp_format_metric (87), "87.0" },
    { lp_format_metric (NAN), "—" },
    { lp_format_metric (1234567.0), "1.23e+06" },
    { lp_format_metric (-1e308), "-1e+308" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_cmpstr (cases[i].got, ==, cases[i].want);
      g_free (cases[i].got);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/format/duration", test_duration);
  g_test_add_func ("/format/duration-long", test_duration_long);
  g_test_add_func ("/format/money", test_money);
  g_test_add_func ("/format/money-whole", test_money_whole);
  g_test_add_func ("/format/count", test_count);
  g_test_add_func ("/format/step-epoch", test_step_epoch);
  g_test_add_func ("/format/percent", test_percent);
  g_test_add_func ("/format/change-percent", test_change_percent);
  g_test_add_func ("/format/datetimes", test_datetimes);
  g_test_add_func ("/format/datetime-keeps-zone", test_datetime_keeps_zone);
  g_test_add_func ("/format/relative", test_relative);
  g_test_add_func ("/format/start-time", test_start_time);
  g_test_add_func ("/format/countdown-and-stopped", test_countdown_and_stopped);
  g_test_add_func ("/format/estimate-hours", test_estimate_hours);
  g_test_add_func ("/format/estimate-range", test_estimate_range);

  g_test_add_func ("/format/progress-texts", test_progress_texts);

  return g_test_run ();
}
