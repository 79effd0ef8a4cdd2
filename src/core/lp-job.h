/* lp-job.h: a training job as the API describes it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same object serves lora-jobd (which fills it from its database and
 * serialises it) and lora-monitor (which parses it from the service and binds
 * rows to its properties). Updating a job from JSON notifies only the
 * properties whose values changed, so a list row updates in place.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "lp-guard.h"
#include "lp-stage.h"
#include "lp-types.h"

G_BEGIN_DECLS

#define LP_TYPE_JOB (lp_job_get_type ())

G_DECLARE_FINAL_TYPE (LpJob, lp_job, LP, JOB, GObject)

LpJob         *lp_job_new                 (void);
LpJob         *lp_job_new_from_json       (JsonObject   *object,
                                           GError      **error);
gboolean       lp_job_update_from_json    (LpJob        *self,
                                           JsonObject   *object,
                                           GError      **error);
void           lp_job_to_json             (LpJob        *self,
                                           JsonBuilder  *builder);
JsonNode      *lp_job_to_json_node        (LpJob        *self);

gint64         lp_job_get_id              (LpJob        *self);
void           lp_job_set_id              (LpJob        *self,
                                           gint64        id);
const char    *lp_job_get_name            (LpJob        *self);
void           lp_job_set_name            (LpJob        *self,
                                           const char   *name);
LpJobStatus    lp_job_get_status          (LpJob        *self);
void           lp_job_set_status          (LpJob        *self,
                                           LpJobStatus   status);
const char    *lp_job_get_created_by      (LpJob        *self);
void           lp_job_set_created_by      (LpJob        *self,
                                           const char   *user);
const char    *lp_job_get_cancelled_by    (LpJob        *self);
void           lp_job_set_cancelled_by    (LpJob        *self,
                                           const char   *user);
gint64         lp_job_get_created_at      (LpJob        *self);
void           lp_job_set_created_at      (LpJob        *self,
                                           gint64        usec);
gint64         lp_job_get_started_at      (LpJob        *self);
void           lp_job_set_started_at      (LpJob        *self,
                                           gint64        usec);
gint64         lp_job_get_finished_at     (LpJob        *self);
void           lp_job_set_finished_at     (LpJob        *self,
                                           gint64        usec);
double         lp_job_get_progress        (LpJob        *self);
gint64         lp_job_get_current_step    (LpJob        *self);
void           lp_job_set_current_step    (LpJob        *self,
                                           gint64        step);
gint64         lp_job_get_total_steps     (LpJob        *self);
void           lp_job_set_total_steps     (LpJob        *self,
                                           gint64        steps);
gint64         lp_job_get_epoch           (LpJob        *self);
void           lp_job_set_epoch           (LpJob        *self,
                                           gint64        epoch);
gint64         lp_job_get_total_epochs    (LpJob        *self);
void           lp_job_set_total_epochs    (LpJob        *self,
                                           gint64        epochs);
const char    *lp_job_get_stage           (LpJob        *self);
GPtrArray     *lp_job_get_stages          (LpJob        *self);
void           lp_job_set_stages          (LpJob        *self,
                                           GPtrArray    *stages);
gint64         lp_job_get_elapsed_s       (LpJob        *self);
void           lp_job_set_elapsed_s       (LpJob        *self,
                                           gint64        seconds);
gint64         lp_job_get_remaining_s     (LpJob        *self);
void           lp_job_set_remaining_s     (LpJob        *self,
                                           gint64        seconds);
const char    *lp_job_get_gpu_type        (LpJob        *self);
void           lp_job_set_gpu_type        (LpJob        *self,
                                           const char   *gpu_type);
const char    *lp_job_get_pricing         (LpJob        *self);
void           lp_job_set_pricing         (LpJob        *self,
                                           const char   *pricing);
double         lp_job_get_hourly_rate     (LpJob        *self);
void           lp_job_set_hourly_rate     (LpJob        *self,
                                           double        rate);
double         lp_job_get_cost            (LpJob        *self);
void           lp_job_set_cost            (LpJob        *self,
                                           double        cost);
double         lp_job_get_projected_cost  (LpJob        *self);
void           lp_job_set_projected_cost  (LpJob        *self,
                                           double        cost);
double         lp_job_get_estimate_min    (LpJob        *self);
double         lp_job_get_estimate_max    (LpJob        *self);
void           lp_job_set_estimate        (LpJob        *self,
                                           double        estimate_min,
                                           double        estimate_max);
gboolean       lp_job_has_estimate        (LpJob        *self);
const char    *lp_job_get_error           (LpJob        *self);
void           lp_job_set_error           (LpJob        *self,
                                           const char   *error);
const char    *lp_job_get_cancel_reason   (LpJob        *self);
void           lp_job_set_cancel_reason   (LpJob        *self,
                                           const char   *reason);
gint64         lp_job_get_queue_position  (LpJob        *self);
void           lp_job_set_queue_position  (LpJob        *self,
                                           gint64        position);
const char    *lp_job_get_status_detail   (LpJob        *self);
void           lp_job_set_status_detail   (LpJob        *self,
                                           const char   *detail);
const char    *lp_job_get_provider        (LpJob        *self);
void           lp_job_set_provider        (LpJob        *self,
                                           const char   *provider);
const char    *lp_job_get_preset          (LpJob        *self);
void           lp_job_set_preset          (LpJob        *self,
                                           const char   *preset);
JsonObject    *lp_job_get_config          (LpJob        *self);
void           lp_job_set_config          (LpJob        *self,
                                           JsonObject   *config);
const LpGuard *lp_job_get_guard           (LpJob        *self);
void           lp_job_set_guard           (LpJob        *self,
                                           const LpGuard *guard);

G_END_DECLS
