/* test-log-parser.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib.h>
#include <math.h>

#include "lp-log-parser.h"

static LpLogKind
feed (LpLogParser *parser,
      const char  *line,
      LpLogRecord *record)
{
  return lp_log_parser_feed (parser, line, -1, record);
}

static void
test_loss_dict (void)
{
  g_autoptr(LpLogParser) parser = lp_log_parser_new (0);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "{'loss': 0.5213, 'grad_norm': 1.2, 'learning_rate': 0.0002, 'epoch': 1.2}", &r),
                   ==, LP_LOG_METRICS);
  g_assert_cmpint (r.kind, ==, LP_LOG_METRICS);
  g_assert_cmpint (r.present, ==, LP_LOG_HAS_LOSS | LP_LOG_HAS_LEARNING_RATE | LP_LOG_HAS_EPOCH);
  g_assert_cmpfloat_with_epsilon (r.loss, 0.5213, 1e-12);
  g_assert_cmpfloat_with_epsilon (r.learning_rate, 0.0002, 1e-15);
  g_assert_cmpfloat_with_epsilon (r.epoch, 1.2, 1e-12);
  /* No counter seen and no steps per epoch: the step is unknown. */
  g_assert_cmpint (r.step, ==, -1);
  g_assert_true (isnan (r.eval_loss));
}

static void
test_eval_dict (void)
{
  g_autoptr(LpLogParser) parser = lp_log_parser_new (0);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "{'eval_loss': 0.61, 'eval_runtime': 3.2, 'eval_samples_per_second': 31.25, 'epoch': 1.0}", &r),
                   ==, LP_LOG_METRICS);
  g_assert_cmpint (r.present, ==, LP_LOG_HAS_EVAL_LOSS | LP_LOG_HAS_EPOCH);
  g_assert_cmpfloat_with_epsilon (r.eval_loss, 0.61, 1e-12);
  g_assert_cmpfloat_with_epsilon (r.epoch, 1.0, 1e-12);
  g_assert_true (isnan (r.loss));
}

static void
test_prefixes_and_odd_values (void)
{
  g_autoptr(LpLogParser) parser = lp_log_parser_new (0);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "2024-05-01 12:00:03,512 - transformers.trainer - INFO - "
                                 "{'loss': nan, 'learning_rate': 2e-05, 'epoch': 0.5}\r\n", &r),
                   ==, LP_LOG_METRICS);
  g_assert_true (isnan (r.loss));
  g_assert_true (r.present & LP_LOG_HAS_LOSS);
  g_assert_cmpfloat_with_epsilon (r.learning_rate, 2e-05, 1e-18);

  g_assert_cmpint (feed (parser, "[INFO|trainer.py:2100] {'loss': inf, 'epoch': 0.6}", &r), ==, LP_LOG_METRICS);
  g_assert_true (isinf (r.loss) && r.loss > 0);

  g_assert_cmpint (feed (parser, "{'loss': -inf, 'epoch': 0.7}", &r), ==, LP_LOG_METRICS);
  g_assert_true (isinf (r.loss) && r.loss < 0);

  /* Newer stacks print numpy and torch scalars as their reprs. */
  g_assert_cmpint (feed (parser, "{'loss': np.float64(0.25), 'grad_norm': tensor(0.91, device='cuda:0'), "
                                 "'learning_rate': np.float32(1e-4), 'epoch': 2}", &r), ==, LP_LOG_METRICS);
  g_assert_cmpfloat_with_epsilon (r.loss, 0.25, 1e-12);
  g_assert_cmpfloat_with_epsilon (r.learning_rate, 1e-4, 1e-15);
  g_assert_cmpfloat_with_epsilon (r.epoch, 2.0, 1e-12);

  /* Strings, lists and nested dicts are stepped over. */
  g_assert_cmpint (feed (parser, "{'run': 'a, b}', 'tags': ['x', {'y': 1}], 'loss': 1.5, 'ok': True}", &r),
                   ==, LP_LOG_METRICS);
  g_assert_cmpfloat_with_epsilon (r.loss, 1.5, 1e-12);
  g_assert_cmpint (r.present, ==, LP_LOG_HAS_LOSS);

  /* JSON, as some loggers print it, reads the same. */
  g_assert_cmpint (feed (parser, "metrics: {\"loss\": 0.75, \"step\": 40}", &r), ==, LP_LOG_METRICS);
  g_assert_cmpfloat_with_epsilon (r.loss, 0.75, 1e-12);
  g_assert_cmpint (r.step, ==, 40);
}

static void
test_garbage (void)
{
  g_autoptr(LpLogParser) parser = lp_log_parser_new (100);
  const char *lines[] = {
    "",
    "\n",
    "Loading checkpoint shards: 100%|██████████| 2/2 [00:03<00:00,  1.52s/it]",
    "Map: 100%|██████████| 242/242 [00:00<00:00, 3912.55 examples/s]",
    "{}",
    "{'loss': 0.5",
    "{'loss' 0.5}",
    "{loss: 0.5}",
    "{'train_runtime': 120.5, 'train_samples_per_second': 8.0, 'train_loss': 0.61, 'epoch': 3.0}",
    "{'loss': 'high', 'epoch': 1.0}",
    "{'loss': 0x10}",
    "Traceback (most recent call last):",
    "  File \"train.py\", line 3, in <module>",
    "ValueError: {'loss'}",
    "42%",
    "850/2000",
    "  42%|████▏     | 850/ [6:23:10<8:15:00, 22.5s/it]",
    "  142%|████▏     | 850/2000 [6:23:10<8:15:00, 22.5s/it]",
    "  42%|████▏     | 2850/2000 [6:23:10<8:15:00, 22.5s/it]",
    "\xff\xfe{'\xff': \xff}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      LpLogRecord r;

      g_test_message ("line %u", i);
      g_assert_cmpint (feed (parser, lines[i], &r), ==, LP_LOG_NOTHING);
      g_assert_cmpint (r.kind, ==, LP_LOG_NOTHING);
      g_assert_cmpint (r.present, ==, 0);
    }

  /* Nothing above moved the counter. */
  g_assert_cmpint (lp_log_parser_get_step (parser), ==, -1);
}

static void
test_progress (void)
{
  g_autoptr(LpLogParser) parser = lp_log_parser_new (0);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "  42%|████▏     | 850/2000 [6:23:10<8:15:00, 22.5s/it]", &r), ==, LP_LOG_PROGRESS);
  g_assert_cmpint (r.step, ==, 850);
  g_assert_cmpint (r.total_steps, ==, 2000);
  g_assert_cmpint (r.present, ==, LP_LOG_HAS_STEP | LP_LOG_HAS_TOTAL_STEPS);

  g_assert_cmpint (feed (parser, "  0%|          | 0/2000 [00:00<?, ?it/s]", &r), ==, LP_LOG_PROGRESS);
  g_assert_cmpint (r.step, ==, 0);
  g_assert_cmpint (feed (parser, "100%|██████████| 2000/2000 [12:00:00<00:00, 21.6s/it]\r", &r), ==, LP_LOG_PROGRESS);
  g_assert_cmpint (r.step, ==, 2000);
  g_assert_cmpint (lp_log_parser_get_step (parser), ==, 2000);
  g_assert_cmpint (lp_log_parser_get_total_steps (parser), ==, 2000);
}

static void
test_step_from_counter (void)
{
  g_autoptr(LpLogParser) parser = lp_log_parser_new (100);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, " 10%|█         | 200/2000 [01:00<09:00,  3.33it/s]", &r), ==, LP_LOG_PROGRESS);
  g_assert_cmpint (feed (parser, "{'loss': 1.1, 'learning_rate': 0.0001, 'epoch': 0.1}", &r), ==, LP_LOG_METRICS);
  /* The counter wins over the epoch estimate (which would say 10). */
  g_assert_cmpint (r.step, ==, 200);
  g_assert_cmpint (r.total_steps, ==, 2000);
  g_assert_true (r.present & LP_LOG_HAS_STEP);
  g_assert_true (r.present & LP_LOG_HAS_TOTAL_STEPS);

  /* An evaluation bar in the middle of training: shorter, so not the
   * training bar, and the step stays. */
  g_assert_cmpint (feed (parser, " 50%|█████     | 25/50 [00:01<00:01, 20.1it/s]", &r), ==, LP_LOG_NOTHING);
  g_assert_cmpint (feed (parser, "{'eval_loss': 0.9, 'epoch': 0.1}", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 200);
  g_assert_cmpint (lp_log_parser_get_step (parser), ==, 200);

  g_assert_cmpint (feed (parser, " 11%|█         | 220/2000 [01:06<09:00,  3.33it/s]", &r), ==, LP_LOG_PROGRESS);
  g_assert_cmpint (feed (parser, "{'loss': 1.0, 'epoch': 0.11}", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 220);
}

static void
test_step_from_epoch (void)
{
  g_autoptr(LpLogParser) parser = lp_log_parser_new (250);
  g_autoptr(LpLogParser) unknown = lp_log_parser_new (0);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "{'loss': 0.9, 'epoch': 1.2}", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 300);
  g_assert_true (r.present & LP_LOG_HAS_STEP);
  g_assert_false (r.present & LP_LOG_HAS_TOTAL_STEPS);

  /* Without an epoch there is nothing to estimate from. */
  g_assert_cmpint (feed (parser, "{'learning_rate': 0.0001}", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, -1);
  g_assert_false (r.present & LP_LOG_HAS_STEP);

  g_assert_cmpint (feed (unknown, "{'loss': 0.9, 'epoch': 1.2}", &r), ==, LP_LOG_METRICS);
  g_assert_false (r.present & LP_LOG_HAS_STEP);
}

static void
test_restore (void)
{
  g_autoptr(LpLogParser) parser = lp_log_parser_new (0);
  LpLogRecord r;

  lp_log_parser_restore (parser, 700, 2000);
  g_assert_cmpint (feed (parser, "{'loss': 0.4, 'epoch': 1.05}", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 700);
  g_assert_cmpint (feed (parser, " 50%|█████     | 25/50 [00:01<00:01, 20.1it/s]", &r), ==, LP_LOG_NOTHING);

  lp_log_parser_restore (parser, -1, 0);
  g_assert_cmpint (lp_log_parser_get_step (parser), ==, -1);
  g_assert_cmpint (lp_log_parser_get_total_steps (parser), ==, -1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/log-parser/loss-dict", test_loss_dict);
  g_test_add_func ("/log-parser/eval-dict", test_eval_dict);
  g_test_add_func ("/log-parser/prefixes-and-odd-values", test_prefixes_and_odd_values);
  g_test_add_func ("/log-parser/garbage", test_garbage);
  g_test_add_func ("/log-parser/progress", test_progress);
  g_test_add_func ("/log-parser/step-from-counter", test_step_from_counter);
  g_test_add_func ("/log-parser/step-from-epoch", test_step_from_epoch);
  g_test_add_func ("/log-parser/restore", test_restore);

  return g_test_run ();
}
