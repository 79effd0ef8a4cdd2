/* test-job-watcher.c: what the user hears about their own jobs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gtk/gtk.h>

#include "jobd-fixture.h"
#include "lm-job-watcher.h"

typedef struct
{
  GPtrArray *finished;   /* LpJob */
  GPtrArray *over;       /* LpJob */
} Heard;

static void
finished_cb (LmJobWatcher *watcher,
             LpJob        *job,
             Heard        *heard)
{
  g_ptr_array_add (heard->finished, g_object_ref (job));
}

static void
over_cb (LmJobWatcher *watcher,
         LpJob        *job,
         Heard        *heard)
{
  g_ptr_array_add (heard->over, g_object_ref (job));
}

static gboolean
knows_user (gpointer data)
{
  return lm_client_get_user (data) != NULL;
}

static gboolean
heard_two_endings (gpointer data)
{
  return ((Heard *) data)->finished->len >= 2;
}

static gboolean
heard_over (gpointer data)
{
  return ((Heard *) data)->over->len >= 1;
}

static void
spin (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static void
test_watcher (void)
{
  JobdFixture *jobd = g_new0 (JobdFixture, 1);
  g_autoptr(LmClient) client = NULL;
  g_autoptr(LmJobWatcher) watcher = NULL;
  g_autofree char *s1 = NULL, *s2 = NULL, *s_done = NULL;
  Heard heard = { g_ptr_array_new_with_free_func (g_object_unref),
                  g_ptr_array_new_with_free_func (g_object_unref) };
  gint64 done_before, mine_ok, mine_bad, pricey;

  jobd_fixture_start (jobd, "--slots 5");
  client = lm_client_new (jobd->url, jobd->token);
  lm_client_get_me_async (client, NULL, NULL, NULL);
  g_assert_true (wait_until (knows_user, client, 10000));

  /* Finished before the app looked: not news. */
  done_before = jobd_fixture_create_job (jobd, "Done Before", "external", &s_done);
  jobd_fixture_post_events (jobd, done_before, s_done,
                            "{\"event_id\": \"d\", \"type\": \"status\", \"data\": {\"status\": \"completed\"}}");

  mine_ok = jobd_fixture_create_job (jobd, "Will Complete", "external", &s1);
  mine_bad = jobd_fixture_create_job (jobd, "Will Fail", "external", &s2);

  watcher = lm_job_watcher_new (client);
  lm_job_watcher_set_poll_interval (watcher, 1);
  g_signal_connect (watcher, "job-finished", G_CALLBACK (finished_cb), &heard);
  g_signal_connect (watcher, "job-over-estimate", G_CALLBACK (over_cb), &heard);
  spin (1500);

  jobd_fixture_post_events (jobd, mine_ok, s1,
                            "{\"event_id\": \"c\", \"type\": \"status\", \"data\": {\"status\": \"completed\"}}");
  jobd_fixture_post_events (jobd, mine_bad, s2,
                            "{\"event_id\": \"f\", \"type\": \"status\","
                            " \"data\": {\"status\": \"failed\", \"error\": \"CUDA out of memory\"}}");

  g_assert_true (wait_until (heard_two_endings, &heard, 10000));
  g_assert_cmpuint (heard.finished->len, ==, 2);
  for (guint i = 0; i < heard.finished->len; i++)
    {
      LpJob *job = g_ptr_array_index (heard.finished, i);

      g_assert_cmpint (lp_job_get_id (job), !=, done_before);
      if (lp_job_get_id (job) == mine_ok)
        g_assert_cmpint (lp_job_get_status (job), ==, LP_JOB_STATUS_COMPLETED);
      else
        {
          g_assert_cmpint (lp_job_get_id (job), ==, mine_bad);
          g_assert_cmpint (lp_job_get_status (job), ==, LP_JOB_STATUS_FAILED);
          g_assert_cmpstr (lp_job_get_error (job), ==, "CUDA out of memory");
        }
    }

  /* A job that costs a dollar a second passes a $1-2 estimate at once;
   * it is reported a single time, however often the watcher looks. */
  {
    g_autoptr(JsonObject) job = NULL;
    guint status = 0;

    job = jobd_fixture_request (jobd, "POST", "/api/training/jobs",
                                "{\"name\": \"Pricey\", \"total_steps\": 100, \"epochs\": 1,"
                                " \"gpu_type\": \"8x H100\", \"pricing\": \"on_demand\", \"hourly_rate\": 3600,"
                                " \"estimate_min\": 1, \"estimate_max\": 2, \"provider\": \"external\"}", &status);
    g_assert_cmpuint (status, ==, 201);
    pricey = json_object_get_int_member (job, "id");
  }
  g_assert_true (wait_until (heard_over, &heard, 10000));
  spin (2500);
  g_assert_cmpuint (heard.over->len, ==, 1);
  g_assert_cmpint (lp_job_get_id (g_ptr_array_index (heard.over, 0)), ==, pricey);

  g_ptr_array_unref (heard.finished);
  g_ptr_array_unref (heard.over);
  g_clear_object (&watcher);
  jobd_fixture_free (jobd);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/job-watcher/endings-and-cost", test_watcher);

  return g_test_run ();
}
