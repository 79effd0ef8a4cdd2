/* ljd-local.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The local provider runs a job's command (config "argv", "cwd", "env") as
 * a process group of its own on the service's machine: a PEFT, Axolotl or
 * Unsloth script on the team's GPU box. Like the simulator it never writes
 * job state itself: it reads what the command prints and posts signed
 * webhook events, as a trainer would.
 *
 * Whoever holds a token runs any command through it, so it is off unless
 * the operator turns it on (ljd_local_enable()), and what it starts gets
 * nothing of the service: a clean environment, no file descriptors but
 * its output, and with --local-user another user's identity.
 *
 * Everything a restarted service needs lives on disk, in a folder per job
 * next to the database (local/<job id>/):
 *
 *   output.log   the command's stdout and stderr;
 *   exit-status  its exit status, written by a small shell wrapper when it
 *                ends, so that an end nobody watched is still known;
 *
 * and in the job's provider state: {pid, pgid, folder} and what the
 * job's LjdLogFollower, which reads output.log and reports it, keeps
 * (how far into the log it has reported, its counters).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "lp-json.h"
#include "ljd-local.h"
#include "ljd-log-follower.h"
#include "ljd-timeout.h"

#define GPU_INTERVAL_S 10
/* How often a re-attached process, which is not our child, is looked at. */
#define WATCH_INTERVAL_MS 500
#define CANCEL_POLL_MS 100
/* After SIGKILL the kernel needs moments, not seconds; longer means the
 * processes cannot be killed (stuck in the driver), which is reported. */
#define KILL_WAIT_US (5 * G_USEC_PER_SEC)

#define LOG_NAME "output.log"
#define EXIT_NAME "exit-status"

/* Runs the command and then writes its status (128 + N when signal N
 * killed it) to descriptor 3, the exit-status file the service opened: a
 * child running as another user could not open it by name. The command
 * itself gets neither that descriptor nor the PWD the shell would export.
 * It is "$@", never parsed by the shell: argv from the job is passed as
 * the wrapper's arguments. */
#define EXIT_FD 3
#define WRAPPER_SCRIPT "unset PWD; \"$@\" 3>&-; echo $? >&3"

static const char * const reserved_env[] = {
  "LORA_JOB_ID", "LORA_WEBHOOK_URL", "LORA_WEBHOOK_SECRET", NULL
};

/* What a child gets when the service's environment has none. */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define DEFAULT_LANG "C.UTF-8"

/* Capability numbers, from <linux/capability.h>. */
#define CAP_SETGID_BIT 6
#define CAP_SETUID_BIT 7

struct _LjdLocal
{
  GObject      parent_instance;
  LjdService  *service;     /* weak: the service owns its providers */
  guint        grace_ms;
  GMainContext *context;    /* where its timers run: the service's */
  SoupSession *session;
  GHashTable  *runs;        /* job id -> LocalRun */
  guint        next_serial;

  gboolean     enabled;

  /* --local-user: who the children run as. Read by child_setup() between
   * fork and exec, where nothing may be looked up any more. */
  char        *user;        /* NULL: the service's own user */
  char        *home;
  uid_t        uid;
  gid_t        gid;
  gid_t       *groups;
  int          n_groups;
  gboolean     switch_user; /* the service is someone else */
};

enum {
  PROP_0,
  PROP_SERVICE,
  PROP_GRACE_PERIOD,
  PROP_ENABLED,
  PROP_USER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void provider_iface_init (LjdProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LjdLocal, ljd_local, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (LJD_TYPE_PROVIDER, provider_iface_init))

/* The job's config */

typedef struct
{
  GStrv  argv;
  char  *cwd;
  GStrv  env_names;
  GStrv  env_values;
} LocalConfig;

static void
local_config_clear (LocalConfig *config)
{
  g_clear_pointer (&config->argv, g_strfreev);
  g_clear_pointer (&config->cwd, g_free);
  g_clear_pointer (&config->env_names, g_strfreev);
  g_clear_pointer (&config->env_values, g_strfreev);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LocalConfig, local_config_clear)

static gboolean
node_is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING;
}

static gboolean
env_name_is_valid (const char *name)
{
  if (name[0] == '\0' || g_ascii_isdigit (name[0]))
    return FALSE;

  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;

  return TRUE;
}

/* The config is the only part of a job that reaches a process, so it is
 * read strictly: exactly these keys, these types, no shell anywhere. */
static gboolean
local_config_parse (JsonObject   *object,
                    LocalConfig  *config,
                    GError      **error)
{
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) values = g_strv_builder_new ();
  g_autoptr(GList) members = NULL;
  JsonNode *node;
  JsonArray *array;

  if (object == NULL || (node = json_object_get_member (object, "argv")) == NULL ||
      JSON_NODE_HOLDS_NULL (node))
    return ljd_service_invalid (error, _("“argv” is required: the command to run, as an array of strings"));

  members = json_object_get_members (object);
  for (const GList *l = members; l; l = l->next)
    if (!g_str_equal (l->data, "argv") && !g_str_equal (l->data, "cwd") && !g_str_equal (l->data, "env") &&
        !ljd_log_follower_is_config_key (l->data))
      return ljd_service_invalid (error, _("unknown key “%s” (the local provider takes “argv”, “cwd”, “env”, "
                                           "“log_format” and “log_patterns”)"),
                                  (const char *) l->data);

  /* How the output reads: the follower's to check. */
  if (!ljd_log_follower_check_config (object, error))
    return FALSE;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return ljd_service_invalid (error, _("“argv” must be an array of strings"));
  array = json_node_get_array (node);
  if (json_array_get_length (array) == 0)
    return ljd_service_invalid (error, _("“argv” must not be empty: its first item is the program to run"));

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (!node_is_string (item))
        return ljd_service_invalid (error, _("“argv” must be an array of strings; item %u is not a string"), i);
      g_strv_builder_add (argv, json_node_get_string (item));
    }

  if (json_node_get_string (json_array_get_element (array, 0))[0] == '\0')
    return ljd_service_invalid (error, _("“argv” must start with the program to run, not an empty string"));

  if ((node = json_object_get_member (object, "cwd")) != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      const char *cwd;

      if (!node_is_string (node))
        return ljd_service_invalid (error, _("“cwd” must be a string"));
      cwd = json_node_get_string (node);
      if (!g_path_is_absolute (cwd))
        return ljd_service_invalid (error, _("“cwd” must be an absolute path, not “%s”"), cwd);
      if (!g_file_test (cwd, G_FILE_TEST_IS_DIR))
        return ljd_service_invalid (error, _("“cwd” must be an existing directory; “%s” is not one"), cwd);
      config->cwd = g_strdup (cwd);
    }

  if ((node = json_object_get_member (object, "env")) != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      JsonObject *env;
      g_autoptr(GList) env_members = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return ljd_service_invalid (error, _("“env” must be an object of strings"));
      env = json_node_get_object (node);
      env_members = json_object_get_members (env);

      for (const GList *l = env_members; l; l = l->next)
        {
          const char *name = l->data;
          JsonNode *value = json_object_get_member (env, name);

          if (!env_name_is_valid (name))
            return ljd_service_invalid (error, _("“env” has an invalid variable name “%s” (letters, digits and “_”)"), name);
          if (g_strv_contains (reserved_env, name))
            return ljd_service_invalid (error, _("“env” must not set %s, which the service sets"), name);
          if (!node_is_string (value))
            return ljd_service_invalid (error, _("“env” must be an object of strings; “%s” is not a string"), name);

          g_strv_builder_add (names, name);
          g_strv_builder_add (values, json_node_get_string (value));
        }
    }

  config->argv = g_strv_builder_end (argv);
  config->env_names = g_strv_builder_end (names);
  config->env_values = g_strv_builder_end (values);

  return TRUE;
}

/* Processes
 *
 * pid is the wrapper shell, which setsid() made the leader of a session
 * and process group of its own, so pgid == pid while the run lasts. */

/* The state letter of a process and its group, from /proc; 0 when that
 * cannot be read (no such process, or no /proc). */
static char
proc_state (pid_t  pid,
            pid_t *pgrp)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  const char *p;
  char state = 0;
  int ppid = 0, group = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;

  /* "pid (comm) S ppid pgrp …", where comm may hold anything, ")" too. */
  if ((p = strrchr (text, ')')) == NULL ||
      sscanf (p + 1, " %c %d %d", &state, &ppid, &group) != 3)
    return 0;

  if (pgrp != NULL)
    *pgrp = group;
  return state;
}

/* A zombie has ended; it only waits for its parent, which after a restart
 * is not this service, to reap it. */
static gboolean
process_alive (pid_t pid)
{
  char state;

  if (pid <= 1 || kill (pid, 0) != 0)
    return FALSE;

  state = proc_state (pid, NULL);
  return state != 'Z' && state != 'X';
}

/* Whether any process of group @pgid still runs: the wrapper, the trainer
 * or anything they started (data loader workers, a shell's children). */
static gboolean
group_alive (pid_t pgid)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (pgid <= 1 || kill (-pgid, 0) != 0)
    return FALSE;

  if (process_alive (pgid))
    return TRUE;

  /* Without /proc, kill() is all there is to go by. */
  if (!(dir = g_dir_open ("/proc", 0, NULL)))
    return TRUE;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      pid_t group = 0;
      char state;

      if (!g_ascii_isdigit (name[0]))
        continue;
      state = proc_state ((pid_t) atoi (name), &group);
      if (group == pgid && state != 0 && state != 'Z' && state != 'X')
        return TRUE;
    }

  return FALSE;
}

/* Whether @pid is the wrapper this service started for @job_id. A pid can
 * be reused while the service is stopped; the process's environment names
 * its job, which a stranger's does not. */
static gboolean
process_is_job (pid_t  pid,
                gint64 job_id)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/environ", (int) pid);
  g_autofree char *contents = NULL;
  g_autofree char *wanted = NULL;
  gsize length;

  if (!process_alive (pid) || getpgid (pid) != pid)
    return FALSE;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return getsid (pid) == pid;

  wanted = g_strdup_printf ("LORA_JOB_ID=%" G_GINT64_FORMAT, job_id);
  for (gsize i = 0; i < length; i += strlen (contents + i) + 1)
    if (g_str_equal (contents + i, wanted))
      return TRUE;

  return FALSE;
}

/* Between fork and exec: only async-signal-safe calls, and every figure
 * was looked up before the fork. */
static void
child_setup (gpointer user_data)
{
  LjdLocal *self = user_data;

  /* A session and group of its own: SIGTERM to the group reaches every
   * process of the run and nothing of the service, and a terminal's ^C
   * aimed at the service does not reach the run. */
  setsid ();

  if (self->switch_user)
    {
      static const char failed[] = "lora-jobd: cannot switch to the local user; the job was not run\n";

      /* Groups first: they can only be changed while still root. A child
       * that is not exactly that user, or could become root again, dies
       * before it runs anything. */
      if (setgroups ((size_t) self->n_groups, self->groups) != 0 ||
          setgid (self->gid) != 0 ||
          setuid (self->uid) != 0 ||
          getuid () != self->uid || geteuid () != self->uid ||
          getgid () != self->gid || getegid () != self->gid ||
          (self->uid != 0 && setuid (0) == 0))
        {
          if (write (STDERR_FILENO, failed, sizeof failed - 1) < 0)
            { /* nowhere left to say it */ }
          _exit (126);
        }
    }
}

/* Provider state: {pid, pgid, folder} and the follower's members. */

typedef struct
{
  gint64      pid;
  gint64      pgid;
  char       *folder;
  JsonObject *object;   /* all of it, for the follower */
} LocalState;

static void
local_state_clear (LocalState *state)
{
  g_clear_pointer (&state->folder, g_free);
  g_clear_pointer (&state->object, json_object_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LocalState, local_state_clear)

static gboolean
local_state_load (LjdLocal   *self,
                  gint64      job_id,
                  LocalState *state)
{
  g_autofree char *text = ljd_store_get_provider_state (ljd_service_get_store (self->service), job_id);
  g_autoptr(JsonObject) object = NULL;
  const char *folder = NULL;

  if (text == NULL || !(object = lp_json_parse_object (text, strlen (text), NULL)))
    return FALSE;

  if (!lp_json_get_int (object, "pid", TRUE, &state->pid, NULL) ||
      !lp_json_get_int (object, "pgid", TRUE, &state->pgid, NULL) ||
      !lp_json_get_string (object, "folder", TRUE, &folder, NULL))
    return FALSE;

  if (state->pid <= 1 || state->pid > G_MAXINT || state->pgid <= 1 || state->pgid > G_MAXINT)
    return FALSE;

  state->folder = g_strdup (folder);
  state->object = g_steal_pointer (&object);
  return TRUE;
}

/* Runs
 *
 * A run is the process and the follower that reads its output; the
 * follower posts everything, the run only tells it how the process ended. */

typedef struct
{
  LjdLocal       *local;        /* weak */
  gint64          job_id;
  guint           serial;       /* tells this run from a later one of the job */
  char           *folder;
  pid_t           pid;
  pid_t           pgid;
  GSubprocess    *process;      /* NULL after a re-attach: not our child */
  GCancellable   *cancellable;
  LjdLogFollower *follower;
  GSource        *watch_source; /* a re-attached process: is it still there? */
  GSource        *gpu_source;

  /* GPU */
  char           *nvidia_smi;
  char           *gpu_ids;

  /* The end */
  int             wait_status;

  guint           gpu_in_flight : 1;
  guint           exited : 1;
  guint           ending : 1;
  guint           have_wait_status : 1;
  guint           died_while_stopped : 1;
  guint           cancelling : 1;
} LocalRun;

static void
local_run_free (LocalRun *run)
{
  ljd_source_clear (&run->watch_source);
  ljd_source_clear (&run->gpu_source);
  if (run->cancellable != NULL)
    g_cancellable_cancel (run->cancellable);
  g_clear_object (&run->cancellable);
  if (run->follower != NULL)
    {
      g_signal_handlers_disconnect_by_data (run->follower, run);
      ljd_log_follower_stop (run->follower);
      g_clear_object (&run->follower);
    }
  /* Dropping the GSubprocess neither kills nor orphans the child: GLib
   * still reaps it when it ends. */
  g_clear_object (&run->process);
  g_free (run->folder);
  g_free (run->nvidia_smi);
  g_free (run->gpu_ids);
  g_free (run);
}

/* What an asynchronous operation holds instead of the run, which may be
 * gone (forgotten, cancelled) by the time it completes. */
typedef struct
{
  LjdLocal *local;
  gint64    job_id;
  guint     serial;
} RunRef;

static RunRef *
run_ref_new (LocalRun *run)
{
  RunRef *ref = g_new0 (RunRef, 1);

  ref->local = g_object_ref (run->local);
  ref->job_id = run->job_id;
  ref->serial = run->serial;
  return ref;
}

static void
run_ref_free (RunRef *ref)
{
  g_clear_object (&ref->local);
  g_free (ref);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RunRef, run_ref_free)

static LocalRun *
run_ref_lookup (RunRef *ref)
{
  LocalRun *run = g_hash_table_lookup (ref->local->runs, &ref->job_id);

  return run != NULL && run->serial == ref->serial ? run : NULL;
}

static char *
run_path (LocalRun   *run,
          const char *name)
{
  return g_build_filename (run->folder, name, NULL);
}

static void
save_state (LocalRun *run)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, run->pid);
  json_builder_set_member_name (builder, "pgid");
  json_builder_add_int_value (builder, run->pgid);
  json_builder_set_member_name (builder, "folder");
  json_builder_add_string_value (builder, run->folder);
  ljd_log_follower_save_state (run->follower, builder);
  json_builder_end_object (builder);
  text = lp_json_builder_to_string (builder);

  if (!ljd_store_set_provider_state (ljd_service_get_store (run->local->service),
                                     run->job_id, text, &error))
    g_warning ("Cannot save the state of the local process of job %" G_GINT64_FORMAT ": %s",
               run->job_id, error->message);
}

static void
state_changed_cb (LjdLogFollower *follower,
                  LocalRun       *run)
{
  save_state (run);
}

/* The job's end is posted, or the job is over: nothing is left to do
 * for the run. Its follower holds itself while it says so. */
static void
finished_cb (LjdLogFollower *follower,
             LocalRun       *run)
{
  LjdLocal *self = run->local;
  gint64 job_id = run->job_id;

  g_hash_table_remove (self->runs, &job_id);
}

static LocalRun *
local_run_new (LjdLocal   *self,
               LpJob      *job,
               const char *secret,
               const char *folder)
{
  LocalRun *run = g_new0 (LocalRun, 1);
  g_autofree char *log_path = g_build_filename (folder, LOG_NAME, NULL);

  run->local = self;
  run->job_id = lp_job_get_id (job);
  run->serial = ++self->next_serial;
  run->folder = g_strdup (folder);
  run->cancellable = g_cancellable_new ();
  run->follower = ljd_log_follower_new (self->service, self->session, job, secret, log_path, "local");
  g_signal_connect (run->follower, "state-changed", G_CALLBACK (state_changed_cb), run);
  g_signal_connect (run->follower, "finished", G_CALLBACK (finished_cb), run);

  return run;
}

/* How the process ended */

static void
exit_file_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(RunRef) ref = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  LocalRun *run;
  guint64 code = 0;
  gboolean known;

  known = g_file_load_contents_finish (G_FILE (object), result, &contents, NULL, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !(run = run_ref_lookup (ref)))
    return;
  if (run->cancelling)
    return;

  if (known)
    {
      g_strstrip (contents);
      known = g_ascii_string_to_unsigned (contents, 10, 0, 255, &code, NULL);
    }

  if (known)
    ljd_log_follower_finish (run->follower, (int) code, NULL);
  else if (run->have_wait_status)
    {
      /* The wrapper itself was killed (or could not write the file); the
       * wait status still says how. */
      if (WIFSIGNALED (run->wait_status))
        ljd_log_follower_finish (run->follower, 128 + WTERMSIG (run->wait_status), NULL);
      else
        ljd_log_follower_finish (run->follower,
                                 WIFEXITED (run->wait_status) && WEXITSTATUS (run->wait_status) != 0
                                 ? WEXITSTATUS (run->wait_status) : 255, NULL);
    }
  else if (run->died_while_stopped)
    ljd_log_follower_fail (run->follower, _("The training process ended while the service was stopped; "
                                            "its exit status is unknown"));
  else
    ljd_log_follower_fail (run->follower, _("The training process ended without recording its exit status; "
                                            "it was probably killed"));
}

/* The process is gone: the wrapper wrote its status before it ended. The
 * follower reads the rest of the output before it reports that. */
static void
process_ended (LocalRun *run)
{
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;

  run->exited = TRUE;
  if (run->ending || run->cancelling)
    return;

  run->ending = TRUE;
  ljd_source_clear (&run->watch_source);
  ljd_source_clear (&run->gpu_source);

  path = run_path (run, EXIT_NAME);
  file = g_file_new_for_path (path);
  g_file_load_contents_async (file, run->cancellable, exit_file_cb, run_ref_new (run));
}

static void
wait_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(RunRef) ref = user_data;
  g_autoptr(GError) error = NULL;
  GSubprocess *process = G_SUBPROCESS (object);
  LocalRun *run;

  g_subprocess_wait_finish (process, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !(run = run_ref_lookup (ref)))
    return;

  run->have_wait_status = TRUE;
  run->wait_status = g_subprocess_get_status (process);
  process_ended (run);
}

/* A re-attached process is not our child: nothing tells us when it ends,
 * so look. */
static gboolean
watch_cb (gpointer user_data)
{
  LocalRun *run = user_data;

  if (!run->cancelling && !process_is_job (run->pid, run->job_id))
    {
      run->watch_source = NULL;
      process_ended (run);
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

/* GPU utilisation */

static void
gpu_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(RunRef) ref = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  LocalRun *run;
  double sum = 0;
  guint n = 0;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &out, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !(run = run_ref_lookup (ref)))
    return;

  run->gpu_in_flight = FALSE;
  if (out == NULL || !g_subprocess_get_successful (G_SUBPROCESS (object)))
    return;

  /* One line per GPU ("93"); "[N/A]" and the like are skipped. The run's
   * utilisation is the mean over its GPUs. */
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *end = NULL;
      double value;

      g_strstrip (lines[i]);
      if (lines[i][0] == '\0')
        continue;
      value = g_ascii_strtod (lines[i], &end);
      if (end != NULL && *end == '\0' && isfinite (value) && value >= 0 && value <= 100)
        {
          sum += value;
          n++;
        }
    }

  if (n > 0 && !run->exited && !run->cancelling)
    ljd_log_follower_set_gpu_util (run->follower, sum / n);
}

static void
gpu_poll (LocalRun *run)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  if (run->gpu_in_flight || run->exited || run->cancelling || run->nvidia_smi == NULL)
    return;

  g_ptr_array_add (argv, g_strdup (run->nvidia_smi));
  g_ptr_array_add (argv, g_strdup ("--query-gpu=utilization.gpu"));
  g_ptr_array_add (argv, g_strdup ("--format=csv,noheader,nounits"));
  if (run->gpu_ids != NULL)
    g_ptr_array_add (argv, g_strdup_printf ("--id=%s", run->gpu_ids));
  g_ptr_array_add (argv, NULL);

  if (!(process = g_subprocess_newv ((const char * const *) argv->pdata,
                                     G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                     &error)))
    {
      g_debug ("Cannot run %s: %s", run->nvidia_smi, error->message);
      return;
    }

  run->gpu_in_flight = TRUE;
  g_subprocess_communicate_utf8_async (process, NULL, run->cancellable, gpu_cb, run_ref_new (run));
}

static gboolean
gpu_cb_timeout (gpointer user_data)
{
  gpu_poll (user_data);
  return G_SOURCE_CONTINUE;
}

static void
start_gpu_polling (LocalRun *run)
{
  if (!run->exited && (run->nvidia_smi = g_find_program_in_path ("nvidia-smi")) != NULL)
    {
      gpu_poll (run);
      run->gpu_source = ljd_timeout_attach (run->local->context, GPU_INTERVAL_S * 1000, gpu_cb_timeout, run, NULL);
    }
}

/* GObject */

static void
ljd_local_dispose (GObject *object)
{
  LjdLocal *self = (LjdLocal *) object;

  /* The processes go on: a restarted service re-attaches to them. */
  if (self->runs != NULL)
    g_hash_table_remove_all (self->runs);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (ljd_local_parent_class)->dispose (object);
}

static void
ljd_local_finalize (GObject *object)
{
  LjdLocal *self = (LjdLocal *) object;

  g_clear_pointer (&self->runs, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->home, g_free);
  g_clear_pointer (&self->groups, g_free);

  G_OBJECT_CLASS (ljd_local_parent_class)->finalize (object);
}

static void
ljd_local_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  LjdLocal *self = LJD_LOCAL (object);

  switch (prop_id)
    {
    case PROP_SERVICE: g_value_set_object (value, self->service); break;
    case PROP_GRACE_PERIOD: g_value_set_uint (value, self->grace_ms); break;
    case PROP_ENABLED: g_value_set_boolean (value, self->enabled); break;
    case PROP_USER: g_value_set_string (value, self->user); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ljd_local_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  LjdLocal *self = LJD_LOCAL (object);

  switch (prop_id)
    {
    /* Not a reference: the service holds its providers. */
    case PROP_SERVICE: self->service = g_value_get_object (value); break;
    case PROP_GRACE_PERIOD: self->grace_ms = g_value_get_uint (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ljd_local_class_init (LjdLocalClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ljd_local_dispose;
  object_class->finalize = ljd_local_finalize;
  object_class->get_property = ljd_local_get_property;
  object_class->set_property = ljd_local_set_property;

  properties[PROP_SERVICE] =
    g_param_spec_object ("service", NULL, NULL, LJD_TYPE_SERVICE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* Milliseconds between SIGTERM and SIGKILL on cancel. */
  properties[PROP_GRACE_PERIOD] =
    g_param_spec_uint ("grace-period", NULL, NULL, 0, 10 * 60 * 1000, LJD_LOCAL_DEFAULT_GRACE_MS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS);
  /* FALSE until ljd_local_enable(): no job of this provider starts. */
  properties[PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* Who jobs run as; NULL: the service's own user. */
  properties[PROP_USER] =
    g_param_spec_string ("user", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ljd_local_init (LjdLocal *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->runs = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                      (GDestroyNotify) local_run_free);
  /* Only ever talks to its own service, on loopback: no proxy. */
  self->session = soup_session_new_with_options ("proxy-resolver", NULL,
                                                 "timeout", 30,
                                                 "user-agent", "lora-jobd-local/" PACKAGE_VERSION,
                                                 NULL);
}

LjdLocal *
ljd_local_new (LjdService *service)
{
  const char *env = g_getenv ("LORA_LOCAL_GRACE_MS");
  guint64 grace = LJD_LOCAL_DEFAULT_GRACE_MS;

  g_return_val_if_fail (LJD_IS_SERVICE (service), NULL);

  if (env != NULL && !g_ascii_string_to_unsigned (env, 10, 0, 10 * 60 * 1000, &grace, NULL))
    grace = LJD_LOCAL_DEFAULT_GRACE_MS;

  return g_object_new (LJD_TYPE_LOCAL,
                       "service", service,
                       "grace-period", (guint) grace,
                       NULL);
}

guint
ljd_local_get_n_runs (LjdLocal *self)
{
  g_return_val_if_fail (LJD_IS_LOCAL (self), 0);
  return g_hash_table_size (self->runs);
}

gboolean
ljd_local_get_enabled (LjdLocal *self)
{
  g_return_val_if_fail (LJD_IS_LOCAL (self), FALSE);
  return self->enabled;
}

const char *
ljd_local_get_user (LjdLocal *self)
{
  g_return_val_if_fail (LJD_IS_LOCAL (self), NULL);
  return self->user;
}

/* Whether a child may take on any uid and gid and then keep nothing of
 * the service's privileges: root, whose capabilities setuid() to another
 * user drops (a non-root service with CAP_SETUID would keep them, which
 * child_setup() refuses), and a root that still has CAP_SETUID and
 * CAP_SETGID, which a unit with a narrow CapabilityBoundingSet= lacks.
 * Without /proc, root is taken to have them. */
static gboolean
can_switch_user (void)
{
  g_autofree char *status = NULL;
  const char *line;
  guint64 caps;

  if (geteuid () != 0)
    return FALSE;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      !(line = strstr (status, "\nCapEff:")))
    return TRUE;

  caps = g_ascii_strtoull (line + strlen ("\nCapEff:"), NULL, 16);
  return (caps & (G_GUINT64_CONSTANT (1) << CAP_SETUID_BIT)) != 0 &&
         (caps & (G_GUINT64_CONSTANT (1) << CAP_SETGID_BIT)) != 0;
}

static gboolean
look_up_user (LjdLocal    *self,
              const char  *name,
              GError     **error)
{
  struct passwd pwd, *found = NULL;
  long size = sysconf (_SC_GETPW_R_SIZE_MAX);
  g_autofree char *buffer = NULL;
  g_autofree gid_t *groups = NULL;
  int n_groups = 16, result;

  if (size <= 0)
    size = 16384;

  /* ERANGE: a passwd entry longer than the system says they are. */
  do
    {
      g_free (buffer);
      buffer = g_malloc ((gsize) size);
      result = getpwnam_r (name, &pwd, buffer, (size_t) size, &found);
      size *= 2;
    }
  while (result == ERANGE && size <= 1024 * 1024);

  if (found == NULL && result != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (result),
                   _("Cannot look up the user “%s” to run local jobs as: %s"),
                   name, g_strerror (result));
      return FALSE;
    }
  if (found == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("There is no user “%s” to run local jobs as"), name);
      return FALSE;
    }

  /* The user's groups, as a login would give them. */
  groups = g_new (gid_t, n_groups);
  while (getgrouplist (name, pwd.pw_gid, groups, &n_groups) < 0)
    {
      if (n_groups > 65536)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       _("Cannot read the groups of the user “%s”"), name);
          return FALSE;
        }
      n_groups = MAX (n_groups, 16) * 2;
      groups = g_renew (gid_t, groups, n_groups);
    }

  g_free (self->user);
  g_free (self->home);
  g_free (self->groups);
  self->user = g_strdup (name);
  self->home = g_strdup (pwd.pw_dir != NULL && pwd.pw_dir[0] == '/' ? pwd.pw_dir : "/");
  self->uid = pwd.pw_uid;
  self->gid = pwd.pw_gid;
  self->groups = g_steal_pointer (&groups);
  self->n_groups = n_groups;

  return TRUE;
}

/**
 * ljd_local_enable:
 * @user: (nullable): the user jobs run as, or %NULL for the service's own
 * @allow_root: whether jobs may run as root without @user naming root
 *
 * Turns the provider on: until then every local job is refused. Call
 * before the service resumes its jobs.
 *
 * A service running as root refuses (unless @allow_root) to run what any
 * token holder asks as root too: it needs @user. With @user, the children
 * take on that user's uid, gid and groups, which needs a service running
 * as root (with CAP_SETUID and CAP_SETGID) when that is another user.
 */
gboolean
ljd_local_enable (LjdLocal    *self,
                  const char  *user,
                  gboolean     allow_root,
                  GError     **error)
{
  g_return_val_if_fail (LJD_IS_LOCAL (self), FALSE);
  g_return_val_if_fail (user == NULL || *user != '\0', FALSE);

  if (user == NULL && geteuid () == 0 && !allow_root)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           _("The service runs as root, so local jobs would run as root too. "
                             "Pass --local-user NAME to run them as the user NAME "
                             "(--local-user root if you really mean root)"));
      return FALSE;
    }

  if (user != NULL)
    {
      if (!look_up_user (self, user, error))
        return FALSE;

      /* Another user than the service's own, which the kernel must let
       * the child become; refused now rather than at every job. */
      self->switch_user = self->uid != geteuid () || self->gid != getegid ();
      if (self->switch_user && !can_switch_user ())
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                       _("Local jobs cannot run as “%s”: switching to another user needs a "
                         "service that runs as root, with CAP_SETUID and CAP_SETGID"),
                       user);
          g_clear_pointer (&self->user, g_free);
          g_clear_pointer (&self->home, g_free);
          g_clear_pointer (&self->groups, g_free);
          self->switch_user = FALSE;
          return FALSE;
        }
    }

  self->enabled = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER]);

  return TRUE;
}

/* LjdProvider */

static const char *
ljd_local_get_name (LjdProvider *provider)
{
  return "local";
}

static gboolean
ljd_local_validate_config (LjdProvider  *provider,
                           LpJob        *job,
                           GError      **error)
{
  LjdLocal *self = LJD_LOCAL (provider);
  g_auto(LocalConfig) config = { 0 };

  /* Its own words, not a config problem: the service passes this one on
   * as it is (see ljd_service_create_job()). */
  if (!self->enabled)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("The local provider is disabled on this service: a local job runs "
                             "any command on the service’s machine. To allow local jobs, start "
                             "lora-jobd with --enable-local"));
      return FALSE;
    }

  return local_config_parse (lp_job_get_config (job), &config, error);
}

static char *
job_folder (LjdLocal *self,
            gint64    job_id)
{
  const char *db = ljd_store_get_path (ljd_service_get_store (self->service));
  g_autofree char *dir = db != NULL ? g_path_get_dirname (db) : g_strdup (".");
  g_autofree char *absolute = g_canonicalize_filename (dir, NULL);
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, job_id);

  return g_build_filename (absolute, "local", id, NULL);
}

/* Everything the child's environment holds. Nothing comes from the
 * service's own but PATH and LANG: it holds secrets (RUNPOD_API_KEY, a
 * token, whatever the operator's shell had), and the child is anyone with
 * a token. */
static GStrv
child_environment (LjdLocal          *self,
                   const LocalConfig *config,
                   const char        *job_id,
                   const char        *url,
                   const char        *webhook_secret)
{
  GStrv env = NULL;
  const char *path = g_getenv ("PATH");
  const char *lang = g_getenv ("LANG");
  const char *home;

  if (self->user != NULL)
    home = self->home;
  else if (!(home = g_getenv ("HOME")))
    home = g_get_home_dir ();

  env = g_environ_setenv (env, "PATH", path != NULL && *path != '\0' ? path : DEFAULT_PATH, TRUE);
  env = g_environ_setenv (env, "HOME", home, TRUE);
  env = g_environ_setenv (env, "LANG", lang != NULL && *lang != '\0' ? lang : DEFAULT_LANG, TRUE);
  /* Python buffers stdout into a file by the block, which would hold back
   * the Trainer's logs for minutes; the job's env may still say otherwise. */
  env = g_environ_setenv (env, "PYTHONUNBUFFERED", "1", TRUE);

  for (guint i = 0; config->env_names[i] != NULL; i++)
    env = g_environ_setenv (env, config->env_names[i], config->env_values[i], TRUE);

  env = g_environ_setenv (env, "LORA_JOB_ID", job_id, TRUE);
  env = g_environ_setenv (env, "LORA_WEBHOOK_URL", url, TRUE);
  env = g_environ_setenv (env, "LORA_WEBHOOK_SECRET", webhook_secret, TRUE);

  return env;
}

static int
open_output (const char  *path,
             int          flags,
             GError     **error)
{
  int fd;

  if ((fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | flags, 0600)) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create the file %s: %s"), path, g_strerror (saved));
    }

  return fd;
}

static void
spawn (LjdLocal   *self,
       LpJob      *job,
       const char *webhook_secret)
{
  gint64 job_id = lp_job_get_id (job);
  g_auto(LocalConfig) config = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = NULL;
  g_autofree char *folder = job_folder (self, job_id);
  g_autofree char *log_path = g_build_filename (folder, LOG_NAME, NULL);
  g_autofree char *exit_path = g_build_filename (folder, EXIT_NAME, NULL);
  g_autofree char *url = ljd_service_get_webhook_url (self->service, job_id);
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, job_id);
  g_auto(GStrv) env = NULL;
  const char *gpus, *identifier;
  LocalRun *run;
  int log_fd, exit_fd;

  /* Queued while the provider was on, and the service restarted without
   * it: nothing of a job runs unless the operator allows it. */
  if (!self->enabled)
    {
      ljd_service_provider_failed (self->service, job_id,
                                   _("The local provider is disabled on this service; "
                                     "start lora-jobd with --enable-local to run local jobs"));
      return;
    }

  if (!local_config_parse (lp_job_get_config (job), &config, &error))
    {
      g_autofree char *message = g_strdup_printf (_("The local provider cannot run this job: %s"),
                                                  error->message);
      ljd_service_provider_failed (self->service, job_id, message);
      return;
    }

  /* Only the service enters it: the child writes through descriptors. */
  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved = errno;
      g_autofree char *message = g_strdup_printf (_("Cannot create the folder %s for the job's output: %s"),
                                                  folder, g_strerror (saved));
      ljd_service_provider_failed (self->service, job_id, message);
      return;
    }

  /* Truncated: a status left by an earlier run of the same id would be
   * read as ours. */
  if ((log_fd = open_output (log_path, O_APPEND, &error)) < 0 ||
      (exit_fd = open_output (exit_path, 0, &error)) < 0)
    {
      if (log_fd >= 0)
        close (log_fd);
      ljd_service_provider_failed (self->service, job_id, error->message);
      return;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_take_stdout_fd (launcher, log_fd);
  g_subprocess_launcher_take_fd (launcher, exit_fd, EXIT_FD);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, self, NULL);
  if (config.cwd != NULL)
    g_subprocess_launcher_set_cwd (launcher, config.cwd);
  else if (self->user != NULL)
    /* The service's folder is none of that user's business. */
    g_subprocess_launcher_set_cwd (launcher, g_file_test (self->home, G_FILE_TEST_IS_DIR) ? self->home : "/");

  env = child_environment (self, &config, id, url, webhook_secret);
  g_subprocess_launcher_set_environ (launcher, env);

  argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) "/bin/sh");
  g_ptr_array_add (argv, (char *) "-c");
  g_ptr_array_add (argv, (char *) WRAPPER_SCRIPT);
  g_ptr_array_add (argv, (char *) "lora-local");
  for (guint i = 0; config.argv[i] != NULL; i++)
    g_ptr_array_add (argv, config.argv[i]);
  g_ptr_array_add (argv, NULL);

  if (!(process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error)))
    {
      g_autofree char *message = g_strdup_printf (_("The local process could not be started: %s"),
                                                  error->message);
      ljd_service_provider_failed (self->service, job_id, message);
      return;
    }

  run = local_run_new (self, job, webhook_secret, folder);
  run->process = g_object_ref (process);
  /* GLib reaps the child on its own thread, and forgets its pid then: a
   * command that ends at once (no such program) may be gone already. Its
   * wait status is still to come, and there is no group left to stop. */
  if ((identifier = g_subprocess_get_identifier (process)) != NULL)
    run->pid = run->pgid = (pid_t) g_ascii_strtoll (identifier, NULL, 10);
  /* The GPUs the job was given, if it was given some by number. */
  gpus = g_strv_contains ((const char * const *) config.env_names, "CUDA_VISIBLE_DEVICES")
         ? g_environ_getenv (env, "CUDA_VISIBLE_DEVICES") : NULL;
  if (gpus != NULL && gpus[0] != '\0' && strspn (gpus, "0123456789,") == strlen (gpus))
    run->gpu_ids = g_strdup (gpus);

  g_hash_table_replace (self->runs, &run->job_id, run);
  /* Saves the state: a service that stops now finds the process again. */
  ljd_log_follower_start (run->follower, g_get_real_time ());

  g_subprocess_wait_async (process, run->cancellable, wait_cb, run_ref_new (run));
  start_gpu_polling (run);
}

static void
reattach (LjdLocal   *self,
          LpJob      *job,
          const char *webhook_secret)
{
  gint64 job_id = lp_job_get_id (job);
  g_auto(LocalState) state = { 0 };
  LocalRun *run;

  if (!local_state_load (self, job_id, &state))
    {
      ljd_service_provider_failed (self->service, job_id,
                                   _("The service restarted and has no record of this job’s local process"));
      return;
    }

  run = local_run_new (self, job, webhook_secret, state.folder);
  run->pid = (pid_t) state.pid;
  run->pgid = (pid_t) state.pgid;

  /* Gone while the service was stopped: read what is left of the log and
   * report the status it left behind. */
  if (!process_is_job (run->pid, job_id))
    run->died_while_stopped = TRUE;
  else if (!self->enabled)
    {
      /* Started while the provider was on. Failing the job would leave its
       * process running unseen, holding its GPU while the next job takes
       * the slot; killing it would lose the work. Watching runs nothing
       * new, and a cancel still stops it. */
      g_message ("Job %" G_GINT64_FORMAT "’s local process (process group %d) is still running, "
                 "although the local provider is disabled; it is watched until it ends",
                 job_id, (int) run->pgid);
    }

  g_hash_table_replace (self->runs, &run->job_id, run);
  ljd_log_follower_resume (run->follower, state.object);

  if (run->died_while_stopped)
    process_ended (run);
  else
    {
      run->watch_source = ljd_timeout_attach (self->context, WATCH_INTERVAL_MS, watch_cb, run, NULL);
      start_gpu_polling (run);
    }
}

static void
ljd_local_start (LjdProvider *provider,
                 LpJob       *job,
                 const char  *webhook_secret,
                 gboolean     reattach_run)
{
  LjdLocal *self = LJD_LOCAL (provider);

  if (reattach_run)
    reattach (self, job, webhook_secret);
  else
    spawn (self, job, webhook_secret);
}

/* Cancelling */

typedef struct
{
  pid_t  pgid;
  gint64 started;
  gint64 killed_at;   /* 0 before SIGKILL */
  guint  grace_ms;
} CancelOp;

static gboolean
cancel_poll_cb (gpointer user_data)
{
  GTask *task = user_data;
  CancelOp *op = g_task_get_task_data (task);
  gint64 now = g_get_monotonic_time ();

  if (!group_alive (op->pgid))
    {
      g_task_return_boolean (task, TRUE);
      return G_SOURCE_REMOVE;
    }

  if (op->killed_at == 0 && now - op->started >= (gint64) op->grace_ms * 1000)
    {
      /* The grace period is over: what is still there is stuck or deaf. */
      kill (-op->pgid, SIGKILL);
      op->killed_at = now;
    }
  else if (op->killed_at != 0 && now - op->killed_at >= KILL_WAIT_US)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               _("Processes of group %d are still running after SIGKILL"),
                               (int) op->pgid);
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
ljd_local_cancel_async (LjdProvider         *provider,
                        LpJob               *job,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  LjdLocal *self = LJD_LOCAL (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  gint64 job_id = lp_job_get_id (job);
  LocalRun *run = g_hash_table_lookup (self->runs, &job_id);
  CancelOp *op;
  pid_t pgid = 0;

  g_task_set_source_tag (task, ljd_local_cancel_async);

  if (run != NULL)
    {
      /* From now on the end of the process is the cancel's, not a failure
       * to report. */
      run->cancelling = TRUE;
      ljd_log_follower_stop (run->follower);
      ljd_source_clear (&run->gpu_source);
      ljd_source_clear (&run->watch_source);
      pgid = run->pgid;
    }
  else
    {
      g_auto(LocalState) state = { 0 };

      /* Without a run (it could not be re-attached), only a group whose
       * leader is provably this job's is signalled. */
      if (local_state_load (self, job_id, &state) && process_is_job ((pid_t) state.pgid, job_id))
        pgid = (pid_t) state.pgid;
    }

  if (pgid <= 1 || !group_alive (pgid))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (kill (-pgid, SIGTERM) != 0 && errno != ESRCH)
    {
      int saved = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                               _("Cannot stop process group %d: %s"), (int) pgid, g_strerror (saved));
      return;
    }

  op = g_new0 (CancelOp, 1);
  op->pgid = pgid;
  op->started = g_get_monotonic_time ();
  op->grace_ms = self->grace_ms;
  g_task_set_task_data (task, op, g_free);

  g_source_unref (ljd_timeout_attach (self->context, CANCEL_POLL_MS, cancel_poll_cb,
                               g_object_ref (task), g_object_unref));
}

static gboolean
ljd_local_cancel_finish (LjdProvider   *provider,
                         GAsyncResult  *result,
                         GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
ljd_local_forget (LjdProvider *provider,
                  gint64       job_id)
{
  LjdLocal *self = LJD_LOCAL (provider);
  g_autoptr(LpJob) job = NULL;
  g_auto(LocalState) state = { 0 };

  if (g_hash_table_remove (self->runs, &job_id))
    return;

  /* No run, and the job is being cancelled: the service stopped in the
   * middle of a cancel and ends it now, without waiting, so the group must
   * not outlive it. A finished job's process is left alone: a trainer
   * that reported its own end may still be saving its work. */
  job = ljd_store_get_job (ljd_service_get_store (self->service), job_id, NULL);
  if (job != NULL && lp_job_get_status (job) == LP_JOB_STATUS_CANCELLING &&
      local_state_load (self, job_id, &state) && process_is_job ((pid_t) state.pgid, job_id))
    kill (-(pid_t) state.pgid, SIGKILL);
}

static gboolean
ljd_local_is_enabled (LjdProvider *provider)
{
  return LJD_LOCAL (provider)->enabled;
}

static void
provider_iface_init (LjdProviderInterface *iface)
{
  iface->get_name = ljd_local_get_name;
  iface->validate_config = ljd_local_validate_config;
  iface->start = ljd_local_start;
  iface->cancel_async = ljd_local_cancel_async;
  iface->cancel_finish = ljd_local_cancel_finish;
  iface->forget = ljd_local_forget;
  iface->is_enabled = ljd_local_is_enabled;
}
