/* lp-log-parser.h: metrics from what a Hugging Face Trainer prints
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The local provider runs training scripts that know nothing of the
 * service. Hugging Face's Trainer (and what is built on it: PEFT, TRL,
 * Axolotl, Unsloth) prints its logs as Python dicts and its progress as a
 * tqdm bar; this reads both, one line at a time, without any I/O.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  LP_LOG_NOTHING,   /* not a line this parser understands */
  LP_LOG_METRICS,   /* a dict of training or evaluation metrics */
  LP_LOG_PROGRESS,  /* a counter of the training progress bar */
} LpLogKind;

typedef enum {
  LP_LOG_HAS_STEP          = 1 << 0,
  LP_LOG_HAS_TOTAL_STEPS   = 1 << 1,
  LP_LOG_HAS_EPOCH         = 1 << 2,
  LP_LOG_HAS_LOSS          = 1 << 3,
  LP_LOG_HAS_EVAL_LOSS     = 1 << 4,
  LP_LOG_HAS_LEARNING_RATE = 1 << 5,
} LpLogFields;

/* What one line said. A field is meaningful only when its bit is set in
 * present; a loss may be NAN or infinite when the trainer printed so. */
typedef struct
{
  LpLogKind    kind;
  LpLogFields  present;
  gint64       step;
  gint64       total_steps;
  double       epoch;
  double       loss;
  double       eval_loss;
  double       learning_rate;
} LpLogRecord;

typedef struct _LpLogParser LpLogParser;

LpLogParser *lp_log_parser_new             (double              steps_per_epoch);
void         lp_log_parser_free            (LpLogParser        *self);
LpLogKind    lp_log_parser_feed            (LpLogParser        *self,
                                            const char         *line,
                                            gssize              length,
                                            LpLogRecord        *record);
gint64       lp_log_parser_get_step        (LpLogParser        *self);
gint64       lp_log_parser_get_total_steps (LpLogParser        *self);
void         lp_log_parser_restore         (LpLogParser        *self,
                                            gint64              step,
                                            gint64              total_steps);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpLogParser, lp_log_parser_free)

G_END_DECLS
