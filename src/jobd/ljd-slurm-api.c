/* ljd-slurm-api.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * v0.0.38 is the OpenAPI plugin of Slurm 22.05 (Debian 12). What it sends
 * and takes is defined in SchedMD/slurm at tag slurm-22-05-8-1:
 *
 *  - src/plugins/openapi/v0.0.38/jobs.c: the submit body (job_params[],
 *    the sbatch options by their long names, with "environment" a dict of
 *    strings and "script" beside "job"; _op_handler_submit_job_post()),
 *    its reply ("job_id", "step_id", "errors"), a job's fields
 *    (dump_job_info(): "job_state", "state_reason", "start_time",
 *    "exit_code" as the raw wait status, …) and DELETE …?signal=NAME
 *    (_op_handler_job(), which calls slurm_kill_job2 with KILL_FULL_JOB);
 *  - src/plugins/openapi/v0.0.38/api.c, resp_error(): an error is
 *    {"error", "error_number"} or, from slurmctld, {"error", "error_code"},
 *    sometimes with "description" and "source";
 *  - src/common/slurm_protocol_defs.c, job_state_string(): a state is one
 *    word, a flag such as COMPLETING shown instead of the base state;
 *  - slurm/slurm_errno.h: the error numbers.
 *
 * Newer plugins (v0.0.39, Slurm 23.02, to v0.0.41, 24.05) keep the paths
 * but change the shapes: "environment" becomes an array of "NAME=value",
 * numbers such as "time_limit" become {"set", "infinite", "number"},
 * "job_state" a list of words, "exit_code" an object {"status",
 * "return_code", "signal"}. Each is one more case in the functions below.
 */
#include "config.h"

#include <string.h>
#include <sys/wait.h>

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "lp-json.h"
#include "ljd-slurm-api.h"

/* slurm/slurm_errno.h (22.05) */
#define SLURM_ERROR                          (-1)
#define SLURM_PROTOCOL_AUTHENTICATION_ERROR  1007
#define ESLURM_USER_ID_MISSING               2010
#define ESLURM_INVALID_JOB_ID                2017
#define ESLURM_IN_STANDBY_MODE               2027
#define ESLURM_IN_STANDBY_USE_BACKUP         2187
#define ESLURM_AUTH_CRED_INVALID             6000
#define ESLURM_AUTH_LAST                     6099

#define MAX_ERROR_CHARS 500

gboolean
ljd_slurm_api_version_from_string (const char          *text,
                                   LjdSlurmApiVersion  *version,
                                   GError             **error)
{
  if (g_strcmp0 (text, "v0.0.38") == 0)
    {
      *version = LJD_SLURM_API_V0_0_38;
      return TRUE;
    }

  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("The Slurm REST API version “%s” is not supported; this service speaks v0.0.38 "
                 "(Slurm 22.05)"), text ? text : "");
  return FALSE;
}

const char *
ljd_slurm_api_version_to_string (LjdSlurmApiVersion version)
{
  switch (version)
    {
    case LJD_SLURM_API_V0_0_38:
    default:
      return "v0.0.38";
    }
}

/* Paths */

char *
ljd_slurm_api_ping_path (LjdSlurmApiVersion version)
{
  return g_strdup_printf ("/slurm/%s/ping", ljd_slurm_api_version_to_string (version));
}

char *
ljd_slurm_api_submit_path (LjdSlurmApiVersion version)
{
  return g_strdup_printf ("/slurm/%s/job/submit", ljd_slurm_api_version_to_string (version));
}

char *
ljd_slurm_api_jobs_path (LjdSlurmApiVersion version)
{
  /* The trailing slash is part of the route jobs.c binds. */
  return g_strdup_printf ("/slurm/%s/jobs/", ljd_slurm_api_version_to_string (version));
}

char *
ljd_slurm_api_job_path (LjdSlurmApiVersion version,
                        gint64             job_id)
{
  return g_strdup_printf ("/slurm/%s/job/%" G_GINT64_FORMAT, ljd_slurm_api_version_to_string (version), job_id);
}

char *
ljd_slurm_api_signal_path (LjdSlurmApiVersion  version,
                           gint64              job_id,
                           const char         *signal_name)
{
  g_autofree char *job = ljd_slurm_api_job_path (version, job_id);

  /* Without ?signal, v0.0.38 sends SIGKILL, which slurmd carries out as
   * Slurm's own cancel: SIGTERM, KillWait seconds, then SIGKILL. */
  if (signal_name == NULL)
    return g_steal_pointer (&job);

  return g_strdup_printf ("%s?signal=%s", job, signal_name);
}

/* Submitting */

static void
add_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, value);
}

static void
add_int (JsonBuilder *builder,
         const char  *member,
         gint64       value)
{
  if (value <= 0)
    return;
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

char *
ljd_slurm_api_submit_body (LjdSlurmApiVersion    version,
                           const LjdSlurmSubmit *submit)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (submit != NULL && submit->script != NULL, NULL);

  json_builder_begin_object (builder);
  add_string (builder, "script", submit->script);
  json_builder_set_member_name (builder, "job");
  json_builder_begin_object (builder);

  add_string (builder, "name", submit->name);
  add_string (builder, "comment", submit->comment);
  add_string (builder, "current_working_directory", submit->cwd);
  add_string (builder, "standard_output", submit->standard_output);
  add_string (builder, "partition", submit->partition);
  add_string (builder, "account", submit->account);
  add_string (builder, "qos", submit->qos);
  /* sbatch --gpus=N: the job's whole GPU count, tres_per_job gres:gpu:N. */
  if (submit->gpus > 0)
    {
      g_autofree char *gpus = g_strdup_printf ("%" G_GINT64_FORMAT, submit->gpus);
      add_string (builder, "gpus", gpus);
    }
  /* One task with all the job's CPUs: a trainer is one process that
   * starts its own threads and workers. */
  if (submit->cpus > 0)
    {
      add_int (builder, "tasks", 1);
      add_int (builder, "cpus_per_task", submit->cpus);
    }
  add_int (builder, "memory_per_node", submit->memory_mb);
  add_int (builder, "time_limit", submit->time_limit_min);
  /* A requeued job would start its training over under the same job, and
   * a job of this service does not go back from training to waiting:
   * NODE_FAIL and PREEMPTED end it instead, and the user decides. */
  json_builder_set_member_name (builder, "no_requeue");
  json_builder_add_boolean_value (builder, TRUE);

  /* v0.0.38 refuses a job without an environment; the service always
   * gives one (LORA_*). */
  json_builder_set_member_name (builder, "environment");
  json_builder_begin_object (builder);
  for (guint i = 0; submit->env_names != NULL && submit->env_names[i] != NULL; i++)
    add_string (builder, submit->env_names[i], submit->env_values[i]);
  json_builder_end_object (builder);

  json_builder_end_object (builder);
  json_builder_end_object (builder);

  return lp_json_builder_to_string (builder);
}

/* {"error": …, "error_code"|"error_number": …, "description": …} each */
static JsonArray *
errors_of (JsonObject *reply)
{
  JsonArray *errors = NULL;

  if (reply == NULL || !lp_json_get_array (reply, "errors", FALSE, &errors, NULL))
    return NULL;
  return errors;
}

static gboolean
error_number (JsonObject *error,
              gint64     *number)
{
  return (lp_json_get_int (error, "error_code", FALSE, number, NULL) &&
          json_object_has_member (error, "error_code")) ||
         (lp_json_get_int (error, "error_number", FALSE, number, NULL) &&
          json_object_has_member (error, "error_number"));
}

static gboolean
has_error_number (JsonObject *reply,
                  gint64      wanted)
{
  JsonArray *errors = errors_of (reply);

  for (guint i = 0; errors != NULL && i < json_array_get_length (errors); i++)
    {
      JsonNode *node = json_array_get_element (errors, i);
      gint64 number;

      if (JSON_NODE_HOLDS_OBJECT (node) && error_number (json_node_get_object (node), &number) &&
          number == wanted)
        return TRUE;
    }

  return FALSE;
}

char *
ljd_slurm_api_describe_errors (LjdSlurmApiVersion  version,
                               guint               http_status,
                               JsonObject         *reply)
{
  g_autoptr(GString) text = g_string_new (NULL);
  JsonArray *errors = errors_of (reply);

  for (guint i = 0; errors != NULL && i < json_array_get_length (errors); i++)
    {
      JsonNode *node = json_array_get_element (errors, i);
      JsonObject *error;
      const char *message = NULL, *description = NULL;
      gint64 number = 0;
      gboolean numbered;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      error = json_node_get_object (node);
      lp_json_get_string (error, "error", FALSE, &message, NULL);
      lp_json_get_string (error, "description", FALSE, &description, NULL);
      numbered = error_number (error, &number);

      if ((message == NULL || *message == '\0') && (description == NULL || *description == '\0'))
        continue;
      if (text->len > 0)
        g_string_append (text, "; ");
      if (message != NULL && *message != '\0')
        g_string_append (text, message);
      if (description != NULL && *description != '\0' && g_strcmp0 (description, message) != 0)
        g_string_append_printf (text, message && *message ? " (%s)" : "%s", description);
      if (numbered && number != 0)
        g_string_append_printf (text, " [%" G_GINT64_FORMAT "]", number);
    }

  if (text->len == 0)
    g_string_append_printf (text, "HTTP %u %s", http_status,
                            soup_status_get_phrase (http_status) ? soup_status_get_phrase (http_status) : "");
  else if (http_status != SOUP_STATUS_OK)
    {
      g_autofree char *prefix = g_strdup_printf ("HTTP %u: ", http_status);
      g_string_prepend (text, prefix);
    }

  g_strstrip (text->str);
  if (g_utf8_strlen (text->str, -1) > MAX_ERROR_CHARS)
    {
      g_autofree char *cut = g_utf8_substring (text->str, 0, MAX_ERROR_CHARS);
      g_string_assign (text, cut);
      g_string_append (text, "…");
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

LjdSlurmReplyKind
ljd_slurm_api_classify (LjdSlurmApiVersion  version,
                        guint               http_status,
                        JsonObject         *reply)
{
  JsonArray *errors = errors_of (reply);
  gboolean refused = FALSE;

  if (http_status == 0)
    return LJD_SLURM_REPLY_TRANSIENT;
  if (http_status == SOUP_STATUS_UNAUTHORIZED || http_status == SOUP_STATUS_FORBIDDEN)
    return LJD_SLURM_REPLY_AUTH;
  if (has_error_number (reply, ESLURM_INVALID_JOB_ID))
    return LJD_SLURM_REPLY_NO_SUCH_JOB;
  if (http_status >= 200 && http_status < 300)
    return LJD_SLURM_REPLY_OK;

  for (guint i = 0; errors != NULL && i < json_array_get_length (errors); i++)
    {
      JsonNode *node = json_array_get_element (errors, i);
      gint64 number;

      if (!JSON_NODE_HOLDS_OBJECT (node) || !error_number (json_node_get_object (node), &number))
        continue;

      if (number == SLURM_PROTOCOL_AUTHENTICATION_ERROR || number == ESLURM_USER_ID_MISSING ||
          (number >= ESLURM_AUTH_CRED_INVALID && number <= ESLURM_AUTH_LAST))
        return LJD_SLURM_REPLY_AUTH;

      /* Messages that did not get through, a controller in standby, or
       * (SLURM_ERROR) a load that failed for no stated reason: 22.05 says
       * just that when slurmctld is down, and also when it refused the
       * token, which the provider tells apart by the token's expiry. */
      if (number == SLURM_ERROR ||
          (number >= 1000 && number < 2000) ||
          (number >= 5000 && number < 6000) ||
          number == ESLURM_IN_STANDBY_MODE || number == ESLURM_IN_STANDBY_USE_BACKUP)
        continue;
      if (number != 0)
        refused = TRUE;
    }

  /* A job Slurm refuses, a body slurmrestd cannot parse (400), a path it
   * does not serve (404: another plugin version) */
  if (refused || (http_status >= 400 && http_status < 500 &&
                  http_status != SOUP_STATUS_REQUEST_TIMEOUT && http_status != 429))
    return LJD_SLURM_REPLY_REFUSED;

  return LJD_SLURM_REPLY_TRANSIENT;
}

gboolean
ljd_slurm_api_parse_submit (LjdSlurmApiVersion   version,
                            JsonObject          *reply,
                            gint64              *job_id,
                            char               **warning,
                            GError             **error)
{
  JsonArray *errors = errors_of (reply);

  *job_id = 0;
  if (warning != NULL)
    *warning = NULL;

  if (reply == NULL || !lp_json_get_int (reply, "job_id", TRUE, job_id, error))
    {
      if (reply == NULL)
        g_set_error_literal (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                             _("slurmrestd's answer is not a JSON object"));
      return FALSE;
    }

  if (*job_id <= 0)
    {
      g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_RANGE,
                   _("slurmrestd answered with the job id %" G_GINT64_FORMAT), *job_id);
      return FALSE;
    }

  /* Submitted, with something Slurm wants said ("Requested partition
   * configuration not available now": the job waits for it). */
  if (warning != NULL && errors != NULL && json_array_get_length (errors) > 0)
    {
      g_autofree char *text = ljd_slurm_api_describe_errors (version, SOUP_STATUS_OK, reply);
      if (!g_str_has_prefix (text, "HTTP "))
        *warning = g_steal_pointer (&text);
    }

  return TRUE;
}

/* Jobs */

void
ljd_slurm_job_info_clear (LjdSlurmJobInfo *info)
{
  g_clear_pointer (&info->name, g_free);
  g_clear_pointer (&info->comment, g_free);
  g_clear_pointer (&info->state, g_free);
  g_clear_pointer (&info->reason, g_free);
  g_clear_pointer (&info->description, g_free);
  g_clear_pointer (&info->standard_output, g_free);
  g_clear_pointer (&info->cwd, g_free);
  g_clear_pointer (&info->user_name, g_free);
  g_clear_pointer (&info->batch_host, g_free);
  g_clear_pointer (&info->partition, g_free);
}

void
ljd_slurm_job_info_free (LjdSlurmJobInfo *info)
{
  if (info == NULL)
    return;
  ljd_slurm_job_info_clear (info);
  g_free (info);
}

static char *
dup_member (JsonObject *object,
            const char *member)
{
  const char *value = NULL;

  /* Slurm sends null, or nothing, for what it does not have. */
  if (!lp_json_get_string (object, member, FALSE, &value, NULL) || value == NULL)
    return NULL;
  return g_strdup (value);
}

static gint64
int_member (JsonObject *object,
            const char *member)
{
  gint64 value = 0;

  if (!lp_json_get_int (object, member, FALSE, &value, NULL))
    return 0;
  return value;
}

static gboolean
fill_info (LjdSlurmApiVersion   version,
           JsonObject          *job,
           LjdSlurmJobInfo     *info,
           GError             **error)
{
  const char *state = NULL;
  gint64 status = 0;

  memset (info, 0, sizeof *info);

  if (!lp_json_get_int (job, "job_id", TRUE, &info->job_id, error) ||
      !lp_json_get_string (job, "job_state", TRUE, &state, error))
    return FALSE;

  info->state = g_strdup (state);
  info->name = dup_member (job, "name");
  info->comment = dup_member (job, "comment");
  info->reason = dup_member (job, "state_reason");
  info->description = dup_member (job, "state_description");
  info->standard_output = dup_member (job, "standard_output");
  info->cwd = dup_member (job, "current_working_directory");
  info->user_name = dup_member (job, "user_name");
  info->batch_host = dup_member (job, "batch_host");
  info->partition = dup_member (job, "partition");
  info->submit_time = int_member (job, "submit_time");
  info->start_time = int_member (job, "start_time");
  info->end_time = int_member (job, "end_time");

  /* v0.0.38: the batch script's wait status, as waitpid() gave it. */
  status = int_member (job, "exit_code");
  if (WIFSIGNALED ((int) status))
    {
      info->exit_status = -1;
      info->exit_signal = WTERMSIG ((int) status);
    }
  else
    {
      info->exit_status = WEXITSTATUS ((int) status);
      info->exit_signal = 0;
    }

  return TRUE;
}

gboolean
ljd_slurm_api_parse_job (LjdSlurmApiVersion   version,
                         JsonObject          *reply,
                         gint64               job_id,
                         LjdSlurmJobInfo     *info,
                         GError             **error)
{
  JsonArray *jobs = NULL;

  memset (info, 0, sizeof *info);

  if (reply == NULL)
    {
      g_set_error_literal (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                           _("slurmrestd's answer is not a JSON object"));
      return FALSE;
    }

  if (!lp_json_get_array (reply, "jobs", TRUE, &jobs, error))
    return FALSE;

  /* One job, or several for an array job; ours is the one with its id. */
  for (guint i = 0; i < json_array_get_length (jobs); i++)
    {
      JsonNode *node = json_array_get_element (jobs, i);
      g_auto(LjdSlurmJobInfo) candidate = { 0 };

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      if (!fill_info (version, json_node_get_object (node), &candidate, error))
        return FALSE;
      if (candidate.job_id == job_id)
        {
          *info = candidate;
          memset (&candidate, 0, sizeof candidate);
          return TRUE;
        }
    }

  g_set_error (error, LP_JSON_ERROR, LP_JSON_ERROR_MISSING,
               _("slurmrestd's answer has no job %" G_GINT64_FORMAT), job_id);
  return FALSE;
}

GPtrArray *
ljd_slurm_api_parse_jobs (LjdSlurmApiVersion   version,
                          JsonObject          *reply,
                          GError             **error)
{
  g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) ljd_slurm_job_info_free);
  JsonArray *jobs = NULL;

  if (reply == NULL)
    {
      g_set_error_literal (error, LP_JSON_ERROR, LP_JSON_ERROR_INVALID,
                           _("slurmrestd's answer is not a JSON object"));
      return NULL;
    }

  if (!lp_json_get_array (reply, "jobs", TRUE, &jobs, error))
    return NULL;

  for (guint i = 0; i < json_array_get_length (jobs); i++)
    {
      JsonNode *node = json_array_get_element (jobs, i);
      LjdSlurmJobInfo *info;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      info = g_new0 (LjdSlurmJobInfo, 1);
      if (!fill_info (version, json_node_get_object (node), info, NULL))
        {
          ljd_slurm_job_info_free (info);
          continue;
        }
      g_ptr_array_add (infos, info);
    }

  return g_steal_pointer (&infos);
}

/* Slurm's states (job_state_string() in src/common/slurm_protocol_defs.c) */

gboolean
ljd_slurm_state_is_pending (const char *state)
{
  static const char * const pending[] = {
    /* A job put back in the queue, or held there, waits again. */
    "PENDING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "SPECIAL_EXIT", "RESV_DEL_HOLD", NULL
  };

  return state != NULL && g_strv_contains (pending, state);
}

gboolean
ljd_slurm_state_is_running (const char *state)
{
  static const char * const running[] = {
    /* CONFIGURING: its nodes boot; SUSPENDED, STOPPED: it keeps them. */
    "RUNNING", "CONFIGURING", "RESIZING", "SIGNALING", "SUSPENDED", "STOPPED", NULL
  };

  return state != NULL && g_strv_contains (running, state);
}

/* COMPLETING and STAGE_OUT hide the state the job ends in; only what
 * follows them is final. */
gboolean
ljd_slurm_state_is_final (const char *state)
{
  static const char * const final[] = {
    "COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
    "DEADLINE", "OUT_OF_MEMORY", "REVOKED", NULL
  };

  return state != NULL && g_strv_contains (final, state);
}

/* The % patterns of sbatch's --output (see sbatch(1), "filename
 * pattern") that a batch job's file name can hold; others stay as they
 * are, and the file is then not found, which the provider reports. */
char *
ljd_slurm_expand_output_path (const char            *pattern,
                              const LjdSlurmJobInfo *info)
{
  g_autoptr(GString) path = g_string_new (NULL);

  if (pattern == NULL)
    return NULL;

  for (const char *p = pattern; *p; p++)
    {
      const char *q = p + 1;
      int width = 0;

      if (*p == '\\')
        {
          /* A backslash turns the patterns off for the whole name. */
          g_string_assign (path, "");
          for (const char *r = pattern; *r; r++)
            if (*r != '\\')
              g_string_append_c (path, *r);
          return g_string_free (g_steal_pointer (&path), FALSE);
        }

      if (*p != '%')
        {
          g_string_append_c (path, *p);
          continue;
        }

      /* %%, or a zero-padded number width: %5j */
      if (*q == '%')
        {
          g_string_append_c (path, '%');
          p = q;
          continue;
        }
      while (g_ascii_isdigit (*q))
        width = width * 10 + (*q++ - '0');
      width = MIN (width, 10);

      switch (*q)
        {
        case 'j':
        case 'A':
          g_string_append_printf (path, "%0*" G_GINT64_FORMAT, width, info->job_id);
          break;
        case 'x':
          g_string_append (path, info->name ? info->name : "");
          break;
        case 'u':
          g_string_append (path, info->user_name ? info->user_name : "");
          break;
        case 'N':
          g_string_append (path, info->batch_host ? info->batch_host : "");
          break;
        case 'n':
        case 't':
        case 's':
          /* Node, task and step numbers of a batch script are all 0, and
           * its step is "batch". */
          if (*q == 's')
            g_string_append (path, "batch");
          else
            g_string_append_printf (path, "%0*d", width, 0);
          break;
        case 'a':
          g_string_append_printf (path, "%0*d", width, 0);
          break;
        case '\0':
          g_string_append_c (path, '%');
          return g_string_free (g_steal_pointer (&path), FALSE);
        default:
          g_string_append_len (path, p, q - p + 1);
          break;
        }
      p = q;
    }

  return g_string_free (g_steal_pointer (&path), FALSE);
}

/* Tokens from `scontrol token` are JWTs (auth/jwt, HS256) whose claims
 * hold "exp" and "sun", the user name. Nothing here checks the signature:
 * slurmctld does. */
static JsonObject *
token_claims (const char *token)
{
  g_auto(GStrv) parts = NULL;
  g_autofree guchar *decoded = NULL;
  g_autoptr(GString) b64 = NULL;
  gsize len = 0;

  if (token == NULL)
    return NULL;

  parts = g_strsplit (token, ".", -1);
  if (g_strv_length (parts) != 3 || strlen (parts[1]) > 8192)
    return NULL;

  b64 = g_string_new (parts[1]);
  for (gsize i = 0; i < b64->len; i++)
    {
      if (b64->str[i] == '-')
        b64->str[i] = '+';
      else if (b64->str[i] == '_')
        b64->str[i] = '/';
    }
  while (b64->len % 4 != 0)
    g_string_append_c (b64, '=');

  decoded = g_base64_decode (b64->str, &len);
  if (decoded == NULL || len == 0)
    return NULL;

  return lp_json_parse_object ((const char *) decoded, len, NULL);
}

/* Seconds since the epoch the token expires at; 0 when it says nothing. */
gint64
ljd_slurm_token_expiry (const char *token)
{
  g_autoptr(JsonObject) claims = token_claims (token);
  double exp = 0;

  if (claims == NULL || !lp_json_get_double (claims, "exp", FALSE, &exp, NULL) || !(exp > 0))
    return 0;
  return (gint64) exp;
}

char *
ljd_slurm_token_user (const char *token)
{
  g_autoptr(JsonObject) claims = token_claims (token);

  return claims ? dup_member (claims, "sun") : NULL;
}
