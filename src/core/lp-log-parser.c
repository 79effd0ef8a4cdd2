/* lp-log-parser.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two kinds of line carry numbers:
 *
 * - Metrics dicts, as Trainer.log() prints them: the Python repr of a dict,
 *   {'loss': 0.5213, 'grad_norm': 1.2, 'learning_rate': 0.0002, 'epoch': 1.2}
 *   or {'eval_loss': 0.61, 'eval_runtime': 3.2, 'epoch': 1.0}, anywhere in
 *   the line (loggers put timestamps and names in front). Values may be
 *   nan or inf, and newer stacks print numbers wrapped as np.float64(0.52)
 *   or tensor(1.2, device='cuda:0'). A dict counts only if it has a loss,
 *   an eval_loss or a learning_rate: the end-of-run summary
 *   ({'train_runtime': …, 'train_loss': …}) holds an average loss that
 *   belongs to no step.
 *
 * - tqdm counters, "  42%|████▏     | 850/2000 [6:23:10<8:15:00, 22.5s/it]",
 *   whose 850 is the step and 2000 the total. Only bars without a
 *   description count (the Trainer's has none; datasets' "Map:" and
 *   "Loading checkpoint shards:" have one), and of those only the one with
 *   the largest total seen so far: evaluation runs its own, shorter, bar in
 *   the middle of training, and its counter is not a training step.
 *
 * The step of a metrics dict is, in order: its own 'step' member if it has
 * one; else the latest training counter seen before it (the Trainer
 * redraws the bar before it prints a log); else, if the number of steps
 * per epoch is known, round(epoch × steps per epoch); else it is unknown.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "lp-log-parser.h"

/* Longer lines are not a Trainer's; they are not worth scanning. */
#define MAX_LINE 65536

struct _LpLogParser
{
  double steps_per_epoch;  /* 0 when unknown */
  gint64 step;             /* the training bar's latest counter, or -1 */
  gint64 total_steps;      /* the training bar's total, or -1 */
};

LpLogParser *
lp_log_parser_new (double steps_per_epoch)
{
  LpLogParser *self = g_new0 (LpLogParser, 1);

  self->steps_per_epoch = isfinite (steps_per_epoch) && steps_per_epoch > 0 ? steps_per_epoch : 0;
  self->step = -1;
  self->total_steps = -1;
  return self;
}

/* Stand-in until the formats land: reads what lp_log_parser_new() does. */
LpLogParser *
lp_log_parser_new_full (LpLogFormat          format,
                        const char * const  *patterns,
                        gint64               total_steps,
                        gint64               total_epochs,
                        GError             **error)
{
  return lp_log_parser_new (total_steps > 0 && total_epochs > 0 ? (double) total_steps / total_epochs : 0);
}

char *
lp_log_parser_take_warning (LpLogParser *self)
{
  return NULL;
}

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

gboolean
lp_log_config_is_key (const char *key)
{
  return g_strcmp0 (key, "log_format") == 0 || g_strcmp0 (key, "log_patterns") == 0;
}

gboolean
lp_log_config_read (JsonObject   *config,
                    LpLogFormat  *format,
                    GStrv        *patterns,
                    GError      **error)
{
  *format = LP_LOG_FORMAT_AUTO;
  *patterns = g_new0 (char *, 1);
  return TRUE;
}

void
lp_log_parser_free (LpLogParser *self)
{
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
}

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

/* "  42%|████▏     | 850/2000 [6:23:10<8:15:00, 22.5s/it]": FALSE unless
 * the line is a counter of a bar without description, with a total. */
static gboolean
parse_progress (const char *line,
                gsize       len,
                gint64     *step,
                gint64     *total)
{
  Cursor c = { line, line + len };
  gint64 percent;

  skip_space (&c);
  if (!read_count (&c, &percent) || percent > 100)
    return FALSE;
  if (c.end - c.p < 2 || c.p[0] != '%' || c.p[1] != '|')
    return FALSE;
  c.p += 2;

  /* The bar itself: block characters and spaces up to the closing bar. */
  while (c.p < c.end && *c.p != '|')
    c.p++;
  if (c.p >= c.end)
    return FALSE;
  c.p++;

  skip_space (&c);
  if (!read_count (&c, step))
    return FALSE;
  if (c.p >= c.end || *c.p != '/')
    return FALSE;
  c.p++;
  if (!read_count (&c, total) || *total <= 0 || *step > *total)
    return FALSE;

  /* Then the timing in brackets, or the end of a bar drawn narrow. */
  skip_space (&c);
  return c.p >= c.end || *c.p == '[';
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

/**
 * lp_log_parser_feed:
 * @line: one line of output, without its end (a trailing \r or \n is
 *   ignored); need not be UTF-8
 * @length: its length in bytes, or -1 if it is nul-terminated
 * @record: (out): what the line said, when it said something
 *
 * Returns: the kind of line; with %LP_LOG_NOTHING, @record is cleared.
 */
LpLogKind
lp_log_parser_feed (LpLogParser *self,
                    const char  *line,
                    gssize       length,
                    LpLogRecord *record)
{
  gsize len;
  const char *dict;
  gint64 step, total;

  g_return_val_if_fail (self != NULL, LP_LOG_NOTHING);
  g_return_val_if_fail (line != NULL, LP_LOG_NOTHING);
  g_return_val_if_fail (record != NULL, LP_LOG_NOTHING);

  memset (record, 0, sizeof *record);
  record->kind = LP_LOG_NOTHING;
  record->step = -1;
  record->total_steps = -1;
  record->epoch = record->loss = record->eval_loss = record->learning_rate = NAN;
  record->hint = LP_LOG_HINT_NONE;

  len = length < 0 ? strlen (line) : (gsize) length;
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    len--;
  if (len == 0 || len > MAX_LINE)
    return LP_LOG_NOTHING;

  if (parse_progress (line, len, &step, &total))
    {
      if (self->total_steps > 0 && total < self->total_steps)
        return LP_LOG_NOTHING;

      self->step = step;
      self->total_steps = total;
      record->bar = TRUE;
      record->kind = LP_LOG_PROGRESS;
      record->present = LP_LOG_HAS_STEP | LP_LOG_HAS_TOTAL_STEPS;
      record->step = step;
      record->total_steps = total;
      return LP_LOG_PROGRESS;
    }

  if ((dict = find_dict (line, len)) != NULL)
    {
      Cursor c = { dict, line + len };
      LpLogRecord parsed = *record;

      if (parse_dict (&c, &parsed))
        {
          *record = parsed;
          record->kind = LP_LOG_METRICS;

          if (record->present & LP_LOG_HAS_STEP)
            self->step = record->step;
          else if (self->step >= 0)
            record->step = self->step;
          else if (self->steps_per_epoch > 0 && (record->present & LP_LOG_HAS_EPOCH) &&
                   record->epoch * self->steps_per_epoch < (double) G_MAXINT32 * 1024)
            record->step = (gint64) llround (record->epoch * self->steps_per_epoch);

          if (record->step >= 0)
            record->present |= LP_LOG_HAS_STEP;
          if (self->total_steps > 0)
            {
              record->total_steps = self->total_steps;
              record->present |= LP_LOG_HAS_TOTAL_STEPS;
            }
          return LP_LOG_METRICS;
        }
    }

  return LP_LOG_NOTHING;
}
