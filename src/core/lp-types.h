/* lp-types.h: the vocabulary of the job model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  LP_JOB_STATUS_QUEUED,
  LP_JOB_STATUS_PROVISIONING,
  LP_JOB_STATUS_TRAINING,
  LP_JOB_STATUS_CANCELLING,
  LP_JOB_STATUS_COMPLETED,
  LP_JOB_STATUS_FAILED,
  LP_JOB_STATUS_CANCELLED,
} LpJobStatus;

#define LP_N_JOB_STATUSES (LP_JOB_STATUS_CANCELLED + 1)

/* The statuses that hold a slot, as bits (1 << status) for sets of them. */
#define LP_ACTIVE_STATUS_MASK ((1u << LP_JOB_STATUS_PROVISIONING) | \
                               (1u << LP_JOB_STATUS_TRAINING) | \
                               (1u << LP_JOB_STATUS_CANCELLING))

typedef enum {
  LP_STAGE_PREPROCESSING,
  LP_STAGE_MODEL_LOADING,
  LP_STAGE_TRAINING,
  LP_STAGE_FINALIZATION,
} LpStageKind;

#define LP_N_STAGES (LP_STAGE_FINALIZATION + 1)

typedef enum {
  LP_STAGE_STATUS_PENDING,
  LP_STAGE_STATUS_ACTIVE,
  LP_STAGE_STATUS_COMPLETED,
  LP_STAGE_STATUS_FAILED,
} LpStageStatus;

typedef enum {
  LP_EVENT_STATUS,
  LP_EVENT_STAGE,
  LP_EVENT_METRICS,
  LP_EVENT_WARNING,
  LP_EVENT_ERROR,
  LP_EVENT_CHECKPOINT,
} LpEventType;

#define LP_N_EVENT_TYPES (LP_EVENT_CHECKPOINT + 1)

typedef enum {
  LP_CANCEL_LOSS_NOT_DECREASING,
  LP_CANCEL_COST_TOO_HIGH,
  LP_CANCEL_WRONG_CONFIGURATION,
  LP_CANCEL_TESTING,
  LP_CANCEL_OTHER,
} LpCancelReason;

#define LP_N_CANCEL_REASONS (LP_CANCEL_OTHER + 1)

typedef enum {
  LP_SERIES_TRAIN_LOSS,
  LP_SERIES_VAL_LOSS,
  LP_SERIES_LEARNING_RATE,
  LP_SERIES_GPU_UTIL,
} LpSeries;

#define LP_N_SERIES (LP_SERIES_GPU_UTIL + 1)

/* The ranges every codec holds numbers to, so that no arithmetic on them
 * (progress, costs, pages, plots) can overflow. Generous: a run of a
 * trillion steps, or of 31,700 years, is not a LoRA fine-tune. */
#define LP_STEP_MAX     G_GINT64_CONSTANT (1000000000000)   /* 10^12 */
#define LP_EPOCH_MAX    1000000
#define LP_SECONDS_MAX  G_GINT64_CONSTANT (1000000000000)   /* 10^12 s */
#define LP_MONEY_MAX    1e15                                /* USD */
#define LP_COUNT_MAX    G_MAXINT32                          /* jobs, events, pages, slots */
#define LP_PER_PAGE_MAX 1000

const char *lp_job_status_to_string    (LpJobStatus     status);
gboolean    lp_job_status_from_string  (const char     *str,
                                        LpJobStatus    *status);
gboolean    lp_job_status_is_active    (LpJobStatus     status);
gboolean    lp_job_status_is_finished  (LpJobStatus     status);
gboolean    lp_job_status_holds_slot   (LpJobStatus     status);
const char *lp_job_status_label        (LpJobStatus     status);

const char *lp_stage_kind_to_string    (LpStageKind     kind);
gboolean    lp_stage_kind_from_string  (const char     *str,
                                        LpStageKind    *kind);
const char *lp_stage_kind_label        (LpStageKind     kind);

const char *lp_stage_status_to_string  (LpStageStatus   status);
gboolean    lp_stage_status_from_string(const char     *str,
                                        LpStageStatus  *status);

const char *lp_event_type_to_string    (LpEventType     type);
gboolean    lp_event_type_from_string  (const char     *str,
                                        LpEventType    *type);
const char *lp_event_type_label        (LpEventType     type);

const char *lp_cancel_reason_to_string (LpCancelReason  reason);
gboolean    lp_cancel_reason_from_string (const char   *str,
                                        LpCancelReason *reason);
const char *lp_cancel_reason_label     (LpCancelReason  reason);

const char *lp_series_to_string        (LpSeries        series);
gboolean    lp_series_from_string      (const char     *str,
                                        LpSeries       *series);

char       *lp_iso8601_from_usec       (gint64          usec);
gboolean    lp_usec_from_iso8601       (const char     *str,
                                        gint64         *usec);

G_END_DECLS
