/* fuzz-log-parser.c: the reader of Hugging Face Trainer output
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The local provider feeds it every line a training script prints: any
 * bytes at all. The first byte picks the steps per epoch the parser is
 * made with; the rest is split into lines, fed one by one. What it reports
 * becomes trainer events, so its numbers must be in the events' ranges.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "fuzz-common.h"
#include "lp-log-parser.h"
#include "lp-types.h"

static void
check_record (LpLogParser       *parser,
              LpLogKind          kind,
              const LpLogRecord *record)
{
  g_assert_cmpint (kind, ==, record->kind);

  if (kind == LP_LOG_NOTHING)
    return;

  if (record->present & LP_LOG_HAS_STEP)
    {
      g_assert_cmpint (record->step, >=, 0);
      g_assert_cmpint (record->step, <=, LP_STEP_MAX);
    }
  if (record->present & LP_LOG_HAS_TOTAL_STEPS)
    {
      g_assert_cmpint (record->total_steps, >=, 0);
      g_assert_cmpint (record->total_steps, <=, LP_STEP_MAX);
    }
  if (record->present & LP_LOG_HAS_EPOCH)
    g_assert_true (isfinite (record->epoch) && record->epoch >= 0 && record->epoch <= LP_EPOCH_MAX);

  g_assert_cmpint (lp_log_parser_get_step (parser), >=, -1);
  g_assert_cmpint (lp_log_parser_get_step (parser), <=, LP_STEP_MAX);
  g_assert_cmpint (lp_log_parser_get_total_steps (parser), >=, -1);
  g_assert_cmpint (lp_log_parser_get_total_steps (parser), <=, LP_STEP_MAX);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const double steps_per_epoch[] = { 0, 1, 100, 250, 1e8 };
  g_autoptr(LpLogParser) parser = NULL;
  const char *text = (const char *) data, *end = text + size;

  fuzz_setup ();

  if (size == 0)
    return 0;

  parser = lp_log_parser_new (steps_per_epoch[data[0] % G_N_ELEMENTS (steps_per_epoch)]);
  text++;

  /* Lines as the local provider splits them, each an exact-size copy. */
  while (text < end)
    {
      const char *nl = memchr (text, '\n', end - text);
      gsize length = (nl ? nl : end) - text;
      g_autofree char *line = g_memdup2 (text, length ? length : 1);
      LpLogRecord record;
      LpLogKind kind;

      memset (&record, 0xA5, sizeof record);
      kind = lp_log_parser_feed (parser, line, (gssize) length, &record);
      check_record (parser, kind, &record);

      text += length + (nl ? 1 : 0);
    }

  return 0;
}
