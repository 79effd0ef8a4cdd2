/* test-acceptor.c: the service keeps accepting when it runs out of file
 * descriptors, and says so to the client it cannot take
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsoup's own listener gives up for good after one failed accept(); a
 * real SoupServer and LjdAcceptor on loopback, with the process's
 * descriptors used up on purpose, show that ours does not.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ljd-acceptor.h"

typedef struct
{
  guint16  port;
  char    *answer;
  gboolean done;
} Request;

/* Plain sockets, so that the client needs exactly one descriptor. */
static gpointer
client_thread (gpointer data)
{
  Request *request = data;
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (request->port) };
  struct timeval timeout = { 5, 0 };
  const char *get = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  GString *answer = g_string_new (NULL);
  char buf[4096];
  int fd;

  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0 &&
      send (fd, get, strlen (get), MSG_NOSIGNAL) == (gssize) strlen (get))
    {
      gssize n;

      while ((n = recv (fd, buf, sizeof buf, 0)) > 0)
        g_string_append_len (answer, buf, n);
    }

  close (fd);
  request->answer = g_string_free (answer, FALSE);
  g_atomic_int_set (&request->done, TRUE);
  return NULL;
}

static char *
ask (guint16 port)
{
  Request request = { port, NULL, FALSE };
  GThread *thread = g_thread_new ("client", client_thread, &request);

  while (!g_atomic_int_get (&request.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);

  return request.answer;
}

static void
health (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  soup_message_body_truncate (soup_server_message_get_response_body (msg));
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{\"status\":\"ok\"}", 15);
}

/* A timer that wakes the loop while the client waits on the kernel. */
static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
test_out_of_descriptors (void)
{
  struct rlimit limit = { 256, 256 };
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(LjdAcceptor) acceptor = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) fillers = g_array_new (FALSE, FALSE, sizeof (int));
  g_autofree char *refused = NULL;
  g_autofree char *served = NULL;
  g_autofree char *again = NULL;
  guint ticker;
  guint16 port;
  int fd;

  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &limit), ==, 0);

  soup_server_add_handler (server, NULL, health, NULL, NULL);
  acceptor = ljd_acceptor_new (server, NULL);
  g_assert_true (ljd_acceptor_listen (acceptor, address, &error));
  g_assert_no_error (error);
  port = (guint16) ljd_acceptor_get_port (acceptor);
  g_assert_cmpuint (port, >, 0);
  /* The limit was fitted under the descriptors the process may have. */
  g_assert_cmpuint (ljd_acceptor_get_limits (acceptor)->max_connections, <=, 256 - 64);
  ticker = g_timeout_add (10, tick, NULL);

  served = ask (port);
  g_assert_true (g_str_has_prefix (served, "HTTP/1.1 200"));

  /* Use up every descriptor but one, which the client's socket takes:
   * then accept() fails with EMFILE. */
  while ((fd = open ("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
    g_array_append_val (fillers, fd);
  g_assert_cmpint (errno, ==, EMFILE);
  close (g_array_index (fillers, int, fillers->len - 1));
  g_array_set_size (fillers, fillers->len - 1);

  refused = ask (port);
  g_assert_true (g_str_has_prefix (refused, "HTTP/1.1 503"));
  g_assert_nonnull (strstr (refused, "\"too_many_connections\""));

  /* Descriptors come back: the service accepts again, by itself. */
  for (guint i = 0; i < fillers->len; i++)
    close (g_array_index (fillers, int, i));
  g_array_set_size (fillers, 0);

  again = ask (port);
  g_assert_true (g_str_has_prefix (again, "HTTP/1.1 200"));

  g_source_remove (ticker);
  ljd_acceptor_close (acceptor);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/acceptor/out-of-descriptors", test_out_of_descriptors);

  return g_test_run ();
}
