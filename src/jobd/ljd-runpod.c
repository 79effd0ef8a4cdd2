/* ljd-runpod.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The RunPod provider rents one pod per job through RunPod's REST API v2
 * (https://docs.runpod.io/api-reference-v2/overview) and owns that pod's
 * life: it creates the pod with the job's webhook in its environment,
 * watches its status, and terminates it when the job ends for any reason.
 * Progress comes from the user's trainer inside the pod, through the
 * webhook like any trainer; the provider reports only what no trainer can:
 * that the pod is gone, or that RunPod will not give one.
 *
 * Money shapes the design. A pod bills until it is deleted, so
 *  - the pod's name is stored in the job's provider state before it is
 *    asked for, and its id as soon as RunPod answers;
 *  - a create that may have reached RunPod without an answer (a timeout, a
 *    5xx, a restart mid-request) is looked up by name before it is
 *    repeated, since the API has no idempotency key;
 *  - a sweep lists the account's pods now and then and deletes those whose
 *    job here has finished, so a delete that failed is retried later.
 *
 * Everything runs on the service's main context; no call blocks it.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <libsoup/soup.h>

#include <glib/gi18n-lib.h>

#include "lp-format.h"
#include "lp-json.h"
#include "ljd-runpod.h"
#include "ljd-timeout.h"

/* How often a pod's status is read; LORA_RUNPOD_POLL_MS overrides it for
 * tests. RunPod's default quota is 60 requests a minute per account. */
#define POLL_INTERVAL_MS (30 * 1000)
/* How long requests may keep failing (timeouts, 5xx, 429) before the job
 * fails, so that no job waits in provisioning forever; overridden by
 * LORA_RUNPOD_RETRY_LIMIT_MS. */
#define RETRY_LIMIT_MS (10 * 60 * 1000)
/* How often finished jobs' pods are looked for; LORA_RUNPOD_SWEEP_MS. */
#define SWEEP_INTERVAL_MS (5 * 60 * 1000)
#define FIRST_BACKOFF_MS 2000
#define MAX_BACKOFF_MS (60 * 1000)
#define REQUEST_TIMEOUT_S 30
/* Pod names are "lora-jobd-<job id>-<random>": the sweep finds its own
 * pods by them, and the random part tells a job's pod from another
 * service's pod for a job with the same id. */
#define POD_NAME_PREFIX "lora-jobd-"
#define MAX_PROBLEM_CHARS 500
#define COST_EVENT_SOURCE "runpod-pod-cost"
#define DEFAULT_DISK_GB 50
#define VOLUME_PATH "/workspace"
/* libsoup 3.2 has no name for it. */
#define HTTP_TOO_MANY_REQUESTS 429

struct _LjdRunpod
{
  GObject       parent_instance;

  LjdService   *service;      /* weak: the service owns its providers */
  char         *api_key;
  char         *api_url;
  char         *public_url;
  GMainContext *context;
  SoupSession  *session;
  GCancellable *cancellable;  /* every request; cancelled on dispose */
  GHashTable   *runs;         /* job id -> PodRun */
  guint         next_serial;
  guint         poll_ms;
  guint         retry_limit_ms;
  guint         sweep_ms;
  gint64        not_before;   /* monotonic µs: RunPod asked us to wait */
  GSource      *sweep_source;
  gboolean      sweeping;
};

enum {
  PROP_0,
  PROP_SERVICE,
  PROP_API_KEY,
  PROP_API_URL,
  PROP_PUBLIC_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* One job's pod, from the create request until RunPod confirms its end. */
typedef struct
{
  LjdRunpod  *runpod;         /* weak */
  gint64      job_id;
  guint       serial;         /* tells a stale answer from a current one */
  char       *secret;
  char       *name;
  char       *pod_id;
  JsonObject *config;
  char       *gpu_type;
  double      hourly_rate;
  GSource    *timer;
  gint64      trouble_since;  /* monotonic µs of the first failure in a row; 0: none */
  guint       backoff_ms;
  GTask      *cancel_task;    /* a cancel waiting for the pod to go */
  guint       finished : 1;   /* the job is over: the pod must go */
  guint       in_flight : 1;
  guint       maybe_created : 1;  /* a create may have reached RunPod unanswered */
  guint       exited_seen : 1;
  guint       cost_checked : 1;
} PodRun;

/* What a job's config asks RunPod for. */
typedef struct
{
  const char *image;
  const char *gpu_type_id;
  gint64      gpu_count;
  gint64      disk_gb;
  gint64      volume_gb;      /* 0: none */
  const char *args;
  const char *cloud;
  JsonObject *env;            /* borrowed; NULL: none */
} PodSpec;

static void provider_iface_init (LjdProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LjdRunpod, ljd_runpod, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (LJD_TYPE_PROVIDER, provider_iface_init))

static void run_step (PodRun *run);

static guint
env_ms (const char *name,
        guint       fallback)
{
  const char *value = g_getenv (name);
  guint64 ms;

  if (value != NULL && g_ascii_string_to_unsigned (value, 10, 1, G_MAXINT32, &ms, NULL))
    return (guint) ms;

  return fallback;
}

/* Whatever RunPod or the network says goes into job errors and events,
 * which every user reads; the key must never be among it. */
static char *
redact (LjdRunpod  *self,
        const char *text)
{
  g_auto(GStrv) parts = NULL;

  if (text == NULL || self->api_key == NULL || *self->api_key == '\0' ||
      strstr (text, self->api_key) == NULL)
    return g_strdup (text);

  parts = g_strsplit (text, self->api_key, -1);
  return g_strjoinv ("[redacted]", parts);
}

/* Runs */

static void
pod_run_free (PodRun *run)
{
  ljd_source_clear (&run->timer);
  /* Only a run replaced by a new start of its job can still hold one. */
  if (run->cancel_task != NULL)
    {
      g_task_return_boolean (run->cancel_task, TRUE);
      g_clear_object (&run->cancel_task);
    }
  g_free (run->secret);
  g_free (run->name);
  g_free (run->pod_id);
  g_clear_pointer (&run->config, json_object_unref);
  g_free (run->gpu_type);
  g_free (run);
}

static PodRun *
run_new (LjdRunpod *self,
         gint64     job_id)
{
  PodRun *run = g_new0 (PodRun, 1);

  run->runpod = self;
  run->job_id = job_id;
  run->serial = ++self->next_serial;
  g_hash_table_replace (self->runs, &run->job_id, run);

  return run;
}

static PodRun *
run_lookup (LjdRunpod *self,
            gint64     job_id,
            guint      serial)
{
  PodRun *run = g_hash_table_lookup (self->runs, &job_id);

  return run != NULL && run->serial == serial ? run : NULL;
}

/* Provider state: {"name": …, "pod": …, "deleted": bool, "undeletable": bool},
 * kept in the job's row so a restart, a cancel or the sweep can find the pod. */

typedef struct
{
  char     *name;
  char     *pod;
  gboolean  deleted;
  gboolean  undeletable;
} PodState;

static void
pod_state_clear (PodState *state)
{
  g_clear_pointer (&state->name, g_free);
  g_clear_pointer (&state->pod, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PodState, pod_state_clear)

static void
state_load (LjdRunpod *self,
            gint64     job_id,
            PodState  *state)
{
  g_autofree char *text = ljd_store_get_provider_state (ljd_service_get_store (self->service), job_id);
  g_autoptr(JsonObject) obj = NULL;
  const char *name = NULL, *pod = NULL;

  memset (state, 0, sizeof *state);
  if (text == NULL || !(obj = lp_json_parse_object (text, strlen (text), NULL)))
    return;

  if (lp_json_get_string (obj, "name", FALSE, &name, NULL))
    state->name = g_strdup (name);
  if (lp_json_get_string (obj, "pod", FALSE, &pod, NULL))
    state->pod = g_strdup (pod);
  lp_json_get_bool (obj, "deleted", FALSE, &state->deleted, NULL);
  lp_json_get_bool (obj, "undeletable", FALSE, &state->undeletable, NULL);
}

static void
state_save (LjdRunpod  *self,
            gint64      job_id,
            const char *name,
            const char *pod,
            gboolean    deleted,
            gboolean    undeletable)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  json_builder_begin_object (builder);
  lp_json_add_string_or_null (builder, "name", name);
  lp_json_add_string_or_null (builder, "pod", pod);
  json_builder_set_member_name (builder, "deleted");
  json_builder_add_boolean_value (builder, deleted);
  json_builder_set_member_name (builder, "undeletable");
  json_builder_add_boolean_value (builder, undeletable);
  json_builder_end_object (builder);
  text = lp_json_builder_to_string (builder);

  /* A job deleted meanwhile has no row; its pod is then the sweep's. */
  if (!ljd_store_set_provider_state (ljd_service_get_store (self->service), job_id, text, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("Cannot record RunPod pod %s of job %" G_GINT64_FORMAT ": %s",
               pod ? pod : name, job_id, error->message);
}

/* The job's config */

static gboolean
get_int_in (JsonObject  *config,
            const char  *member,
            gint64       min,
            gint64       max,
            gint64       fallback,
            gint64      *value,
            GError     **error)
{
  *value = fallback;
  if (!json_object_has_member (config, member) || json_object_get_null_member (config, member))
    return TRUE;

  if (!lp_json_get_int (config, member, TRUE, value, error))
    return FALSE;

  if (*value < min || *value > max)
    return ljd_service_invalid (error, _("“%s” must be from %lld to %lld"),
                                member, (long long) min, (long long) max);

  return TRUE;
}

static gboolean
valid_env_name (const char *name)
{
  if (!g_ascii_isalpha (name[0]) && name[0] != '_')
    return FALSE;

  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;

  return TRUE;
}

/* Reads a job's config into @spec; @spec borrows from @config. */
static gboolean
read_spec (JsonObject  *config,
           const char  *gpu_type,
           PodSpec     *spec,
           GError     **error)
{
  static const char *known[] = {
    "image", "gpu_type_id", "gpu_count", "container_disk_gb", "volume_gb", "env", "args", "cloud", NULL
  };
  g_autoptr(GList) members = json_object_get_members (config);

  memset (spec, 0, sizeof *spec);

  /* A misspelt key would otherwise rent a pod without what it asked for. */
  for (const GList *l = members; l; l = l->next)
    if (!g_strv_contains (known, l->data))
      {
        g_autofree char *list = g_strjoinv (", ", (char **) known);
        return ljd_service_invalid (error, _("Unknown key “%s”; the keys are %s"), (const char *) l->data, list);
      }

  if (!lp_json_get_string (config, "image", TRUE, &spec->image, error) ||
      !lp_json_get_string (config, "gpu_type_id", FALSE, &spec->gpu_type_id, error) ||
      !get_int_in (config, "gpu_count", 1, 64, 1, &spec->gpu_count, error) ||
      !get_int_in (config, "container_disk_gb", 1, 100000, DEFAULT_DISK_GB, &spec->disk_gb, error) ||
      /* RunPod's floor for a persistent volume is 10 GB. */
      !get_int_in (config, "volume_gb", 10, 100000, 0, &spec->volume_gb, error) ||
      !lp_json_get_string (config, "args", FALSE, &spec->args, error) ||
      !lp_json_get_string (config, "cloud", FALSE, &spec->cloud, error) ||
      !lp_json_get_object (config, "env", FALSE, &spec->env, error))
    return FALSE;

  if (*spec->image == '\0')
    return ljd_service_invalid (error, _("“image” must not be empty"));

  if (spec->gpu_type_id == NULL)
    spec->gpu_type_id = gpu_type;
  if (spec->gpu_type_id == NULL || *spec->gpu_type_id == '\0')
    return ljd_service_invalid (error, _("“gpu_type_id” must not be empty"));

  if (spec->cloud != NULL && !g_str_equal (spec->cloud, "SECURE") && !g_str_equal (spec->cloud, "COMMUNITY"))
    return ljd_service_invalid (error, _("“cloud” must be SECURE or COMMUNITY"));

  if (spec->env != NULL)
    {
      g_autoptr(GList) names = json_object_get_members (spec->env);

      for (const GList *l = names; l; l = l->next)
        {
          const char *name = l->data;
          JsonNode *node = json_object_get_member (spec->env, name);

          if (!valid_env_name (name))
            return ljd_service_invalid (error, _("“env” has “%s”, which is not an environment variable name"), name);
          /* The service's own variables must reach the trainer as the
           * service set them. */
          if (g_str_has_prefix (name, "LORA_"))
            return ljd_service_invalid (error, _("“env” must not set %s: names starting with LORA_ are the service's"),
                                        name);
          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
            return ljd_service_invalid (error, _("“env” member “%s” must be a string"), name);
        }
    }

  return TRUE;
}

static char *
webhook_url (LjdRunpod *self,
             gint64     job_id)
{
  if (self->public_url != NULL)
    return g_strdup_printf ("%s/api/training/jobs/%" G_GINT64_FORMAT "/webhook", self->public_url, job_id);

  return ljd_service_get_webhook_url (self->service, job_id);
}

static char *
build_create_body (LjdRunpod  *self,
                   PodRun     *run,
                   GError    **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *url = webhook_url (self, run->job_id);
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, run->job_id);
  PodSpec spec;

  if (!read_spec (run->config, run->gpu_type, &spec, error))
    return NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, run->name);
  json_builder_set_member_name (builder, "image");
  json_builder_add_string_value (builder, spec.image);
  json_builder_set_member_name (builder, "gpu");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, spec.gpu_type_id);
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, spec.gpu_count);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "disk");
  json_builder_add_int_value (builder, spec.disk_gb);
  if (spec.args != NULL)
    {
      json_builder_set_member_name (builder, "args");
      json_builder_add_string_value (builder, spec.args);
    }
  if (spec.cloud != NULL)
    {
      json_builder_set_member_name (builder, "cloud");
      json_builder_add_string_value (builder, spec.cloud);
    }
  if (spec.volume_gb > 0)
    {
      json_builder_set_member_name (builder, "mounts");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "persistent");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "size");
      json_builder_add_int_value (builder, spec.volume_gb);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, VOLUME_PATH);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }

  json_builder_set_member_name (builder, "env");
  json_builder_begin_object (builder);
  if (spec.env != NULL)
    {
      g_autoptr(GList) names = json_object_get_members (spec.env);

      for (const GList *l = names; l; l = l->next)
        {
          json_builder_set_member_name (builder, l->data);
          json_builder_add_string_value (builder, json_object_get_string_member (spec.env, l->data));
        }
    }
  json_builder_set_member_name (builder, "LORA_JOB_ID");
  json_builder_add_string_value (builder, id);
  json_builder_set_member_name (builder, "LORA_WEBHOOK_URL");
  json_builder_add_string_value (builder, url);
  json_builder_set_member_name (builder, "LORA_WEBHOOK_SECRET");
  json_builder_add_string_value (builder, run->secret ? run->secret : "");
  json_builder_end_object (builder);

  json_builder_end_object (builder);

  return lp_json_builder_to_string (builder);
}

/* Requests */

typedef struct
{
  guint       status;          /* 0: no HTTP answer */
  GError     *error;
  JsonObject *object;          /* the body, when it is a JSON object */
  char       *problem;         /* a sentence on what went wrong, for people */
  gint64      retry_after_ms;  /* on a 429: how long RunPod asked us to wait; else -1 */
} Reply;

typedef void (*ReplyFunc) (LjdRunpod   *self,
                           const Reply *reply,
                           gpointer     user_data);

typedef struct
{
  LjdRunpod      *self;
  ReplyFunc       func;
  gpointer        user_data;
  GDestroyNotify  destroy;
} Call;

static void
call_free (Call *call)
{
  if (call->destroy != NULL)
    call->destroy (call->user_data);
  g_object_unref (call->self);
  g_free (call);
}

/* The largest reset time, in seconds, of the windows of a RateLimit header
 * ("minute";r=0;t=12, "hour";r=2800;t=1812) that have no requests left;
 * -1 when none is exhausted. */
static gint64
exhausted_window_s (const char *header)
{
  g_auto(GStrv) windows = NULL;
  gint64 wait = -1;

  if (header == NULL)
    return -1;

  windows = g_strsplit (header, ",", -1);
  for (guint i = 0; windows[i] != NULL; i++)
    {
      g_auto(GStrv) params = g_strsplit (windows[i], ";", -1);
      gint64 remaining = -1, reset = -1;

      for (guint j = 1; params[j] != NULL; j++)
        {
          char *param = g_strstrip (params[j]);
          guint64 value;

          if (strlen (param) < 3 || param[1] != '=' ||
              !g_ascii_string_to_unsigned (param + 2, 10, 0, G_MAXINT32, &value, NULL))
            continue;
          if (param[0] == 'r')
            remaining = (gint64) value;
          else if (param[0] == 't')
            reset = (gint64) value;
        }

      if (remaining == 0 && reset >= 0)
        wait = MAX (wait, reset);
    }

  return wait;
}

/* Retry-After is whole seconds on this API; an HTTP date is read too. */
static gint64
parse_retry_after_s (const char *header)
{
  g_autofree char *value = NULL;
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) now = NULL;
  guint64 seconds;

  if (header == NULL)
    return -1;

  value = g_strstrip (g_strdup (header));
  if (g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT32, &seconds, NULL))
    return (gint64) seconds;

  if (!(when = soup_date_time_new_from_http_string (value)))
    return -1;

  now = g_date_time_new_now_utc ();
  return MAX (0, g_date_time_difference (when, now) / G_USEC_PER_SEC);
}

/* RunPod's quota is per account, so one exhausted window holds back every
 * run's next request, not only the one that hit it. */
static void
note_rate_limit (LjdRunpod          *self,
                 SoupMessageHeaders *headers,
                 guint               status,
                 gint64             *retry_after_ms)
{
  gint64 wait_s = exhausted_window_s (soup_message_headers_get_one (headers, "RateLimit"));
  gint64 wait_ms;

  if (status == HTTP_TOO_MANY_REQUESTS)
    {
      gint64 retry_after = parse_retry_after_s (soup_message_headers_get_one (headers, "Retry-After"));

      if (retry_after >= 0)
        wait_s = retry_after;
    }

  *retry_after_ms = -1;
  if (wait_s < 0)
    return;

  /* Never longer than a job may wait in all: a day's window would
   * otherwise hold a job in provisioning for a day. */
  wait_ms = MIN (wait_s * 1000, (gint64) self->retry_limit_ms);
  self->not_before = MAX (self->not_before, g_get_monotonic_time () + wait_ms * 1000);
  if (status == HTTP_TOO_MANY_REQUESTS)
    *retry_after_ms = wait_ms;
}

/* RunPod's errors are application/problem+json (RFC 9457) with "detail"
 * and, for validation, "errors". */
static char *
describe_problem (LjdRunpod  *self,
                  JsonObject *object,
                  guint       status)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *redacted = NULL;
  const char *detail = NULL, *title = NULL;
  JsonArray *errors = NULL;

  if (object != NULL)
    {
      lp_json_get_string (object, "detail", FALSE, &detail, NULL);
      lp_json_get_string (object, "title", FALSE, &title, NULL);
      lp_json_get_array (object, "errors", FALSE, &errors, NULL);
    }

  if (detail != NULL && *detail != '\0')
    g_string_append (text, detail);
  else if (title != NULL && *title != '\0')
    g_string_append (text, title);
  else
    g_string_append (text, soup_status_get_phrase (status) ? soup_status_get_phrase (status) : _("no explanation"));

  for (guint i = 0; errors != NULL && i < json_array_get_length (errors); i++)
    {
      JsonNode *node = json_array_get_element (errors, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        g_string_append_printf (text, "%s%s", i == 0 ? ": " : "; ", json_node_get_string (node));
    }

  if (g_utf8_strlen (text->str, -1) > MAX_PROBLEM_CHARS)
    {
      g_autofree char *cut = g_utf8_substring (text->str, 0, MAX_PROBLEM_CHARS);
      g_string_assign (text, cut);
      g_string_append (text, "…");
    }

  redacted = redact (self, text->str);
  return g_strdup_printf ("HTTP %u: %s", status, redacted);
}

static void
api_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  SoupSession *session = SOUP_SESSION (object);
  Call *call = user_data;
  Reply reply = { 0, NULL, NULL, NULL, -1 };
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (session, result, &reply.error);
  SoupMessage *msg = soup_session_get_async_result_message (session, result);

  if (g_error_matches (reply.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_error (&reply.error);
      call_free (call);
      return;
    }

  if (reply.error == NULL && msg != NULL)
    {
      gsize size = 0;
      const char *data = body ? g_bytes_get_data (body, &size) : NULL;

      reply.status = soup_message_get_status (msg);
      note_rate_limit (call->self, soup_message_get_response_headers (msg), reply.status,
                       &reply.retry_after_ms);
      if (size > 0)
        reply.object = lp_json_parse_object (data, size, NULL);
      if (reply.status >= 300)
        reply.problem = describe_problem (call->self, reply.object, reply.status);
    }
  else
    {
      g_autofree char *message = redact (call->self, reply.error ? reply.error->message : _("No answer"));
      reply.problem = g_strdup_printf (_("no answer from RunPod: %s"), message);
    }

  call->func (call->self, &reply, call->user_data);

  g_clear_error (&reply.error);
  g_clear_pointer (&reply.object, json_object_unref);
  g_free (reply.problem);
  call_free (call);
}

static void
api_send (LjdRunpod      *self,
          const char     *method,
          const char     *path,
          const char     *body,
          ReplyFunc       func,
          gpointer        user_data,
          GDestroyNotify  destroy)
{
  g_autofree char *url = g_strconcat (self->api_url, path, NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", self->api_key, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  SoupMessageHeaders *headers;
  Call *call;

  /* The URL was checked when the service started, and ids are escaped. */
  g_return_if_fail (msg != NULL);

  /* Disposed: the service is stopping and nothing more is sent. */
  if (self->session == NULL)
    {
      if (destroy != NULL)
        destroy (user_data);
      return;
    }

  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Authorization", auth);
  soup_message_headers_replace (headers, "Accept", "application/json, application/problem+json");
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  call = g_new0 (Call, 1);
  call->self = g_object_ref (self);
  call->func = func;
  call->user_data = user_data;
  call->destroy = destroy;

  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
                                    self->cancellable, api_cb, call);
}

static char *
pod_path (const char *pod_id)
{
  g_autofree char *escaped = g_uri_escape_string (pod_id, NULL, FALSE);
  return g_strconcat ("/v2/pods/", escaped, NULL);
}

static gboolean
is_transient (const Reply *reply)
{
  return reply->status == 0 || reply->status >= 500 ||
         reply->status == SOUP_STATUS_REQUEST_TIMEOUT ||
         reply->status == HTTP_TOO_MANY_REQUESTS;
}

/* A run's request carries its job and serial, not the run: the run may
 * be gone, or replaced, by the time RunPod answers. */
typedef struct
{
  gint64 job_id;
  guint  serial;
} RunRef;

/* Also marks @run as waiting for an answer. */
static RunRef *
run_ref (PodRun *run)
{
  RunRef *ref = g_new (RunRef, 1);

  ref->job_id = run->job_id;
  ref->serial = run->serial;
  run->in_flight = TRUE;
  return ref;
}

static PodRun *
run_from_ref (LjdRunpod *self,
              RunRef    *ref)
{
  PodRun *run = run_lookup (self, ref->job_id, ref->serial);

  if (run != NULL)
    run->in_flight = FALSE;
  return run;
}

/* Scheduling */

static gboolean
run_timer_cb (gpointer user_data)
{
  PodRun *run = user_data;

  g_clear_pointer (&run->timer, g_source_unref);
  run_step (run);
  return G_SOURCE_REMOVE;
}

static void
run_schedule (PodRun *run,
              guint   delay_ms)
{
  LjdRunpod *self = run->runpod;
  gint64 hold_ms = (self->not_before - g_get_monotonic_time () + 999) / 1000;

  ljd_source_clear (&run->timer);
  if (hold_ms > (gint64) delay_ms)
    delay_ms = (guint) hold_ms;
  run->timer = ljd_timeout_attach (self->context, delay_ms, run_timer_cb, run, NULL);
}

static void
run_reset_trouble (PodRun *run)
{
  run->trouble_since = 0;
  run->backoff_ms = 0;
}

/* Schedules another try after a failure that may pass; FALSE when
 * failures have gone on for longer than a job may wait. */
static gboolean
run_retry (PodRun      *run,
           const Reply *reply)
{
  LjdRunpod *self = run->runpod;
  gint64 now = g_get_monotonic_time ();

  if (run->trouble_since == 0)
    run->trouble_since = now;
  if (now - run->trouble_since >= (gint64) self->retry_limit_ms * 1000)
    return FALSE;

  /* Doubling from 2 s to a minute; a test's short poll shortens both. */
  if (run->backoff_ms == 0)
    run->backoff_ms = MIN (FIRST_BACKOFF_MS, self->poll_ms);
  else
    run->backoff_ms = MIN (run->backoff_ms * 2, MIN (MAX_BACKOFF_MS, MAX (2 * self->poll_ms, FIRST_BACKOFF_MS)));
  g_debug ("RunPod request for job %" G_GINT64_FORMAT " failed (%s); retrying",
           run->job_id, reply->problem);
  run_schedule (run, reply->retry_after_ms >= 0 ? (guint) reply->retry_after_ms : run->backoff_ms);
  return TRUE;
}

/* The pod is gone or was never rented: the cancel waiting for it, if
 * any, has its answer, and the run ends. Frees @run. */
static void
run_done (PodRun     *run,
          const char *problem)
{
  LjdRunpod *self = run->runpod;
  g_autoptr(GTask) task = g_steal_pointer (&run->cancel_task);
  gint64 id = run->job_id;

  /* Gone before the answer: the service's cancel callback may run at once
   * and call forget(), which must then find nothing left to do. */
  g_hash_table_remove (self->runs, &id);

  if (task == NULL)
    return;
  if (problem == NULL)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", problem);
}

/* The job ends here; the service then calls forget(), which terminates
 * the pod. @run may be freed. */
static void
run_fail_job (PodRun     *run,
              const char *message)
{
  LjdRunpod *self = run->runpod;
  gint64 id = run->job_id;
  guint serial = run->serial;
  g_autofree char *redacted = redact (self, message);

  run->finished = TRUE;
  run_reset_trouble (run);
  ljd_source_clear (&run->timer);

  g_message ("RunPod job %" G_GINT64_FORMAT " failed: %s", id, redacted);
  ljd_service_provider_failed (self->service, id, redacted);

  /* The service normally calls forget() from within that call, which
   * sends the delete; if it did not (the job had already ended), send it. */
  if ((run = run_lookup (self, id, serial)) != NULL && !run->in_flight && run->timer == NULL)
    run_step (run);
}

static char *
minutes_text (guint ms)
{
  guint minutes = MAX (1u, (ms + 59999) / 60000);

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u minute", "%u minutes", minutes), minutes);
}

/* Failures went on too long. A job still running fails; a pod still to be
 * terminated is left to the sweep. Frees or fails @run. */
static void
run_give_up (PodRun      *run,
             const Reply *reply)
{
  LjdRunpod *self = run->runpod;
  g_autofree char *span = minutes_text (self->retry_limit_ms);
  g_autofree char *message = NULL;

  if (run->finished)
    {
      message = g_strdup_printf (_("RunPod did not confirm for %s that pod %s was terminated (%s); "
                                   "the sweep will try again"),
                                 span, run->pod_id ? run->pod_id : run->name, reply->problem);
      g_message ("RunPod job %" G_GINT64_FORMAT ": %s", run->job_id, message);
      run_done (run, message);
      return;
    }

  message = g_strdup_printf (_("RunPod did not answer for %s (%s)"), span, reply->problem);
  run_fail_job (run, message);
}

/* Cost */

/* The job's hourly_rate is what its creator agreed to and what its cost
 * shows; a pod that bills differently is worth a warning, not a silent
 * change of the numbers everyone reads. */
static void
check_cost (PodRun     *run,
            JsonObject *pod)
{
  LjdRunpod *self = run->runpod;
  g_autoptr(JsonObject) payload = NULL;
  g_autofree char *message = NULL;
  g_autofree char *billed = NULL;
  g_autofree char *rate = NULL;
  g_autoptr(GError) error = NULL;
  gboolean duplicate = FALSE;
  double cost = 0;

  if (run->finished || run->cost_checked ||
      !lp_json_get_double (pod, "cost", FALSE, &cost, NULL) || !(cost > 0))
    return;

  run->cost_checked = TRUE;
  if (fabs (cost - run->hourly_rate) < 0.005)
    return;

  billed = lp_format_money (cost);
  rate = lp_format_money (run->hourly_rate);
  message = g_strdup_printf (_("RunPod bills pod %s at %s an hour, not the job's %s; "
                               "the job's cost is still reckoned at %s an hour"),
                             run->pod_id, billed, rate, rate);
  payload = json_object_new ();
  json_object_set_string_member (payload, "source", "runpod");
  json_object_set_string_member (payload, "pod_id", run->pod_id);
  json_object_set_double_member (payload, "pod_cost_per_hour", cost);
  json_object_set_double_member (payload, "hourly_rate", run->hourly_rate);

  /* One warning per job, also across restarts: the source id is fixed. */
  if (ljd_store_add_event (ljd_service_get_store (self->service), run->job_id, g_get_real_time (),
                           LP_EVENT_WARNING, message, payload, COST_EVENT_SOURCE,
                           &duplicate, &error) < 0 &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("Cannot record the cost warning of job %" G_GINT64_FORMAT ": %s",
               run->job_id, error->message);
}

/* Creating */

static void
create_cb (LjdRunpod   *self,
           const Reply *reply,
           gpointer     user_data)
{
  PodRun *run = run_from_ref (self, user_data);
  const char *pod_id = NULL;
  g_autofree char *message = NULL;

  if (run == NULL)
    return;

  if (reply->status == SOUP_STATUS_CREATED && reply->object != NULL &&
      lp_json_get_string (reply->object, "id", TRUE, &pod_id, NULL) && *pod_id != '\0')
    {
      run->pod_id = g_strdup (pod_id);
      run->maybe_created = FALSE;
      run_reset_trouble (run);
      state_save (self, run->job_id, run->name, run->pod_id, FALSE, FALSE);
      g_message ("RunPod job %" G_GINT64_FORMAT ": created pod %s", run->job_id, run->pod_id);
      check_cost (run, reply->object);
      /* Cancelled while the create was under way: the pod goes at once. */
      run_schedule (run, run->finished ? 0 : self->poll_ms);
      return;
    }

  if (is_transient (reply))
    {
      /* A timeout or a 5xx may come after RunPod made the pod. */
      if (reply->status != HTTP_TOO_MANY_REQUESTS)
        run->maybe_created = TRUE;
      if (!run_retry (run, reply))
        run_give_up (run, reply);
      return;
    }

  /* Refused: nothing was rented, so a cancel has nothing left to stop. */
  if (run->finished)
    {
      run_done (run, NULL);
      return;
    }

  if (reply->status == SOUP_STATUS_UNAUTHORIZED)
    message = g_strdup_printf (_("RunPod did not accept the service's API key (%s)"), reply->problem);
  else if (reply->status == SOUP_STATUS_CREATED)
    message = g_strdup (_("RunPod answered the create request without a pod id"));
  else
    message = g_strdup_printf (_("RunPod refused to create the pod (%s)"), reply->problem);

  run_fail_job (run, message);
}

static void
send_create (PodRun *run)
{
  LjdRunpod *self = run->runpod;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = build_create_body (self, run, &error);

  if (body == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The job's config cannot make a RunPod pod: %s"),
                                                  error->message);
      run_fail_job (run, message);
      return;
    }

  api_send (self, "POST", "/v2/pods", body, create_cb, run_ref (run), g_free);
}

/* After a create that may have worked: is there a pod of that name? */
static void
lookup_cb (LjdRunpod   *self,
           const Reply *reply,
           gpointer     user_data)
{
  PodRun *run = run_from_ref (self, user_data);
  JsonArray *pods = NULL;

  if (run == NULL)
    return;

  if (reply->status == SOUP_STATUS_OK && reply->object != NULL &&
      lp_json_get_array (reply->object, "pods", TRUE, &pods, NULL))
    {
      /* The trouble that made us look goes on until a create works. */
      run->maybe_created = FALSE;

      for (guint i = 0; i < json_array_get_length (pods); i++)
        {
          JsonNode *node = json_array_get_element (pods, i);
          JsonObject *pod = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
          const char *name = NULL, *id = NULL;

          if (pod == NULL ||
              !lp_json_get_string (pod, "name", TRUE, &name, NULL) ||
              !lp_json_get_string (pod, "id", TRUE, &id, NULL) ||
              g_strcmp0 (name, run->name) != 0)
            continue;

          run->pod_id = g_strdup (id);
          run_reset_trouble (run);
          state_save (self, run->job_id, run->name, run->pod_id, FALSE, FALSE);
          g_message ("RunPod job %" G_GINT64_FORMAT ": found pod %s from an unanswered create",
                     run->job_id, run->pod_id);
          check_cost (run, pod);
          break;
        }

      /* Found: watch it (or delete it); not found: create (or be done). */
      run_step (run);
      return;
    }

  if (!run_retry (run, reply))
    run_give_up (run, reply);
}

static void
send_lookup (PodRun *run)
{
  api_send (run->runpod, "GET", "/v2/pods", NULL, lookup_cb, run_ref (run), g_free);
}

/* Watching */

static void
get_cb (LjdRunpod   *self,
        const Reply *reply,
        gpointer     user_data)
{
  PodRun *run = run_from_ref (self, user_data);
  const char *status = NULL;
  g_autofree char *message = NULL;

  if (run == NULL)
    return;

  /* The job ended while we asked: what matters now is the delete. */
  if (run->finished)
    {
      run_step (run);
      return;
    }

  if (reply->status == SOUP_STATUS_NOT_FOUND)
    {
      state_save (self, run->job_id, run->name, run->pod_id, TRUE, FALSE);
      message = g_strdup_printf (_("Pod %s no longer exists on RunPod; it was deleted outside this service"),
                                 run->pod_id);
      g_clear_pointer (&run->pod_id, g_free);
      run_fail_job (run, message);
      return;
    }

  if (reply->status != SOUP_STATUS_OK || reply->object == NULL ||
      !lp_json_get_string (reply->object, "status", TRUE, &status, NULL))
    {
      /* 401 and 403 land here too: a key changed under a running pod may
       * be fixed, and giving up would leave the pod billing. */
      if (!run_retry (run, reply))
        run_give_up (run, reply);
      return;
    }

  run_reset_trouble (run);
  check_cost (run, reply->object);

  if (g_str_equal (status, "EXITED"))
    {
      /* A trainer's last batch may still be on its way when the container
       * stops: one more poll gives it time to arrive. */
      if (!run->exited_seen)
        {
          run->exited_seen = TRUE;
          run_schedule (run, self->poll_ms);
          return;
        }
      run_fail_job (run, _("The pod exited before the trainer reported completion"));
      return;
    }

  if (g_str_equal (status, "ERROR"))
    {
      message = g_strdup_printf (_("Pod %s is in an unrecoverable error state on RunPod"), run->pod_id);
      run_fail_job (run, message);
      return;
    }

  if (g_str_equal (status, "TERMINATED"))
    {
      message = g_strdup_printf (_("Pod %s was terminated on RunPod before the trainer reported completion"),
                                 run->pod_id);
      run_fail_job (run, message);
      return;
    }

  /* PROVISIONING, STARTING, RUNNING: progress is the trainer's to report. */
  run->exited_seen = FALSE;
  run_schedule (run, self->poll_ms);
}

static void
send_get (PodRun *run)
{
  g_autofree char *path = pod_path (run->pod_id);

  api_send (run->runpod, "GET", path, NULL, get_cb, run_ref (run), g_free);
}

/* Terminating */

static void
delete_cb (LjdRunpod   *self,
           const Reply *reply,
           gpointer     user_data)
{
  PodRun *run = run_from_ref (self, user_data);

  if (run == NULL)
    return;

  if (reply->status == SOUP_STATUS_NO_CONTENT || reply->status == SOUP_STATUS_OK ||
      reply->status == SOUP_STATUS_NOT_FOUND)
    {
      state_save (self, run->job_id, run->name, run->pod_id, TRUE, FALSE);
      g_message ("RunPod job %" G_GINT64_FORMAT ": pod %s terminated", run->job_id, run->pod_id);
      run_done (run, NULL);
      return;
    }

  /* 409: RunPod will never delete it through this path (a cluster's
   * pod); retrying would only repeat the answer. */
  if (reply->status == SOUP_STATUS_CONFLICT)
    {
      g_autofree char *message = g_strdup_printf (_("RunPod will not terminate pod %s (%s)"),
                                                  run->pod_id, reply->problem);
      state_save (self, run->job_id, run->name, run->pod_id, FALSE, TRUE);
      g_message ("RunPod job %" G_GINT64_FORMAT ": %s", run->job_id, message);
      run_done (run, message);
      return;
    }

  /* Anything else, 401 included, may pass; until it does the pod bills. */
  if (!run_retry (run, reply))
    run_give_up (run, reply);
}

static void
send_delete (PodRun *run)
{
  g_autofree char *path = pod_path (run->pod_id);

  api_send (run->runpod, "DELETE", path, NULL, delete_cb, run_ref (run), g_free);
}

/* The one place that decides a run's next request. May free @run. */
static void
run_step (PodRun *run)
{
  if (run->in_flight)
    return;

  /* RunPod asked the account to wait: a cancel or a finish waits too. */
  if (run->runpod->not_before > g_get_monotonic_time ())
    {
      run_schedule (run, 0);
      return;
    }

  ljd_source_clear (&run->timer);

  if (run->finished)
    {
      if (run->pod_id != NULL)
        send_delete (run);
      else if (run->maybe_created)
        send_lookup (run);
      else
        run_done (run, NULL);   /* nothing was rented */
      return;
    }

  if (run->pod_id != NULL)
    send_get (run);
  else if (run->maybe_created)
    send_lookup (run);
  else
    send_create (run);
}

/* Ends @job_id's pod: the run's if there is one, else the one its state
 * records. Returns the run, or NULL when there is no pod to end. */
static PodRun *
run_finish (LjdRunpod *self,
            gint64     job_id)
{
  PodRun *run = g_hash_table_lookup (self->runs, &job_id);

  if (run == NULL)
    {
      g_auto(PodState) state = { 0 };

      state_load (self, job_id, &state);
      if (state.deleted || state.undeletable || (state.pod == NULL && state.name == NULL))
        return NULL;

      run = run_new (self, job_id);
      run->name = g_steal_pointer (&state.name);
      run->pod_id = g_steal_pointer (&state.pod);
      /* A name without an id: a create may have been under way when the
       * service stopped. */
      run->maybe_created = run->pod_id == NULL;
    }

  if (!run->finished)
    {
      run->finished = TRUE;
      run_reset_trouble (run);
    }

  return run;
}

/* The sweep */

static void
sweep_cb (LjdRunpod   *self,
          const Reply *reply,
          gpointer     user_data)
{
  LjdStore *store = ljd_service_get_store (self->service);
  JsonArray *pods = NULL;
  guint deleting = 0;

  self->sweeping = FALSE;

  if (reply->status != SOUP_STATUS_OK || reply->object == NULL ||
      !lp_json_get_array (reply->object, "pods", TRUE, &pods, NULL))
    {
      g_debug ("RunPod sweep: cannot list pods (%s)", reply->problem);
      return;
    }

  for (guint i = 0; i < json_array_get_length (pods); i++)
    {
      JsonNode *node = json_array_get_element (pods, i);
      JsonObject *pod = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *name = NULL, *id = NULL;
      g_auto(PodState) state = { 0 };
      g_autoptr(LpJob) job = NULL;
      guint64 parsed;
      gint64 job_id;
      char *end = NULL;
      PodRun *run;

      if (pod == NULL ||
          !lp_json_get_string (pod, "name", TRUE, &name, NULL) ||
          !lp_json_get_string (pod, "id", TRUE, &id, NULL) ||
          !g_str_has_prefix (name, POD_NAME_PREFIX))
        continue;

      parsed = g_ascii_strtoull (name + strlen (POD_NAME_PREFIX), &end, 10);
      if (parsed == 0 || parsed > G_MAXINT64 || end == NULL || *end != '-')
        continue;
      job_id = (gint64) parsed;

      /* A run already looks after it. */
      if (g_hash_table_contains (self->runs, &job_id))
        continue;

      /* Only pods this service's store names, and only for finished jobs:
       * another service on the same account keeps its own. */
      if (!(job = ljd_store_get_job (store, job_id, NULL)) ||
          g_strcmp0 (lp_job_get_provider (job), "runpod") != 0 ||
          !lp_job_status_is_finished (lp_job_get_status (job)))
        continue;

      state_load (self, job_id, &state);
      if (g_strcmp0 (state.name, name) != 0 || state.undeletable)
        continue;

      run = run_new (self, job_id);
      run->name = g_strdup (name);
      run->pod_id = g_strdup (id);
      run->finished = TRUE;
      g_message ("RunPod sweep: pod %s of finished job %" G_GINT64_FORMAT " is still there; terminating it",
                 id, job_id);
      run_step (run);
      deleting++;
    }

  g_debug ("RunPod sweep: %u pods listed, %u to terminate", json_array_get_length (pods), deleting);
}

static gboolean
sweep_timer_cb (gpointer user_data)
{
  LjdRunpod *self = user_data;

  /* Pods of finished jobs can wait for the next sweep; running jobs'
   * requests come first when RunPod asks for a pause. */
  if (!self->sweeping && self->not_before <= g_get_monotonic_time ())
    {
      self->sweeping = TRUE;
      api_send (self, "GET", "/v2/pods", NULL, sweep_cb, NULL, NULL);
    }

  return G_SOURCE_CONTINUE;
}

/* GObject */

static void
ljd_runpod_dispose (GObject *object)
{
  LjdRunpod *self = (LjdRunpod *) object;

  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);

  /* Pods keep running: a restart re-attaches to them. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  ljd_source_clear (&self->sweep_source);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  /* Waiting cancels hear about it only once the runs are gone, since
   * their callbacks may call back into the provider. */
  if (self->runs != NULL)
    {
      GHashTableIter iter;
      PodRun *run;

      g_hash_table_iter_init (&iter, self->runs);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &run))
        if (run->cancel_task != NULL)
          g_ptr_array_add (tasks, g_steal_pointer (&run->cancel_task));
      g_hash_table_remove_all (self->runs);
    }

  for (guint i = 0; i < tasks->len; i++)
    g_task_return_new_error (g_ptr_array_index (tasks, i), G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _("The service stopped before RunPod confirmed that the pod was terminated"));

  G_OBJECT_CLASS (ljd_runpod_parent_class)->dispose (object);
}

static void
ljd_runpod_finalize (GObject *object)
{
  LjdRunpod *self = (LjdRunpod *) object;

  g_clear_pointer (&self->runs, g_hash_table_unref);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_clear_pointer (&self->api_key, g_free);
  g_clear_pointer (&self->api_url, g_free);
  g_clear_pointer (&self->public_url, g_free);

  G_OBJECT_CLASS (ljd_runpod_parent_class)->finalize (object);
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
ljd_runpod_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  LjdRunpod *self = LJD_RUNPOD (object);

  switch (prop_id)
    {
    case PROP_SERVICE: g_value_set_object (value, self->service); break;
    /* The key is write-only: nothing reads it back out of the object. */
    case PROP_API_URL: g_value_set_string (value, self->api_url); break;
    case PROP_PUBLIC_URL: g_value_set_string (value, self->public_url); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ljd_runpod_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  LjdRunpod *self = LJD_RUNPOD (object);

  switch (prop_id)
    {
    case PROP_SERVICE: self->service = g_value_get_object (value); break;
    case PROP_API_KEY: self->api_key = g_value_dup_string (value); break;
    case PROP_API_URL:
      g_free (self->api_url);
      self->api_url = without_trailing_slash (g_value_get_string (value) ? g_value_get_string (value)
                                                                          : LJD_RUNPOD_DEFAULT_API_URL);
      break;
    case PROP_PUBLIC_URL:
      g_free (self->public_url);
      self->public_url = without_trailing_slash (g_value_get_string (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ljd_runpod_constructed (GObject *object)
{
  LjdRunpod *self = LJD_RUNPOD (object);

  G_OBJECT_CLASS (ljd_runpod_parent_class)->constructed (object);

  self->sweep_source = ljd_timeout_attach (self->context, self->sweep_ms, sweep_timer_cb, self, NULL);
}

static void
ljd_runpod_class_init (LjdRunpodClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ljd_runpod_dispose;
  object_class->finalize = ljd_runpod_finalize;
  object_class->get_property = ljd_runpod_get_property;
  object_class->set_property = ljd_runpod_set_property;
  object_class->constructed = ljd_runpod_constructed;

  /* Not a reference: the service owns its providers. */
  properties[PROP_SERVICE] =
    g_param_spec_object ("service", NULL, NULL, LJD_TYPE_SERVICE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_API_URL] =
    g_param_spec_string ("api-url", NULL, NULL, LJD_RUNPOD_DEFAULT_API_URL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PUBLIC_URL] =
    g_param_spec_string ("public-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ljd_runpod_init (LjdRunpod *self)
{
  self->runs = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                      (GDestroyNotify) pod_run_free);
  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();
  self->poll_ms = env_ms ("LORA_RUNPOD_POLL_MS", POLL_INTERVAL_MS);
  self->retry_limit_ms = env_ms ("LORA_RUNPOD_RETRY_LIMIT_MS", RETRY_LIMIT_MS);
  self->sweep_ms = env_ms ("LORA_RUNPOD_SWEEP_MS", SWEEP_INTERVAL_MS);
  /* RunPod is reached through whatever proxy the system sets, unlike the
   * simulator's loopback; the timeout turns a hung request into a retry. */
  self->session = soup_session_new_with_options ("timeout", REQUEST_TIMEOUT_S,
                                                 "user-agent", "lora-jobd/" PACKAGE_VERSION,
                                                 NULL);
}

/**
 * ljd_runpod_new:
 * @service: the service whose jobs get pods
 * @api_key: the RunPod API key; never logged, never in a job or an event
 * @api_url: (nullable): the API's base URL; %NULL for RunPod's own
 * @public_url: (nullable): the service's base URL as pods reach it; %NULL
 *   to hand them the address the service listens on
 */
LjdRunpod *
ljd_runpod_new (LjdService *service,
                const char *api_key,
                const char *api_url,
                const char *public_url)
{
  g_return_val_if_fail (LJD_IS_SERVICE (service), NULL);
  g_return_val_if_fail (api_key != NULL && *api_key != '\0', NULL);

  return g_object_new (LJD_TYPE_RUNPOD,
                       "service", service,
                       "api-key", api_key,
                       "api-url", api_url,
                       "public-url", public_url,
                       NULL);
}

guint
ljd_runpod_get_n_runs (LjdRunpod *self)
{
  g_return_val_if_fail (LJD_IS_RUNPOD (self), 0);
  return g_hash_table_size (self->runs);
}

/* LjdProvider */

static const char *
ljd_runpod_get_name (LjdProvider *provider)
{
  return "runpod";
}

static gboolean
ljd_runpod_validate_config (LjdProvider  *provider,
                            LpJob        *job,
                            GError      **error)
{
  PodSpec spec;

  /* RunPod's REST API v2 has no way to rent an interruptible pod: its
   * CreatePodRequest has no such member and refuses unknown ones. The v1
   * "interruptible" flag and GraphQL's podRentInterruptable are retired or
   * undocumented; see docs/provider-runpod.md. */
  if (g_strcmp0 (lp_job_get_pricing (job), "spot") == 0)
    return ljd_service_invalid (error, _("RunPod's API v2 cannot rent spot (interruptible) pods; "
                                  "use “pricing”: “on_demand” for RunPod jobs"));

  return read_spec (lp_job_get_config (job), lp_job_get_gpu_type (job), &spec, error);
}

static void
ljd_runpod_start (LjdProvider *provider,
                  LpJob       *job,
                  const char  *webhook_secret,
                  gboolean     reattach)
{
  LjdRunpod *self = LJD_RUNPOD (provider);
  gint64 id = lp_job_get_id (job);
  g_auto(PodState) state = { 0 };
  PodRun *run;

  if (reattach)
    state_load (self, id, &state);

  run = run_new (self, id);
  run->secret = g_strdup (webhook_secret);
  run->config = json_object_ref (lp_job_get_config (job));
  run->gpu_type = g_strdup (lp_job_get_gpu_type (job));
  run->hourly_rate = lp_job_get_hourly_rate (job);

  if (state.name != NULL)
    {
      /* After a restart: the pod the job had, or the one a create under
       * way at the stop may have made. */
      run->name = g_steal_pointer (&state.name);
      run->pod_id = g_steal_pointer (&state.pod);
      run->maybe_created = run->pod_id == NULL;
      g_message ("RunPod job %" G_GINT64_FORMAT ": watching pod %s again",
                 id, run->pod_id ? run->pod_id : run->name);
    }
  else
    {
      g_autofree char *nonce = ljd_random_hex (4);

      run->name = g_strdup_printf (POD_NAME_PREFIX "%" G_GINT64_FORMAT "-%s", id, nonce);
      /* Recorded before the request, so that a pod made by a create whose
       * answer never arrives can still be found and terminated. */
      state_save (self, id, run->name, NULL, FALSE, FALSE);
    }

  run_step (run);
}

static void
ljd_runpod_cancel_async (LjdProvider         *provider,
                         LpJob               *job,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  LjdRunpod *self = LJD_RUNPOD (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  PodRun *run;

  g_task_set_source_tag (task, ljd_runpod_cancel_async);

  /* The cancel is done when RunPod confirms the pod is gone. */
  if (!(run = run_finish (self, lp_job_get_id (job))) || run->cancel_task != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  run->cancel_task = g_steal_pointer (&task);
  run_step (run);
}

static gboolean
ljd_runpod_cancel_finish (LjdProvider   *provider,
                          GAsyncResult  *result,
                          GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The job finished (the trainer reported, or the service failed it): the
 * pod has nothing left to do but cost money. */
static void
ljd_runpod_forget (LjdProvider *provider,
                   gint64       job_id)
{
  LjdRunpod *self = LJD_RUNPOD (provider);
  PodRun *run = run_finish (self, job_id);

  if (run != NULL && !run->in_flight)
    run_step (run);
}

static void
provider_iface_init (LjdProviderInterface *iface)
{
  iface->get_name = ljd_runpod_get_name;
  iface->validate_config = ljd_runpod_validate_config;
  iface->start = ljd_runpod_start;
  iface->cancel_async = ljd_runpod_cancel_async;
  iface->cancel_finish = ljd_runpod_cancel_finish;
  iface->forget = ljd_runpod_forget;
}
