/* lp-log-parser.h: metrics from what a trainer prints
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The local and Slurm providers run training scripts that know nothing of
 * the service. This reads what those scripts print, one line at a time,
 * without any I/O: Hugging Face Trainer dicts, tqdm bars and their
 * postfixes (kohya-ss sd-scripts, diffusers, OneTrainer, ai-toolkit,
 * PyTorch Lightning, torchtune), nanoGPT, litgpt and MLX-LM loss lines,
 * torchtune's metric logger, and patterns a job brings for anything else.
 * See lp-log-parser.c for each format and the trainer source it comes from.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  LP_LOG_NOTHING,   /* no numbers (a hint or a bar of another kind, maybe) */
  LP_LOG_METRICS,   /* a loss, an eval loss or a learning rate */
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

/* What a line says about the work before training (see lp-run-stages.h). */
typedef enum {
  LP_LOG_HINT_NONE,
  LP_LOG_HINT_PREPROCESSING,  /* a dataset map, tokenizing, caching latents */
  LP_LOG_HINT_MODEL_LOADING,  /* "Loading checkpoint shards", "loading model" */
} LpLogHint;

/* What a job's "log_format" names; AUTO reads every format. */
typedef enum {
  LP_LOG_FORMAT_AUTO,
  LP_LOG_FORMAT_HUGGINGFACE,  /* Trainer dicts and its bar: TRL, Axolotl, Unsloth, LLaMA-Factory */
  LP_LOG_FORMAT_TQDM,         /* tqdm bars and postfixes: kohya-ss, diffusers, OneTrainer, ai-toolkit */
  LP_LOG_FORMAT_LIGHTNING,    /* PyTorch Lightning's TQDMProgressBar */
  LP_LOG_FORMAT_NANOGPT,      /* "iter N: loss X, time …" */
  LP_LOG_FORMAT_LITGPT,       /* "Epoch E | iter I step S | loss train: X, …" */
  LP_LOG_FORMAT_MLX,          /* "Iter N: Train loss X, Learning Rate Y, …" */
  LP_LOG_FORMAT_TORCHTUNE,    /* "1|150|Loss: 2.33" bars and "Step N | loss:X lr:Y" */
  LP_LOG_FORMAT_NONE,         /* only the job's own patterns */
} LpLogFormat;

#define LP_LOG_N_FORMATS (LP_LOG_FORMAT_NONE + 1)

/* The limits of a job's "log_patterns". */
#define LP_LOG_MAX_PATTERNS 16
#define LP_LOG_PATTERN_MAX_CHARS 1000

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
  LpLogHint    hint;
  gboolean     bar;          /* a progress bar, of any kind: a terminal redraws it in place */
} LpLogRecord;

typedef struct _LpLogParser LpLogParser;

LpLogParser *lp_log_parser_new             (double              steps_per_epoch);
LpLogParser *lp_log_parser_new_full        (LpLogFormat         format,
                                            const char * const *patterns,
                                            gint64              total_steps,
                                            gint64              total_epochs,
                                            GError            **error);
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
char        *lp_log_parser_take_warning    (LpLogParser        *self);

const char  *lp_log_format_to_string       (LpLogFormat         format);
gboolean     lp_log_format_from_string     (const char         *str,
                                            LpLogFormat        *format);

gboolean     lp_log_config_is_key          (const char         *key);
gboolean     lp_log_config_read            (JsonObject         *config,
                                            LpLogFormat        *format,
                                            GStrv              *patterns,
                                            GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpLogParser, lp_log_parser_free)

G_END_DECLS
