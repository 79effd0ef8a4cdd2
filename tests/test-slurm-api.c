/* test-slurm-api.c: the JSON of slurmrestd v0.0.38, from real replies
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The replies in data/slurm-v0.0.38/ are what slurmrestd 22.05.8 answered
 * on the test cluster (see the README there).
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "lp-json.h"
#include "ljd-slurm-api.h"

static JsonObject *
fixture (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "slurm-v0.0.38", name, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  JsonObject *object;

  g_assert_true (g_file_get_contents (path, &text, &len, &error));
  g_assert_no_error (error);
  object = lp_json_parse_object (text, len, &error);
  g_assert_no_error (error);
  return object;
}

static void
test_versions (void)
{
  LjdSlurmApiVersion version;
  g_autoptr(GError) error = NULL;
  g_autofree char *submit = NULL, *job = NULL, *jobs = NULL, *term = NULL, *kill = NULL, *ping = NULL;

  g_assert_true (ljd_slurm_api_version_from_string ("v0.0.38", &version, &error));
  g_assert_no_error (error);
  g_assert_cmpint (version, ==, LJD_SLURM_API_V0_0_38);
  g_assert_cmpstr (ljd_slurm_api_version_to_string (version), ==, "v0.0.38");
  g_assert_false (ljd_slurm_api_version_from_string ("v0.0.41", &version, &error));
  g_assert_nonnull (strstr (error->message, "v0.0.41"));

  submit = ljd_slurm_api_submit_path (LJD_SLURM_API_V0_0_38);
  job = ljd_slurm_api_job_path (LJD_SLURM_API_V0_0_38, 42);
  jobs = ljd_slurm_api_jobs_path (LJD_SLURM_API_V0_0_38);
  term = ljd_slurm_api_signal_path (LJD_SLURM_API_V0_0_38, 42, "SIGTERM");
  kill = ljd_slurm_api_signal_path (LJD_SLURM_API_V0_0_38, 42, NULL);
  ping = ljd_slurm_api_ping_path (LJD_SLURM_API_V0_0_38);
  g_assert_cmpstr (submit, ==, "/slurm/v0.0.38/job/submit");
  g_assert_cmpstr (job, ==, "/slurm/v0.0.38/job/42");
  g_assert_cmpstr (jobs, ==, "/slurm/v0.0.38/jobs/");
  g_assert_cmpstr (term, ==, "/slurm/v0.0.38/job/42?signal=SIGTERM");
  g_assert_cmpstr (kill, ==, "/slurm/v0.0.38/job/42");
  g_assert_cmpstr (ping, ==, "/slurm/v0.0.38/ping");
}

static void
test_submit_body (void)
{
  const char *names[] = { "LORA_JOB_ID", "HF_HOME", NULL };
  const char *values[] = { "7", "/scratch/hf", NULL };
  LjdSlurmSubmit submit = {
    .script = "#!/bin/sh\nexec python3 train.py\n",
    .name = "llama lora",
    .comment = "lora-jobd job 7 abc",
    .cwd = "/home/team/run",
    .standard_output = "/home/team/run/lora-job-7-%j.out",
    .partition = "gpu,debug",
    .gpus = 2,
    .cpus = 8,
    .memory_mb = 32000,
    .time_limit_min = 90,
    .env_names = names,
    .env_values = values,
  };
  g_autofree char *text = ljd_slurm_api_submit_body (LJD_SLURM_API_V0_0_38, &submit);
  g_autoptr(JsonObject) body = lp_json_parse_object (text, strlen (text), NULL);
  JsonObject *job, *env;
  g_autoptr(GList) members = NULL;

  g_assert_nonnull (body);
  g_assert_cmpstr (json_object_get_string_member (body, "script"), ==, submit.script);
  job = json_object_get_object_member (body, "job");
  g_assert_cmpstr (json_object_get_string_member (job, "name"), ==, "llama lora");
  g_assert_cmpstr (json_object_get_string_member (job, "comment"), ==, "lora-jobd job 7 abc");
  g_assert_cmpstr (json_object_get_string_member (job, "current_working_directory"), ==, "/home/team/run");
  g_assert_cmpstr (json_object_get_string_member (job, "standard_output"), ==, submit.standard_output);
  g_assert_cmpstr (json_object_get_string_member (job, "partition"), ==, "gpu,debug");
  /* sbatch's --gpus, -c with one task, --mem, --time (minutes) */
  g_assert_cmpstr (json_object_get_string_member (job, "gpus"), ==, "2");
  g_assert_cmpint (json_object_get_int_member (job, "tasks"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (job, "cpus_per_task"), ==, 8);
  g_assert_cmpint (json_object_get_int_member (job, "memory_per_node"), ==, 32000);
  g_assert_cmpint (json_object_get_int_member (job, "time_limit"), ==, 90);
  g_assert_true (json_object_get_boolean_member (job, "no_requeue"));
  g_assert_false (json_object_has_member (job, "account"));
  g_assert_false (json_object_has_member (job, "qos"));
  env = json_object_get_object_member (job, "environment");
  members = json_object_get_members (env);
  g_assert_cmpuint (g_list_length (members), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (env, "LORA_JOB_ID"), ==, "7");
  g_assert_cmpstr (json_object_get_string_member (env, "HF_HOME"), ==, "/scratch/hf");
}

static void
test_submit_reply (void)
{
  g_autoptr(JsonObject) ok = fixture ("submit.json");
  g_autoptr(GError) error = NULL;
  g_autofree char *warning = NULL;
  gint64 id = 0;

  g_assert_cmpint (ljd_slurm_api_classify (LJD_SLURM_API_V0_0_38, 200, ok), ==, LJD_SLURM_REPLY_OK);
  g_assert_true (ljd_slurm_api_parse_submit (LJD_SLURM_API_V0_0_38, ok, &id, &warning, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, ==, 1);
  g_assert_null (warning);
}

static void
test_refusals (void)
{
  g_autoptr(JsonObject) partition = fixture ("submit-invalid-partition.json");
  g_autoptr(JsonObject) parsing = fixture ("submit-parse-failure.json");
  g_autoptr(JsonObject) signal = fixture ("signal.json");
  g_autofree char *text = NULL;

  g_assert_cmpint (ljd_slurm_api_classify (LJD_SLURM_API_V0_0_38, 500, partition), ==, LJD_SLURM_REPLY_REFUSED);
  text = ljd_slurm_api_describe_errors (LJD_SLURM_API_V0_0_38, 500, partition);
  g_assert_cmpstr (text, ==, "HTTP 500: Invalid partition name specified [2000]");
  g_clear_pointer (&text, g_free);

  g_assert_cmpint (ljd_slurm_api_classify (LJD_SLURM_API_V0_0_38, 400, parsing), ==, LJD_SLURM_REPLY_REFUSED);
  text = ljd_slurm_api_describe_errors (LJD_SLURM_API_V0_0_38, 400, parsing);
  g_assert_nonnull (strstr (text, "Unknown key \"tres_per_job\""));
  g_assert_nonnull (strstr (text, "Failure during parsing [9001]"));
  g_clear_pointer (&text, g_free);

  /* A pending job takes no SIGTERM (ESLURM_TRANSITION_STATE_NO_UPDATE). */
  g_assert_cmpint (ljd_slurm_api_classify (LJD_SLURM_API_V0_0_38, 500, signal), ==, LJD_SLURM_REPLY_REFUSED);
}

static void
test_trouble (void)
{
  g_autoptr(JsonObject) unknown = fixture ("job-unknown.json");
  g_autoptr(JsonObject) expired = fixture ("job-expired-token.json");
  g_autoptr(JsonObject) empty = json_object_new ();

  g_assert_cmpint (ljd_slurm_api_classify (LJD_SLURM_API_V0_0_38, 500, unknown), ==, LJD_SLURM_REPLY_NO_SUCH_JOB);
  /* 22.05 says no more about a refused token than about a controller
   * that is down: the provider reads the token's expiry to tell. */
  g_assert_cmpint (ljd_slurm_api_classify (LJD_SLURM_API_V0_0_38, 500, expired), ==, LJD_SLURM_REPLY_TRANSIENT);
  g_assert_cmpint (ljd_slurm_api_classify (LJD_SLURM_API_V0_0_38, 401, NULL), ==, LJD_SLURM_REPLY_AUTH);
  g_assert_cmpint (ljd_slurm_api_classify (LJD_SLURM_API_V0_0_38, 403, empty), ==, LJD_SLURM_REPLY_AUTH);
  g_assert_cmpint (ljd_slurm_api_classify (LJD_SLURM_API_V0_0_38, 0, NULL), ==, LJD_SLURM_REPLY_TRANSIENT);
  g_assert_cmpint (ljd_slurm_api_classify (LJD_SLURM_API_V0_0_38, 502, NULL), ==, LJD_SLURM_REPLY_TRANSIENT);
  g_assert_cmpint (ljd_slurm_api_classify (LJD_SLURM_API_V0_0_38, 404, NULL), ==, LJD_SLURM_REPLY_REFUSED);
}

static void
test_jobs (void)
{
  g_autoptr(JsonObject) pending = fixture ("job-pending.json");
  g_autoptr(JsonObject) running = fixture ("job-running.json");
  g_autoptr(JsonObject) failed = fixture ("job-failed.json");
  g_auto(LjdSlurmJobInfo) info = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autofree char *output = NULL;

  g_assert_true (ljd_slurm_api_parse_job (LJD_SLURM_API_V0_0_38, pending, 2, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (info.state, ==, "PENDING");
  g_assert_cmpstr (info.reason, ==, "Resources");
  g_assert_cmpint (info.start_time, ==, 0);
  g_assert_cmpstr (info.comment, ==, "lora-jobd job 7 0123456789ab");
  g_assert_true (ljd_slurm_state_is_pending (info.state));
  g_assert_false (ljd_slurm_state_is_final (info.state));
  ljd_slurm_job_info_clear (&info);

  g_assert_true (ljd_slurm_api_parse_job (LJD_SLURM_API_V0_0_38, running, 1, &info, &error));
  g_assert_cmpstr (info.state, ==, "RUNNING");
  g_assert_true (ljd_slurm_state_is_running (info.state));
  g_assert_cmpint (info.start_time, >, 1700000000);
  /* A running job's end is its time limit: 5 minutes. */
  g_assert_cmpint (info.end_time - info.start_time, ==, 300);
  g_assert_cmpstr (info.batch_host, ==, "vm");
  g_assert_cmpstr (info.partition, ==, "gpu");
  ljd_slurm_job_info_clear (&info);

  g_assert_true (ljd_slurm_api_parse_job (LJD_SLURM_API_V0_0_38, failed, 1, &info, &error));
  g_assert_cmpstr (info.state, ==, "FAILED");
  g_assert_cmpstr (info.reason, ==, "NonZeroExitCode");
  /* exit_code is the wait status: 768 */
  g_assert_cmpint (info.exit_status, ==, 3);
  g_assert_cmpint (info.exit_signal, ==, 0);
  g_assert_true (ljd_slurm_state_is_final (info.state));
  g_assert_cmpint (info.end_time - info.start_time, >=, 3);
  output = ljd_slurm_expand_output_path (info.standard_output, &info);
  g_assert_true (g_str_has_suffix (output, "/work/lora-job-7-1.out"));

  /* The wrong job, or no jobs at all */
  ljd_slurm_job_info_clear (&info);
  g_assert_false (ljd_slurm_api_parse_job (LJD_SLURM_API_V0_0_38, failed, 2, &info, &error));
  g_clear_error (&error);

  all = ljd_slurm_api_parse_jobs (LJD_SLURM_API_V0_0_38, pending, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 1);
}

static void
test_output_paths (void)
{
  LjdSlurmJobInfo info = { .job_id = 42, .name = (char *) "run", .user_name = (char *) "ana",
                           .batch_host = (char *) "gpu07" };
  struct { const char *pattern, *path; } cases[] = {
    { "/w/lora-job-7-%j.out", "/w/lora-job-7-42.out" },
    { "/w/%x-%u-%N.log", "/w/run-ana-gpu07.log" },
    { "/w/%A_%a.out", "/w/42_0.out" },
    { "/w/%5j.out", "/w/00042.out" },
    { "/w/100%%-%j", "/w/100%-42" },
    { "/w/%s-%t-%n", "/w/batch-0-0" },
    { "/w/%q", "/w/%q" },
    { "/w/a\\%j", "/w/a%j" },
    { "/w/end%", "/w/end%" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = ljd_slurm_expand_output_path (cases[i].pattern, &info);
      g_assert_cmpstr (path, ==, cases[i].path);
    }
}

static void
test_tokens (void)
{
  /* What `scontrol token` prints, after SLURM_JWT=: header.claims.sig */
  const char *claims = "{\"exp\":1796357359,\"iat\":1796357358,\"sun\":\"root\"}";
  g_autofree char *b64 = g_base64_encode ((const guchar *) claims, strlen (claims));
  g_autofree char *token = NULL;
  g_autofree char *user = NULL;
  char *p;

  /* base64url, without padding */
  for (p = b64; *p; p++)
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
  while (p > b64 && p[-1] == '=')
    *--p = '\0';
  token = g_strdup_printf ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.%s.c2lnbmF0dXJl", b64);

  g_assert_cmpint (ljd_slurm_token_expiry (token), ==, 1796357359);
  user = ljd_slurm_token_user (token);
  g_assert_cmpstr (user, ==, "root");

  g_assert_cmpint (ljd_slurm_token_expiry ("not-a-jwt"), ==, 0);
  g_assert_cmpint (ljd_slurm_token_expiry ("a.!!!.c"), ==, 0);
  g_assert_cmpint (ljd_slurm_token_expiry (""), ==, 0);
  g_assert_null (ljd_slurm_token_user ("a.b"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/slurm-api/versions", test_versions);
  g_test_add_func ("/slurm-api/submit-body", test_submit_body);
  g_test_add_func ("/slurm-api/submit-reply", test_submit_reply);
  g_test_add_func ("/slurm-api/refusals", test_refusals);
  g_test_add_func ("/slurm-api/trouble", test_trouble);
  g_test_add_func ("/slurm-api/jobs", test_jobs);
  g_test_add_func ("/slurm-api/output-paths", test_output_paths);
  g_test_add_func ("/slurm-api/tokens", test_tokens);

  return g_test_run ();
}
