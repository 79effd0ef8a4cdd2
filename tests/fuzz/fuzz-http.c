/* fuzz-http.c: the service's request handling, from raw HTTP bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each input is what one client sends on one connection (pipelined
 * requests included), handed to the real LjdServer and LjdService over an
 * in-memory stream, with the store in an in-memory sqlite database. So
 * that the fuzzer gets past authentication, the word TOKEN in an input is
 * replaced by a valid bearer token, and a header "X-Lora-Signature: SIGN"
 * by the signature of what follows the first blank line after it, made
 * with the secret of job 1 (an external job created at start).
 */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "lp-json.h"
#include "ljd-capped-input-stream.h"
#include "ljd-external.h"
#include "ljd-server-private.h"
#include "ljd-service.h"
#include "ljd-store.h"

static LjdStore *store;
static LjdService *service;
static LjdServer *server;
static char *token;
static char *secret;

/* Once per process, on the first input: the runner of the regressions
 * calls LLVMFuzzerTestOneInput() only. */
static void
setup (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(LjdExternal) external = NULL;
  g_autoptr(LpJob) job = NULL;
  const char *body = "{\"name\":\"Fuzzed\",\"total_steps\":300,\"epochs\":3,\"gpu_type\":\"A100\","
                     "\"pricing\":\"spot\",\"hourly_rate\":1.19,\"provider\":\"external\"}";

  if (server != NULL)
    return;

  fuzz_setup ();
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  if (!(store = ljd_store_open (":memory:", &error)))
    g_error ("%s", error->message);
  token = ljd_store_add_token (store, "fuzzer", &error);
  g_assert_no_error (error);

  service = ljd_service_new (store, 3, 1.0);
  external = ljd_external_new ();
  ljd_service_add_provider (service, LJD_PROVIDER (external));
  server = ljd_server_new (service);
  /* Listening gives libsoup the listener it wants for keep-alive. */
  if (!ljd_server_listen (server, "127.0.0.1", 0, &error))
    g_error ("%s", error->message);

  request = lp_json_parse_object (body, strlen (body), &error);
  g_assert_no_error (error);
  job = ljd_service_create_job (service, request, "fuzzer", &secret, &error);
  g_assert_no_error (error);
}

static GBytes *
prepare (const guint8 *data,
         size_t        size)
{
  g_autoptr(GByteArray) out = g_byte_array_sized_new (size + 128);
  const char *sign_header = "X-Lora-Signature: SIGN";
  const guint8 *end = data + size;
  gssize sign_at = -1;

  for (const guint8 *p = data; p < end;)
    {
      if ((gsize) (end - p) >= 5 && memcmp (p, "TOKEN", 5) == 0)
        {
          g_byte_array_append (out, (const guint8 *) token, strlen (token));
          p += 5;
        }
      else if (sign_at < 0 && (gsize) (end - p) >= strlen (sign_header) &&
               memcmp (p, sign_header, strlen (sign_header)) == 0)
        {
          sign_at = out->len + strlen ("X-Lora-Signature: ");
          /* sha256= and 64 hex digits, filled in below */
          g_byte_array_append (out, (const guint8 *) "X-Lora-Signature: ", strlen ("X-Lora-Signature: "));
          for (guint i = 0; i < 71; i++)
            g_byte_array_append (out, (const guint8 *) "0", 1);
          p += strlen (sign_header);
        }
      else
        {
          g_byte_array_append (out, p, 1);
          p++;
        }
    }

  if (sign_at >= 0)
    {
      const guint8 *body = NULL;

      for (guint i = sign_at; i + 4 <= out->len; i++)
        if (memcmp (out->data + i, "\r\n\r\n", 4) == 0)
          {
            body = out->data + i + 4;
            break;
          }

      if (body != NULL)
        {
          g_autofree char *hex = g_compute_hmac_for_data (G_CHECKSUM_SHA256, (const guchar *) secret,
                                                          strlen (secret), body,
                                                          out->data + out->len - body);
          memcpy (out->data + sign_at, "sha256=", 7);
          memcpy (out->data + sign_at + 7, hex, 64);
        }
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* As the acceptor does for a client that closes a kept-alive connection
 * (see ljd-acceptor.c), so that libsoup 3.2 lets the connection go: a
 * line end alone is a request libsoup refuses, with the connection
 * closed. The acceptor does it only while the connection is idle; here it
 * cannot tell, so it does it a few times and then lets the end be an end,
 * or a body promised to be 10^19 bytes long would read line ends forever.
 * (In the service that body is refused by the early handler, which steals
 * the connection from the acceptor, which this harness bypasses.) */
static gboolean
at_end (LjdCappedInputStream *stream,
        gpointer              data)
{
  guint *ends = data;

  return ++*ends <= 4;
}

static void
gone (gpointer  data,
      GObject  *where_the_object_was)
{
  *(gboolean *) data = TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GInputStream) memory = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new_from_string ("127.0.0.1", 8787);
  g_autoptr(GSocketAddress) remote = g_inet_socket_address_new_from_string ("127.0.0.1", 40000);
  GIOStream *stream;
  gboolean done = FALSE;
  guint ends = 0;

  setup ();
  bytes = prepare (data, size);
  memory = g_memory_input_stream_new_from_bytes (bytes);
  in = ljd_capped_input_stream_new (memory, NULL, at_end, &ends);
  stream = g_simple_io_stream_new (in, out);

  g_object_weak_ref (G_OBJECT (stream), gone, &done);
  soup_server_accept_iostream (ljd_server_get_soup_server (server), stream, local, remote, NULL);
  g_object_unref (stream);

  /* Everything is in memory: each iteration makes progress, and a request
   * that waits (a cancel) waits on the service's own bounded timers. */
  for (guint i = 0; !done && i < 100000; i++)
    g_main_context_iteration (NULL, FALSE);
  if (!done && g_getenv ("FUZZ_HTTP_DEBUG"))
    g_printerr ("fuzz-http: the connection was not let go\n");

  return 0;
}
