/* fuzz-common.h: what every fuzz target shares
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each target defines LLVMFuzzerTestOneInput(). Built with -Dfuzzing=true
 * it is linked with libFuzzer; in every build it is also linked with
 * fuzz-runner.c, which feeds it the regression inputs and the seeds once.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#include <stdlib.h>

/* A critical or a warning is a bug the fuzzer must report (json-glib's
 * g_return_if_fail()s among them), not noise; so is a g_error(). They end
 * in abort(), which libFuzzer catches and saves the input of, rather than
 * in GLib's breakpoint trap, which it does not. The rest is not printed. */
static inline GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   log_level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  if (!(log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)))
    return G_LOG_WRITER_HANDLED;

  g_log_writer_standard_streams (log_level, fields, n_fields, user_data);
  abort ();
}

static inline void
fuzz_setup (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;

  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}

/* Whatever the service or the app writes must read back as valid UTF-8. */
static inline void
fuzz_assert_text (const char *text)
{
  g_assert_nonnull (text);
  if (!g_utf8_validate (text, -1, NULL))
    g_error ("not valid UTF-8: %s", text);
}
