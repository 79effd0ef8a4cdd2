/* ljd-log-follower.h: a job's output file, read and reported as a trainer would
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A provider whose trainer only prints (the local provider's child, a
 * Slurm batch job) hands the file its output goes to to a follower. The
 * follower reads what is added to it every half second, parses each line
 * with the job's parser (its config's "log_format" and "log_patterns"),
 * works out the job's stages from the output (lp-run-stages.h), and posts
 * all of it to the job's webhook, signed with the job's secret, as any
 * trainer would. The provider only says when the process started and how
 * it ended.
 *
 * It copes with a file that does not exist yet, lines written in pieces,
 * \r redraws, a file started over (shorter, or no longer holding what was
 * read: it reads it again from the top) and a restart of the service:
 * event ids are made of byte offsets, so a stretch read twice posts
 * duplicates, which the service drops. The provider keeps the follower's
 * state with its own (ljd_log_follower_save_state()) and hands it back
 * after a restart (ljd_log_follower_resume()).
 *
 * A provider's part, in order:
 *
 *   ljd_log_follower_check_config()   when the job is made (a 400 if not)
 *   ljd_log_follower_new()            when the job starts or is re-attached
 *   ljd_log_follower_start (started)  the process started: preprocessing
 *   or ljd_log_follower_resume (state)
 *   ljd_log_follower_set_gpu_util()   now and then, if it can tell
 *   ljd_log_follower_finish (status, message)
 *                                     the process ended: the rest of the
 *                                     output, the stages' end, the job's end
 *   or ljd_log_follower_fail (message)
 *                                     it ended and nothing says how: the
 *                                     job fails through the service
 *   ljd_log_follower_stop()           on cancel, forget, or "finished"
 *
 * Event ids start with the provider's prefix: PREFIX-OFFSET for metrics,
 * PREFIX-stage-STAGE-STATUS, PREFIX-status-completed / -failed,
 * PREFIX-final-step, PREFIX-gpu-TIME, PREFIX-warning-OFFSET.
 *
 * A trainer that reports its own stages through the webhook (contrib's
 * reporter) keeps them: the follower stops posting stages once the job
 * shows a stage it did not post. Metrics and the end are posted anyway.
 *
 * Signals:
 *
 * - "state-changed": the state worth keeping has moved on (at most every
 *   2 s while reading); the provider saves it now.
 * - "finished": the job's end has been posted and taken, or the service
 *   said the job takes no more events (it finished otherwise, or is
 *   gone). The follower does nothing more; the provider lets it go.
 *
 * A follower must not outlive the service it was made for. Call
 * ljd_log_follower_stop() before dropping the last reference: asynchronous
 * work under way holds a reference until it is cancelled.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "lp-job.h"
#include "ljd-service.h"

G_BEGIN_DECLS

#define LJD_TYPE_LOG_FOLLOWER (ljd_log_follower_get_type ())

G_DECLARE_FINAL_TYPE (LjdLogFollower, ljd_log_follower, LJD, LOG_FOLLOWER, GObject)

/* The exit status to pass when nothing says how the process ended. */
#define LJD_LOG_FOLLOWER_EXIT_UNKNOWN (-1)

gboolean        ljd_log_follower_is_config_key (const char      *key);
gboolean        ljd_log_follower_check_config  (JsonObject      *config,
                                                GError         **error);

LjdLogFollower *ljd_log_follower_new           (LjdService      *service,
                                                SoupSession     *session,
                                                LpJob           *job,
                                                const char      *webhook_secret,
                                                const char      *path,
                                                const char      *event_prefix);
void            ljd_log_follower_start         (LjdLogFollower  *self,
                                                gint64           started_at);
void            ljd_log_follower_resume        (LjdLogFollower  *self,
                                                JsonObject      *state);
void            ljd_log_follower_save_state    (LjdLogFollower  *self,
                                                JsonBuilder     *builder);
void            ljd_log_follower_set_gpu_util  (LjdLogFollower  *self,
                                                double           percent);
void            ljd_log_follower_finish        (LjdLogFollower  *self,
                                                int              exit_status,
                                                const char      *message);
void            ljd_log_follower_fail          (LjdLogFollower  *self,
                                                const char      *message);
void            ljd_log_follower_stop          (LjdLogFollower  *self);

gint64          ljd_log_follower_get_job_id    (LjdLogFollower  *self);
const char     *ljd_log_follower_get_path      (LjdLogFollower  *self);
gint64          ljd_log_follower_get_step      (LjdLogFollower  *self);
char           *ljd_log_follower_get_tail      (LjdLogFollower  *self);
gboolean        ljd_log_follower_is_finished   (LjdLogFollower  *self);

G_END_DECLS
