/* lp-format.h: the texts the app shows for numbers, money, durations and dates
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every function returns a newly allocated, translated string. Dates are
 * formatted in the time zone of the GDateTime passed in, so callers decide
 * between local time (the app) and UTC (tests).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *lp_format_duration        (gint64     seconds);
char *lp_format_duration_long   (gint64     seconds);
char *lp_format_money           (double     usd);
char *lp_format_money_whole     (double     usd);
char *lp_format_count           (gint64     n);
char *lp_format_step_of         (gint64     step,
                                 gint64     total);
char *lp_format_epoch_of        (gint64     epoch,
                                 gint64     total);
char *lp_format_percent         (double     percent);
char *lp_format_change_percent  (double     change_percent);
char *lp_format_datetime_short  (GDateTime *dt);
char *lp_format_datetime_full   (GDateTime *dt);
char *lp_format_time_of_day     (GDateTime *dt);
char *lp_format_relative        (GDateTime *dt,
                                 GDateTime *now);
char *lp_format_start_time      (GDateTime *dt,
                                 GDateTime *now);
char *lp_format_countdown       (gint64     seconds);
char *lp_format_estimate_hours  (gint64     min_s,
                                 gint64     max_s);
char *lp_format_stopped_at      (gint64     seconds);
char *lp_format_estimate_range  (double     estimate_min,
                                 double     estimate_max);
char *lp_format_remaining       (gint64     seconds);
char *lp_format_completed_in    (gint64     seconds);
char *lp_format_failed_at       (gint64     step);
char *lp_format_cancelled_at    (double     percent);
char *lp_format_hourly_rate     (double     usd,
                                 const char *pricing);
char *lp_format_updated_ago     (gint64     seconds);
char *lp_format_metric          (double     value);

G_END_DECLS
