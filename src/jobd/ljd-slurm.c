/* ljd-slurm.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Slurm provider submits each job as a batch job through slurmrestd
 * (Slurm's REST daemon), watches it there and cancels it there. Slurm is
 * the scheduler: a job of this provider takes none of the service's slots
 * and leaves its queue at once, to wait in Slurm's, where its substatus
 * says why in Slurm's own words ("Waiting in Slurm: Resources").
 *
 * Progress comes from the trainer through the webhook, like any trainer
 * (LORA_WEBHOOK_URL and LORA_WEBHOOK_SECRET are in the batch job's
 * environment), or, from a trainer that only prints, from the job's
 * standard output file on the cluster's shared file system, read by the
 * same log follower as the local provider's output (ljd-log-follower.h).
 * The provider says only what no trainer can: that Slurm started the job
 * (the cost counts from Slurm's start time), how it ended (Slurm's state,
 * exit status and the output's tail), that someone cancelled it on the
 * cluster.
 *
 * What a restart needs is in the job's provider state: the Slurm job id,
 * or before slurmrestd answered the submit, the comment the job carries
 * ("lora-jobd job <id> <nonce>"), by which a submit whose answer was lost
 * is found again instead of being repeated; and the follower's state.
 *
 * The token (a JWT from `scontrol token`) is read from its file, again
 * whenever the file changes, since such tokens expire. It goes into the
 * X-SLURM-USER-TOKEN header of requests and nowhere else: not into logs,
 * events, job errors, the store or the batch job.
 *
 * Every version-specific piece of JSON is in ljd-slurm-api.c; the job's
 * config is read in ljd-slurm-config.c, the token in ljd-slurm-token.c,
 * and each job's life in Slurm is ljd-slurm-run.c's. Everything runs on
 * the service's main context; no call blocks it but the stat() of the
 * token file, a local file.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "lp-json.h"
#include "ljd-slurm-private.h"
#include "ljd-slurm-config.h"
#include "ljd-timeout.h"

/* How often a job's state is read; LORA_SLURM_POLL_MS overrides it. A
 * cluster's users poll squeue like this; slurmrestd takes it easily. */
#define POLL_INTERVAL_MS (10 * 1000)
/* How long a submit may keep failing before the job fails: a job that
 * was never submitted would otherwise wait in provisioning forever. A
 * submitted job is never failed for slurmrestd's absence: it runs on.
 * LORA_SLURM_RETRY_LIMIT_MS overrides it. */
#define RETRY_LIMIT_MS (10 * 60 * 1000)
/* slurmrestd waits up to its MessageTimeout for slurmctld; a little more. */
#define REQUEST_TIMEOUT_S 40

enum {
  PROP_0,
  PROP_SERVICE,
  PROP_URL,
  PROP_USER,
  PROP_TOKEN_FILE,
  PROP_PUBLIC_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void provider_iface_init (LjdProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LjdSlurm, ljd_slurm, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (LJD_TYPE_PROVIDER, provider_iface_init))

static guint
env_ms (const char *name,
        guint       fallback,
        guint       min)
{
  const char *value = g_getenv (name);
  guint64 ms;

  if (value != NULL && g_ascii_string_to_unsigned (value, 10, min, G_MAXINT32, &ms, NULL))
    return (guint) ms;

  return fallback;
}

const char *
ljd_slurm_user_name (LjdSlurm *self)
{
  if (self->user != NULL)
    return self->user;
  if (ljd_slurm_token_get_user (self->token) != NULL)
    return ljd_slurm_token_get_user (self->token);
  return g_get_user_name ();
}

/* Requests */

typedef struct
{
  LjdSlurm  *self;
  LjdSlurmReplyFunc  func;
  gpointer   user_data;
} Call;

static void
api_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  SoupSession *session = SOUP_SESSION (object);
  Call *call = user_data;
  LjdSlurm *self = call->self;
  LjdSlurmReply reply = { 0, NULL, LJD_SLURM_REPLY_TRANSIENT, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (session, result, &error);
  SoupMessage *msg = soup_session_get_async_result_message (session, result);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_free (call->user_data);
      g_object_unref (call->self);
      g_free (call);
      return;
    }

  if (error == NULL && msg != NULL)
    {
      gsize size = 0;
      const char *data = body ? g_bytes_get_data (body, &size) : NULL;

      reply.status = soup_message_get_status (msg);
      if (size > 0)
        reply.object = lp_json_parse_object (data, size, NULL);
      reply.kind = ljd_slurm_api_classify (self->api, reply.status, reply.object);
      if (reply.kind != LJD_SLURM_REPLY_OK)
        {
          g_autofree char *text = ljd_slurm_api_describe_errors (self->api, reply.status, reply.object);
          reply.problem = ljd_slurm_token_redact (self->token, text);
        }
    }
  else
    {
      g_autofree char *message = ljd_slurm_token_redact (self->token, error ? error->message : _("no answer"));
      reply.problem = g_strdup_printf (_("no answer from slurmrestd at %s: %s"), self->url, message);
    }

  /* 22.05 says only "Unspecified error" when slurmctld refuses a token,
   * which an expired one is known to be. */
  if (reply.kind == LJD_SLURM_REPLY_TRANSIENT && reply.status != 0 && ljd_slurm_token_is_expired (self->token))
    reply.kind = LJD_SLURM_REPLY_AUTH;

  call->func (self, &reply, call->user_data);

  g_clear_pointer (&reply.object, json_object_unref);
  g_free (reply.problem);
  g_free (call->user_data);
  g_object_unref (call->self);
  g_free (call);
}

/* @user_data is g_free()d after @func. */
void
ljd_slurm_send (LjdSlurm          *self,
                const char        *method,
                const char        *path,
                const char        *body,
                LjdSlurmReplyFunc  func,
                gpointer           user_data)
{
  g_autofree char *url = g_strconcat (self->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  SoupMessageHeaders *headers;
  Call *call;

  /* The URL was checked when the service started; paths are ours. */
  g_return_if_fail (msg != NULL);

  if (self->session == NULL)
    {
      g_free (user_data);
      return;
    }

  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Accept", "application/json");
  soup_message_headers_replace (headers, "X-SLURM-USER-NAME", ljd_slurm_user_name (self));
  if (ljd_slurm_token_get_value (self->token) != NULL)
    soup_message_headers_replace (headers, "X-SLURM-USER-TOKEN", ljd_slurm_token_get_value (self->token));
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  call = g_new0 (Call, 1);
  call->self = g_object_ref (self);
  call->func = func;
  call->user_data = user_data;

  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
                                    self->cancellable, api_cb, call);
}

/* GObject */

static void
ljd_slurm_dispose (GObject *object)
{
  LjdSlurm *self = (LjdSlurm *) object;
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);

  /* Slurm jobs keep running: a restart re-attaches to them. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  /* Waiting cancels hear about it only once the runs are gone, since
   * their callbacks may call back into the provider. */
  if (self->runs != NULL)
    {
      GHashTableIter iter;
      LjdSlurmRun *run;

      g_hash_table_iter_init (&iter, self->runs);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &run))
        if (run->cancel_task != NULL)
          g_ptr_array_add (tasks, g_steal_pointer (&run->cancel_task));
      g_hash_table_remove_all (self->runs);
    }

  if (self->webhook_session != NULL)
    soup_session_abort (self->webhook_session);
  g_clear_object (&self->webhook_session);

  for (guint i = 0; i < tasks->len; i++)
    g_task_return_new_error (g_ptr_array_index (tasks, i), G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _("The service stopped before Slurm confirmed that the job ended"));

  G_OBJECT_CLASS (ljd_slurm_parent_class)->dispose (object);
}

static void
ljd_slurm_finalize (GObject *object)
{
  LjdSlurm *self = (LjdSlurm *) object;

  g_clear_pointer (&self->runs, g_hash_table_unref);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->token);
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->public_url, g_free);

  G_OBJECT_CLASS (ljd_slurm_parent_class)->finalize (object);
}

static char *
without_trailing_slash (const char *url)
{
  char *copy = g_strdup (url);
  gsize len = copy ? strlen (copy) : 0;

  while (len > 0 && copy[len - 1] == '/')
    copy[--len] = '\0';

  return copy;
}

static void
ljd_slurm_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  LjdSlurm *self = LJD_SLURM (object);

  switch (prop_id)
    {
    case PROP_SERVICE: g_value_set_object (value, self->service); break;
    case PROP_URL: g_value_set_string (value, self->url); break;
    case PROP_USER: g_value_set_string (value, self->user); break;
    case PROP_TOKEN_FILE: g_value_set_string (value, ljd_slurm_token_get_path (self->token)); break;
    case PROP_PUBLIC_URL: g_value_set_string (value, self->public_url); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ljd_slurm_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  LjdSlurm *self = LJD_SLURM (object);

  switch (prop_id)
    {
    case PROP_SERVICE: self->service = g_value_get_object (value); break;
    case PROP_URL: self->url = without_trailing_slash (g_value_get_string (value)); break;
    case PROP_USER: self->user = g_value_dup_string (value); break;
    case PROP_TOKEN_FILE: self->token = ljd_slurm_token_new (g_value_get_string (value)); break;
    case PROP_PUBLIC_URL: self->public_url = without_trailing_slash (g_value_get_string (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ljd_slurm_class_init (LjdSlurmClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ljd_slurm_dispose;
  object_class->finalize = ljd_slurm_finalize;
  object_class->get_property = ljd_slurm_get_property;
  object_class->set_property = ljd_slurm_set_property;

  /* Not a reference: the service owns its providers. */
  properties[PROP_SERVICE] =
    g_param_spec_object ("service", NULL, NULL, LJD_TYPE_SERVICE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER] =
    g_param_spec_string ("user", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* The file's name, never its contents. */
  properties[PROP_TOKEN_FILE] =
    g_param_spec_string ("token-file", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PUBLIC_URL] =
    g_param_spec_string ("public-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ljd_slurm_init (LjdSlurm *self)
{
  self->runs = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                      (GDestroyNotify) ljd_slurm_run_free);
  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();
  self->poll_ms = env_ms ("LORA_SLURM_POLL_MS", POLL_INTERVAL_MS, 50);
  self->grace_ms = env_ms ("LORA_SLURM_GRACE_MS", LJD_SLURM_DEFAULT_GRACE_MS, 0);
  self->retry_limit_ms = env_ms ("LORA_SLURM_RETRY_LIMIT_MS", RETRY_LIMIT_MS, 1);
  /* slurmrestd is reached however the system reaches hosts; the timeout
   * turns a hung request into a retry. */
  self->session = soup_session_new_with_options ("timeout", REQUEST_TIMEOUT_S,
                                                 "user-agent", "lora-jobd/" PACKAGE_VERSION,
                                                 NULL);
  /* The followers post to this very service, on loopback: no proxy. */
  self->webhook_session = soup_session_new_with_options ("proxy-resolver", NULL,
                                                         "timeout", 30,
                                                         "user-agent", "lora-jobd-slurm/" PACKAGE_VERSION,
                                                         NULL);
}

static gboolean
check_url (const char  *option,
           const char  *url,
           GError     **error)
{
  g_autoptr(GUri) uri = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0) ||
      g_uri_get_query (uri) != NULL || g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("%s: “%s” is not an http or https URL"), option, url ? url : "");
      return FALSE;
    }

  return TRUE;
}

/**
 * ljd_slurm_new:
 * @service: the service whose jobs go to Slurm
 * @url: slurmrestd's base URL (http://host:6820)
 * @user: (nullable): the Slurm user the token is for; %NULL: the token's own
 * @token_file: the file holding the token; read now, and again when it changes
 * @api: the OpenAPI plugin version slurmrestd serves
 * @public_url: (nullable): the service's base URL as compute nodes reach it
 *
 * Returns: (nullable): the provider, or %NULL when the options are wrong:
 *   a URL that is not one, a token file that cannot be read or holds no
 *   token. An expired token is fine: it is reported on the jobs and
 *   replaced by renewing the file.
 */
LjdSlurm *
ljd_slurm_new (LjdService          *service,
               const char          *url,
               const char          *user,
               const char          *token_file,
               LjdSlurmApiVersion   api,
               const char          *public_url,
               GError             **error)
{
  g_autoptr(LjdSlurm) self = NULL;

  g_return_val_if_fail (LJD_IS_SERVICE (service), NULL);

  if (!check_url ("--slurm-url", url, error) ||
      (public_url != NULL && !check_url ("--public-url", public_url, error)))
    return NULL;

  if (user != NULL && (*user == '\0' || strpbrk (user, " \t\r\n:") != NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--slurm-user: “%s” is not a user name"), user);
      return NULL;
    }

  if (token_file == NULL || *token_file == '\0')
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("The Slurm provider needs --slurm-token-file FILE, a file holding a token "
                             "from “scontrol token”"));
      return NULL;
    }

  self = g_object_new (LJD_TYPE_SLURM,
                       "service", service,
                       "url", url,
                       "user", user,
                       "token-file", token_file,
                       "public-url", public_url,
                       NULL);
  self->api = api;

  if (!ljd_slurm_token_refresh (self->token))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "--slurm-token-file: %s",
                   ljd_slurm_token_get_problem (self->token));
      return NULL;
    }

  return g_steal_pointer (&self);
}

guint
ljd_slurm_get_n_runs (LjdSlurm *self)
{
  g_return_val_if_fail (LJD_IS_SLURM (self), 0);
  return g_hash_table_size (self->runs);
}

/* LjdProvider */

static const char *
ljd_slurm_get_name (LjdProvider *provider)
{
  return "slurm";
}

static gboolean
ljd_slurm_validate_config (LjdProvider  *provider,
                           LpJob        *job,
                           GError      **error)
{
  g_auto(LjdSlurmConfig) config = { 0 };

  return ljd_slurm_config_parse (lp_job_get_config (job), &config, error);
}

static void
ljd_slurm_start (LjdProvider *provider,
                 LpJob       *job,
                 const char  *webhook_secret,
                 gboolean     reattach)
{
  LjdSlurm *self = LJD_SLURM (provider);
  gint64 id = lp_job_get_id (job);
  g_auto(LjdSlurmState) state = { 0 };
  LjdSlurmRun *run;

  run = ljd_slurm_run_new (self, job);
  run->secret = g_strdup (webhook_secret);

  if (reattach && ljd_slurm_state_load (self, id, &state))
    {
      run->nonce = g_steal_pointer (&state.nonce);
      run->slurm_id = state.slurm_id;
      run->output = g_steal_pointer (&state.output);
      run->state = g_steal_pointer (&state.state);
      run->detail = g_steal_pointer (&state.detail);
      run->start_time = state.start_time;
      run->started = state.start_time > 0;
      /* A nonce without an id: a submit may have been under way. */
      run->maybe_submitted = run->slurm_id == 0;
      if (run->started && run->output != NULL)
        ljd_slurm_run_start_follower (run, state.follower);
      g_message ("Job %" G_GINT64_FORMAT ": watching Slurm job %" G_GINT64_FORMAT " again",
                 id, run->slurm_id);
    }
  else
    {
      run->nonce = ljd_random_hex (6);
      /* Recorded before the request, so that a job whose submit answer
       * never arrives can still be found, watched and cancelled. */
      ljd_slurm_state_save (run);
    }

  ljd_slurm_run_step (run);
}

static void
ljd_slurm_cancel_async (LjdProvider         *provider,
                        LpJob               *job,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  LjdSlurm *self = LJD_SLURM (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  gint64 id = lp_job_get_id (job);
  LjdSlurmRun *run = g_hash_table_lookup (self->runs, &id);

  g_task_set_source_tag (task, ljd_slurm_cancel_async);

  if (run == NULL)
    {
      g_auto(LjdSlurmState) state = { 0 };

      /* No run (the job could not be watched): the stored job is all. */
      if (!ljd_slurm_state_load (self, id, &state) || state.slurm_id <= 0)
        {
          g_task_return_boolean (task, TRUE);
          return;
        }
      run = ljd_slurm_run_new (self, job);
      run->nonce = g_steal_pointer (&state.nonce);
      run->slurm_id = state.slurm_id;
    }

  if (run->cancel_task != NULL || run->ended)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* From now on the end of the Slurm job is the cancel's. */
  ljd_slurm_run_stop_follower (run);
  run->cancel_task = g_steal_pointer (&task);
  run->cancel_started = g_get_monotonic_time ();
  run->backoff_ms = 0;
  if (!run->in_flight)
    ljd_slurm_run_step (run);
}

static gboolean
ljd_slurm_cancel_finish (LjdProvider   *provider,
                         GAsyncResult  *result,
                         GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The job is over for the service (its trainer reported, or it was
 * failed or cancelled): nothing more to watch. A finished job's Slurm job
 * is left alone, like a local process: a trainer that reported its own
 * end may still be saving its work. */
static void
kill_cb (LjdSlurm            *self,
         const LjdSlurmReply *reply,
         gpointer             user_data)
{
  const gint64 *ids = user_data;   /* job id, Slurm job id */

  if (reply->kind == LJD_SLURM_REPLY_OK || reply->kind == LJD_SLURM_REPLY_NO_SUCH_JOB)
    g_message ("Job %" G_GINT64_FORMAT ": Slurm job %" G_GINT64_FORMAT " cancelled", ids[0], ids[1]);
  else
    g_message ("Job %" G_GINT64_FORMAT ": Slurm job %" G_GINT64_FORMAT " could not be cancelled: %s",
               ids[0], ids[1], reply->problem);
}

static void
ljd_slurm_forget (LjdProvider *provider,
                  gint64       job_id)
{
  LjdSlurm *self = LJD_SLURM (provider);
  LjdSlurmRun *run = g_hash_table_lookup (self->runs, &job_id);
  g_autoptr(LpJob) job = NULL;
  g_auto(LjdSlurmState) state = { 0 };

  if (run != NULL)
    {
      ljd_slurm_run_remove (run);
      return;
    }

  /* No run, and the job is being cancelled: the service stopped in the
   * middle of a cancel and ends it now, without waiting. The Slurm job
   * must not outlive it: Slurm's cancel, once, without a grace period. */
  job = ljd_store_get_job (ljd_service_get_store (self->service), job_id, NULL);
  if (job != NULL && lp_job_get_status (job) == LP_JOB_STATUS_CANCELLING &&
      ljd_slurm_state_load (self, job_id, &state) && state.slurm_id > 0 && ljd_slurm_token_refresh (self->token))
    {
      g_autofree char *path = ljd_slurm_api_signal_path (self->api, state.slurm_id, NULL);
      gint64 *ids = g_new (gint64, 2);

      ids[0] = job_id;
      ids[1] = state.slurm_id;
      ljd_slurm_send (self, "DELETE", path, NULL, kill_cb, ids);
    }
}

static gboolean
ljd_slurm_uses_slots (LjdProvider *provider)
{
  /* Slurm queues the cluster's work itself. */
  return FALSE;
}

static char *
ljd_slurm_describe (LjdProvider *provider,
                    gint64       job_id)
{
  LjdSlurm *self = LJD_SLURM (provider);
  LjdSlurmRun *run = g_hash_table_lookup (self->runs, &job_id);

  if (run == NULL)
    return NULL;
  if (run->cancel_task != NULL)
    return g_strdup (_("Cancelling in Slurm"));
  return g_strdup (run->detail);
}

static void
provider_iface_init (LjdProviderInterface *iface)
{
  iface->get_name = ljd_slurm_get_name;
  iface->validate_config = ljd_slurm_validate_config;
  iface->start = ljd_slurm_start;
  iface->cancel_async = ljd_slurm_cancel_async;
  iface->cancel_finish = ljd_slurm_cancel_finish;
  iface->forget = ljd_slurm_forget;
  iface->uses_slots = ljd_slurm_uses_slots;
  iface->describe = ljd_slurm_describe;
}
