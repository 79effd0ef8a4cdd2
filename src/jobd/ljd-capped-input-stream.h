/* ljd-capped-input-stream.h: a pollable input stream that reads at most a budget
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsoup 3.2 reads a request's headers without any size limit; the
 * acceptor gives it the connection through this stream and a budget for
 * each request's headers.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LJD_TYPE_CAPPED_INPUT_STREAM (ljd_capped_input_stream_get_type ())

G_DECLARE_FINAL_TYPE (LjdCappedInputStream, ljd_capped_input_stream, LJD, CAPPED_INPUT_STREAM, GFilterInputStream)

/* Called once when a read goes past the budget; the read then fails. */
typedef void     (*LjdCappedFunc) (LjdCappedInputStream *stream,
                                   gpointer              user_data);
/* Called when a read finds the end of the stream; returning TRUE makes
 * that read return one line end instead. See ljd-acceptor.c. */
typedef gboolean (*LjdCappedEofFunc) (LjdCappedInputStream *stream,
                                      gpointer              user_data);

GInputStream *ljd_capped_input_stream_new        (GInputStream         *base,
                                                  LjdCappedFunc         exceeded,
                                                  LjdCappedEofFunc      at_eof,
                                                  gpointer              user_data);
void          ljd_capped_input_stream_set_budget (LjdCappedInputStream *self,
                                                  gint64                budget);

G_END_DECLS
