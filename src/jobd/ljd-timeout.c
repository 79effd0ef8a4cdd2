/* ljd-timeout.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every timer of the service goes to the context it runs in. Embedded in
 * the app that is a thread's own, not the global default context that
 * g_timeout_add() and g_source_remove() use, which belongs to the UI.
 */
#include "config.h"

#include "ljd-timeout.h"

/* Calls @func every @interval_ms on @context (%NULL: the global default);
 * 0 defers it to the next iteration. Returns the source, to be given to
 * ljd_source_clear() or unreffed. */
GSource *
ljd_timeout_attach (GMainContext   *context,
                    guint           interval_ms,
                    GSourceFunc     func,
                    gpointer        data,
                    GDestroyNotify  notify)
{
  GSource *source = g_timeout_source_new (interval_ms);

  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, context);
  return source;
}

/* Stops *@source, wherever it is attached, and drops the reference. */
void
ljd_source_clear (GSource **source)
{
  if (*source == NULL)
    return;

  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}
