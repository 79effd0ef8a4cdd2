/* ljd-slurm-private.h: what the Slurm provider's files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ljd-slurm.c is the provider (its options, the requests to slurmrestd,
 * the LjdProvider calls); ljd-slurm-run.c is the life of one job in Slurm,
 * from submit to its end, as a state machine of requests (LjdSlurmRun).
 */
#pragma once

#include <libsoup/soup.h>

#include "ljd-log-follower.h"
#include "ljd-slurm.h"
#include "ljd-slurm-token.h"

G_BEGIN_DECLS

struct _LjdSlurm
{
  GObject             parent_instance;

  LjdService         *service;      /* weak: the service owns its providers */
  char               *url;          /* slurmrestd's base URL, no trailing slash */
  char               *user;         /* X-SLURM-USER-NAME; NULL: the token's */
  LjdSlurmApiVersion  api;
  char               *public_url;
  GMainContext       *context;
  SoupSession        *session;      /* to slurmrestd */
  SoupSession        *webhook_session;  /* to this service, for the followers */
  GCancellable       *cancellable;
  GHashTable         *runs;         /* job id -> LjdSlurmRun */
  guint               next_serial;
  guint               poll_ms;
  guint               grace_ms;
  guint               retry_limit_ms;

  LjdSlurmToken      *token;        /* as last read from its file */
  /* The generation Slurm refused; 0: none */
  guint               refused_generation;
};

typedef struct
{
  LjdSlurm       *slurm;          /* weak */
  gint64          job_id;
  guint           serial;
  char           *secret;
  LpJob          *job;            /* the job as it started; for the follower */
  JsonObject     *config;
  char           *nonce;
  gint64          slurm_id;       /* 0 before slurmrestd answered the submit */
  char           *output;         /* the output file's path, once known */
  char           *state;          /* Slurm's last word on the job */
  char           *detail;         /* what the job's status_detail says */
  char           *reason;
  gint64          start_time;     /* Slurm's, in seconds; 0 before it started */
  GSource        *timer;
  LjdLogFollower *follower;
  gulong          state_handler;
  gulong          finished_handler;
  char           *end_message;    /* how Slurm ended the job, once it did */

  /* Trouble */
  gint64          trouble_since;  /* monotonic µs of the first failure in a row; 0: none */
  guint           backoff_ms;
  guint           auth_warned_generation;
  gint64          auth_retry_at;  /* monotonic µs: the next try with a refused token */

  /* Cancelling */
  GTask          *cancel_task;
  gint64          cancel_started; /* monotonic µs */
  gint64          killed_at;      /* monotonic µs; 0 before the kill */

  guint           in_flight : 1;
  guint           maybe_submitted : 1;
  guint           started : 1;
  guint           outage_warned : 1;
  guint           term_sent : 1;
  guint           kill_sent : 1;
  guint           ended : 1;
} LjdSlurmRun;

typedef struct
{
  char       *nonce;
  gint64      slurm_id;
  char       *output;
  char       *state;
  char       *detail;
  gint64      start_time;
  JsonObject *follower;
} LjdSlurmState;

typedef struct
{
  guint              status;      /* 0: no HTTP answer */
  JsonObject        *object;
  LjdSlurmReplyKind  kind;
  char              *problem;     /* for people; NULL when all went well */
} LjdSlurmReply;

typedef void (*LjdSlurmReplyFunc) (LjdSlurm            *self,
                                   const LjdSlurmReply *reply,
                                   gpointer             user_data);

/* ljd-slurm.c */
const char  *ljd_slurm_user_name          (LjdSlurm          *self);
void         ljd_slurm_send               (LjdSlurm          *self,
                                           const char        *method,
                                           const char        *path,
                                           const char        *body,
                                           LjdSlurmReplyFunc  func,
                                           gpointer           user_data);

/* ljd-slurm-run.c */
LjdSlurmRun *ljd_slurm_run_new            (LjdSlurm          *self,
                                           LpJob             *job);
void         ljd_slurm_run_free           (LjdSlurmRun       *run);
void         ljd_slurm_run_remove         (LjdSlurmRun       *run);
void         ljd_slurm_run_step           (LjdSlurmRun       *run);
void         ljd_slurm_run_start_follower (LjdSlurmRun       *run,
                                           JsonObject        *saved);
void         ljd_slurm_run_stop_follower  (LjdSlurmRun       *run);
void         ljd_slurm_state_save         (LjdSlurmRun       *run);
gboolean     ljd_slurm_state_load         (LjdSlurm          *self,
                                           gint64             job_id,
                                           LjdSlurmState     *state);
void         ljd_slurm_state_clear        (LjdSlurmState     *state);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LjdSlurmState, ljd_slurm_state_clear)

G_END_DECLS
