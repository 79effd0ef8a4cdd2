/* test-guard.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "lp-guard.h"
#include "lp-job.h"
#include "lp-json.h"

#define SEC G_USEC_PER_SEC
/* The brief's job: estimated at $45-55. */
#define ESTIMATE_MAX 55.0

static LpGuard *
parse (const char  *json,
       double       estimate_max,
       GError     **error)
{
  g_autoptr(JsonObject) object = lp_json_parse_object (json, strlen (json), error);

  if (object == NULL)
    return NULL;

  return lp_guard_new_from_request (object, estimate_max, error);
}

static LpGuard *
parse_ok (const char *json)
{
  g_autoptr(GError) error = NULL;
  LpGuard *guard = parse (json, ESTIMATE_MAX, &error);

  g_assert_no_error (error);
  g_assert_nonnull (guard);

  return guard;
}

static void
assert_refused (const char *json,
                double      estimate_max,
                const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LpGuard) guard = parse (json, estimate_max, &error);

  g_assert_null (guard);
  g_assert_error (error, LP_JSON_ERROR, error->code);
  if (strstr (error->message, fragment) == NULL)
    g_error ("%s: “%s” does not mention “%s”", json, error->message, fragment);
}

static void
test_request (void)
{
  g_autoptr(LpGuard) guard = parse_ok ("{\"spend\":{\"max_usd\":70},"
                                       "\"projected\":{\"percent_over_estimate\":10},"
                                       "\"divergence\":true,\"stall_s\":1800,"
                                       "\"gpu_idle\":{\"below_percent\":20,\"for_s\":900},"
                                       "\"grace_s\":120}");
  g_autoptr(LpGuard) empty = parse_ok ("{}");
  g_autoptr(LpGuard) nulls = parse_ok ("{\"spend\":null,\"gpu_idle\":null,\"stall_s\":null}");

  g_assert_cmpint (guard->spend.kind, ==, LP_GUARD_LIMIT_AMOUNT);
  g_assert_cmpfloat (guard->spend.value, ==, 70);
  g_assert_cmpint (guard->projected.kind, ==, LP_GUARD_LIMIT_PERCENT);
  g_assert_cmpfloat (guard->projected.value, ==, 10);
  g_assert_true (guard->divergence);
  g_assert_cmpint (guard->stall_s, ==, 1800);
  g_assert_cmpfloat (guard->gpu_below_percent, ==, 20);
  g_assert_cmpint (guard->gpu_below_s, ==, 900);
  g_assert_cmpint (guard->grace_s, ==, 120);
  g_assert_cmpint (guard->warned, ==, -1);
  g_assert_false (lp_guard_is_empty (guard));

  /* No rules: a guard that does nothing, and the default grace. */
  g_assert_true (lp_guard_is_empty (empty));
  g_assert_true (lp_guard_is_empty (nulls));
  g_assert_cmpint (empty->grace_s, ==, LP_GUARD_GRACE_DEFAULT_S);
}

static void
test_request_refused (void)
{
  /* A typo must not leave a run unguarded. */
  assert_refused ("{\"stal_s\":600}", ESTIMATE_MAX, "stal_s");
  assert_refused ("{\"spend\":{\"max\":60}}", ESTIMATE_MAX, "max");
  assert_refused ("{\"gpu_idle\":{\"below_percent\":20,\"for_s\":600,\"x\":1}}", ESTIMATE_MAX, "x");

  assert_refused ("{\"spend\":{}}", ESTIMATE_MAX, "spend");
  assert_refused ("{\"spend\":{\"max_usd\":60,\"percent_over_estimate\":5}}", ESTIMATE_MAX, "spend");
  assert_refused ("{\"spend\":60}", ESTIMATE_MAX, "spend");
  assert_refused ("{\"spend\":{\"max_usd\":0}}", ESTIMATE_MAX, "max_usd");
  assert_refused ("{\"spend\":{\"max_usd\":-5}}", ESTIMATE_MAX, "max_usd");
  assert_refused ("{\"spend\":{\"max_usd\":1e300}}", ESTIMATE_MAX, "max_usd");
  assert_refused ("{\"projected\":{\"percent_over_estimate\":-1}}", ESTIMATE_MAX, "percent_over_estimate");
  assert_refused ("{\"projected\":{\"percent_over_estimate\":5000}}", ESTIMATE_MAX, "percent_over_estimate");
  /* Over which estimate? */
  assert_refused ("{\"projected\":{\"percent_over_estimate\":10}}", 0, "estimate");

  assert_refused ("{\"divergence\":1}", ESTIMATE_MAX, "divergence");
  assert_refused ("{\"stall_s\":10}", ESTIMATE_MAX, "stall_s");
  assert_refused ("{\"stall_s\":1.5}", ESTIMATE_MAX, "stall_s");
  assert_refused ("{\"stall_s\":99999999999}", ESTIMATE_MAX, "stall_s");
  assert_refused ("{\"grace_s\":0}", ESTIMATE_MAX, "grace_s");
  assert_refused ("{\"gpu_idle\":{\"below_percent\":150,\"for_s\":600}}", ESTIMATE_MAX, "below_percent");
  assert_refused ("{\"gpu_idle\":{\"below_percent\":20}}", ESTIMATE_MAX, "for_s");
  assert_refused ("{\"gpu_idle\":true}", ESTIMATE_MAX, "gpu_idle");
}

static void
test_round_trip (void)
{
  g_autoptr(LpGuard) guard = parse_ok ("{\"spend\":{\"max_usd\":70.5},"
                                       "\"projected\":{\"percent_over_estimate\":10},"
                                       "\"stall_s\":1800,\"gpu_idle\":{\"below_percent\":20,\"for_s\":900},"
                                       "\"grace_s\":120}");
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(LpGuard) back = NULL;
  g_autoptr(GError) error = NULL;
  LpGuardRule rule;

  guard->set_by = g_strdup ("alice");
  guard->set_at = G_GINT64_CONSTANT (1764000000) * SEC;
  guard->warned = LP_GUARD_RULE_STALL;
  guard->warned_at = guard->set_at + 60 * SEC;
  guard->disarmed = 1u << LP_GUARD_RULE_GPU_IDLE;

  lp_guard_to_json (guard, builder);
  node = json_builder_get_root (builder);
  back = lp_guard_new_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);

  g_assert_cmpint (back->spend.kind, ==, LP_GUARD_LIMIT_AMOUNT);
  g_assert_cmpfloat (back->spend.value, ==, 70.5);
  g_assert_cmpint (back->projected.kind, ==, LP_GUARD_LIMIT_PERCENT);
  g_assert_false (back->divergence);
  g_assert_cmpint (back->stall_s, ==, 1800);
  g_assert_cmpint (back->gpu_below_s, ==, 900);
  g_assert_cmpint (back->grace_s, ==, 120);
  g_assert_cmpstr (back->set_by, ==, "alice");
  g_assert_cmpint (back->set_at, ==, guard->set_at);
  g_assert_cmpint (back->warned, ==, LP_GUARD_RULE_STALL);
  g_assert_cmpint (back->warned_at, ==, guard->warned_at);
  g_assert_cmpint (back->disarmed, ==, guard->disarmed);
  g_assert_cmpint (lp_guard_cancel_at (back), ==, guard->warned_at + 120 * SEC);

  /* The served form is not a request: its state members are refused there. */
  {
    g_autofree char *json = lp_json_to_string (node, FALSE);
    g_autoptr(LpGuard) refused = parse (json, ESTIMATE_MAX, &error);

    g_assert_null (refused);
    g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID);
    g_clear_error (&error);
  }

  g_assert_true (lp_guard_rule_from_cancel_reason ("auto_gpu_idle", &rule));
  g_assert_cmpint (rule, ==, LP_GUARD_RULE_GPU_IDLE);
  g_assert_false (lp_guard_rule_from_cancel_reason ("gpu_idle", &rule));
  g_assert_false (lp_guard_rule_from_cancel_reason ("auto_", &rule));
  g_assert_false (lp_guard_rule_from_cancel_reason ("cost_too_high", &rule));
  for (guint i = 0; i < LP_N_GUARD_RULES; i++)
    {
      g_autofree char *reason = lp_guard_rule_cancel_reason (i);

      g_assert_true (lp_guard_rule_from_cancel_reason (reason, &rule));
      g_assert_cmpint (rule, ==, i);
      g_assert_nonnull (lp_guard_rule_label (i));
    }
}

static void
test_describe (void)
{
  g_autoptr(LpGuard) projected = parse_ok ("{\"projected\":{\"max_usd\":60}}");
  g_autoptr(LpGuard) several = parse_ok ("{\"spend\":{\"percent_over_estimate\":10},\"divergence\":true,"
                                         "\"gpu_idle\":{\"below_percent\":20,\"for_s\":900}}");
  g_autoptr(LpGuard) empty = parse_ok ("{}");
  g_autofree char *one = lp_guard_describe (projected);
  g_autofree char *many = lp_guard_describe (several);

  /* The issue's own example. */
  g_assert_cmpstr (one, ==, "Guard: cancel above $60.00 projected");
  g_assert_cmpstr (many, ==, "Guard: cancel when spend is 10% over the estimate; "
                             "cancel if the loss diverges; cancel after 15m 0s of GPU below 20%");
  g_assert_null (lp_guard_describe (empty));
  g_assert_null (lp_guard_describe (NULL));
}

static void
test_thresholds (void)
{
  LpGuardLimit percent = { LP_GUARD_LIMIT_PERCENT, 10 };
  LpGuardLimit amount = { LP_GUARD_LIMIT_AMOUNT, 60 };
  LpGuardLimit off = { LP_GUARD_LIMIT_OFF, 0 };

  g_assert_cmpfloat_with_epsilon (lp_guard_limit_threshold (&percent, ESTIMATE_MAX), 60.5, 1e-9);
  g_assert_true (isnan (lp_guard_limit_threshold (&percent, 0)));
  g_assert_cmpfloat (lp_guard_limit_threshold (&amount, 0), ==, 60);
  g_assert_true (isnan (lp_guard_limit_threshold (&off, ESTIMATE_MAX)));
}

/* The brief's running job at $22.18 spent of a $45-55 estimate, projected
 * to end at $48.32: no rule holds until the run goes wrong. */
static LpGuardFigures
healthy (void)
{
  return (LpGuardFigures) {
    .spend = 22.18, .projected = 48.32, .estimate_max = ESTIMATE_MAX,
    .diverged = FALSE, .stalled_s = 20, .gpu_low_s = 0, .gpu_util = 87,
  };
}

static void
test_step (void)
{
  g_autoptr(LpGuard) guard = parse_ok ("{\"projected\":{\"max_usd\":60},\"stall_s\":1800,\"grace_s\":300}");
  LpGuardFigures figures = healthy ();
  gint64 t0 = G_GINT64_CONSTANT (1764000000) * SEC;
  LpGuardRule rule = -1;
  double value, threshold;

  g_assert_cmpint (lp_guard_step (guard, &figures, t0, &rule), ==, LP_GUARD_ACTION_NONE);

  /* The run slows down: the projection passes the limit. */
  figures.projected = 61.40;
  g_assert_true (lp_guard_rule_holds (guard, LP_GUARD_RULE_PROJECTED, &figures, &value, &threshold));
  g_assert_cmpfloat (value, ==, 61.40);
  g_assert_cmpfloat (threshold, ==, 60);
  g_assert_false (lp_guard_rule_holds (guard, LP_GUARD_RULE_SPEND, &figures, NULL, NULL));

  g_assert_cmpint (lp_guard_step (guard, &figures, t0, &rule), ==, LP_GUARD_ACTION_WARN);
  g_assert_cmpint (rule, ==, LP_GUARD_RULE_PROJECTED);
  g_assert_cmpint (lp_guard_cancel_at (guard), ==, t0 + 300 * SEC);
  g_assert_cmpint (lp_guard_step (guard, &figures, t0 + 299 * SEC, &rule), ==, LP_GUARD_ACTION_NONE);

  /* It recovers within the grace: the countdown is called off. */
  figures.projected = 59.0;
  g_assert_cmpint (lp_guard_step (guard, &figures, t0 + 299 * SEC, &rule), ==, LP_GUARD_ACTION_CLEAR);
  g_assert_cmpint (rule, ==, LP_GUARD_RULE_PROJECTED);
  g_assert_cmpint (guard->warned, ==, -1);
  g_assert_cmpint (lp_guard_cancel_at (guard), ==, 0);

  /* ... and starts afresh when it passes again, then cancels. */
  figures.projected = 62.0;
  g_assert_cmpint (lp_guard_step (guard, &figures, t0 + 400 * SEC, &rule), ==, LP_GUARD_ACTION_WARN);
  g_assert_cmpint (lp_guard_step (guard, &figures, t0 + 699 * SEC, &rule), ==, LP_GUARD_ACTION_NONE);
  g_assert_cmpint (lp_guard_step (guard, &figures, t0 + 700 * SEC, &rule), ==, LP_GUARD_ACTION_CANCEL);
  g_assert_cmpint (rule, ==, LP_GUARD_RULE_PROJECTED);
}

static void
test_disarm (void)
{
  g_autoptr(LpGuard) guard = parse_ok ("{\"spend\":{\"max_usd\":50},\"stall_s\":600,\"grace_s\":60}");
  LpGuardFigures figures = healthy ();
  gint64 t0 = G_GINT64_CONSTANT (1764000000) * SEC;
  LpGuardRule rule = -1;

  figures.spend = 50.01;
  figures.stalled_s = 900;
  g_assert_cmpint (lp_guard_step (guard, &figures, t0, &rule), ==, LP_GUARD_ACTION_WARN);
  g_assert_cmpint (rule, ==, LP_GUARD_RULE_SPEND);

  /* "Keep running": the spend rule is done for this job; the stall,
   * which holds too, takes its turn with a grace of its own. */
  g_assert_true (lp_guard_disarm (guard, LP_GUARD_RULE_SPEND));
  g_assert_cmpint (lp_guard_step (guard, &figures, t0 + 10 * SEC, &rule), ==, LP_GUARD_ACTION_WARN);
  g_assert_cmpint (rule, ==, LP_GUARD_RULE_STALL);
  g_assert_cmpint (lp_guard_cancel_at (guard), ==, t0 + 70 * SEC);

  g_assert_true (lp_guard_disarm (guard, LP_GUARD_RULE_STALL));
  g_assert_false (lp_guard_disarm (guard, LP_GUARD_RULE_STALL));
  for (gint64 t = 0; t < 3600; t += 60)
    g_assert_cmpint (lp_guard_step (guard, &figures, t0 + t * SEC, &rule), ==, LP_GUARD_ACTION_NONE);
}

static void
test_rules (void)
{
  g_autoptr(LpGuard) guard = parse_ok ("{\"divergence\":true,\"gpu_idle\":{\"below_percent\":20,\"for_s\":900}}");
  LpGuardFigures figures = healthy ();
  double value, threshold;

  g_assert_false (lp_guard_rule_holds (guard, LP_GUARD_RULE_DIVERGENCE, &figures, NULL, NULL));
  figures.diverged = TRUE;
  g_assert_true (lp_guard_rule_holds (guard, LP_GUARD_RULE_DIVERGENCE, &figures, NULL, NULL));

  figures.gpu_util = 4;
  figures.gpu_low_s = 899;
  g_assert_false (lp_guard_rule_holds (guard, LP_GUARD_RULE_GPU_IDLE, &figures, NULL, NULL));
  figures.gpu_low_s = 900;
  g_assert_true (lp_guard_rule_holds (guard, LP_GUARD_RULE_GPU_IDLE, &figures, &value, &threshold));
  g_assert_cmpfloat (value, ==, 4);
  g_assert_cmpfloat (threshold, ==, 20);

  /* Rules that are not set never hold, whatever the figures. */
  figures.spend = figures.projected = 1e9;
  figures.stalled_s = 1000000;
  g_assert_false (lp_guard_rule_holds (guard, LP_GUARD_RULE_SPEND, &figures, NULL, NULL));
  g_assert_false (lp_guard_rule_holds (guard, LP_GUARD_RULE_PROJECTED, &figures, NULL, NULL));
  g_assert_false (lp_guard_rule_holds (guard, LP_GUARD_RULE_STALL, &figures, NULL, NULL));

  /* A percentage of an estimate the job lost holds never. */
  {
    g_autoptr(LpGuard) percent = parse_ok ("{\"spend\":{\"percent_over_estimate\":0}}");

    figures.spend = 55.01;
    g_assert_true (lp_guard_rule_holds (percent, LP_GUARD_RULE_SPEND, &figures, NULL, NULL));
    figures.estimate_max = 0;
    g_assert_false (lp_guard_rule_holds (percent, LP_GUARD_RULE_SPEND, &figures, NULL, NULL));
  }
}

static void
notified_cb (GObject    *object,
             GParamSpec *pspec,
             guint      *count)
{
  (*count)++;
}

/* A job carries its guard through its JSON, and a refresh with the same
 * guard is no news to the widgets that show it. */
static void
test_job_guard (void)
{
  g_autoptr(LpGuard) guard = parse_ok ("{\"projected\":{\"max_usd\":60},\"grace_s\":30}");
  g_autoptr(LpJob) job = lp_job_new ();
  g_autoptr(LpJob) copy = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpGuard) empty = lp_guard_new ();
  guint notified = 0;

  lp_job_set_name (job, "guarded");
  guard->set_by = g_strdup ("alice");
  guard->set_at = G_GINT64_CONSTANT (1764880000) * G_USEC_PER_SEC;
  guard->warned = LP_GUARD_RULE_PROJECTED;
  guard->warned_at = guard->set_at + 5 * G_USEC_PER_SEC;

  g_signal_connect (job, "notify::guard", G_CALLBACK (notified_cb), &notified);
  lp_job_set_guard (job, guard);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_true (lp_guard_equal (lp_job_get_guard (job), guard));
  lp_job_set_guard (job, guard);
  g_assert_cmpuint (notified, ==, 1);

  node = lp_job_to_json_node (job);
  copy = lp_job_new_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);
  g_assert_true (lp_guard_equal (lp_job_get_guard (copy), guard));

  /* An update with the same guard says nothing; a changed one does. */
  g_assert_true (lp_job_update_from_json (job, json_node_get_object (node), &error));
  g_assert_cmpuint (notified, ==, 1);
  guard->disarmed = 1u << LP_GUARD_RULE_PROJECTED;
  g_assert_false (lp_guard_equal (lp_job_get_guard (job), guard));
  lp_job_set_guard (job, guard);
  g_assert_cmpuint (notified, ==, 2);

  /* No rules is no guard, served as null. */
  lp_job_set_guard (job, empty);
  g_assert_null (lp_job_get_guard (job));
  g_assert_cmpuint (notified, ==, 3);
  g_clear_pointer (&node, json_node_unref);
  node = lp_job_to_json_node (job);
  g_assert_true (json_object_get_null_member (json_node_get_object (node), "guard"));

  /* A served guard that makes no sense fails the job's parse. */
  json_object_set_object_member (json_node_get_object (node), "guard", json_object_new ());
  json_object_set_string_member (json_object_get_object_member (json_node_get_object (node), "guard"),
                                 "warned", "everything");
  g_assert_false (lp_job_update_from_json (job, json_node_get_object (node), &error));
  g_assert_error (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID);

  g_assert_true (lp_guard_equal (NULL, NULL));
  g_assert_false (lp_guard_equal (guard, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/guard/request", test_request);
  g_test_add_func ("/guard/request-refused", test_request_refused);
  g_test_add_func ("/guard/round-trip", test_round_trip);
  g_test_add_func ("/guard/describe", test_describe);
  g_test_add_func ("/guard/thresholds", test_thresholds);
  g_test_add_func ("/guard/step", test_step);
  g_test_add_func ("/guard/disarm", test_disarm);
  g_test_add_func ("/guard/rules", test_rules);
  g_test_add_func ("/guard/job", test_job_guard);

  return g_test_run ();
}
