/* lp-log-lines.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "lp-log-lines.h"

struct _LpLogLines
{
  gsize       max_line;
  GByteArray *partial;     /* the line begun, not yet ended */
  goffset     offset;      /* bytes of the stream seen so far */
  goffset     line_start;  /* where the line in partial starts */
  goffset     consumed;    /* the end of the last whole line */
  gboolean    skip;        /* partial is the rest of a line begun before the reset */
};

/**
 * lp_log_lines_new:
 * @max_line: the longest line handed over; a longer one (binary output, a
 *   bar that is never ended) is cut into pieces of that length
 */
LpLogLines *
lp_log_lines_new (gsize max_line)
{
  LpLogLines *self = g_new0 (LpLogLines, 1);

  self->max_line = MAX (max_line, 1);
  self->partial = g_byte_array_new ();
  return self;
}

void
lp_log_lines_free (LpLogLines *self)
{
  if (self == NULL)
    return;

  g_byte_array_unref (self->partial);
  g_free (self);
}

/**
 * lp_log_lines_reset:
 * @offset: where in the stream the next byte fed comes from
 * @skip_first: whether that byte may be in the middle of a line, whose
 *   rest is then dropped rather than handed over as a line of its own
 */
void
lp_log_lines_reset (LpLogLines *self,
                    goffset     offset,
                    gboolean    skip_first)
{
  g_return_if_fail (self != NULL);

  g_byte_array_set_size (self->partial, 0);
  self->offset = self->line_start = self->consumed = MAX (offset, 0);
  self->skip = skip_first && offset > 0;
}

static void
end_line (LpLogLines    *self,
          goffset        end,
          LpLogLineFunc  func,
          gpointer       user_data)
{
  if (self->skip)
    self->skip = FALSE;
  else if (self->partial->len > 0)
    func ((const char *) self->partial->data, self->partial->len, self->line_start, end, user_data);

  g_byte_array_set_size (self->partial, 0);
  self->line_start = end;
  self->consumed = MAX (self->consumed, end);
}

void
lp_log_lines_feed (LpLogLines    *self,
                   const guint8  *data,
                   gsize          len,
                   LpLogLineFunc  func,
                   gpointer       user_data)
{
  gsize from = 0;

  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);

  for (gsize i = 0; i < len; i++)
    {
      if (data[i] != '\n' && data[i] != '\r')
        {
          if (self->partial->len + (i - from) < self->max_line)
            continue;
          g_byte_array_append (self->partial, data + from, i - from);
          from = i;
          end_line (self, self->offset + i, func, user_data);
          continue;
        }

      g_byte_array_append (self->partial, data + from, i - from);
      end_line (self, self->offset + i + 1, func, user_data);
      from = i + 1;
    }

  g_byte_array_append (self->partial, data + from, len - from);
  self->offset += len;
}

/* The stream has ended: a last line without its end is a line too. */
void
lp_log_lines_flush (LpLogLines    *self,
                    LpLogLineFunc  func,
                    gpointer       user_data)
{
  g_return_if_fail (self != NULL);

  if (self->partial->len > 0)
    end_line (self, self->line_start + self->partial->len, func, user_data);
}

goffset
lp_log_lines_get_offset (LpLogLines *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->offset;
}

goffset
lp_log_lines_get_consumed (LpLogLines *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->consumed;
}
