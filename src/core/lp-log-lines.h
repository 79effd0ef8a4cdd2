/* lp-log-lines.h: a byte stream cut into the lines a terminal would show
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A trainer's output is read in chunks that end anywhere. This puts the
 * pieces of a line back together and hands over each whole line with its
 * byte offsets in the stream, so that whoever reads it can say how far it
 * has got and make ids of those offsets. A line ends at \n or at \r, as
 * tqdm redraws its bar with \r and never ends it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @line is not nul-terminated and never empty; @start is the offset of its
 * first byte, @end the offset just past its end (its \n or \r included). */
typedef void (*LpLogLineFunc) (const char *line,
                               gsize       len,
                               goffset     start,
                               goffset     end,
                               gpointer    user_data);

typedef struct _LpLogLines LpLogLines;

LpLogLines *lp_log_lines_new          (gsize          max_line);
void        lp_log_lines_free         (LpLogLines    *self);
void        lp_log_lines_reset        (LpLogLines    *self,
                                       goffset        offset,
                                       gboolean       skip_first);
void        lp_log_lines_feed         (LpLogLines    *self,
                                       const guint8  *data,
                                       gsize          len,
                                       LpLogLineFunc  func,
                                       gpointer       user_data);
void        lp_log_lines_flush        (LpLogLines    *self,
                                       LpLogLineFunc  func,
                                       gpointer       user_data);
goffset     lp_log_lines_get_offset   (LpLogLines    *self);
goffset     lp_log_lines_get_consumed (LpLogLines    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpLogLines, lp_log_lines_free)

G_END_DECLS
