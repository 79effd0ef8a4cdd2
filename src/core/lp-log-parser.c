/* lp-log-parser.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each format below is read in the shape its trainer's own source prints
 * it; the unit tests (tests/test-log-parser.c) hold lines of each shape.
 *
 * - Hugging Face Trainer dicts, as Trainer.log() prints them
 *   (huggingface/transformers src/transformers/trainer.py; TRL, Axolotl,
 *   Unsloth and LLaMA-Factory print the same): the Python repr of a dict,
 *   {'loss': 0.5213, 'grad_norm': 1.2, 'learning_rate': 0.0002, 'epoch': 1.2}
 *   or {'eval_loss': 0.61, …}, anywhere in the line. Values may be nan or
 *   inf, or wrapped as np.float64(0.52) or tensor(1.2, device='cuda:0'). A
 *   dict counts only if it has a loss, an eval_loss or a learning_rate: the
 *   end-of-run summary ({'train_runtime': …, 'train_loss': …}) holds an
 *   average that belongs to no step.
 *
 * - tqdm bars, as tqdm.std.tqdm.format_meter() lays them out
 *   (tqdm/tqdm tqdm/std.py): "{desc}: {percentage:3.0f}%|{bar}| {n}/{total}
 *   [{elapsed}<{remaining}, {rate}{postfix}]", the postfix being ", " and
 *   set_postfix()'s "key=value" pairs (values through format_num(), so
 *   2.54, 2.54e-5, nan) or set_postfix_str()'s own text. The training bar
 *   is told from the others (evaluation, a dataset's "Map", "Loading
 *   checkpoint shards", downloads) by its description and by its total:
 *   the job's total_steps, else the largest total seen (evaluation runs a
 *   shorter bar in the middle of training). The Trainer's bar has no
 *   description; kohya-ss sd-scripts train_network.py's is "steps" with
 *   avr_loss; diffusers' examples' "Steps" with step_loss and lr;
 *   OneTrainer modules/trainer/GenericTrainer.py's "step" under an "epoch"
 *   bar, counting the steps of its epoch, with loss and "smooth loss";
 *   ostris/ai-toolkit jobs/process/BaseSDTrainProcess.py's is the job's
 *   name, with "lr: 1.0e-04 loss: 4.532e-01".
 *
 * - PyTorch Lightning's TQDMProgressBar
 *   (src/lightning/pytorch/callbacks/progress/tqdm_progress.py): a bar
 *   described "Epoch N" (from 0) counting the batches of that epoch, its
 *   postfix the progress bar metrics (v_num=0, train_loss=2.540, and
 *   val_loss once validation ran, repeated on every redraw after).
 *
 * - torchtune recipes/lora_finetune_single_device.py's bar, described
 *   "{epoch + 1}|{global_step}|Loss: {loss}", and its StdoutLogger
 *   (torchtune/training/metric_logging.py): "Step 150 | loss:2.33 lr:2e-05 …".
 *
 * - nanoGPT train.py: "iter 100: loss 2.3456, time 12.34ms, mfu 1.23%"
 *   and "step 100: train loss 2.3456, val loss 2.4567".
 *
 * - litgpt litgpt/finetune/lora.py: "Epoch 1 | iter 100 step 25 | loss
 *   train: 2.345, val: n/a | iter time: 123.45 ms (step)", "iter 100: val
 *   loss 2.3456, val time: 1234.56 ms" and "Final evaluation | val loss:
 *   2.345 | val ppl: 10.43".
 *
 * - MLX-LM mlx_lm/tuner/trainer.py: "Iter 10: Train loss 2.345, Learning
 *   Rate 1.000e-05, It/sec 1.234, …" and "Iter 10: Val loss 2.345, Val
 *   took 1.234s"; and the table of its newer mlx_lm/cli_ui.py TrainUI
 *   ("  iter   train_loss     tok/s     tokens", then "    10    2.345 ▼ …"
 *   and "    10    val 2.456    0.52s"), read once its header was seen.
 *
 * The step of a dict is its own 'step' member; else the training bar's
 * latest counter, or the step its epoch gives (round(epoch × steps per
 * epoch)) when that is a little ahead of the counter, which tqdm redraws
 * at most ten times a second (see dict_step()); else it is unknown. Other
 * lines without a step (an evaluation) are at the training bar's counter.
 *
 * A job's own patterns (GRegex, named groups step, total, epoch, loss,
 * val_loss, lr) are tried on every line before the formats. PCRE2 stops a
 * match that backtracks too much (its match limit); a pattern that hits
 * it, or spends too long matching, is turned off with a warning, so that
 * a catastrophic pattern costs one match, not the service.
 *
 * Lines also hint at the work before training ("Loading checkpoint
 * shards", a dataset map), for the stages of a run (lp-run-stages.h).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <gio/gio.h>

#include "lp-json.h"
#include "lp-log-parser.h"

/* Longer lines are not a trainer's; they are not worth scanning. */
#define MAX_LINE 65536
/* What a job's patterns see of a line. */
#define PATTERN_MAX_LINE 4096
/* Hints are looked for at the start of a line. */
#define HINT_SCAN 300
/* A pattern that has spent this long matching, at more than
 * PATTERN_SLOW_US a line on average, is turned off. */
#define PATTERN_BUDGET_US (G_USEC_PER_SEC)
#define PATTERN_SLOW_US 2000

typedef enum {
  GROUP_STEP,
  GROUP_TOTAL,
  GROUP_EPOCH,
  GROUP_LOSS,
  GROUP_VAL_LOSS,
  GROUP_LR,
  N_GROUPS
} Group;

static const char * const group_names[N_GROUPS] = {
  "step", "total", "epoch", "loss", "val_loss", "lr",
};

typedef struct
{
  GRegex  *regex;
  char    *source;
  gboolean has[N_GROUPS];
  gboolean off;
  gint64   spent_us;
  guint64  uses;
} Pattern;

struct _LpLogParser
{
  LpLogFormat format;
  GPtrArray  *patterns;         /* Pattern * */
  gint64      job_total_steps;  /* 0 when unknown */
  gint64      job_epochs;       /* 0 when unknown */
  double      steps_per_epoch;  /* 0 when unknown */

  gint64      step;             /* the training step, or -1 */
  gint64      total_steps;      /* the training bar's total, or -1 */
  gboolean    bar_locked;       /* the training bar has the job's total */
  gint64      epoch_bar_n;      /* OneTrainer's "epoch" bar, or -1 */
  gint64      epoch_bar_total;
  double      last_bar_val;     /* the eval loss a bar's postfix last showed */
  gint64      eval_bar_step;    /* the step an evaluation bar's end was read at, or -1 */
  double      eval_bar_value;   /* and what it said */
  gboolean    litgpt;           /* litgpt's lines: its evaluations go at its step */
  gboolean    mlx_table;        /* MLX-LM's table header was printed */

  GString    *scratch;          /* a line without its escapes */
  char       *warning;
};

static void
pattern_free (Pattern *pattern)
{
  g_regex_unref (pattern->regex);
  g_free (pattern->source);
  g_free (pattern);
}

static gboolean
format_reads (LpLogParser *self,
              LpLogFormat  format)
{
  return self->format == LP_LOG_FORMAT_AUTO || self->format == format;
}

/* Names and config */

static const char * const format_names[LP_LOG_N_FORMATS] = {
  "auto", "huggingface", "tqdm", "lightning", "nanogpt", "litgpt", "mlx", "torchtune", "none",
};

const char *
lp_log_format_to_string (LpLogFormat format)
{
  g_return_val_if_fail ((guint) format < LP_LOG_N_FORMATS, "auto");
  return format_names[format];
}

gboolean
lp_log_format_from_string (const char  *str,
                           LpLogFormat *format)
{
  for (guint i = 0; str != NULL && i < LP_LOG_N_FORMATS; i++)
    if (g_str_equal (str, format_names[i]))
      {
        *format = (LpLogFormat) i;
        return TRUE;
      }
  return FALSE;
}

/* Whether @key is one of the config keys lp_log_config_read() reads. */
gboolean
lp_log_config_is_key (const char *key)
{
  return g_strcmp0 (key, "log_format") == 0 || g_strcmp0 (key, "log_patterns") == 0;
}

static gboolean
invalid (GError     **error,
         const char  *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError     **error,
         const char  *format,
         ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL)
    *error = g_error_new_valist (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, format, args);
  va_end (args);
  return FALSE;
}

/**
 * lp_log_config_read:
 * @config: (nullable): a job's config
 * @format: (out): its "log_format", %LP_LOG_FORMAT_AUTO when it has none
 * @patterns: (out) (transfer full): its "log_patterns", never %NULL
 *
 * Reads the config's "log_format" (a string, one of the format names)
 * and "log_patterns" (an array of strings). Whether the patterns compile
 * is lp_log_parser_new_full()'s to say.
 */
gboolean
lp_log_config_read (JsonObject   *config,
                    LpLogFormat  *format,
                    GStrv        *patterns,
                    GError      **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *node;

  *format = LP_LOG_FORMAT_AUTO;
  *patterns = NULL;

  if (config != NULL && (node = json_object_get_member (config, "log_format")) != NULL &&
      !JSON_NODE_HOLDS_NULL (node))
    {
      g_autofree char *names = g_strjoinv (", ", (char **) format_names);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
          !lp_log_format_from_string (json_node_get_string (node), format))
        return invalid (error, _("“log_format” must be one of %s"), names);
    }

  if (config != NULL && (node = json_object_get_member (config, "log_patterns")) != NULL &&
      !JSON_NODE_HOLDS_NULL (node))
    {
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        return invalid (error, _("“log_patterns” must be an array of regular expressions"));
      array = json_node_get_array (node);
      if (json_array_get_length (array) > LP_LOG_MAX_PATTERNS)
        return invalid (error, _("“log_patterns” may hold at most %d patterns"), LP_LOG_MAX_PATTERNS);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
            return invalid (error, _("“log_patterns” must be an array of strings; item %u is not a string"), i);
          g_strv_builder_add (builder, json_node_get_string (item));
        }
    }

  *patterns = g_strv_builder_end (builder);

  if (*format == LP_LOG_FORMAT_NONE && (*patterns)[0] == NULL)
    {
      g_clear_pointer (patterns, g_strfreev);
      return invalid (error, _("“log_format” “none” reads nothing but “log_patterns”: give at least one pattern"));
    }

  return TRUE;
}

/* The parser */

static Pattern *
pattern_new (const char  *source,
             guint        index,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GRegex) regex = NULL;
  Pattern *pattern;
  gboolean any = FALSE;

  if (source[0] == '\0')
    {
      invalid (error, _("“log_patterns” item %u is empty"), index);
      return NULL;
    }
  if (g_utf8_strlen (source, -1) > LP_LOG_PATTERN_MAX_CHARS)
    {
      invalid (error, _("“log_patterns” item %u is longer than %d characters"), index, LP_LOG_PATTERN_MAX_CHARS);
      return NULL;
    }

  /* Raw: output need not be UTF-8. Optimized: compiled to machine code
   * where PCRE2 can, which also makes its match limit come sooner. */
  if (!(regex = g_regex_new (source, G_REGEX_RAW | G_REGEX_OPTIMIZE, 0, &local_error)))
    {
      invalid (error, _("“log_patterns” item %u, “%s”, is not a regular expression GRegex takes: %s"),
               index, source, local_error->message);
      return NULL;
    }

  pattern = g_new0 (Pattern, 1);
  for (guint i = 0; i < N_GROUPS; i++)
    any |= pattern->has[i] = g_regex_get_string_number (regex, group_names[i]) >= 0;

  if (!any)
    {
      g_free (pattern);
      invalid (error, _("“log_patterns” item %u, “%s”, has none of the named groups step, total, "
                        "epoch, loss, val_loss and lr: name what it reads, as in (?<loss>[0-9.e+-]+)"),
               index, source);
      return NULL;
    }

  pattern->regex = g_steal_pointer (&regex);
  pattern->source = g_strdup (source);
  return pattern;
}

/**
 * lp_log_parser_new_full:
 * @format: which formats to read
 * @patterns: (nullable) (array zero-terminated=1): the job's own patterns,
 *   tried on each line first
 * @total_steps: the job's total steps, or 0: it tells the training bar
 * @total_epochs: the job's epochs, or 0
 *
 * Returns: (transfer full) (nullable): a parser, or %NULL if a pattern is
 *   not one (too long, does not compile, reads none of the groups); the
 *   error names it and says why
 */
LpLogParser *
lp_log_parser_new_full (LpLogFormat          format,
                        const char * const  *patterns,
                        gint64               total_steps,
                        gint64               total_epochs,
                        GError             **error)
{
  g_autoptr(GPtrArray) compiled = g_ptr_array_new_with_free_func ((GDestroyNotify) pattern_free);
  LpLogParser *self;
  guint n = patterns != NULL ? g_strv_length ((char **) patterns) : 0;

  g_return_val_if_fail ((guint) format < LP_LOG_N_FORMATS, NULL);

  if (n > LP_LOG_MAX_PATTERNS)
    {
      invalid (error, _("“log_patterns” may hold at most %d patterns"), LP_LOG_MAX_PATTERNS);
      return NULL;
    }

  for (guint i = 0; i < n; i++)
    {
      Pattern *pattern = pattern_new (patterns[i], i, error);

      if (pattern == NULL)
        return NULL;
      g_ptr_array_add (compiled, pattern);
    }

  self = g_new0 (LpLogParser, 1);
  self->format = format;
  self->patterns = g_steal_pointer (&compiled);
  self->job_total_steps = MAX (total_steps, 0);
  self->job_epochs = MAX (total_epochs, 0);
  if (total_steps > 0 && total_epochs > 0)
    self->steps_per_epoch = (double) total_steps / total_epochs;
  self->step = -1;
  self->total_steps = -1;
  self->epoch_bar_n = -1;
  self->epoch_bar_total = -1;
  self->last_bar_val = NAN;
  self->eval_bar_step = -1;
  self->scratch = g_string_new (NULL);

  return self;
}

/* Reads every format, knowing only the steps per epoch (for dicts with an
 * epoch and no step): what a reader of unknown jobs gets. */
LpLogParser *
lp_log_parser_new (double steps_per_epoch)
{
  LpLogParser *self = lp_log_parser_new_full (LP_LOG_FORMAT_AUTO, NULL, 0, 0, NULL);

  self->steps_per_epoch = isfinite (steps_per_epoch) && steps_per_epoch > 0 ? steps_per_epoch : 0;
  return self;
}

void
lp_log_parser_free (LpLogParser *self)
{
  if (self == NULL)
    return;

  g_ptr_array_unref (self->patterns);
  g_string_free (self->scratch, TRUE);
  g_free (self->warning);
  g_free (self);
}

gint64
lp_log_parser_get_step (LpLogParser *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->step;
}

gint64
lp_log_parser_get_total_steps (LpLogParser *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->total_steps;
}

/* A reader that resumes in the middle of a log (after a restart) did not
 * see the counters before that point; this puts back what it had. */
void
lp_log_parser_restore (LpLogParser *self,
                       gint64       step,
                       gint64       total_steps)
{
  g_return_if_fail (self != NULL);
  self->step = step >= 0 ? step : -1;
  self->total_steps = total_steps > 0 ? total_steps : -1;
  if (self->job_total_steps > 0 && self->total_steps == self->job_total_steps)
    self->bar_locked = TRUE;
}

/**
 * lp_log_parser_take_warning:
 *
 * Returns: (transfer full) (nullable): what went wrong with the job's
 *   patterns in the last line fed (one was turned off), once
 */
char *
lp_log_parser_take_warning (LpLogParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_steal_pointer (&self->warning);
}

/* Reading */

typedef struct
{
  const char *p;
  const char *end;
} Cursor;

static void
skip_space (Cursor *c)
{
  while (c->p < c->end && g_ascii_isspace (*c->p))
    c->p++;
}

/* A quoted string, either quote, with backslash escapes skipped over. The
 * text between the quotes is returned raw: dict keys need no unescaping. */
static gboolean
read_string (Cursor      *c,
             const char **start,
             gsize       *len)
{
  char quote;
  const char *s;

  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return FALSE;

  quote = *c->p++;
  s = c->p;

  while (c->p < c->end && *c->p != quote)
    {
      if (*c->p == '\\' && c->p + 1 < c->end)
        c->p++;
      c->p++;
    }

  if (c->p >= c->end)
    return FALSE;

  if (start != NULL)
    *start = s;
  if (len != NULL)
    *len = c->p - s;
  c->p++;
  return TRUE;
}

/* Skips a bracketed value, nested brackets and strings included. */
static gboolean
skip_nested (Cursor *c)
{
  int depth = 0;

  while (c->p < c->end)
    {
      char ch = *c->p;

      if (ch == '\'' || ch == '"')
        {
          if (!read_string (c, NULL, NULL))
            return FALSE;
          continue;
        }

      if (ch == '{' || ch == '[' || ch == '(')
        depth++;
      else if (ch == '}' || ch == ']' || ch == ')')
        {
          if (--depth == 0)
            {
              c->p++;
              return TRUE;
            }
          if (depth < 0)
            return FALSE;
        }
      c->p++;
    }

  return FALSE;
}

static gboolean
is_token_char (char ch)
{
  return g_ascii_isalnum (ch) || ch == '.' || ch == '-' || ch == '+' || ch == '_';
}

/* A number as Python prints one: 0.0002, 2e-05, 1200, nan, inf, -inf. */
static gboolean
parse_number (const char *s,
              gsize       len,
              double     *value)
{
  char buf[64];
  char *end = NULL;

  if (len == 0 || len >= sizeof buf)
    return FALSE;

  memcpy (buf, s, len);
  buf[len] = '\0';

  /* strtod would also take hexadecimal, which no Python float repr is. */
  if (strchr (buf, 'x') != NULL || strchr (buf, 'X') != NULL)
    return FALSE;

  *value = g_ascii_strtod (buf, &end);
  return end == buf + len;
}

/* Reads one value. *is_number says whether it was a number (bare, or the
 * first argument of a wrapper like np.float64(…) or tensor(…)); anything
 * else (strings, lists, True, None) is skipped. */
static gboolean
read_value (Cursor   *c,
            gboolean *is_number,
            double   *number)
{
  const char *start = c->p;

  *is_number = FALSE;

  if (c->p >= c->end)
    return FALSE;

  if (*c->p == '\'' || *c->p == '"')
    return read_string (c, NULL, NULL);

  if (*c->p == '{' || *c->p == '[' || *c->p == '(')
    return skip_nested (c);

  while (c->p < c->end && is_token_char (*c->p))
    c->p++;

  if (c->p == start)
    return FALSE;

  if (c->p < c->end && *c->p == '(')
    {
      Cursor inner = { c->p + 1, c->end };
      const char *arg;

      skip_space (&inner);
      arg = inner.p;
      while (inner.p < inner.end && is_token_char (*inner.p))
        inner.p++;
      *is_number = parse_number (arg, inner.p - arg, number);

      return skip_nested (c);
    }

  *is_number = parse_number (start, c->p - start, number);
  return TRUE;
}

static gboolean
key_is (const char *key,
        gsize       len,
        const char *name)
{
  return strlen (name) == len && memcmp (key, name, len) == 0;
}

/* Parses the dict that starts at c->p into @record; FALSE unless the whole
 * dict reads as one and carries a loss or a learning rate. */
static gboolean
parse_dict (Cursor      *c,
            LpLogRecord *record)
{
  LpLogFields present = 0;
  gint64 step = -1;

  g_assert (*c->p == '{');
  c->p++;

  skip_space (c);
  if (c->p < c->end && *c->p == '}')
    return FALSE;

  for (;;)
    {
      const char *key;
      gsize key_len;
      gboolean is_number;
      double value = NAN;

      skip_space (c);
      if (!read_string (c, &key, &key_len))
        return FALSE;
      skip_space (c);
      if (c->p >= c->end || *c->p != ':')
        return FALSE;
      c->p++;
      skip_space (c);
      if (!read_value (c, &is_number, &value))
        return FALSE;

      if (is_number)
        {
          if (key_is (key, key_len, "loss"))
            {
              record->loss = value;
              present |= LP_LOG_HAS_LOSS;
            }
          else if (key_is (key, key_len, "eval_loss"))
            {
              record->eval_loss = value;
              present |= LP_LOG_HAS_EVAL_LOSS;
            }
          else if (key_is (key, key_len, "learning_rate"))
            {
              record->learning_rate = value;
              present |= LP_LOG_HAS_LEARNING_RATE;
            }
          else if (key_is (key, key_len, "epoch") && isfinite (value) && value >= 0)
            {
              record->epoch = value;
              present |= LP_LOG_HAS_EPOCH;
            }
          else if ((key_is (key, key_len, "step") || key_is (key, key_len, "global_step")) &&
                   isfinite (value) && value >= 0 && value < (double) G_MAXINT32 * 1024 &&
                   value == floor (value))
            {
              step = (gint64) value;
            }
        }

      skip_space (c);
      if (c->p >= c->end)
        return FALSE;
      if (*c->p == '}')
        break;
      if (*c->p != ',')
        return FALSE;
      c->p++;
      /* Python never writes a trailing comma, but JSON-ish loggers might. */
      skip_space (c);
      if (c->p < c->end && *c->p == '}')
        break;
    }

  if (!(present & (LP_LOG_HAS_LOSS | LP_LOG_HAS_EVAL_LOSS | LP_LOG_HAS_LEARNING_RATE)))
    return FALSE;

  record->present = present;
  if (step >= 0)
    {
      record->step = step;
      record->present |= LP_LOG_HAS_STEP;
    }
  return TRUE;
}

/* Finds the start of a dict in the line: a brace followed by a quote. */
static const char *
find_dict (const char *line,
           gsize       len)
{
  const char *end = line + len;

  for (const char *p = memchr (line, '{', len); p != NULL; p = memchr (p + 1, '{', end - p - 1))
    {
      const char *q = p + 1;

      while (q < end && *q == ' ')
        q++;
      if (q < end && (*q == '\'' || *q == '"'))
        return p;
      if (p + 1 >= end)
        break;
    }

  return NULL;
}

static gboolean
read_count (Cursor *c,
            gint64 *value)
{
  const char *start = c->p;
  gint64 v = 0;

  while (c->p < c->end && g_ascii_isdigit (*c->p))
    {
      if (c->p - start >= 15)
        return FALSE;
      v = v * 10 + (*c->p - '0');
      c->p++;
    }

  *value = v;
  return c->p > start;
}

/* Matches @text, ASCII case aside, and moves past it. */
static gboolean
lit (Cursor     *c,
     const char *text)
{
  gsize n = strlen (text);

  if ((gsize) (c->end - c->p) < n || g_ascii_strncasecmp (c->p, text, n) != 0)
    return FALSE;
  c->p += n;
  return TRUE;
}

/* A number ending where the token does ("2.345," "1.0e-04 "): "12ms" is
 * not one. */
static gboolean
read_number (Cursor *c,
             double *value)
{
  const char *start = c->p;

  while (c->p < c->end && (g_ascii_isalnum (*c->p) || *c->p == '.' || *c->p == '-' || *c->p == '+'))
    c->p++;

  /* A sentence's full stop is not part of the number. */
  if (c->p - start > 1 && c->p[-1] == '.')
    c->p--;

  if (parse_number (start, c->p - start, value))
    return TRUE;
  c->p = start;
  return FALSE;
}

static gboolean
lower_contains (const char *haystack,
                gsize       len,
                const char *needle)
{
  gsize n = strlen (needle);

  if (n > len)
    return FALSE;
  for (gsize i = 0; i + n <= len; i++)
    if (g_ascii_strncasecmp (haystack + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/* Whether one of the words (letters, digits, '_') of @text is in @words. */
static gboolean
has_word (const char         *text,
          gsize               len,
          const char * const *words)
{
  gsize i = 0;

  while (i < len)
    {
      gsize start;

      while (i < len && !(g_ascii_isalnum (text[i]) || text[i] == '_'))
        i++;
      start = i;
      while (i < len && (g_ascii_isalnum (text[i]) || text[i] == '_'))
        i++;
      for (guint w = 0; i > start && words[w] != NULL; w++)
        if (strlen (words[w]) == i - start && g_ascii_strncasecmp (text + start, words[w], i - start) == 0)
          return TRUE;
    }

  return FALSE;
}

static void
clear_record (LpLogRecord *record)
{
  memset (record, 0, sizeof *record);
  record->kind = LP_LOG_NOTHING;
  record->step = -1;
  record->total_steps = -1;
  record->epoch = record->loss = record->eval_loss = record->learning_rate = NAN;
  record->hint = LP_LOG_HINT_NONE;
}

static void
set_loss (LpLogRecord *r,
          double       value)
{
  r->loss = value;
  r->present |= LP_LOG_HAS_LOSS;
}

static void
set_eval_loss (LpLogRecord *r,
               double       value)
{
  r->eval_loss = value;
  r->present |= LP_LOG_HAS_EVAL_LOSS;
}

static void
set_lr (LpLogRecord *r,
        double       value)
{
  r->learning_rate = value;
  r->present |= LP_LOG_HAS_LEARNING_RATE;
}

static void
set_epoch (LpLogRecord *r,
           double       value)
{
  if (isfinite (value) && value >= 0)
    {
      r->epoch = value;
      r->present |= LP_LOG_HAS_EPOCH;
    }
}

/* How far into the run a 1-based epoch number and a step are, in epochs,
 * as Hugging Face counts them (0.5: halfway through the first). */
static double
epoch_at (LpLogParser *self,
          gint64       epoch1,
          gint64       step)
{
  double fraction = 0.5;

  if (self->steps_per_epoch > 0 && step >= 0)
    {
      double x = step / self->steps_per_epoch - (epoch1 - 1);

      if (x > 0 && x <= 1)
        fraction = x;
    }

  return (epoch1 - 1) + fraction;
}

/* Metrics at @step, or, when that is unknown (-1), at the training step. */
static LpLogKind
metrics_at (LpLogParser *self,
            gint64       step,
            LpLogRecord *record)
{
  if (!(record->present & (LP_LOG_HAS_LOSS | LP_LOG_HAS_EVAL_LOSS | LP_LOG_HAS_LEARNING_RATE)))
    return LP_LOG_NOTHING;

  if (step < 0)
    step = self->step;
  if (step < 0 && self->steps_per_epoch > 0 && (record->present & LP_LOG_HAS_EPOCH) &&
      record->epoch * self->steps_per_epoch < (double) G_MAXINT32 * 1024)
    step = (gint64) llround (record->epoch * self->steps_per_epoch);

  if (step >= 0)
    {
      record->step = step;
      record->present |= LP_LOG_HAS_STEP;
    }
  if (self->total_steps > 0 && !(record->present & LP_LOG_HAS_TOTAL_STEPS))
    {
      record->total_steps = self->total_steps;
      record->present |= LP_LOG_HAS_TOTAL_STEPS;
    }

  record->kind = LP_LOG_METRICS;
  return LP_LOG_METRICS;
}

/* A step the output says training reached; it moves the counter. */
static void
training_step (LpLogParser *self,
               gint64       step,
               gint64       total,
               LpLogRecord *record)
{
  self->step = step;
  if (total > 0)
    self->total_steps = total;

  record->step = step;
  record->present |= LP_LOG_HAS_STEP;
  if (self->total_steps > 0)
    {
      record->total_steps = self->total_steps;
      record->present |= LP_LOG_HAS_TOTAL_STEPS;
    }
}

/* A line that says no epoch is in the epoch its step is, as far as the
 * job's own steps per epoch tell. */
static void
epoch_from_step (LpLogParser *self,
                 LpLogRecord *record)
{
  if (!(record->present & LP_LOG_HAS_EPOCH) && (record->present & LP_LOG_HAS_STEP) &&
      self->steps_per_epoch > 0)
    set_epoch (record, record->step / self->steps_per_epoch);
}

static LpLogKind
progress_or_metrics (LpLogParser *self,
                     LpLogRecord *record)
{
  record->kind = (record->present & (LP_LOG_HAS_LOSS | LP_LOG_HAS_EVAL_LOSS | LP_LOG_HAS_LEARNING_RATE))
                 ? LP_LOG_METRICS : LP_LOG_PROGRESS;
  if (record->kind == LP_LOG_METRICS)
    epoch_from_step (self, record);
  return record->kind;
}

/* tqdm bars */

typedef struct
{
  const char *desc;       /* without its ": " */
  gsize       desc_len;
  gint64      n;
  gint64      total;
  gboolean    bytes;      /* a download: its rate is in B/s */
  const char *postfix;
  gsize       postfix_len;
} Bar;

/* "{desc}: {percentage:3.0f}%|{bar}| {n}/{total} [{elapsed}<{remaining},
 * {rate}{postfix}]", tqdm/std.py's format_meter(); FALSE unless @line is a
 * bar with a total. */
static gboolean
parse_bar (const char *line,
           gsize       len,
           Bar        *bar)
{
  const char *end = line + len;
  const char *mark = NULL, *digits, *close;
  Cursor c;
  gint64 percent;

  /* The percentage is the digits before the first "%|" that has some. */
  for (const char *p = line; p + 1 < end; p++)
    if (p[0] == '%' && p[1] == '|' && p > line && g_ascii_isdigit (p[-1]))
      {
        mark = p;
        break;
      }
  if (mark == NULL)
    return FALSE;

  digits = mark;
  while (digits > line && g_ascii_isdigit (digits[-1]))
    digits--;
  if (mark - digits > 3)
    return FALSE;
  c.p = digits;
  c.end = mark;
  if (!read_count (&c, &percent) || percent > 100)
    return FALSE;

  /* The description, and the ": " tqdm put after it. */
  bar->desc = line;
  bar->desc_len = digits - line;
  while (bar->desc_len > 0 && line[bar->desc_len - 1] == ' ')
    bar->desc_len--;
  if (bar->desc_len > 0 && line[bar->desc_len - 1] == ':')
    bar->desc_len--;
  while (bar->desc_len > 0 && g_ascii_isspace (*bar->desc))
    {
      bar->desc++;
      bar->desc_len--;
    }
  /* tqdm pads the percentage and puts ": " after a description: digits
   * glued to other text ("x42%|") are not a bar's. */
  if (digits > line && digits[-1] != ' ')
    return FALSE;

  /* The bar itself: block characters and spaces up to the closing bar. */
  c.p = mark + 2;
  c.end = end;
  while (c.p < c.end && *c.p != '|')
    c.p++;
  if (c.p >= c.end)
    return FALSE;
  c.p++;

  skip_space (&c);
  if (!read_count (&c, &bar->n) || c.p >= c.end || *c.p != '/')
    return FALSE;
  c.p++;
  if (!read_count (&c, &bar->total) || bar->total <= 0 || bar->n > bar->total)
    return FALSE;

  bar->bytes = FALSE;
  bar->postfix = NULL;
  bar->postfix_len = 0;

  /* Then the timing in brackets, or the end of a bar drawn narrow. */
  skip_space (&c);
  if (c.p >= c.end)
    return TRUE;
  if (*c.p != '[')
    return FALSE;

  close = end;
  while (close > c.p && *(close - 1) != ']')
    close--;
  if (close == c.p)
    return TRUE;
  close--;

  /* "[00:07<00:10, 8.50it/s, avr_loss=2.54]": elapsed, rate, postfix. */
  {
    const char *inside = c.p + 1;
    const char *comma = memchr (inside, ',', close - inside);
    const char *rate_end;

    if (comma == NULL)
      return TRUE;
    rate_end = memchr (comma + 1, ',', close - comma - 1);
    if (rate_end == NULL)
      rate_end = close;
    for (const char *p = comma + 1; p + 3 <= rate_end; p++)
      if (p[0] == 'B' && p[1] == '/' && p[2] == 's')
        bar->bytes = TRUE;
    if (rate_end < close)
      {
        bar->postfix = rate_end + 1;
        bar->postfix_len = close - bar->postfix;
      }
  }

  return TRUE;
}

typedef enum {
  KEY_OTHER,
  KEY_LOSS,
  KEY_EVAL_LOSS,
  KEY_LR,
  KEY_EPOCH,
} KeyKind;

/* The names trainers give their numbers in a postfix, in the order a
 * loss is preferred when there are several ("loss" over OneTrainer's
 * "smooth loss", Lightning's per-step value over its epoch mean). */
static const char * const loss_keys[] = {
  "loss", "train_loss", "train_loss_step", "training_loss", "step_loss", "avr_loss", "avg_loss",
  "average_loss", "loss_avg", "running_loss", "current_loss", "mean_loss", "smooth_loss", NULL,
};
static const char * const eval_keys[] = {
  "val_loss", "eval_loss", "valid_loss", "validation_loss", "val_loss_epoch", "val_avg_loss",
  "eval_avg_loss", NULL,
};
static const char * const lr_keys[] = {
  "lr", "learning_rate", "lr_0", NULL,
};

static KeyKind
classify_key (const char *key,
              gsize       len,
              guint      *rank)
{
  char name[40];
  const char * const *lists[] = { loss_keys, eval_keys, lr_keys };
  const KeyKind kinds[] = { KEY_LOSS, KEY_EVAL_LOSS, KEY_LR };

  if (len == 0 || len >= sizeof name)
    return KEY_OTHER;

  /* "smooth loss", "loss/train": one spelling for all. */
  for (gsize i = 0; i < len; i++)
    name[i] = (key[i] == ' ' || key[i] == '-' || key[i] == '/') ? '_' : g_ascii_tolower (key[i]);
  name[len] = '\0';

  if (g_str_equal (name, "epoch"))
    return KEY_EPOCH;

  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    for (guint i = 0; lists[l][i] != NULL; i++)
      if (g_str_equal (name, lists[l][i]))
        {
          *rank = i;
          return kinds[l];
        }

  return KEY_OTHER;
}

/* "k=v, k=v" (set_postfix(), values through format_num()) or "k: v k: v"
 * (set_postfix_str(), ai-toolkit's). A value may be a wrapper like
 * tensor(2.5, device='cuda:0'), whose first argument is the number. */
static void
parse_postfix (const char  *text,
               gsize        len,
               LpLogRecord *record)
{
  Cursor c = { text, text + len };
  guint best_loss = G_MAXUINT, best_eval = G_MAXUINT, best_lr = G_MAXUINT;

  while (c.p < c.end)
    {
      const char *key, *key_end;
      gboolean is_number = FALSE;
      double value = NAN;
      guint rank = 0;
      char sep;

      while (c.p < c.end && (*c.p == ' ' || *c.p == ','))
        c.p++;
      key = c.p;
      while (c.p < c.end && *c.p != '=' && *c.p != ':' && *c.p != ',')
        c.p++;
      if (c.p >= c.end)
        break;
      if (*c.p == ',')
        continue;

      sep = *c.p;
      key_end = c.p;
      while (key_end > key && key_end[-1] == ' ')
        key_end--;
      /* "lr: 1.0e-04 loss: 4.5e-01": a key is the last word before ':'. */
      if (sep == ':')
        for (const char *k = key_end; k > key; k--)
          if (k[-1] == ' ')
            {
              key = k;
              break;
            }
      c.p++;
      skip_space (&c);

      if (sep == ':')
        {
          const char *start = c.p;

          while (c.p < c.end && *c.p != ' ' && *c.p != ',')
            c.p++;
          is_number = parse_number (start, c.p - start, &value);
        }
      else
        {
          Cursor item = c;
          const char *comma;

          if (read_value (&item, &is_number, &value) &&
              (item.p >= item.end || *item.p == ',' || *item.p == ' '))
            c.p = item.p;
          else
            is_number = FALSE;
          /* Whatever else the value holds, up to the next item. */
          comma = memchr (c.p, ',', c.end - c.p);
          c.p = comma != NULL ? comma : c.end;
        }

      if (!is_number)
        continue;

      switch (classify_key (key, key_end - key, &rank))
        {
        case KEY_LOSS:
          if (rank < best_loss)
            {
              best_loss = rank;
              set_loss (record, value);
            }
          break;
        case KEY_EVAL_LOSS:
          if (rank < best_eval)
            {
              best_eval = rank;
              set_eval_loss (record, value);
            }
          break;
        case KEY_LR:
          if (rank < best_lr)
            {
              best_lr = rank;
              set_lr (record, value);
            }
          break;
        case KEY_EPOCH:
          set_epoch (record, value);
          break;
        case KEY_OTHER:
        default:
          break;
        }
    }
}

/* What a bar's description says it counts. */
typedef enum {
  BAR_CANDIDATE,   /* maybe the training bar: none, "steps", a job's name */
  BAR_LIGHTNING,   /* "Epoch 3": the batches of that epoch */
  BAR_TORCHTUNE,   /* "1|150|Loss: 2.33": its epoch, global step and loss */
  BAR_EPOCHS,      /* OneTrainer's "epoch": the epochs done */
  BAR_EVAL,
  BAR_DATA,
  BAR_LOADING,
} BarKind;

static const char * const eval_words[] = {
  "validation", "validating", "validate", "val", "valid", "eval", "evaluating", "evaluation",
  "evaluate", "sanity", "testing", "test", "predicting", "prediction", "predict", "sampling",
  "sample", "samples", "inference", NULL,
};
static const char * const data_words[] = {
  "map", "filter", "tokenizing", "tokenize", "tokenization", "tokenizer", "generating", "generate",
  "preprocessing", "preprocess", "caching", "cache", "computing", "packing", "shuffling",
  "grouping", "converting", "extracting", "resolving", "dataset", "datasets", "data", "prepare",
  "preparing", "processing", "creating", "applying", "images", "latents", "split", NULL,
};
static const char * const loading_words[] = {
  "loading", "load", "checkpoint", "shards", "weights", "model", "pipeline", "fetching",
  "downloading", NULL,
};

static BarKind
classify_bar (const Bar *bar,
              gint64    *a,
              gint64    *b,
              double    *loss)
{
  Cursor c = { bar->desc, bar->desc + bar->desc_len };

  if (bar->desc_len == 0)
    return BAR_CANDIDATE;

  /* torchtune: "{curr_epoch + 1}|{self.global_step}|Loss: {loss_to_log}" */
  if (read_count (&c, a) && lit (&c, "|") && read_count (&c, b) && lit (&c, "|Loss: ") &&
      read_number (&c, loss) && c.p == c.end)
    return BAR_TORCHTUNE;

  /* Lightning: f"Epoch {trainer.current_epoch}" */
  c.p = bar->desc;
  if (lit (&c, "Epoch ") && read_count (&c, a) && c.p == c.end)
    return BAR_LIGHTNING;

  if (bar->desc_len == 5 && g_ascii_strncasecmp (bar->desc, "epoch", 5) == 0)
    return BAR_EPOCHS;

  if (has_word (bar->desc, bar->desc_len, data_words))
    return BAR_DATA;
  if (bar->bytes || has_word (bar->desc, bar->desc_len, loading_words))
    return BAR_LOADING;
  if (has_word (bar->desc, bar->desc_len, eval_words))
    return BAR_EVAL;

  return BAR_CANDIDATE;
}

static gboolean
bars_read (LpLogParser *self)
{
  return format_reads (self, LP_LOG_FORMAT_HUGGINGFACE) || format_reads (self, LP_LOG_FORMAT_TQDM) ||
         format_reads (self, LP_LOG_FORMAT_LIGHTNING) || format_reads (self, LP_LOG_FORMAT_TORCHTUNE);
}

/* An eval loss a bar's postfix shows again and again counts once. */
static void
drop_repeated_eval (LpLogParser *self,
                    LpLogRecord *record)
{
  if (!(record->present & LP_LOG_HAS_EVAL_LOSS))
    return;

  if (record->eval_loss == self->last_bar_val ||
      (isnan (record->eval_loss) && isnan (self->last_bar_val)))
    {
      record->present &= ~LP_LOG_HAS_EVAL_LOSS;
      record->eval_loss = NAN;
      return;
    }

  self->last_bar_val = record->eval_loss;
}

static LpLogKind
handle_bar (LpLogParser *self,
            const Bar   *bar,
            LpLogRecord *record)
{
  gint64 a = 0, b = 0, step, total;
  double loss = NAN;
  BarKind kind = classify_bar (bar, &a, &b, &loss);

  record->bar = TRUE;

  /* A bar of the job's total is the job's, whatever its name says (an
   * ai-toolkit job may well be called "test"). */
  if (kind == BAR_EVAL && self->job_total_steps > 0 && bar->total == self->job_total_steps)
    kind = BAR_CANDIDATE;

  switch (kind)
    {
    case BAR_DATA:
      record->hint = LP_LOG_HINT_PREPROCESSING;
      return LP_LOG_NOTHING;

    case BAR_LOADING:
      record->hint = LP_LOG_HINT_MODEL_LOADING;
      return LP_LOG_NOTHING;

    case BAR_EPOCHS:
      self->epoch_bar_n = bar->n;
      self->epoch_bar_total = bar->total;
      return LP_LOG_NOTHING;

    case BAR_EVAL:
      /* kohya-ss's "validation steps" bar ends on its average loss. Like
       * its training bar it may be drawn twice at its end, by update(1)
       * with the average before the last batch and by set_postfix() with
       * the last: each drawing counts, at the same step, so the last one
       * stays. close() draws the same end once more: that one does not. */
      if (bar->postfix != NULL && bar->n == bar->total && self->step >= 0)
        {
          LpLogRecord parsed = *record;

          parse_postfix (bar->postfix, bar->postfix_len, &parsed);
          parsed.present &= LP_LOG_HAS_EVAL_LOSS;
          if (parsed.present &&
              !(self->step == self->eval_bar_step && parsed.eval_loss == self->eval_bar_value))
            {
              *record = parsed;
              self->eval_bar_step = self->step;
              self->eval_bar_value = parsed.eval_loss;
              return metrics_at (self, self->step, record);
            }
        }
      return LP_LOG_NOTHING;

    case BAR_TORCHTUNE:
      if (!format_reads (self, LP_LOG_FORMAT_TORCHTUNE))
        return LP_LOG_NOTHING;
      total = self->job_epochs > 0 ? bar->total * self->job_epochs : -1;
      training_step (self, b, total, record);
      set_epoch (record, (a - 1) + (double) bar->n / bar->total);
      set_loss (record, loss);
      return progress_or_metrics (self, record);

    case BAR_LIGHTNING:
      if (!format_reads (self, LP_LOG_FORMAT_LIGHTNING))
        return LP_LOG_NOTHING;
      step = a * bar->total + bar->n;
      /* Lightning redraws the last epoch's bar at 0 when the next begins. */
      if (step < self->step)
        return LP_LOG_NOTHING;
      total = self->job_epochs > 0 ? bar->total * self->job_epochs : -1;
      training_step (self, step, total, record);
      set_epoch (record, a + (double) bar->n / bar->total);
      break;

    case BAR_CANDIDATE:
    default:
      if (!format_reads (self, LP_LOG_FORMAT_HUGGINGFACE) && !format_reads (self, LP_LOG_FORMAT_TQDM))
        return LP_LOG_NOTHING;

      step = bar->n;
      total = bar->total;
      /* OneTrainer's "step" bar counts the steps of the epoch its "epoch"
       * bar is in. */
      if (self->epoch_bar_total > 0 && bar->desc_len > 0)
        {
          step = self->epoch_bar_n * bar->total + bar->n;
          total = self->epoch_bar_total * bar->total;
        }

      if (self->job_total_steps > 0 && total == self->job_total_steps)
        self->bar_locked = TRUE;
      else if (self->bar_locked || (self->total_steps > 0 && total < self->total_steps))
        return LP_LOG_NOTHING;   /* an evaluation's, or some other bar */

      training_step (self, step, total, record);
      break;
    }

  if (bar->postfix != NULL)
    {
      parse_postfix (bar->postfix, bar->postfix_len, record);
      drop_repeated_eval (self, record);
    }

  return progress_or_metrics (self, record);
}

/* Lines */

/* nanoGPT, litgpt and MLX-LM lines that start with "iter"/"Iter". */
static LpLogKind
parse_iter (LpLogParser *self,
            Cursor      *c,
            LpLogRecord *record)
{
  gint64 iter = 0, step = -1;
  double value, lr;

  if (!lit (c, "iter ") || !read_count (c, &iter))
    return LP_LOG_NOTHING;
  /* Older lit-gpt: "iter 100 step 25: loss 2.3456, iter time: …" */
  if (lit (c, " step ") && !read_count (c, &step))
    return LP_LOG_NOTHING;
  if (!lit (c, ": "))
    return LP_LOG_NOTHING;

  /* nanoGPT train.py: f"iter {iter_num}: loss {lossf:.4f}, time {dt*1000:.2f}ms, mfu …" */
  if (format_reads (self, LP_LOG_FORMAT_NANOGPT) || format_reads (self, LP_LOG_FORMAT_LITGPT))
    if (lit (c, "loss ") && read_number (c, &value))
      {
        set_loss (record, value);
        training_step (self, step >= 0 ? step : iter, -1, record);
        return progress_or_metrics (self, record);
      }

  /* MLX-LM: f"Iter {it}: Train loss {train_loss:.3f}, Learning Rate {learning_rate:.3e}, …" */
  if (format_reads (self, LP_LOG_FORMAT_MLX) && lit (c, "Train loss ") && read_number (c, &value))
    {
      set_loss (record, value);
      if (lit (c, ", Learning Rate ") && read_number (c, &lr))
        set_lr (record, lr);
      training_step (self, iter, -1, record);
      return progress_or_metrics (self, record);
    }

  /* MLX-LM f"Iter {it}: Val loss {val_loss:.3f}, Val took …"; litgpt
   * f"iter {iter_num}: val loss {…:.4f}, val time: …", at its step. */
  if ((format_reads (self, LP_LOG_FORMAT_MLX) || format_reads (self, LP_LOG_FORMAT_LITGPT)) &&
      lit (c, "val loss ") && read_number (c, &value))
    {
      set_eval_loss (record, value);
      return metrics_at (self, self->litgpt && self->step >= 0 ? self->step : iter, record);
    }

  return LP_LOG_NOTHING;
}

static LpLogKind
parse_line_formats (LpLogParser *self,
                    const char  *line,
                    gsize        len,
                    LpLogRecord *record)
{
  Cursor c = { line, line + len };
  gint64 a, b, step;
  double value;

  skip_space (&c);

  if (c.end - c.p >= 5 && g_ascii_strncasecmp (c.p, "iter ", 5) == 0 &&
      parse_iter (self, &c, record) != LP_LOG_NOTHING)
    return record->kind;

  /* nanoGPT train.py: f"step {iter_num}: train loss {…:.4f}, val loss {…:.4f}" */
  if (format_reads (self, LP_LOG_FORMAT_NANOGPT) && lit (&c, "step ") && read_count (&c, &step) &&
      lit (&c, ": train loss ") && read_number (&c, &value) && lit (&c, ", val loss ") &&
      read_number (&c, &value))
    {
      set_eval_loss (record, value);
      return metrics_at (self, step, record);
    }

  /* litgpt: f"Epoch {epoch + 1} | iter {iter} step {step} | loss train: {loss:.3f}, val: …" */
  c.p = line;
  skip_space (&c);
  if (format_reads (self, LP_LOG_FORMAT_LITGPT) && lit (&c, "Epoch ") && read_count (&c, &a) &&
      lit (&c, " | iter ") && read_count (&c, &b) && lit (&c, " step ") && read_count (&c, &step) &&
      lit (&c, " | loss train: ") && read_number (&c, &value))
    {
      self->litgpt = TRUE;
      set_loss (record, value);
      set_epoch (record, epoch_at (self, MAX (a, 1), step));
      training_step (self, step, -1, record);
      return progress_or_metrics (self, record);
    }

  /* litgpt: f"Final evaluation | val loss: {val_loss.item():.3f} | val ppl: …" */
  c.p = line;
  skip_space (&c);
  if (format_reads (self, LP_LOG_FORMAT_LITGPT) && lit (&c, "Final evaluation | val loss: ") &&
      read_number (&c, &value))
    {
      set_eval_loss (record, value);
      return metrics_at (self, -1, record);
    }

  /* torchtune StdoutLogger.log_dict(): f"Step {step} | " then f"{name}:{data} " each */
  c.p = line;
  skip_space (&c);
  if (format_reads (self, LP_LOG_FORMAT_TORCHTUNE) && lit (&c, "Step ") && read_count (&c, &step) &&
      lit (&c, " | "))
    {
      while (c.p < c.end)
        {
          const char *key = c.p;
          gsize key_len;

          while (c.p < c.end && *c.p != ':' && *c.p != ' ')
            c.p++;
          if (c.p >= c.end || *c.p != ':')
            break;
          key_len = c.p - key;
          c.p++;
          if (read_number (&c, &value))
            {
              if (key_len == 4 && memcmp (key, "loss", 4) == 0)
                set_loss (record, value);
              else if (key_len == 2 && memcmp (key, "lr", 2) == 0)
                set_lr (record, value);
            }
          while (c.p < c.end && *c.p != ' ')
            c.p++;
          skip_space (&c);
        }

      if (record->present & (LP_LOG_HAS_LOSS | LP_LOG_HAS_LEARNING_RATE))
        {
          training_step (self, step, -1, record);
          return progress_or_metrics (self, record);
        }
      return LP_LOG_NOTHING;
    }

  /* MLX-LM's TrainUI table (mlx_lm/cli_ui.py): its header, then rows
   * f"  {it:>4}    {train_loss:>5.3f} {arrow}    …" and f"  {it:>4}    val {val_loss:>5.3f} …". */
  if (format_reads (self, LP_LOG_FORMAT_MLX))
    {
      if (lower_contains (line, MIN (len, 200), "iter") && lower_contains (line, MIN (len, 200), "train_loss") &&
          lower_contains (line, MIN (len, 200), "tok/s"))
        {
          self->mlx_table = TRUE;
          return LP_LOG_NOTHING;
        }

      c.p = line;
      skip_space (&c);
      if (self->mlx_table && read_count (&c, &step) && c.p < c.end && *c.p == ' ')
        {
          skip_space (&c);
          if (lit (&c, "val ") && (skip_space (&c), read_number (&c, &value)))
            {
              set_eval_loss (record, value);
              return metrics_at (self, step, record);
            }
          if (read_number (&c, &value) && lit (&c, " ") &&
              (lit (&c, "\xe2\x96\xbc") || lit (&c, "\xe2\x96\xb2")))   /* ▼ ▲ */
            {
              set_loss (record, value);
              training_step (self, step, -1, record);
              return progress_or_metrics (self, record);
            }
        }
    }

  return LP_LOG_NOTHING;
}

/* What a line that is not a bar says about the work before training. */
static LpLogHint
text_hint (const char *line,
           gsize       len)
{
  static const char * const data[] = {
    "loading dataset", "loading data", "load dataset", "tokeniz", "preprocess", "caching latents",
    "loading image sizes", "generating train split", "preparing dataset", "prepare dataset",
    NULL,
  };
  static const char * const loading[] = {
    "loading checkpoint shards", "loading checkpoint", "load checkpoint", "loading model",
    "load model", "loading the model", "loading base model", "loading pretrained", "load pretrained",
    "loading weights", "loading pipeline", "load stablediffusion checkpoint", "load diffusers pretrained",
    "loading u-net", "loading vae", "loading text encoder", "initializing from", "initializing a new model",
    NULL,
  };

  len = MIN (len, HINT_SCAN);
  for (guint i = 0; data[i] != NULL; i++)
    if (lower_contains (line, len, data[i]))
      return LP_LOG_HINT_PREPROCESSING;
  for (guint i = 0; loading[i] != NULL; i++)
    if (lower_contains (line, len, loading[i]))
      return LP_LOG_HINT_MODEL_LOADING;

  return LP_LOG_HINT_NONE;
}

/* The job's patterns */

static gboolean
group_number (GMatchInfo *info,
              const char *line,
              const char *name,
              double     *value)
{
  int start = -1, end = -1;

  if (!g_match_info_fetch_named_pos (info, name, &start, &end) || start < 0 || end <= start)
    return FALSE;

  {
    Cursor c = { line + start, line + end };
    const char *token;

    skip_space (&c);
    token = c.p;
    while (c.end > c.p && g_ascii_isspace (c.end[-1]))
      c.end--;
    return parse_number (token, c.end - token, value);
  }
}

static void
turn_off (LpLogParser *self,
          Pattern     *pattern,
          const char  *why)
{
  pattern->off = TRUE;
  g_free (self->warning);
  self->warning = g_strdup_printf (_("The log pattern “%s” was turned off: %s"), pattern->source, why);
}

static LpLogKind
match_patterns (LpLogParser *self,
                const char  *line,
                gsize        len,
                LpLogRecord *record)
{
  len = MIN (len, PATTERN_MAX_LINE);

  for (guint i = 0; i < self->patterns->len; i++)
    {
      Pattern *pattern = g_ptr_array_index (self->patterns, i);
      g_autoptr(GMatchInfo) info = NULL;
      g_autoptr(GError) error = NULL;
      gint64 started, spent;
      gboolean matched;
      double values[N_GROUPS];
      gboolean got[N_GROUPS] = { FALSE };

      if (pattern->off)
        continue;

      started = g_get_monotonic_time ();
      matched = g_regex_match_full (pattern->regex, line, len, 0, 0, &info, &error);
      spent = g_get_monotonic_time () - started;
      pattern->spent_us += spent;
      pattern->uses++;

      if (error != NULL)
        {
          /* PCRE2's match limit: the pattern backtracks without end. */
          turn_off (self, pattern, error->message);
          continue;
        }
      if (pattern->spent_us > PATTERN_BUDGET_US &&
          pattern->spent_us / (gint64) pattern->uses > PATTERN_SLOW_US)
        turn_off (self, pattern, _("it takes too long to match"));

      if (!matched)
        continue;

      for (guint g = 0; g < N_GROUPS; g++)
        if (pattern->has[g])
          got[g] = group_number (info, line, group_names[g], &values[g]);

      if (got[GROUP_LOSS])
        set_loss (record, values[GROUP_LOSS]);
      if (got[GROUP_VAL_LOSS])
        set_eval_loss (record, values[GROUP_VAL_LOSS]);
      if (got[GROUP_LR])
        set_lr (record, values[GROUP_LR]);
      if (got[GROUP_EPOCH])
        set_epoch (record, values[GROUP_EPOCH]);

      if (got[GROUP_STEP] && isfinite (values[GROUP_STEP]) && values[GROUP_STEP] >= 0 &&
          values[GROUP_STEP] < (double) G_MAXINT32 * 1024)
        {
          gint64 total = got[GROUP_TOTAL] && isfinite (values[GROUP_TOTAL]) && values[GROUP_TOTAL] >= 1 &&
                         values[GROUP_TOTAL] < (double) G_MAXINT32 * 1024
                         ? (gint64) values[GROUP_TOTAL] : -1;

          training_step (self, (gint64) values[GROUP_STEP], total, record);
          return progress_or_metrics (self, record);
        }

      if (metrics_at (self, -1, record) == LP_LOG_METRICS)
        return LP_LOG_METRICS;

      /* Matched, but nothing it read was a number: the next pattern may. */
      clear_record (record);
    }

  return LP_LOG_NOTHING;
}

/* The step of a dict without one. The Trainer's bar is redrawn at most
 * ten times a second (tqdm's mininterval), so the counter last drawn may
 * lag the step the dict was logged at; the dict's epoch, rounded to two
 * decimals, tells that step to within 0.005 epochs. An epoch a little
 * ahead of the counter is the better guess; one far from it means the
 * job's steps per epoch are not the script's, and the counter wins. */
static gint64
dict_step (LpLogParser *self,
           LpLogRecord *record)
{
  double from_epoch, slack;

  if (self->steps_per_epoch <= 0 || !(record->present & LP_LOG_HAS_EPOCH) ||
      record->epoch * self->steps_per_epoch >= (double) G_MAXINT32 * 1024)
    return self->step;

  from_epoch = llround (record->epoch * self->steps_per_epoch);
  if (self->step < 0)
    return (gint64) from_epoch;

  slack = MAX (10.0, self->steps_per_epoch * 0.01 + 1);
  if (from_epoch > self->step && from_epoch <= self->step + slack)
    return (gint64) from_epoch;
  return self->step;
}

/* Terminal escapes (colours, tqdm's cursor moves between nested bars)
 * are not part of what a line says. */
static const char *
strip_escapes (LpLogParser *self,
               const char  *line,
               gsize       *len)
{
  const char *end = line + *len;

  if (memchr (line, '\x1b', *len) == NULL)
    return line;

  g_string_truncate (self->scratch, 0);
  for (const char *p = line; p < end; p++)
    {
      if (*p != '\x1b')
        {
          g_string_append_c (self->scratch, *p);
          continue;
        }
      /* CSI: ESC [ parameters final byte */
      if (p + 1 < end && p[1] == '[')
        {
          p += 2;
          while (p < end && !(*p >= 0x40 && *p <= 0x7e))
            p++;
        }
    }

  *len = self->scratch->len;
  return self->scratch->str;
}

/**
 * lp_log_parser_feed:
 * @line: one line of output, without its end (a trailing \r or \n is
 *   ignored); need not be UTF-8
 * @length: its length in bytes, or -1 if it is nul-terminated
 * @record: (out): what the line said
 *
 * Returns: the kind of line. With %LP_LOG_NOTHING, @record has no fields,
 *   but may still have a hint, or say the line is a bar.
 */
LpLogKind
lp_log_parser_feed (LpLogParser *self,
                    const char  *line,
                    gssize       length,
                    LpLogRecord *record)
{
  gsize len;
  const char *dict;
  LpLogKind kind;
  Bar bar;

  g_return_val_if_fail (self != NULL, LP_LOG_NOTHING);
  g_return_val_if_fail (line != NULL, LP_LOG_NOTHING);
  g_return_val_if_fail (record != NULL, LP_LOG_NOTHING);

  clear_record (record);

  len = length < 0 ? strlen (line) : (gsize) length;
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    len--;
  if (len == 0 || len > MAX_LINE)
    return LP_LOG_NOTHING;

  line = strip_escapes (self, line, &len);

  if (self->patterns->len > 0 && (kind = match_patterns (self, line, len, record)) != LP_LOG_NOTHING)
    return kind;

  if (parse_bar (line, len, &bar))
    {
      if (bars_read (self))
        return handle_bar (self, &bar, record);
      record->bar = TRUE;
      return LP_LOG_NOTHING;
    }

  record->hint = text_hint (line, len);

  if ((kind = parse_line_formats (self, line, len, record)) != LP_LOG_NOTHING)
    return kind;

  if (format_reads (self, LP_LOG_FORMAT_HUGGINGFACE) && (dict = find_dict (line, len)) != NULL)
    {
      Cursor c = { dict, line + len };
      LpLogRecord parsed = *record;

      if (parse_dict (&c, &parsed))
        {
          *record = parsed;
          if (record->present & LP_LOG_HAS_STEP)
            {
              self->step = record->step;
              return metrics_at (self, record->step, record);
            }
          return metrics_at (self, dict_step (self, record), record);
        }
    }

  return LP_LOG_NOTHING;
}
