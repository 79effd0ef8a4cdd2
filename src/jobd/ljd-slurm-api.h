/* ljd-slurm-api.h: the JSON of slurmrestd's OpenAPI plugins
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything that depends on the version of slurmrestd's OpenAPI plugin
 * (the paths, the submit body, the fields of a job, how errors read) is
 * here and only here, so that the provider (ljd-slurm.c) speaks of jobs,
 * states and failures, and a new plugin version is one more case in
 * ljd-slurm-api.c. Nothing here does I/O.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  LJD_SLURM_API_V0_0_38,   /* Slurm 22.05 (Debian 12) */
} LjdSlurmApiVersion;

#define LJD_SLURM_API_DEFAULT "v0.0.38"

/* What a job's config asks of Slurm; strings may be NULL, numbers 0 when
 * not asked for. The provider fills it from the validated config. */
typedef struct
{
  const char  *script;            /* the batch script's text */
  const char  *name;
  const char  *comment;           /* how the service finds its jobs again */
  const char  *cwd;
  const char  *standard_output;   /* a path; Slurm's %j etc. allowed */
  const char  *partition;
  const char  *account;
  const char  *qos;
  gint64       gpus;
  gint64       cpus;
  gint64       memory_mb;
  gint64       time_limit_min;
  const char * const *env_names;  /* NULL-terminated, with env_values */
  const char * const *env_values;
} LjdSlurmSubmit;

/* One job as slurmrestd shows it. */
typedef struct
{
  gint64   job_id;
  char    *name;
  char    *comment;
  char    *state;         /* Slurm's word: PENDING, RUNNING, COMPLETING, TIMEOUT, … */
  char    *reason;        /* why it waits or ended: Resources, Priority, TimeLimit, None, … */
  char    *description;   /* a sentence Slurm sometimes adds to the reason */
  gint64   submit_time;   /* seconds since the epoch; 0: not known */
  gint64   start_time;    /* when it started, or for a pending job the expected start */
  gint64   end_time;      /* when it ended, or for a running job the time limit */
  gint     exit_status;   /* the batch script's exit status; -1 when a signal ended it */
  gint     exit_signal;   /* the signal that ended it, or 0 */
  char    *standard_output;   /* as given, with Slurm's % patterns unexpanded */
  char    *cwd;
  char    *user_name;
  char    *batch_host;
  char    *partition;
} LjdSlurmJobInfo;

typedef enum {
  LJD_SLURM_REPLY_OK,
  LJD_SLURM_REPLY_NO_SUCH_JOB,   /* Slurm does not (or no longer) know the job */
  LJD_SLURM_REPLY_AUTH,          /* the token was refused */
  LJD_SLURM_REPLY_REFUSED,       /* the request itself is wrong: repeating it cannot help */
  LJD_SLURM_REPLY_TRANSIENT,     /* slurmrestd or slurmctld is away or busy: try again */
} LjdSlurmReplyKind;

gboolean     ljd_slurm_api_version_from_string (const char            *text,
                                                LjdSlurmApiVersion    *version,
                                                GError               **error);
const char  *ljd_slurm_api_version_to_string   (LjdSlurmApiVersion     version);

char        *ljd_slurm_api_ping_path           (LjdSlurmApiVersion     version);
char        *ljd_slurm_api_submit_path         (LjdSlurmApiVersion     version);
char        *ljd_slurm_api_jobs_path           (LjdSlurmApiVersion     version);
char        *ljd_slurm_api_job_path            (LjdSlurmApiVersion     version,
                                                gint64                 job_id);
char        *ljd_slurm_api_signal_path         (LjdSlurmApiVersion     version,
                                                gint64                 job_id,
                                                const char            *signal_name);

char        *ljd_slurm_api_submit_body         (LjdSlurmApiVersion     version,
                                                const LjdSlurmSubmit  *submit);
gboolean     ljd_slurm_api_parse_submit        (LjdSlurmApiVersion     version,
                                                JsonObject            *reply,
                                                gint64                *job_id,
                                                char                 **warning,
                                                GError               **error);
gboolean     ljd_slurm_api_parse_job           (LjdSlurmApiVersion     version,
                                                JsonObject            *reply,
                                                gint64                 job_id,
                                                LjdSlurmJobInfo       *info,
                                                GError               **error);
GPtrArray   *ljd_slurm_api_parse_jobs          (LjdSlurmApiVersion     version,
                                                JsonObject            *reply,
                                                GError               **error);

LjdSlurmReplyKind ljd_slurm_api_classify       (LjdSlurmApiVersion     version,
                                                guint                  http_status,
                                                JsonObject            *reply);
char        *ljd_slurm_api_describe_errors     (LjdSlurmApiVersion     version,
                                                guint                  http_status,
                                                JsonObject            *reply);

void             ljd_slurm_job_info_clear      (LjdSlurmJobInfo       *info);
void             ljd_slurm_job_info_free       (LjdSlurmJobInfo       *info);

/* Not of any one version: Slurm's own rules. */
gboolean     ljd_slurm_state_is_pending        (const char            *state);
gboolean     ljd_slurm_state_is_running        (const char            *state);
gboolean     ljd_slurm_state_is_final          (const char            *state);
char        *ljd_slurm_expand_output_path      (const char            *pattern,
                                                const LjdSlurmJobInfo *info);
gint64       ljd_slurm_token_expiry            (const char            *token);
char        *ljd_slurm_token_user              (const char            *token);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LjdSlurmJobInfo, ljd_slurm_job_info_clear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LjdSlurmJobInfo, ljd_slurm_job_info_free)

G_END_DECLS
