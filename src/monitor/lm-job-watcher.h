/* lm-job-watcher.h: notices what happens to the user's own jobs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "lm-client.h"

G_BEGIN_DECLS

#define LM_TYPE_JOB_WATCHER (lm_job_watcher_get_type ())

G_DECLARE_FINAL_TYPE (LmJobWatcher, lm_job_watcher, LM, JOB_WATCHER, GObject)

#define LM_JOB_WATCHER_POLL_SECONDS 60

LmJobWatcher *lm_job_watcher_new              (LmClient     *client);
void          lm_job_watcher_set_poll_interval (LmJobWatcher *self,
                                                guint         seconds);
void          lm_job_watcher_check_now        (LmJobWatcher *self);

G_END_DECLS
