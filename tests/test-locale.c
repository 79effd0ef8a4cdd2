/* test-locale.c: the app speaks German
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs real widgets and the core's formatting in German, through the
 * catalogue that meson compiles from po/de.po into
 * <builddir>/po/de/LC_MESSAGES/lora-monitor.mo. The text domain is bound to
 * <builddir>/po, found next to this test's own folder.
 *
 * No German locale has to be installed: LC_ALL=C.UTF-8 with LANGUAGE=de is
 * enough, because glibc ignores LANGUAGE only for the plain "C" locale.
 * That keeps the C library's own formats (month names, the C printf's
 * decimal point) fixed while every string of the app is German.
 */
#include "config.h"

#include <locale.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "jobd-fixture.h"
#include "lm-jobs-table.h"
#include "lm-status-badge.h"
#include "lm-window.h"
#include "lp-format.h"

/* The app puts a no-break space between numbers and units: "42 %", "5 $". */
#define NBSP "\302\240"

static JobdFixture *jobd;
static LmClient *client;
static LmWindow *window;

static void
set_up_german (void)
{
  const char *locale;

  g_setenv ("LANGUAGE", "de", TRUE);

  /* gettext ignores LANGUAGE in the "C" locale; C.UTF-8 is built into
   * glibc and honours it. */
  locale = setlocale (LC_ALL, "");
  if (locale == NULL || g_str_equal (locale, "C") || g_str_equal (locale, "POSIX"))
    locale = setlocale (LC_ALL, "C.UTF-8");
  if (locale == NULL)
    g_error ("Neither the environment's locale nor C.UTF-8 can be set");
}

static void
bind_build_catalogue (void)
{
  g_autofree char *localedir = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  g_autofree char *mo = g_build_filename (localedir, "de", "LC_MESSAGES",
                                          GETTEXT_PACKAGE ".mo", NULL);

  if (!g_file_test (mo, G_FILE_TEST_IS_REGULAR))
    g_error ("The German catalogue %s was not built; is “de” in po/LINGUAS?", mo);

  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

/* Helpers */

static void
collect_titles (GtkWidget *widget,
                GPtrArray *titles)
{
  if (ADW_IS_WINDOW_TITLE (widget))
    g_ptr_array_add (titles, (gpointer) adw_window_title_get_title (ADW_WINDOW_TITLE (widget)));

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    collect_titles (child, titles);
}

static GDateTime *
minutes_before (GDateTime *now,
                int        minutes)
{
  return g_date_time_add_minutes (now, -minutes);
}

typedef struct
{
  LmJobsTable *table;
  guint        total;
} TableWait;

static gboolean
table_shows (gpointer data)
{
  TableWait *w = data;

  return g_strcmp0 (lm_jobs_table_get_state (w->table), "jobs") == 0 &&
         lm_jobs_table_get_total (w->table) == w->total;
}

static void
wait_for_table (LmJobsTable *table,
                guint        total)
{
  TableWait w = { table, total };

  if (!wait_until (table_shows, &w, 10000))
    g_error ("The table shows %u jobs in state %s; expected %u",
             lm_jobs_table_get_total (table), lm_jobs_table_get_state (table), total);
}

static gboolean
knows_user (gpointer data)
{
  return lm_client_get_user (data) != NULL;
}

/* Tests */

static void
test_catalogue (void)
{
  /* The catalogue is found and is the German one. */
  g_assert_cmpstr (_("Queue"), ==, "Warteschlange");
  g_assert_cmpstr (C_("number", ","), ==, ".");
  g_assert_cmpstr (C_("number", "."), ==, ",");
}

static void
test_core_plurals (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_utc (2025, 12, 18, 14, 30, 0);
  g_autoptr(GDateTime) one_ago = minutes_before (now, 1);
  g_autoptr(GDateTime) five_ago = minutes_before (now, 5);
  g_autoptr(GDateTime) in_one_hour = g_date_time_add_hours (now, 1);
  g_autoptr(GDateTime) in_three_hours = g_date_time_add_hours (now, 3);
  g_autofree char *singular = lp_format_relative (one_ago, now);
  g_autofree char *plural = lp_format_relative (five_ago, now);
  g_autofree char *future_singular = lp_format_relative (in_one_hour, now);
  g_autofree char *future_plural = lp_format_relative (in_three_hours, now);
  g_autofree char *just_now = lp_format_relative (now, now);
  g_autofree char *money = lp_format_money (1234.5);
  g_autofree char *step_of = lp_format_step_of (850, 2000);
  g_autofree char *loss = lp_format_metric (0.485);
  g_autofree char *tiny = lp_format_metric (0.0000086);
  g_autofree char *percent = lp_format_percent (85);

  g_assert_cmpstr (singular, ==, "vor 1 Minute");
  g_assert_cmpstr (plural, ==, "vor 5 Minuten");
  g_assert_cmpstr (future_singular, ==, "in 1 Stunde");
  g_assert_cmpstr (future_plural, ==, "in 3 Stunden");
  g_assert_cmpstr (just_now, ==, "gerade eben");

  /* The separators are translations too: German groups with "." and
   * separates decimals with ",". */
  g_assert_cmpstr (money, ==, "1.234,50" NBSP "$");
  g_assert_cmpstr (step_of, ==, "Schritt 850 von 2.000");
  g_assert_cmpstr (loss, ==, "0,485");
  g_assert_cmpstr (tiny, ==, "8,6e-06");
  g_assert_cmpstr (percent, ==, "85" NBSP "%");
}

static void
test_status_badge (void)
{
  GtkWidget *badge = g_object_ref_sink (lm_status_badge_new ());

  lm_status_badge_set_status (LM_STATUS_BADGE (badge), LP_JOB_STATUS_QUEUED, 0);
  g_assert_cmpstr (lm_status_badge_get_text (LM_STATUS_BADGE (badge)), ==, "In Warteschlange");

  lm_status_badge_set_status (LM_STATUS_BADGE (badge), LP_JOB_STATUS_COMPLETED, 100);
  g_assert_cmpstr (lm_status_badge_get_text (LM_STATUS_BADGE (badge)), ==, "Abgeschlossen");

  lm_status_badge_set_status (LM_STATUS_BADGE (badge), LP_JOB_STATUS_TRAINING, 42.7);
  g_assert_cmpstr (lm_status_badge_get_text (LM_STATUS_BADGE (badge)), ==, "Training (42" NBSP "%)");

  g_object_unref (badge);
}

static void
test_window_labels (void)
{
  g_autoptr(GPtrArray) titles = g_ptr_array_new ();
  GtkWidget *all = lm_window_get_jobs_table (window, "all");
  AdwViewStack *stack = ADW_VIEW_STACK (gtk_widget_get_ancestor (all, ADW_TYPE_VIEW_STACK));

  /* The template's strings come through GtkBuilder's gettext: the Jobs
   * page's header says "Training Jobs" in German. */
  collect_titles (GTK_WIDGET (window), titles);
  g_assert_true (g_ptr_array_find_with_equal_func (titles, "Trainingsjobs", g_str_equal, NULL));
  g_assert_false (g_ptr_array_find_with_equal_func (titles, "Training Jobs", g_str_equal, NULL));
  g_assert_cmpstr (adw_view_stack_page_get_title (adw_view_stack_get_page (stack, all)), ==, "Alle Jobs");
  g_assert_true (g_str_has_prefix (lm_window_get_queue_title (window), "Warteschlange"));
}

static void
test_pagination_plurals (void)
{
  LmJobsTable *table = LM_JOBS_TABLE (lm_window_get_jobs_table (window, "all"));

  jobd_fixture_create_job (jobd, "Erster Lauf", "external", NULL);
  lm_jobs_table_refresh (table);
  wait_for_table (table, 1);
  g_assert_cmpstr (lm_jobs_table_get_showing (table), ==, "1–1 von 1 Job");
  g_assert_cmpstr (lm_jobs_table_get_page_text (table), ==, "Seite 1 von 1");

  jobd_fixture_create_job (jobd, "Zweiter Lauf", "external", NULL);
  lm_jobs_table_refresh (table);
  wait_for_table (table, 2);
  g_assert_cmpstr (lm_jobs_table_get_showing (table), ==, "1–2 von 2 Jobs");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  set_up_german ();
  /* gtk_init would set the locale from the environment again. */
  gtk_disable_setlocale ();
  gtk_test_init (&argc, &argv, NULL);
  bind_build_catalogue ();
  adw_init ();

  jobd = g_new0 (JobdFixture, 1);
  jobd_fixture_start (jobd, NULL);

  client = lm_client_new (jobd->url, jobd->token);
  window = lm_window_new (NULL);
  lm_window_set_client (window, client);
  lm_client_get_me_async (client, NULL, NULL, NULL);
  if (!wait_until (knows_user, client, 10000))
    g_error ("The client never learnt its user: %s", lm_client_get_last_error (client));
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 1000);
  gtk_window_present (GTK_WINDOW (window));

  g_test_add_func ("/locale/catalogue", test_catalogue);
  g_test_add_func ("/locale/core-plurals", test_core_plurals);
  g_test_add_func ("/locale/status-badge", test_status_badge);
  g_test_add_func ("/locale/window-labels", test_window_labels);
  g_test_add_func ("/locale/pagination-plurals", test_pagination_plurals);

  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&client);
  jobd_fixture_free (jobd);

  return status;
}
