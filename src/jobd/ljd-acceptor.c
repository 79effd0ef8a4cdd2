/* ljd-acceptor.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each admitted connection has a state and a deadline:
 *
 *   HEADERS   from connecting (or a request's first byte) to its headers: header timeout
 *   BODY      while the body arrives: the longest pause between two chunks
 *   HANDLING  from the whole request to the end of its answer: response timeout
 *   IDLE      kept alive between requests: idle timeout
 *   LINGER    answered early and half-closed: a short drain, then closed
 *
 * A connection past its deadline is shut down; one still sending its
 * request first gets a 408. When the service is at its limit (or one
 * address is at its own), a new connection displaces the one that has
 * waited longest without a request in progress (IDLE or HEADERS); when
 * every connection is busy, the newcomer gets a 503 and is closed. So
 * clients that only hold connections open can delay, but not lock out,
 * one that sends a request.
 */
#define _GNU_SOURCE /* accept4 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "lp-json.h"
#include "ljd-acceptor.h"
#include "ljd-capped-input-stream.h"

/* File descriptors kept back for the database, providers' children and
 * their pipes, when the connection limit is fitted to RLIMIT_NOFILE. */
#define RESERVED_FDS 64
/* Refused connections are closed after a short drain, so that the kernel
 * does not answer the client's unread request with a reset that can
 * discard our refusal before the client reads it. */
#define REFUSED_LINGER_MS 500
#define MAX_REFUSED_LINGERING 64
/* After an early answer the rest of the request is read and dropped, so
 * that a client which sends its whole body before reading gets to read
 * the answer: for as long as it keeps sending, within bounds. */
#define ANSWERED_LINGER_MS 2000
#define ANSWERED_LINGER_MAX_MS 30000
#define ACCEPTS_PER_WAKEUP 64

typedef enum {
  CONN_HEADERS,
  CONN_BODY,
  CONN_HANDLING,
  CONN_IDLE,
  CONN_LINGER,
  CONN_CLOSED,
} ConnState;

typedef struct
{
  LjdAcceptor       *self;
  GSocketConnection *connection;
  GSocket           *socket;   /* the connection's */
  GIOStream         *stream;   /* weak: what libsoup reads and writes, over the connection */
  GIOStream         *stolen;   /* libsoup's stream, taken back from it for an early answer */
  LjdCappedInputStream *input; /* the stream's */
  GSocketAddress    *remote;   /* also soup's; carries the record as qdata */
  char              *peer;
  ConnState          state;
  GSource           *timer;
  GSource           *drain;
  gint64             linger_until;
  GList              evict_link;
} Conn;

struct _LjdAcceptor
{
  GObject       parent_instance;

  SoupServer   *server;
  GMainContext *context;
  LjdLimits     limits;
  GSocket      *listener;
  GSocket      *placeholder[2];
  GSource      *accept_source;
  GSource      *rearm_source;
  int           spare_fd;

  GHashTable   *conns;       /* Conn* */
  GHashTable   *per_address; /* peer string -> count */
  GQueue        evictable;   /* Conn* in HEADERS or IDLE, longest waiting first */
  guint         n_open;
  GSList       *refused;     /* GSocketConnection* draining before close */
  guint         n_refused;
  GSource      *refused_source;

  char         *unreadable_body;
};

G_DEFINE_FINAL_TYPE (LjdAcceptor, ljd_acceptor, G_TYPE_OBJECT)

static GQuark conn_quark;

static void conn_close (Conn *conn);

static gint64
deadline_after (guint ms)
{
  return g_get_monotonic_time () + (gint64) ms * 1000;
}

static gboolean
is_evictable (ConnState state)
{
  return state == CONN_HEADERS || state == CONN_IDLE || state == CONN_LINGER;
}

static void
uncount (LjdAcceptor *self,
         Conn        *conn)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, conn->peer));

  g_assert (self->n_open > 0);
  self->n_open--;

  if (n <= 1)
    g_hash_table_remove (self->per_address, conn->peer);
  else
    g_hash_table_insert (self->per_address, g_strdup (conn->peer), GUINT_TO_POINTER (n - 1));
}

static void
conn_set_state (Conn      *conn,
                ConnState  state,
                guint      timeout_ms)
{
  LjdAcceptor *self = conn->self;

  if (conn->state == CONN_CLOSED)
    return;

  if (is_evictable (conn->state))
    g_queue_unlink (&self->evictable, &conn->evict_link);
  if (is_evictable (state))
    g_queue_push_tail_link (&self->evictable, &conn->evict_link);

  if (state == CONN_CLOSED)
    uncount (self, conn);

  conn->state = state;

  /* A request's headers are charged from the end of the previous answer;
   * the first read of a request happens before libsoup says it started. */
  if (state == CONN_IDLE && conn->input != NULL)
    ljd_capped_input_stream_set_budget (conn->input, self->limits.max_header_bytes);
  else if (state != CONN_HEADERS && conn->input != NULL)
    ljd_capped_input_stream_set_budget (conn->input, -1);

  if (conn->timer != NULL)
    g_source_set_ready_time (conn->timer, state == CONN_CLOSED ? -1 : deadline_after (timeout_ms));
}

/* Responses written by the acceptor itself, outside libsoup */

static char *
error_body (const char *code,
            const char *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  return lp_json_builder_to_string (builder);
}

/* Best effort: a few hundred bytes fit any socket's send buffer, and a
 * client that is not reading gets nothing more from us anyway. */
static void
send_now (GSocket *socket,
          GString *response)
{
  g_socket_send_with_blocking (socket, response->str, response->len, FALSE, NULL, NULL);
}

/* RFC 6585's 431 is not among libsoup's statuses. */
#define STATUS_HEADERS_TOO_LARGE 431

static const char *
reason_phrase (guint status)
{
  return status == STATUS_HEADERS_TOO_LARGE ? "Request Header Fields Too Large" : soup_status_get_phrase (status);
}

static void
append_date (GString *response)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = soup_date_time_to_string (now, SOUP_DATE_HTTP);

  g_string_append_printf (response, "Date: %s\r\n", date);
}

static void
send_error (GSocket    *socket,
            guint       status,
            const char *code,
            const char *message,
            const char *extra_headers)
{
  g_autofree char *body = error_body (code, message);
  g_autoptr(GString) response = g_string_new (NULL);

  g_string_append_printf (response, "HTTP/1.1 %u %s\r\n", status, reason_phrase (status));
  append_date (response);
  g_string_append (response, "Server: lora-jobd/" PACKAGE_VERSION "\r\n"
                             "Content-Type: application/json; charset=utf-8\r\n"
                             "Connection: close\r\n");
  if (extra_headers != NULL)
    g_string_append (response, extra_headers);
  g_string_append_printf (response, "Content-Length: %zu\r\n\r\n%s", strlen (body), body);

  send_now (socket, response);
}

static void
drain_and_close (GSocketConnection *connection)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  char buf[4096];

  while (g_socket_receive_with_blocking (socket, buf, sizeof buf, FALSE, NULL, NULL) > 0)
    ;
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  g_object_unref (connection);
}

static gboolean
close_refused_cb (gpointer data)
{
  LjdAcceptor *self = data;

  /* One timer serves each batch of refusals, so the last ones of a batch
   * linger less; the point is only to outlast the client's request. */
  g_slist_free_full (g_steal_pointer (&self->refused), (GDestroyNotify) drain_and_close);
  self->n_refused = 0;
  g_clear_pointer (&self->refused_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* Takes @connection, answered and half-closed, and closes it a moment later. */
static void
linger (LjdAcceptor       *self,
        GSocketConnection *connection)
{
  if (self->n_refused >= MAX_REFUSED_LINGERING)
    {
      drain_and_close (connection);
      return;
    }

  if (self->refused_source == NULL)
    {
      self->refused_source = g_timeout_source_new (REFUSED_LINGER_MS);
      g_source_set_callback (self->refused_source, close_refused_cb, self, NULL);
      g_source_attach (self->refused_source, self->context);
    }

  self->refused = g_slist_prepend (self->refused, connection);
  self->n_refused++;
}

static void
refuse (LjdAcceptor *self,
        GSocket     *socket,
        const char  *message)
{
  send_error (socket, SOUP_STATUS_SERVICE_UNAVAILABLE, "too_many_connections", message,
              "Retry-After: 1\r\n");
  g_socket_shutdown (socket, FALSE, TRUE, NULL);
  linger (self, g_socket_connection_factory_create_connection (socket));
}

/* Connections */

static Conn *
conn_for_message (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote != NULL ? g_object_get_qdata (G_OBJECT (remote), conn_quark) : NULL;
}

/* Shut down, not closed: libsoup still polls the descriptor, and reads
 * the end of the stream, then lets the connection go. */
static void
conn_close (Conn *conn)
{
  if (conn->state == CONN_CLOSED)
    return;

  if (conn->socket != NULL)
    g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
  conn_set_state (conn, CONN_CLOSED, 0);

  /* Without its last reference libsoup's stream goes, and the record with it. */
  g_clear_object (&conn->stolen);
}

static gboolean
conn_timeout_cb (gpointer data)
{
  Conn *conn = data;

  switch (conn->state)
    {
    case CONN_HEADERS:
      send_error (conn->socket, SOUP_STATUS_REQUEST_TIMEOUT, "request_timeout",
                  _("The request’s headers did not arrive in time"), NULL);
      break;
    case CONN_BODY:
      send_error (conn->socket, SOUP_STATUS_REQUEST_TIMEOUT, "request_timeout",
                  _("The request’s body stopped arriving"), NULL);
      break;
    case CONN_LINGER:
      {
        char buf[4096];

        while (g_socket_receive_with_blocking (conn->socket, buf, sizeof buf, FALSE, NULL, NULL) > 0)
          ;
      }
      break;
    case CONN_HANDLING:
    case CONN_IDLE:
    case CONN_CLOSED:
    default:
      break;
    }

  conn_close (conn);
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     data)
{
  g_source_set_ready_time (source, -1);
  return callback (data);
}

static GSourceFuncs timer_funcs = { NULL, NULL, timer_dispatch, NULL, NULL, NULL };

static void
conn_free (Conn *conn)
{
  if (conn->drain != NULL)
    {
      g_source_destroy (conn->drain);
      g_clear_pointer (&conn->drain, g_source_unref);
    }
  if (conn->connection != NULL)
    {
      g_io_stream_close (G_IO_STREAM (conn->connection), NULL, NULL);
      g_clear_object (&conn->connection);
    }
  if (conn->timer != NULL)
    {
      g_source_destroy (conn->timer);
      g_source_unref (conn->timer);
    }
  g_object_set_qdata (G_OBJECT (conn->remote), conn_quark, NULL);
  g_clear_object (&conn->remote);
  g_free (conn->peer);
  g_free (conn);
}

/* libsoup drops the stream when it is done with the connection. */
static void
conn_stream_gone (gpointer  data,
                  GObject  *where_the_object_was)
{
  Conn *conn = data;
  LjdAcceptor *self = conn->self;

  conn->stream = NULL;
  conn->input = NULL;
  conn->socket = NULL;
  if (conn->state == CONN_LINGER)
    linger (self, g_steal_pointer (&conn->connection));
  conn_set_state (conn, CONN_CLOSED, 0);
  g_hash_table_remove (self->conns, conn);
  conn_free (conn);
}

static void
headers_too_large (LjdCappedInputStream *stream,
                   gpointer              data)
{
  Conn *conn = data;
  g_autofree char *message =
    g_strdup_printf (_("The request’s headers are larger than %u KiB"),
                     conn->self->limits.max_header_bytes / 1024);

  if (conn->state == CONN_CLOSED || conn->state == CONN_LINGER)
    return;

  /* libsoup fails the read that follows and drops the connection. */
  send_error (conn->socket, STATUS_HEADERS_TOO_LARGE, "headers_too_large", message, NULL);
  g_socket_shutdown (conn->socket, FALSE, TRUE, NULL);
  conn_set_state (conn, CONN_LINGER, ANSWERED_LINGER_MS);
}

/* libsoup 3.2 leaks a kept-alive connection that its client closes
 * between requests: the end of the stream fails a request that never
 * started, and nothing disconnects the connection (fixed in 3.3.0 by
 * "server: do not leak idle connections closed by the client"). Handing
 * libsoup one line end there starts that request, which then fails to
 * parse; its answer cannot be written, as the connection is half-closed
 * first, and the failure disconnects it as any other would. */
static gboolean
closed_while_idle (LjdCappedInputStream *stream,
                   gpointer              data)
{
  Conn *conn = data;

  if (conn->state != CONN_IDLE)
    return FALSE;

  g_socket_shutdown (conn->socket, FALSE, TRUE, NULL);
  return TRUE;
}

static Conn *
oldest_waiting (LjdAcceptor *self,
                const char  *peer)
{
  for (GList *l = self->evictable.head; l != NULL; l = l->next)
    {
      Conn *conn = l->data;

      if (peer == NULL || g_str_equal (conn->peer, peer))
        return conn;
    }

  return NULL;
}

static char *
peer_name (GSocketAddress *address)
{
  if (G_IS_INET_SOCKET_ADDRESS (address))
    return g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));

  return g_strdup ("local");
}

static void
admit (LjdAcceptor *self,
       int          fd)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GInputStream) input = NULL;
  g_autofree char *peer = NULL;
  Conn *conn, *victim;

  if (!(socket = g_socket_new_from_fd (fd, NULL)))
    {
      close (fd);
      return;
    }

  if (!(remote = g_socket_get_remote_address (socket, NULL)) ||
      !(local = g_socket_get_local_address (socket, NULL)))
    {
      g_socket_close (socket, NULL);
      return;
    }

  peer = peer_name (remote);

  if (self->n_open >= self->limits.max_connections)
    {
      if (!(victim = oldest_waiting (self, NULL)))
        {
          refuse (self, socket, _("The service has too many connections open; try again shortly"));
          return;
        }
      conn_close (victim);
    }

  if (GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, peer)) >= self->limits.max_per_address)
    {
      if (!(victim = oldest_waiting (self, peer)))
        {
          refuse (self, socket, _("Your address has too many connections open; try again shortly"));
          return;
        }
      conn_close (victim);
    }

  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);

  conn = g_new0 (Conn, 1);
  conn->self = self;
  conn->connection = g_socket_connection_factory_create_connection (socket);
  conn->socket = socket;
  input = ljd_capped_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn->connection)),
                                       headers_too_large, closed_while_idle, conn);
  conn->input = LJD_CAPPED_INPUT_STREAM (input);
  ljd_capped_input_stream_set_budget (conn->input, self->limits.max_header_bytes);
  /* libsoup closes this stream, not the connection under it: that is
   * closed when libsoup lets the stream go, or after a lingering answer. */
  stream = g_simple_io_stream_new (input, g_io_stream_get_output_stream (G_IO_STREAM (conn->connection)));
  conn->stream = stream;
  conn->remote = g_object_ref (remote);
  conn->peer = g_steal_pointer (&peer);
  conn->evict_link.data = conn;
  conn->state = CONN_HANDLING;
  conn->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (conn->timer, conn_timeout_cb, conn, NULL);
  g_source_attach (conn->timer, self->context);

  self->n_open++;
  g_hash_table_insert (self->per_address, g_strdup (conn->peer),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, conn->peer)) + 1));
  g_hash_table_add (self->conns, conn);
  g_object_set_qdata (G_OBJECT (remote), conn_quark, conn);
  g_object_weak_ref (G_OBJECT (stream), conn_stream_gone, conn);

  conn_set_state (conn, CONN_HEADERS, self->limits.header_timeout_ms);
  soup_server_accept_iostream (self->server, stream, local, remote, NULL);
}

/* At the descriptor limit, the spare descriptor is given up for a moment
 * to take the waiting client off the backlog with a clear refusal; if even
 * that fails, accepting pauses briefly instead of spinning. */
static gboolean on_accept (GSocket *socket, GIOCondition condition, gpointer data);

static gboolean
rearm_cb (gpointer data)
{
  LjdAcceptor *self = data;

  g_clear_pointer (&self->rearm_source, g_source_unref);

  if (self->spare_fd < 0)
    self->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  if (self->listener != NULL && self->accept_source == NULL)
    {
      self->accept_source = g_socket_create_source (self->listener, G_IO_IN, NULL);
      g_source_set_callback (self->accept_source, (GSourceFunc) on_accept, self, NULL);
      g_source_attach (self->accept_source, self->context);
    }

  return G_SOURCE_REMOVE;
}

static void
pause_accepting (LjdAcceptor *self)
{
  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }

  if (self->rearm_source == NULL)
    {
      self->rearm_source = g_timeout_source_new (100);
      g_source_set_callback (self->rearm_source, rearm_cb, self, NULL);
      g_source_attach (self->rearm_source, self->context);
    }
}

static gboolean
out_of_descriptors (LjdAcceptor *self)
{
  int fd;

  if (self->spare_fd < 0)
    return FALSE;

  close (self->spare_fd);
  self->spare_fd = -1;

  fd = accept4 (g_socket_get_fd (self->listener), NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd >= 0)
    {
      g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, NULL);

      /* No lingering here: the descriptor is needed back at once. */
      if (socket != NULL)
        {
          send_error (socket, SOUP_STATUS_SERVICE_UNAVAILABLE, "too_many_connections",
                      _("The service has too many connections open; try again shortly"),
                      "Retry-After: 1\r\n");
          g_socket_shutdown (socket, FALSE, TRUE, NULL);
          drain_and_close (g_socket_connection_factory_create_connection (socket));
        }
      else
        close (fd);
    }

  self->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  return self->spare_fd >= 0;
}

static gboolean
on_accept (GSocket      *socket,
           GIOCondition  condition,
           gpointer      data)
{
  LjdAcceptor *self = data;

  for (guint i = 0; i < ACCEPTS_PER_WAKEUP; i++)
    {
      int fd = accept4 (g_socket_get_fd (socket), NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

      if (fd >= 0)
        {
          admit (self, fd);
          continue;
        }

      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
        continue;

      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        {
          if (!out_of_descriptors (self))
            {
              pause_accepting (self);
              return G_SOURCE_REMOVE;
            }
          continue;
        }

      /* EAGAIN: the backlog is empty. */
      break;
    }

  return G_SOURCE_CONTINUE;
}

/* What libsoup tells of each request on a connection */

static void
on_got_headers (SoupServerMessage *msg,
                gpointer           data)
{
  LjdAcceptor *self = data;
  Conn *conn = conn_for_message (msg);

  if (conn != NULL && conn->state == CONN_HEADERS)
    conn_set_state (conn, CONN_BODY, self->limits.body_idle_timeout_ms);
}

static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           data)
{
  LjdAcceptor *self = data;
  Conn *conn = conn_for_message (msg);

  if (conn != NULL && conn->state == CONN_BODY)
    conn_set_state (conn, CONN_BODY, self->limits.body_idle_timeout_ms);
}

static void
on_got_body (SoupServerMessage *msg,
             gpointer           data)
{
  LjdAcceptor *self = data;
  Conn *conn = conn_for_message (msg);

  if (conn != NULL && conn->state == CONN_BODY)
    conn_set_state (conn, CONN_HANDLING, self->limits.response_timeout_ms);
}

static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           data)
{
  LjdAcceptor *self = data;
  Conn *conn = conn_for_message (msg);

  /* libsoup answers a request it cannot parse (a bad request line or
   * header, an unusable address, an HTTP version it does not speak) on its
   * own, with an empty body, before any handler runs; this body is what it
   * then sends. Every handler replaces it. */
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_COPY,
                                    self->unreadable_body, strlen (self->unreadable_body));

  if (conn == NULL || conn->state == CONN_CLOSED || conn->state == CONN_LINGER)
    return;

  conn_set_state (conn, CONN_HEADERS, self->limits.header_timeout_ms);

  /* After libsoup's own handlers, which run the early handler. */
  g_signal_connect_object (msg, "got-headers", G_CALLBACK (on_got_headers), self, G_CONNECT_AFTER);
  g_signal_connect_object (msg, "got-chunk", G_CALLBACK (on_got_chunk), self, G_CONNECT_AFTER);
  g_signal_connect_object (msg, "got-body", G_CALLBACK (on_got_body), self, G_CONNECT_AFTER);
}

static void
on_request_done (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           data)
{
  LjdAcceptor *self = data;
  Conn *conn = conn_for_message (msg);

  if (conn != NULL && conn->state != CONN_LINGER)
    conn_set_state (conn, CONN_IDLE, self->limits.idle_timeout_ms);
}

static gboolean
conn_drain_cb (GSocket      *socket,
               GIOCondition  condition,
               gpointer      data)
{
  Conn *conn = data;
  g_autoptr(GError) error = NULL;
  char buf[16384];
  gssize n;

  while ((n = g_socket_receive_with_blocking (socket, buf, sizeof buf, FALSE, NULL, &error)) > 0)
    ;

  if (n == 0 || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) ||
      g_get_monotonic_time () > conn->linger_until)
    {
      /* conn_close() may free @conn, and with it this source. */
      g_clear_pointer (&conn->drain, g_source_unref);
      conn_close (conn);
      return G_SOURCE_REMOVE;
    }

  conn_set_state (conn, CONN_LINGER, ANSWERED_LINGER_MS);
  return G_SOURCE_CONTINUE;
}

/**
 * ljd_acceptor_answer_and_close:
 *
 * Sends @msg's response (status, headers and body as set) at once and
 * half-closes the connection, without waiting for the request's body,
 * which libsoup would otherwise read to its end: for refusals decided on
 * the headers (no token, a body too large or of unknown length). What the
 * client still sends is read and dropped for a moment, then the
 * connection is closed.
 */
void
ljd_acceptor_answer_and_close (LjdAcceptor       *self,
                               SoupServerMessage *msg)
{
  Conn *conn = conn_for_message (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_response_body (msg));
  g_autoptr(GString) response = g_string_new (NULL);
  SoupMessageHeadersIter iter;
  const char *name, *value;
  guint status = soup_server_message_get_status (msg);

  g_return_if_fail (LJD_IS_ACCEPTOR (self));

  soup_message_headers_replace (headers, "Connection", "close");

  if (conn == NULL || conn->socket == NULL || conn->state == CONN_CLOSED)
    return;

  g_string_append_printf (response, "HTTP/1.1 %u %s\r\n", status, soup_status_get_phrase (status));
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (g_ascii_strcasecmp (name, "Content-Length") != 0)
      g_string_append_printf (response, "%s: %s\r\n", name, value);
  g_string_append_printf (response, "Content-Length: %zu\r\n\r\n", g_bytes_get_size (body));
  g_string_append_len (response, g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  send_now (conn->socket, response);
  g_socket_shutdown (conn->socket, FALSE, TRUE, NULL);

  /* Taken from libsoup, which would otherwise read the whole body it was
   * promised (or, for a negative length, trip over it) before answering. */
  soup_server_message_set_status (msg, status, NULL);
  conn->stolen = soup_server_message_steal_connection (msg);
  conn_set_state (conn, CONN_LINGER, ANSWERED_LINGER_MS);
  conn->linger_until = deadline_after (ANSWERED_LINGER_MAX_MS);
  conn->drain = g_socket_create_source (conn->socket, G_IO_IN, NULL);
  g_source_set_callback (conn->drain, (GSourceFunc) conn_drain_cb, conn, NULL);
  g_source_attach (conn->drain, self->context);
}

/* The object */

static void
ljd_acceptor_dispose (GObject *object)
{
  LjdAcceptor *self = (LjdAcceptor *) object;

  ljd_acceptor_close (self);

  if (self->server != NULL)
    g_signal_handlers_disconnect_by_data (self->server, self);
  g_clear_object (&self->server);

  G_OBJECT_CLASS (ljd_acceptor_parent_class)->dispose (object);
}

static void
ljd_acceptor_finalize (GObject *object)
{
  LjdAcceptor *self = (LjdAcceptor *) object;

  g_clear_pointer (&self->conns, g_hash_table_unref);
  g_clear_pointer (&self->per_address, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->unreadable_body, g_free);

  G_OBJECT_CLASS (ljd_acceptor_parent_class)->finalize (object);
}

static void
ljd_acceptor_class_init (LjdAcceptorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ljd_acceptor_dispose;
  object_class->finalize = ljd_acceptor_finalize;

  conn_quark = g_quark_from_static_string ("ljd-acceptor-conn");
}

static void
ljd_acceptor_init (LjdAcceptor *self)
{
  self->conns = g_hash_table_new (NULL, NULL);
  self->per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->spare_fd = -1;
  self->context = g_main_context_ref_thread_default ();
  self->unreadable_body = error_body ("bad_request",
                                      _("The request could not be read: its request line, a header "
                                        "or its address is malformed"));
}

LjdAcceptor *
ljd_acceptor_new (SoupServer      *server,
                  const LjdLimits *limits)
{
  LjdAcceptor *self;
  static const LjdLimits defaults = LJD_LIMITS_DEFAULT;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);

  self = g_object_new (LJD_TYPE_ACCEPTOR, NULL);
  self->server = g_object_ref (server);
  self->limits = limits != NULL ? *limits : defaults;

  g_signal_connect (server, "request-started", G_CALLBACK (on_request_started), self);
  g_signal_connect (server, "request-finished", G_CALLBACK (on_request_done), self);
  g_signal_connect (server, "request-aborted", G_CALLBACK (on_request_done), self);

  return self;
}

/* A connection limit above what the descriptor limit allows would only
 * move the failure from our refusal to accept(); so the soft limit is
 * raised as far as the hard limit allows, and the connection limit fits
 * under it. */
static guint
fit_to_descriptor_limit (guint wanted)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return wanted;

  if (limit.rlim_cur < limit.rlim_max)
    {
      struct rlimit raised = { limit.rlim_max, limit.rlim_max };

      if (setrlimit (RLIMIT_NOFILE, &raised) == 0)
        limit = raised;
    }

  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > G_MAXUINT)
    return wanted;

  if (limit.rlim_cur <= 2 * RESERVED_FDS)
    return MAX (1, MIN (wanted, (guint) limit.rlim_cur / 2));

  return MIN (wanted, (guint) limit.rlim_cur - RESERVED_FDS);
}

gboolean
ljd_acceptor_listen (LjdAcceptor     *self,
                     GSocketAddress  *address,
                     GError         **error)
{
  g_autoptr(GSocket) listener = NULL;
  int pair[2];

  g_return_val_if_fail (LJD_IS_ACCEPTOR (self), FALSE);
  g_return_val_if_fail (self->listener == NULL, FALSE);

  if (!(listener = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_DEFAULT, error)))
    return FALSE;

  if (g_socket_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (listener, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, NULL);

  /* A burst of clients waits in the kernel rather than being refused. */
  g_socket_set_listen_backlog (listener, 1024);

  if (!g_socket_bind (listener, address, TRUE, error) ||
      !g_socket_listen (listener, error))
    return FALSE;

  /* libsoup 3.2 keeps a connection alive after a response only while the
   * server has a listener of its own; connections handed to it by
   * soup_server_accept_iostream() would each serve one request. Its
   * listener here is one end of a socket pair, whose other end we hold
   * and never write to: it exists, and nobody can connect through it. */
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "socketpair: %s", g_strerror (saved));
      return FALSE;
    }

  if (!(self->placeholder[0] = g_socket_new_from_fd (pair[0], error)))
    {
      close (pair[0]);
      close (pair[1]);
      return FALSE;
    }
  if (!(self->placeholder[1] = g_socket_new_from_fd (pair[1], error)))
    {
      close (pair[1]);
      g_clear_object (&self->placeholder[0]);
      return FALSE;
    }
  if (!soup_server_listen_socket (self->server, self->placeholder[0], 0, error))
    {
      g_clear_object (&self->placeholder[0]);
      g_clear_object (&self->placeholder[1]);
      return FALSE;
    }

  self->limits.max_connections = fit_to_descriptor_limit (self->limits.max_connections);
  self->limits.max_per_address = MIN (self->limits.max_per_address, self->limits.max_connections);
  self->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  self->listener = g_steal_pointer (&listener);
  self->accept_source = g_socket_create_source (self->listener, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, (GSourceFunc) on_accept, self, NULL);
  g_source_attach (self->accept_source, self->context);

  return TRUE;
}

guint
ljd_acceptor_get_port (LjdAcceptor *self)
{
  g_autoptr(GSocketAddress) address = NULL;

  g_return_val_if_fail (LJD_IS_ACCEPTOR (self), 0);

  if (self->listener == NULL ||
      !(address = g_socket_get_local_address (self->listener, NULL)) ||
      !G_IS_INET_SOCKET_ADDRESS (address))
    return 0;

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

guint
ljd_acceptor_get_n_open (LjdAcceptor *self)
{
  g_return_val_if_fail (LJD_IS_ACCEPTOR (self), 0);
  return self->n_open;
}

const LjdLimits *
ljd_acceptor_get_limits (LjdAcceptor *self)
{
  g_return_val_if_fail (LJD_IS_ACCEPTOR (self), NULL);
  return &self->limits;
}

/* Stops accepting and shuts every connection down. */
void
ljd_acceptor_close (LjdAcceptor *self)
{
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (LJD_IS_ACCEPTOR (self));

  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  if (self->rearm_source != NULL)
    {
      g_source_destroy (self->rearm_source);
      g_clear_pointer (&self->rearm_source, g_source_unref);
    }
  if (self->listener != NULL)
    {
      g_socket_close (self->listener, NULL);
      g_clear_object (&self->listener);
    }
  if (self->spare_fd >= 0)
    {
      close (self->spare_fd);
      self->spare_fd = -1;
    }

  if (self->refused_source != NULL)
    {
      g_source_destroy (self->refused_source);
      g_clear_pointer (&self->refused_source, g_source_unref);
    }
  g_slist_free_full (g_steal_pointer (&self->refused), (GDestroyNotify) drain_and_close);
  self->n_refused = 0;

  /* The records go now; libsoup lets the streams go in its own time. */
  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Conn *conn = key;

      if (conn->stream != NULL)
        g_object_weak_unref (G_OBJECT (conn->stream), conn_stream_gone, conn);
      conn_close (conn);
      g_hash_table_iter_remove (&iter);
      conn_free (conn);
    }

  g_clear_object (&self->placeholder[0]);
  g_clear_object (&self->placeholder[1]);
}
