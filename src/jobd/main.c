/* main.c: lora-jobd, the shared job service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "ljd-daemon.h"
#include "ljd-runpod.h"
#include "ljd-store.h"

static char *
default_db_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "lora-jobd", "jobs.db", NULL);
}

static gboolean
parse_listen (const char  *spec,
              char       **host,
              guint       *port,
              GError     **error)
{
  const char *colon = strrchr (spec, ':');
  guint64 value;

  if (colon == NULL ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--listen takes HOST:PORT, for example 127.0.0.1:8787 or [::1]:0, not “%s”"),
                   spec);
      return FALSE;
    }

  if (spec[0] == '[' && colon > spec + 1 && colon[-1] == ']')
    *host = g_strndup (spec + 1, colon - spec - 2);
  else
    *host = g_strndup (spec, colon - spec);
  *port = (guint) value;

  return TRUE;
}

static int
token_main (int    argc,
            char **argv)
{
  g_autofree char *db = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LjdStore) store = NULL;
  g_autofree char *token = NULL;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, N_("The database file"), N_("FILE") },
    { NULL }
  };

  context = g_option_context_new (_("add NAME — print a new API token for user NAME"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("lora-jobd token: %s\n", error->message);
      return 2;
    }

  /* argv: lora-jobd token add NAME */
  if (argc != 4 || !g_str_equal (argv[2], "add"))
    {
      g_printerr (_("Usage: lora-jobd token add NAME [--db FILE]\n"));
      return 2;
    }

  if (db == NULL)
    db = default_db_path ();

  if (!(store = ljd_store_open (db, &error)) ||
      !(token = ljd_store_add_token (store, argv[3], &error)))
    {
      g_printerr ("lora-jobd token: %s\n", error->message);
      return 1;
    }

  g_print ("%s\n", token);
  return 0;
}

/* The RunPod key comes from a file (not the command line, which every
 * user of the machine can read in ps) or from RUNPOD_API_KEY; never from a
 * job. NULL without error when neither is given. */
static char *
read_runpod_key (const char  *path,
                 GError     **error)
{
  g_autofree char *contents = NULL;
  const char *env = g_getenv ("RUNPOD_API_KEY");

  if (path == NULL)
    return env != NULL && *env != '\0' ? g_strstrip (g_strdup (env)) : NULL;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;

  g_strstrip (contents);
  if (*contents == '\0')
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   _("The RunPod API key file “%s” is empty"), path);
      return NULL;
    }

  return g_steal_pointer (&contents);
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *listen = NULL;
  g_autofree char *db = NULL;
  g_autofree char *host = NULL;
  g_autofree char *runpod_key_file = NULL;
  g_autofree char *runpod_url = NULL;
  g_autofree char *public_url = NULL;
  g_autofree char *runpod_key = NULL;
  g_autofree char *local_user = NULL;
  g_autofree char *slurm_url = NULL;
  g_autofree char *slurm_user = NULL;
  g_autofree char *slurm_token_file = NULL;
  g_autofree char *slurm_api = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LjdDaemon) daemon = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  gint slots = 3;
  gint max_connections = -1, max_per_address = -1;
  double header_timeout = -1, idle_timeout = -1;
  LjdLimits limits = LJD_LIMITS_DEFAULT;
  double time_scale = 1.0;
  gboolean demo = FALSE, version = FALSE, enable_local = FALSE;
  guint port = 8787;
  GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
      N_("Address to listen on (default 127.0.0.1:8787; port 0 picks a free one)"), N_("HOST:PORT") },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db,
      N_("The database file (default ~/.local/share/lora-jobd/jobs.db)"), N_("FILE") },
    { "slots", 0, 0, G_OPTION_ARG_INT, &slots,
      N_("How many jobs may run at once (default 3)"), N_("N") },
    { "time-scale", 0, 0, G_OPTION_ARG_DOUBLE, &time_scale,
      N_("Run simulated work F times faster (default 1)"), N_("F") },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &demo,
      N_("Fill an empty database with a realistic history"), NULL },
    { "runpod-api-key-file", 0, 0, G_OPTION_ARG_FILENAME, &runpod_key_file,
      N_("Enable the RunPod provider with the API key in FILE (default: $RUNPOD_API_KEY)"), N_("FILE") },
    { "runpod-url", 0, 0, G_OPTION_ARG_STRING, &runpod_url,
      N_("RunPod’s API base URL (default https://api.runpod.io)"), N_("URL") },
    { "public-url", 0, 0, G_OPTION_ARG_STRING, &public_url,
      N_("The service's base URL as pods and compute nodes reach it, for their webhook (default: the listening address)"), N_("URL") },
    { "slurm-url", 0, 0, G_OPTION_ARG_STRING, &slurm_url,
      N_("Enable the Slurm provider with slurmrestd at URL (for example http://slurm-head:6820)"), N_("URL") },
    { "slurm-user", 0, 0, G_OPTION_ARG_STRING, &slurm_user,
      N_("The Slurm user jobs are submitted as (default: the user the token is for)"), N_("NAME") },
    { "slurm-token-file", 0, 0, G_OPTION_ARG_FILENAME, &slurm_token_file,
      N_("The file holding the Slurm token (from “scontrol token”); read again when it changes"), N_("FILE") },
    { "slurm-api", 0, 0, G_OPTION_ARG_STRING, &slurm_api,
      N_("The version of slurmrestd's OpenAPI plugin (default v0.0.38, Slurm 22.05)"), N_("VERSION") },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &max_connections,
      N_("Connections open at once, from all clients (default 512, at most the open-file limit less 64)"), N_("N") },
    { "max-connections-per-address", 0, 0, G_OPTION_ARG_INT, &max_per_address,
      N_("Connections open at once from one IP address (default 128)"), N_("N") },
    { "header-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &header_timeout,
      N_("Seconds a client has to send a request's headers, and may pause while sending its body (default 10)"), N_("SECONDS") },
    { "idle-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &idle_timeout,
      N_("Seconds a kept-alive connection may wait for its next request (default 30)"), N_("SECONDS") },
    { "enable-local", 0, 0, G_OPTION_ARG_NONE, &enable_local,
      N_("Enable the local provider: anyone with a token may then run any command on this machine"), NULL },
    { "local-user", 0, 0, G_OPTION_ARG_STRING, &local_user,
      N_("Run local jobs as the user NAME (needed when the service runs as root)"), N_("NAME") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc > 1 && g_str_equal (argv[1], "token"))
    return token_main (argc, argv);

  context = g_option_context_new (_("— the LoRA Pipeline job service"));
  g_option_context_set_description (context,
                                    _("Commands:\n  lora-jobd token add NAME [--db FILE]   print a new API token for NAME\n"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("lora-jobd: %s\n", error->message);
      return 2;
    }

  if (version)
    {
      g_print ("lora-jobd %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (argc > 1)
    {
      g_printerr (_("lora-jobd: unexpected argument “%s”\n"), argv[1]);
      return 2;
    }

  if (slots < 1 || slots > 1000)
    {
      g_printerr (_("lora-jobd: --slots must be from 1 to 1000\n"));
      return 2;
    }

  if (!(time_scale >= 0.001 && time_scale <= 1e6))
    {
      g_printerr (_("lora-jobd: --time-scale must be from 0.001 to 1000000\n"));
      return 2;
    }

  if (max_connections != -1 && (max_connections < 1 || max_connections > 1000000))
    {
      g_printerr (_("lora-jobd: --max-connections must be from 1 to 1000000\n"));
      return 2;
    }
  if (max_per_address != -1 && (max_per_address < 1 || max_per_address > 1000000))
    {
      g_printerr (_("lora-jobd: --max-connections-per-address must be from 1 to 1000000\n"));
      return 2;
    }
  if (header_timeout != -1 && !(header_timeout >= 0.1 && header_timeout <= 3600))
    {
      g_printerr (_("lora-jobd: --header-timeout must be from 0.1 to 3600 seconds\n"));
      return 2;
    }
  if (idle_timeout != -1 && !(idle_timeout >= 0.1 && idle_timeout <= 3600))
    {
      g_printerr (_("lora-jobd: --idle-timeout must be from 0.1 to 3600 seconds\n"));
      return 2;
    }
  if (max_connections != -1)
    limits.max_connections = (guint) max_connections;
  if (max_per_address != -1)
    limits.max_per_address = (guint) max_per_address;
  if (header_timeout != -1)
    limits.header_timeout_ms = limits.body_idle_timeout_ms = (guint) (header_timeout * 1000);
  if (idle_timeout != -1)
    limits.idle_timeout_ms = (guint) (idle_timeout * 1000);
  if (local_user != NULL && !enable_local)
    {
      g_printerr (_("lora-jobd: --local-user is for the local provider: add --enable-local\n"));
      return 2;
    }

  if (slurm_url == NULL && (slurm_user != NULL || slurm_token_file != NULL || slurm_api != NULL))
    {
      g_printerr (_("lora-jobd: --slurm-user, --slurm-token-file and --slurm-api are for the Slurm provider: "
                    "add --slurm-url\n"));
      return 2;
    }

  if (local_user != NULL && *local_user == '\0')
    {
      g_printerr (_("lora-jobd: --local-user needs a user name\n"));
      return 2;
    }

  if (listen == NULL)
    host = g_strdup ("127.0.0.1");
  else if (!parse_listen (listen, &host, &port, &error))
    {
      g_printerr ("lora-jobd: %s\n", error->message);
      return 2;
    }

  if (db == NULL)
    db = default_db_path ();

  runpod_key = read_runpod_key (runpod_key_file, &error);
  if (error != NULL)
    {
      g_printerr ("lora-jobd: %s\n", error->message);
      return 2;
    }

  if (!(daemon = ljd_daemon_new (db, (guint) slots, time_scale, &error)))
    {
      g_printerr ("lora-jobd: %s\n", error->message);
      return 1;
    }

  ljd_server_set_limits (ljd_daemon_get_server (daemon), &limits);

  /* A mistake in the options, like the checks above, before anything of
   * a job runs or the address is taken. */
  if (enable_local && !ljd_daemon_enable_local (daemon, local_user, FALSE, &error))
    {
      g_printerr ("lora-jobd: %s\n", error->message);
      return 2;
    }

  if (slurm_url != NULL &&
      !ljd_daemon_enable_slurm (daemon, slurm_url, slurm_user, slurm_token_file, slurm_api, public_url, &error))
    {
      g_printerr ("lora-jobd: %s\n", error->message);
      return 2;
    }

  if ((runpod_key != NULL &&
       !ljd_daemon_enable_runpod (daemon, runpod_key, runpod_url, public_url, &error)) ||
      (demo && !ljd_daemon_seed_demo (daemon, &error)) ||
      !ljd_daemon_listen (daemon, host, port, &error))
    {
      g_printerr ("lora-jobd: %s\n", error->message);
      return 1;
    }

  /* Scripts and tests wait for this exact line to learn the port. */
  g_print ("listening on %s\n", ljd_daemon_get_url (daemon));
  fflush (stdout);

  ljd_daemon_start (daemon);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_main_loop_run (loop);

  ljd_daemon_stop (daemon);
  return 0;
}
