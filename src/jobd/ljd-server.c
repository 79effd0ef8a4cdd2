/* ljd-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "lp-json.h"
#include "ljd-acceptor.h"
#include "ljd-guard-keeper.h"
#include "ljd-server.h"
#include "ljd-server-private.h"

struct _LjdServer
{
  GObject      parent_instance;
  LjdService  *service;
  SoupServer  *soup;
  LjdAcceptor *acceptor;
  LjdLimits    limits;
  char        *url;
};

/* The user the early handler authenticated, kept on the message so that
 * the token is looked up once per request. */
static GQuark user_quark;

G_DEFINE_FINAL_TYPE (LjdServer, ljd_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SERVICE,
  PROP_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ljd_server_dispose (GObject *object)
{
  LjdServer *self = (LjdServer *) object;

  ljd_server_disconnect (self);
  g_clear_object (&self->acceptor);
  g_clear_object (&self->soup);
  g_clear_object (&self->service);

  G_OBJECT_CLASS (ljd_server_parent_class)->dispose (object);
}

static void
ljd_server_finalize (GObject *object)
{
  LjdServer *self = (LjdServer *) object;

  g_clear_pointer (&self->url, g_free);

  G_OBJECT_CLASS (ljd_server_parent_class)->finalize (object);
}

static void
ljd_server_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  LjdServer *self = LJD_SERVER (object);

  switch (prop_id)
    {
    case PROP_SERVICE: g_value_set_object (value, self->service); break;
    case PROP_URL: g_value_set_string (value, self->url); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ljd_server_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  LjdServer *self = LJD_SERVER (object);

  switch (prop_id)
    {
    case PROP_SERVICE: self->service = g_value_dup_object (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void ljd_server_constructed (GObject *object);

static void
ljd_server_class_init (LjdServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = ljd_server_constructed;
  object_class->dispose = ljd_server_dispose;
  object_class->finalize = ljd_server_finalize;
  object_class->get_property = ljd_server_get_property;
  object_class->set_property = ljd_server_set_property;

  properties[PROP_SERVICE] =
    g_param_spec_object ("service", NULL, NULL, LJD_TYPE_SERVICE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  user_quark = g_quark_from_static_string ("ljd-server-user");
}

static void
ljd_server_init (LjdServer *self)
{
  static const LjdLimits defaults = LJD_LIMITS_DEFAULT;

  self->limits = defaults;
}

LjdServer *
ljd_server_new (LjdService *service)
{
  g_return_val_if_fail (LJD_IS_SERVICE (service), NULL);

  return g_object_new (LJD_TYPE_SERVER, "service", service, NULL);
}

SoupServer *
ljd_server_get_soup_server (LjdServer *self)
{
  g_return_val_if_fail (LJD_IS_SERVER (self), NULL);
  return self->soup;
}

LjdService *
ljd_server_get_service (LjdServer *self)
{
  g_return_val_if_fail (LJD_IS_SERVER (self), NULL);
  return self->service;
}

const char *
ljd_server_get_url (LjdServer *self)
{
  g_return_val_if_fail (LJD_IS_SERVER (self), NULL);
  return self->url;
}

/* Limits take effect at the next ljd_server_listen(). */
void
ljd_server_set_limits (LjdServer       *self,
                       const LjdLimits *limits)
{
  g_return_if_fail (LJD_IS_SERVER (self));
  g_return_if_fail (limits != NULL);

  self->limits = *limits;
}

const LjdLimits *
ljd_server_get_limits (LjdServer *self)
{
  g_return_val_if_fail (LJD_IS_SERVER (self), NULL);

  return self->acceptor != NULL ? ljd_acceptor_get_limits (self->acceptor) : &self->limits;
}

void
ljd_server_disconnect (LjdServer *self)
{
  g_return_if_fail (LJD_IS_SERVER (self));

  if (self->acceptor != NULL)
    ljd_acceptor_close (self->acceptor);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
}

/* Responses */

static void
respond_json (SoupServerMessage *msg,
              guint              status,
              JsonNode          *node)
{
  g_autofree char *body = lp_json_to_string (node, FALSE);
  gsize len = strlen (body);

  /* Replaces the body every message starts with (see the acceptor). */
  soup_message_body_truncate (soup_server_message_get_response_body (msg));
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8",
                                    SOUP_MEMORY_TAKE, g_steal_pointer (&body), len);
}

static void
respond_error_code (SoupServerMessage *msg,
                    guint              status,
                    const char        *code,
                    const char        *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  respond_json (msg, status, root);

  if (status == SOUP_STATUS_UNAUTHORIZED)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Bearer realm=\"lora-jobd\"");
}

static void
respond_error (SoupServerMessage *msg,
               const GError      *error)
{
  if (error->domain == LP_JSON_ERROR)
    {
      respond_error_code (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", error->message);
      return;
    }

  if (error->domain == LJD_SERVICE_ERROR)
    {
      switch ((LjdServiceError) error->code)
        {
        case LJD_SERVICE_ERROR_INVALID:
          respond_error_code (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", error->message);
          return;
        case LJD_SERVICE_ERROR_UNAUTHORIZED:
          respond_error_code (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized", error->message);
          return;
        case LJD_SERVICE_ERROR_NOT_FOUND:
          respond_error_code (msg, SOUP_STATUS_NOT_FOUND, "not_found", error->message);
          return;
        case LJD_SERVICE_ERROR_CONFLICT:
          respond_error_code (msg, SOUP_STATUS_CONFLICT, "conflict", error->message);
          return;
        case LJD_SERVICE_ERROR_TOO_LARGE:
          respond_error_code (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                              error->message);
          return;
        case LJD_SERVICE_ERROR_INTERNAL:
        default:
          break;
        }
    }

  g_warning ("Internal error: %s", error->message);
  respond_error_code (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", error->message);
}

static void
respond_not_found (SoupServerMessage *msg)
{
  respond_error_code (msg, SOUP_STATUS_NOT_FOUND, "not_found", _("There is nothing at this address"));
}

static void
respond_method_not_allowed (SoupServerMessage *msg,
                            const char        *allow)
{
  respond_error_code (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                      _("This method is not allowed here"));
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
}

static void
respond_job (SoupServerMessage *msg,
             guint              status,
             LpJob             *job,
             const char        *webhook_secret)
{
  g_autoptr(JsonNode) node = lp_job_to_json_node (job);

  if (webhook_secret != NULL)
    json_object_set_string_member (json_node_get_object (node), "webhook_secret", webhook_secret);

  respond_json (msg, status, node);
}

/* Requests */

static GBytes *
request_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  return soup_message_body_flatten (body);
}

static gboolean is_webhook_route (const char *path);

static goffset
body_limit (const char *path)
{
  return is_webhook_route (path) ? LJD_MAX_BODY_SIZE : LJD_MAX_REQUEST_BODY_SIZE;
}

static void
respond_too_large (SoupServerMessage *msg,
                   goffset            limit)
{
  g_autofree char *message =
    g_strdup_printf (_("The body is larger than %d MiB"), (int) (limit / (1024 * 1024)));

  respond_error_code (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large", message);
}

static gboolean
body_too_large (SoupServerMessage *msg,
                const char        *path)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  if (body->length <= body_limit (path))
    return FALSE;

  respond_too_large (msg, body_limit (path));
  return TRUE;
}

static JsonObject *
parse_body (SoupServerMessage *msg)
{
  g_autoptr(GBytes) bytes = request_body (msg);
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  JsonObject *object;

  if (!(object = lp_json_parse_object_full (data, len, LP_JSON_MAX_DEPTH_REQUEST, &error)))
    respond_error (msg, error);

  return object;
}

/* Ids are positive decimal integers; anything else names no job. */
static gboolean
parse_id (const char *str,
          gint64     *id)
{
  guint64 value;

  if (str == NULL || str[0] < '1' || str[0] > '9')
    return FALSE;

  if (!g_ascii_string_to_unsigned (str, 10, 1, G_MAXINT64, &value, NULL))
    return FALSE;

  *id = (gint64) value;
  return TRUE;
}

static char *
authenticate (LjdServer         *self,
              SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return NULL;

  auth += 7;
  while (*auth == ' ')
    auth++;

  return ljd_service_authenticate (self->service, auth);
}

static void
handle_health (LjdServer         *self,
               SoupServerMessage *msg)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "ok");
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_set_member_name (builder, "slots");
  json_builder_add_int_value (builder, ljd_service_get_slots (self->service));
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  respond_json (msg, SOUP_STATUS_OK, root);
}

static void
handle_me (SoupServerMessage *msg,
           const char        *user)
{
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) obj = json_object_new ();

  json_object_set_string_member (obj, "user", user);
  json_node_set_object (root, obj);
  respond_json (msg, SOUP_STATUS_OK, root);
}

static void
respond_node_or_error (SoupServerMessage *msg,
                       JsonNode          *node,
                       GError            *error)
{
  if (node != NULL)
    respond_json (msg, SOUP_STATUS_OK, node);
  else
    respond_error (msg, error);
}

static void
handle_create (LjdServer         *self,
               SoupServerMessage *msg,
               const char        *user)
{
  g_autoptr(JsonObject) request = parse_body (msg);
  g_autoptr(GError) error = NULL;
  g_autoptr(LpJob) job = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *location = NULL;

  if (request == NULL)
    return;

  if (!(job = ljd_service_create_job (self->service, request, user, &secret, &error)))
    {
      respond_error (msg, error);
      return;
    }

  location = g_strdup_printf ("/api/training/jobs/%" G_GINT64_FORMAT, lp_job_get_id (job));
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location", location);
  respond_job (msg, SOUP_STATUS_CREATED, job, secret);
}

static void
cancel_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpJob) job = ljd_service_cancel_job_finish (LJD_SERVICE (object), result, &error);

  if (job != NULL)
    respond_job (msg, SOUP_STATUS_OK, job, NULL);
  else
    respond_error (msg, error);

  soup_server_message_unpause (msg);
}

static void
handle_cancel (LjdServer         *self,
               SoupServerMessage *msg,
               gint64             id,
               const char        *user)
{
  g_autoptr(JsonObject) request = NULL;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  /* An empty body still reaches the service, which names what is missing. */
  if (body->length > 0 && !(request = parse_body (msg)))
    return;

  /* The reply waits for the provider to stop the work (within a bound), so
   * the response usually carries the final "cancelled" state and cost. */
  soup_server_message_pause (msg);
  ljd_service_cancel_job_async (self->service, id, request, user, NULL,
                                cancel_cb, g_object_ref (msg));
}

/* PUT .../guard and POST .../guard/disarm: answered with the job. */
static void
handle_guard (LjdServer         *self,
              SoupServerMessage *msg,
              gint64             id,
              const char        *user,
              gboolean           disarm)
{
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LpJob) job = NULL;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  if (body->length > 0 && !(request = parse_body (msg)))
    return;

  job = disarm ? ljd_guard_keeper_disarm (self->service, id, request, user, &error)
               : ljd_guard_keeper_set (self->service, id, request, user, &error);
  if (job != NULL)
    respond_job (msg, SOUP_STATUS_OK, job, NULL);
  else
    respond_error (msg, error);
}

static void
handle_export (LjdServer         *self,
               SoupServerMessage *msg,
               gint64             id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *disposition = NULL;
  g_autoptr(JsonNode) node = ljd_service_export_events (self->service, id, &filename, &error);

  if (node == NULL)
    {
      respond_error (msg, error);
      return;
    }

  disposition = g_strdup_printf ("attachment; filename=\"%s\"", filename);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Content-Disposition", disposition);
  respond_json (msg, SOUP_STATUS_OK, node);
}

static void
handle_webhook (LjdServer         *self,
                SoupServerMessage *msg,
                gint64             id)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GBytes) bytes = request_body (msg);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;
  guint accepted = 0, duplicates = 0;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (!ljd_service_ingest_webhook (self->service, id, data, len,
                                   soup_message_headers_get_one (headers, "X-Lora-Signature"),
                                   &accepted, &duplicates, &error))
    {
      respond_error (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "accepted");
  json_builder_add_int_value (builder, accepted);
  json_builder_set_member_name (builder, "duplicates");
  json_builder_add_int_value (builder, duplicates);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  respond_json (msg, SOUP_STATUS_ACCEPTED, root);
}

static gboolean
method_is (SoupServerMessage *msg,
           const char        *method)
{
  return g_str_equal (soup_server_message_get_method (msg), method);
}

static void
route_job (LjdServer         *self,
           SoupServerMessage *msg,
           GHashTable        *query,
           char             **parts,
           guint              n_parts,
           const char        *user)
{
  g_autoptr(GError) error = NULL;
  gint64 id;

  /* parts: "", "api", "training", "jobs", ID, ... */
  if (!parse_id (parts[4], &id))
    {
      respond_not_found (msg);
      return;
    }

  if (n_parts == 5)
    {
      if (method_is (msg, "GET"))
        {
          g_autoptr(LpJob) job = ljd_service_get_job (self->service, id, &error);

          if (job != NULL)
            respond_job (msg, SOUP_STATUS_OK, job, NULL);
          else
            respond_error (msg, error);
        }
      else if (method_is (msg, "DELETE"))
        {
          if (ljd_service_delete_job (self->service, id, &error))
            {
              soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
              soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
              /* libsoup drops the Content-Length of a 204, then takes the
               * length-less response for one that ends at EOF and closes
               * the connection without a word; a client reusing it for its
               * next request gets a reset. Saying so lets it reconnect. */
              soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                            "Connection", "close");
            }
          else
            respond_error (msg, error);
        }
      else
        respond_method_not_allowed (msg, "GET, DELETE");
      return;
    }

  if (n_parts == 6 && g_str_equal (parts[5], "cancel"))
    {
      if (method_is (msg, "POST"))
        handle_cancel (self, msg, id, user);
      else
        respond_method_not_allowed (msg, "POST");
      return;
    }

  if (n_parts == 6 && g_str_equal (parts[5], "guard"))
    {
      if (method_is (msg, "PUT"))
        handle_guard (self, msg, id, user, FALSE);
      else
        respond_method_not_allowed (msg, "PUT");
      return;
    }

  if (n_parts == 7 && g_str_equal (parts[5], "guard") && g_str_equal (parts[6], "disarm"))
    {
      if (method_is (msg, "POST"))
        handle_guard (self, msg, id, user, TRUE);
      else
        respond_method_not_allowed (msg, "POST");
      return;
    }

  if (n_parts == 6 && g_str_equal (parts[5], "metrics"))
    {
      if (method_is (msg, "GET"))
        {
          g_autoptr(JsonNode) node = ljd_service_get_metrics (self->service, id, query, &error);
          respond_node_or_error (msg, node, error);
        }
      else
        respond_method_not_allowed (msg, "GET");
      return;
    }

  if (n_parts == 6 && g_str_equal (parts[5], "events"))
    {
      if (method_is (msg, "GET"))
        {
          g_autoptr(JsonNode) node = ljd_service_list_events (self->service, id, query, &error);
          respond_node_or_error (msg, node, error);
        }
      else
        respond_method_not_allowed (msg, "GET");
      return;
    }

  if (n_parts == 7 && g_str_equal (parts[5], "events") && g_str_equal (parts[6], "export"))
    {
      if (method_is (msg, "GET"))
        handle_export (self, msg, id);
      else
        respond_method_not_allowed (msg, "GET");
      return;
    }

  respond_not_found (msg);
}

static gboolean
query_has_nul (SoupServerMessage *msg)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));

  return query != NULL && strstr (query, "%00") != NULL;
}

static void
handle_request (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  LjdServer *self = user_data;
  g_auto(GStrv) parts = NULL;
  g_autofree char *user = NULL;
  guint n_parts;

  if (body_too_large (msg, path))
    return;

  /* soup_form_decode() ends a value at a NUL, so "status=%00" would read
   * as "status=": refuse what cannot be read as it was sent. */
  if (query_has_nul (msg))
    {
      respond_error_code (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                          _("The query string contains a NUL character"));
      return;
    }

  /* Keep a trailing slash from changing the route. */
  parts = g_strsplit (path, "/", 0);
  n_parts = g_strv_length (parts);
  if (n_parts > 1 && parts[n_parts - 1][0] == '\0')
    {
      g_free (parts[n_parts - 1]);
      parts[--n_parts] = NULL;
    }

  if (n_parts < 2 || !g_str_equal (parts[1], "api"))
    {
      respond_not_found (msg);
      return;
    }

  if (n_parts == 3 && g_str_equal (parts[2], "health"))
    {
      if (method_is (msg, "GET") || method_is (msg, "HEAD"))
        handle_health (self, msg);
      else
        respond_method_not_allowed (msg, "GET, HEAD");
      return;
    }

  /* The webhook authenticates by signature: trainers hold no user token. */
  if (n_parts == 6 && g_str_equal (parts[2], "training") && g_str_equal (parts[3], "jobs") &&
      g_str_equal (parts[5], "webhook"))
    {
      gint64 id;

      if (!parse_id (parts[4], &id))
        respond_not_found (msg);
      else if (!method_is (msg, "POST"))
        respond_method_not_allowed (msg, "POST");
      else
        handle_webhook (self, msg, id);
      return;
    }

  user = g_strdup (g_object_get_qdata (G_OBJECT (msg), user_quark));
  if (user == NULL)
    user = authenticate (self, msg);
  if (user == NULL)
    {
      respond_error_code (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                          _("A valid “Authorization: Bearer TOKEN” header is required"));
      return;
    }

  if (n_parts == 3 && g_str_equal (parts[2], "me"))
    {
      if (method_is (msg, "GET"))
        handle_me (msg, user);
      else
        respond_method_not_allowed (msg, "GET");
      return;
    }

  if (n_parts == 3 && g_str_equal (parts[2], "providers"))
    {
      if (method_is (msg, "GET"))
        {
          g_autoptr(JsonNode) node = ljd_service_list_providers (self->service);
          respond_json (msg, SOUP_STATUS_OK, node);
        }
      else
        respond_method_not_allowed (msg, "GET");
      return;
    }

  if (n_parts >= 4 && g_str_equal (parts[2], "training"))
    {
      g_autoptr(GError) error = NULL;

      if (n_parts == 4 && g_str_equal (parts[3], "queue"))
        {
          if (method_is (msg, "GET"))
            {
              g_autoptr(JsonNode) node = ljd_service_get_queue (self->service, &error);
              respond_node_or_error (msg, node, error);
            }
          else
            respond_method_not_allowed (msg, "GET");
          return;
        }

      if (n_parts == 4 && g_str_equal (parts[3], "jobs"))
        {
          if (method_is (msg, "GET"))
            {
              g_autoptr(JsonNode) node = ljd_service_list_jobs (self->service, query, &error);
              respond_node_or_error (msg, node, error);
            }
          else if (method_is (msg, "POST"))
            handle_create (self, msg, user);
          else
            respond_method_not_allowed (msg, "GET, POST");
          return;
        }

      if (n_parts >= 5 && g_str_equal (parts[3], "jobs"))
        {
          route_job (self, msg, query, parts, n_parts, user);
          return;
        }
    }

  respond_not_found (msg);
}

static gboolean
is_webhook_route (const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", 0);
  guint n = g_strv_length (parts);

  if (n > 1 && parts[n - 1][0] == '\0')
    n--;

  return n == 6 && g_str_equal (parts[1], "api") && g_str_equal (parts[2], "training") &&
         g_str_equal (parts[3], "jobs") && g_str_equal (parts[5], "webhook");
}

static gboolean
is_open_route (const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", 0);
  guint n = g_strv_length (parts);

  if (n > 1 && parts[n - 1][0] == '\0')
    n--;

  /* /api/health, and the webhook, which trainers sign instead. */
  return (n == 3 && g_str_equal (parts[1], "api") && g_str_equal (parts[2], "health")) ||
         (n == 6 && g_str_equal (parts[1], "api") && g_str_equal (parts[2], "training") &&
          g_str_equal (parts[3], "jobs") && g_str_equal (parts[5], "webhook"));
}

/* Decides everything that does not need the body as soon as the headers
 * arrive, before a byte of the body is read into memory: no body of
 * unknown length, none over the limit, and none from a stranger. A
 * refusal is sent at once and the connection closed, rather than after a
 * body that may never end. */
static void
early_handler (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  LjdServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  const char *length = soup_message_headers_get_list (headers, "Content-Length");
  gboolean has_body = encoding != SOUP_ENCODING_NONE &&
                      !(encoding == SOUP_ENCODING_CONTENT_LENGTH &&
                        soup_message_headers_get_content_length (headers) == 0);

  /* libsoup reads "-5" as a length, and "1, 2" (two headers) as 1: the
   * stuff of request smuggling behind a proxy that reads them otherwise. */
  if (length != NULL && (length[0] == '\0' || length[strspn (length, "0123456789")] != '\0'))
    {
      respond_error_code (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                          _("Content-Length must be a single non-negative whole number"));
      ljd_acceptor_answer_and_close (self->acceptor, msg);
      return;
    }

  if (encoding == SOUP_ENCODING_CHUNKED || encoding == SOUP_ENCODING_EOF)
    {
      respond_error_code (msg, SOUP_STATUS_LENGTH_REQUIRED, "length_required",
                          _("A request body needs a Content-Length header"));
      ljd_acceptor_answer_and_close (self->acceptor, msg);
      return;
    }

  if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > body_limit (path))
    {
      respond_too_large (msg, body_limit (path));
      ljd_acceptor_answer_and_close (self->acceptor, msg);
      return;
    }

  if (g_str_has_prefix (path, "/api/") && !is_open_route (path))
    {
      char *user = authenticate (self, msg);

      if (user == NULL)
        {
          respond_error_code (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                              _("A valid “Authorization: Bearer TOKEN” header is required"));
          if (has_body)
            ljd_acceptor_answer_and_close (self->acceptor, msg);
          return;
        }

      g_object_set_qdata_full (G_OBJECT (msg), user_quark, user, g_free);
    }
}

static void
ljd_server_constructed (GObject *object)
{
  LjdServer *self = (LjdServer *) object;

  G_OBJECT_CLASS (ljd_server_parent_class)->constructed (object);

  self->soup = soup_server_new ("server-header", "lora-jobd/" PACKAGE_VERSION " ", NULL);
  soup_server_add_early_handler (self->soup, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->soup, NULL, handle_request, self, NULL);
}

gboolean
ljd_server_listen (LjdServer   *self,
                   const char  *host,
                   guint        port,
                   GError     **error)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GUri) url = NULL;
  g_autoptr(GUri) callback_url = NULL;
  g_autofree char *loopback = NULL;
  guint bound_port;

  g_return_val_if_fail (LJD_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->acceptor == NULL, FALSE);

  if (!(address = g_inet_address_new_from_string (host)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IP address"), host);
      return FALSE;
    }

  socket_address = g_inet_socket_address_new (address, port);
  self->acceptor = ljd_acceptor_new (self->soup, &self->limits);
  if (!ljd_acceptor_listen (self->acceptor, socket_address, error))
    {
      g_clear_object (&self->acceptor);
      return FALSE;
    }

  /* GUri puts an IPv6 address in brackets. */
  bound_port = ljd_acceptor_get_port (self->acceptor);
  url = g_uri_build (G_URI_FLAGS_NONE, "http", NULL, host, (int) bound_port, "", NULL, NULL);
  self->url = g_uri_to_string (url);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);

  /* Providers on this machine call back over loopback, whatever address
   * the team-facing socket is bound to. */
  if (g_inet_address_get_is_any (address))
    {
      loopback = g_strdup (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 ? "::1" : "127.0.0.1");
      callback_url = g_uri_build (G_URI_FLAGS_NONE, "http", NULL, loopback, (int) bound_port, "", NULL, NULL);
    }

  if (ljd_service_get_base_url (self->service) == NULL)
    {
      g_autofree char *text = g_uri_to_string (callback_url != NULL ? callback_url : url);

      ljd_service_set_base_url (self->service, text);
    }

  return TRUE;
}
