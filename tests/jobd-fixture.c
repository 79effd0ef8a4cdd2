/* jobd-fixture.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts the real lora-jobd binary (LORA_JOBD) with a temporary database
 * and talks real HTTP to it. Synchronous requests here run on libsoup's
 * sync API against another process, so they cannot deadlock the test's
 * main loop.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <libsoup/soup.h>

#include "jobd-fixture.h"
#include "ljd-service.h"
#include "lp-json.h"

static const char *
jobd_path (void)
{
  const char *path = g_getenv ("LORA_JOBD");

  g_assert_nonnull (path);
  return path;
}

static char *
run_token_add (JobdFixture *f)
{
  const char *argv[] = { jobd_path (), "token", "add", "tester", "--db", f->db, NULL };
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  return g_strstrip (g_steal_pointer (&out));
}

/* A failed assertion aborts the test; the service must not outlive it and
 * keep the test's output open. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
spawn (JobdFixture *f,
       const char  *listen,
       const char  *extra_args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_auto(GStrv) extra = NULL;

  g_ptr_array_add (argv, g_strdup (jobd_path ()));
  g_ptr_array_add (argv, g_strdup ("--listen"));
  g_ptr_array_add (argv, g_strdup (listen));
  g_ptr_array_add (argv, g_strdup ("--db"));
  g_ptr_array_add (argv, g_strdup (f->db));
  if (extra_args != NULL && *extra_args)
    {
      extra = g_strsplit (extra_args, " ", -1);
      for (guint i = 0; extra[i]; i++)
        g_ptr_array_add (argv, g_strdup (extra[i]));
    }
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  f->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "listening on "));

  g_free (f->url);
  f->url = g_strdup (line + strlen ("listening on "));
  f->port = (guint) atoi (strrchr (f->url, ':') + 1);
}

void
jobd_fixture_start (JobdFixture *f,
                    const char  *extra_args)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("lora-widgets-XXXXXX", &error);
  g_assert_no_error (error);
  f->db = g_build_filename (f->dir, "jobs.db", NULL);
  f->token = run_token_add (f);
  f->extra_args = g_strdup (extra_args);
  spawn (f, "127.0.0.1:0", extra_args);
}

void
jobd_fixture_stop (JobdFixture *f)
{
  if (f->process == NULL)
    return;

  g_subprocess_send_signal (f->process, SIGTERM);
  g_subprocess_wait (f->process, NULL, NULL);
  g_clear_object (&f->process);
}

/* Same port, same database: to the app it is the service coming back. */
void
jobd_fixture_restart (JobdFixture *f)
{
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", f->port);

  g_assert_null (f->process);
  spawn (f, listen, f->extra_args);
}

void
jobd_fixture_free (JobdFixture *f)
{
  g_autofree char *cmd = NULL;

  jobd_fixture_stop (f);
  if (f->dir != NULL)
    {
      cmd = g_strdup_printf ("rm -rf '%s'", f->dir);
      g_assert_cmpint (system (cmd), ==, 0);
    }
  g_free (f->dir);
  g_free (f->db);
  g_free (f->url);
  g_free (f->token);
  g_free (f->extra_args);
  g_free (f);
}

JsonObject *
jobd_fixture_request (JobdFixture *f,
                      const char  *method,
                      const char  *path,
                      const char  *body,
                      guint       *status)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (f->url, path, NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", f->token, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  response = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  if (status != NULL)
    *status = soup_message_get_status (msg);

  data = g_bytes_get_data (response, &len);
  return len > 0 ? lp_json_parse_object (data, len, NULL) : NULL;
}

gint64
jobd_fixture_create_job (JobdFixture  *f,
                         const char   *name,
                         const char   *provider,
                         char        **secret)
{
  g_autofree char *body = NULL;
  g_autoptr(JsonObject) job = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  guint status = 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "total_steps");
  json_builder_add_int_value (builder, 2000);
  json_builder_set_member_name (builder, "epochs");
  json_builder_add_int_value (builder, 3);
  json_builder_set_member_name (builder, "gpu_type");
  json_builder_add_string_value (builder, "H100 SXM 80GB");
  json_builder_set_member_name (builder, "pricing");
  json_builder_add_string_value (builder, "spot");
  json_builder_set_member_name (builder, "hourly_rate");
  json_builder_add_double_value (builder, 2.49);
  json_builder_set_member_name (builder, "estimate_min");
  json_builder_add_double_value (builder, 45);
  json_builder_set_member_name (builder, "estimate_max");
  json_builder_add_double_value (builder, 55);
  json_builder_set_member_name (builder, "provider");
  json_builder_add_string_value (builder, provider);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  body = lp_json_to_string (node, FALSE);

  job = jobd_fixture_request (f, "POST", "/api/training/jobs", body, &status);
  g_assert_cmpuint (status, ==, 201);
  if (secret != NULL)
    *secret = g_strdup (json_object_get_string_member (job, "webhook_secret"));

  return json_object_get_int_member (job, "id");
}

void
jobd_fixture_post_events (JobdFixture *f,
                          gint64       job_id,
                          const char  *secret,
                          const char  *events_json)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("%s/api/training/jobs/%" G_GINT64_FORMAT "/webhook", f->url, job_id);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autofree char *signature = ljd_sign_body (secret, events_json, strlen (events_json));
  g_autoptr(GBytes) bytes = g_bytes_new (events_json, strlen (events_json));
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Lora-Signature", signature);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  response = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 202);
}

gboolean
wait_until (gboolean (*predicate) (gpointer),
            gpointer   data,
            guint      timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!predicate (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }

  return TRUE;
}
