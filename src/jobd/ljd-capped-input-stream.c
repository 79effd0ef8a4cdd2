/* ljd-capped-input-stream.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ljd-capped-input-stream.h"

struct _LjdCappedInputStream
{
  GFilterInputStream parent_instance;

  gint64             budget;   /* bytes that may still be read; -1: any number */
  gboolean           exceeded;
  LjdCappedFunc      exceeded_func;
  LjdCappedEofFunc   eof_func;
  gpointer           user_data;
};

static void ljd_capped_input_stream_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LjdCappedInputStream, ljd_capped_input_stream, G_TYPE_FILTER_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      ljd_capped_input_stream_pollable_init))

static GInputStream *
base_of (gpointer stream)
{
  return g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));
}

static gboolean
refuse_if_exceeded (LjdCappedInputStream  *self,
                    GError               **error)
{
  if (!self->exceeded)
    return TRUE;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       _("The request’s headers are too large"));
  return FALSE;
}

/* Charges @n bytes just read; the bytes past the budget are not handed on. */
static gssize
charge (LjdCappedInputStream  *self,
        void                  *buffer,
        gsize                  count,
        gssize                 n,
        GError               **error)
{
  if (n == 0 && count > 0 && self->eof_func != NULL && self->eof_func (self, self->user_data))
    {
      *(char *) buffer = '\n';
      return 1;
    }

  if (n <= 0 || self->budget < 0)
    return n;

  if (n <= self->budget)
    {
      self->budget -= n;
      return n;
    }

  self->exceeded = TRUE;
  if (self->exceeded_func != NULL)
    self->exceeded_func (self, self->user_data);
  refuse_if_exceeded (self, error);
  return -1;
}

static gssize
ljd_capped_input_stream_read (GInputStream  *stream,
                              void          *buffer,
                              gsize          count,
                              GCancellable  *cancellable,
                              GError       **error)
{
  LjdCappedInputStream *self = (LjdCappedInputStream *) stream;

  if (!refuse_if_exceeded (self, error))
    return -1;

  return charge (self, buffer, count, g_input_stream_read (base_of (self), buffer, count, cancellable, error), error);
}

static gboolean
ljd_capped_input_stream_can_poll (GPollableInputStream *stream)
{
  return g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (base_of (stream)));
}

static gboolean
ljd_capped_input_stream_is_readable (GPollableInputStream *stream)
{
  return g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (base_of (stream)));
}

static GSource *
ljd_capped_input_stream_create_source (GPollableInputStream *stream,
                                       GCancellable         *cancellable)
{
  g_autoptr(GSource) base_source =
    g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (base_of (stream)), cancellable);

  return g_pollable_source_new_full (stream, base_source, cancellable);
}

static gssize
ljd_capped_input_stream_read_nonblocking (GPollableInputStream  *stream,
                                          void                  *buffer,
                                          gsize                  count,
                                          GError               **error)
{
  LjdCappedInputStream *self = (LjdCappedInputStream *) stream;
  GPollableInputStream *base = G_POLLABLE_INPUT_STREAM (base_of (stream));

  if (!refuse_if_exceeded (self, error))
    return -1;

  return charge (self, buffer, count, g_pollable_input_stream_read_nonblocking (base, buffer, count, NULL, error),
                 error);
}

static void
ljd_capped_input_stream_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = ljd_capped_input_stream_can_poll;
  iface->is_readable = ljd_capped_input_stream_is_readable;
  iface->create_source = ljd_capped_input_stream_create_source;
  iface->read_nonblocking = ljd_capped_input_stream_read_nonblocking;
}

static void
ljd_capped_input_stream_class_init (LjdCappedInputStreamClass *klass)
{
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  stream_class->read_fn = ljd_capped_input_stream_read;
}

static void
ljd_capped_input_stream_init (LjdCappedInputStream *self)
{
  self->budget = -1;
}

GInputStream *
ljd_capped_input_stream_new (GInputStream     *base,
                             LjdCappedFunc     exceeded,
                             LjdCappedEofFunc  at_eof,
                             gpointer          user_data)
{
  LjdCappedInputStream *self;

  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (base), NULL);

  self = g_object_new (LJD_TYPE_CAPPED_INPUT_STREAM, "base-stream", base, NULL);
  self->exceeded_func = exceeded;
  self->eof_func = at_eof;
  self->user_data = user_data;

  return G_INPUT_STREAM (self);
}

/* -1: no limit. */
void
ljd_capped_input_stream_set_budget (LjdCappedInputStream *self,
                                    gint64                budget)
{
  g_return_if_fail (LJD_IS_CAPPED_INPUT_STREAM (self));

  self->budget = budget;
}
