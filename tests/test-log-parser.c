/* test-log-parser.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "lp-log-parser.h"

static LpLogKind
feed (LpLogParser *parser,
      const char  *line,
      LpLogRecord *record)
{
  return lp_log_parser_feed (parser, line, -1, record);
}

static LpLogParser *
parser_for (LpLogFormat format,
            gint64      total_steps,
            gint64      epochs)
{
  g_autoptr(GError) error = NULL;
  LpLogParser *parser = lp_log_parser_new_full (format, NULL, total_steps, epochs, &error);

  g_assert_no_error (error);
  g_assert_nonnull (parser);
  return parser;
}

#define assert_value(a, b) g_assert_cmpfloat_with_epsilon ((a), (b), fabs (b) * 1e-9 + 1e-15)

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

/* tqdm draws the Trainer's bar at most every 0.1 s; tqdm.write() draws it
 * again only after the dict (ProgressCallback.on_log in transformers'
 * trainer_callback.py): the counter last seen may lag the dict's step,
 * which its epoch tells. */
static void
test_lagging_counter (void)
{
  g_autoptr(LpLogParser) parser = parser_for (LP_LOG_FORMAT_AUTO, 60, 2);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, " 15%|█▌        | 9/60 [00:00<00:01, 26.27it/s]", &r), ==, LP_LOG_PROGRESS);
  g_assert_cmpint (feed (parser, "{'loss': 2.6213, 'grad_norm': 0.1635, 'learning_rate': 0.029, 'epoch': 0.33}", &r),
                   ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 10);
  /* An epoch far ahead of the counter: the job's epochs are not the
   * script's, and the counter wins. */
  g_assert_cmpint (feed (parser, "{'loss': 2.5, 'epoch': 1.9}", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 9);
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

/* The formats below are in the shape each trainer's source prints them;
 * tqdm's bars are what tqdm 4.64 (Debian 12) writes to a file for the
 * trainer's tqdm() and set_postfix() calls. */


/* kohya-ss/sd-scripts train_network.py:
 *   progress_bar = tqdm(range(args.max_train_steps - initial_step), smoothing=0, …, desc="steps")
 *   logs = {"avr_loss": avr_loss}; progress_bar.set_postfix(**{**max_mean_logs, **logs})
 * and its validation bar, desc="validation steps", with
 *   val_progress_bar.set_postfix({"val_avg_loss": …, "timestep": timestep}) */
static void
test_kohya (void)
{
  g_autoptr(LpLogParser) parser = parser_for (LP_LOG_FORMAT_AUTO, 150, 10);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "steps:   0%|          | 0/150 [00:00<?, ?it/s]", &r), ==, LP_LOG_PROGRESS);
  g_assert_cmpint (r.step, ==, 0);
  g_assert_cmpint (r.total_steps, ==, 150);
  g_assert_true (r.bar);

  /* The redraw of update(1) shows the new step with the last loss, the
   * redraw of set_postfix() the new loss. */
  g_assert_cmpint (feed (parser, "steps:  42%|████▏     | 63/150 [00:07<00:10,  8.50it/s, avr_loss=2.55]", &r),
                   ==, LP_LOG_METRICS);
  g_assert_cmpint (feed (parser, "steps:  42%|████▏     | 63/150 [00:07<00:10,  8.50it/s, avr_loss=2.54]", &r),
                   ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 63);
  g_assert_cmpint (r.total_steps, ==, 150);
  g_assert_cmpint (r.present, ==, LP_LOG_HAS_STEP | LP_LOG_HAS_TOTAL_STEPS | LP_LOG_HAS_LOSS | LP_LOG_HAS_EPOCH);
  assert_value (r.loss, 2.54);
  /* The bar says no epoch: the job's 15 steps an epoch do. */
  assert_value (r.epoch, 63 / 15.0);

  /* --scale_weight_norms adds max_mean_logs before avr_loss. */
  g_assert_cmpint (feed (parser, "steps:  43%|████▎     | 64/150 [00:07<00:10,  8.50it/s, "
                                 "Keys Scaled=0, Average key norm=0.0351, avr_loss=2.53]", &r), ==, LP_LOG_METRICS);
  assert_value (r.loss, 2.53);
  g_assert_cmpint (r.step, ==, 64);

  /* Its validation bar is not a training bar; its end is the step's val
   * loss. update(1) may draw the end with the average before the last
   * batch, then set_postfix() with the last: the last drawing stays. */
  g_assert_cmpint (feed (parser, "validation steps:  12%|█▎        | 1/8 [00:00<00:01,  6.10it/s, "
                                 "val_avg_loss=0.123, timestep=200]", &r), ==, LP_LOG_NOTHING);
  g_assert_true (r.bar);
  g_assert_cmpint (feed (parser, "validation steps: 100%|██████████| 8/8 [00:01<00:00,  6.12it/s, "
                                 "val_avg_loss=0.125, timestep=800]", &r), ==, LP_LOG_METRICS);
  assert_value (r.eval_loss, 0.125);
  g_assert_cmpint (r.step, ==, 64);
  g_assert_cmpint (feed (parser, "validation steps: 100%|██████████| 8/8 [00:01<00:00,  6.12it/s, "
                                 "val_avg_loss=0.121, timestep=800]", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 64);
  g_assert_cmpint (r.present & ~LP_LOG_HAS_TOTAL_STEPS, ==, LP_LOG_HAS_STEP | LP_LOG_HAS_EVAL_LOSS);
  assert_value (r.eval_loss, 0.121);
  /* …and tqdm's close() draws it once more: once is enough. */
  g_assert_cmpint (feed (parser, "validation steps: 100%|██████████| 8/8 [00:01<00:00,  6.00it/s, "
                                 "val_avg_loss=0.121, timestep=800]", &r), ==, LP_LOG_NOTHING);
  g_assert_cmpint (lp_log_parser_get_step (parser), ==, 64);
  /* A later validation with the same average is a point of its own. */
  g_assert_cmpint (feed (parser, "steps:  44%|████▍     | 66/150 [00:07<00:10,  8.50it/s, avr_loss=2.52]", &r),
                   ==, LP_LOG_METRICS);
  g_assert_cmpint (feed (parser, "validation steps: 100%|██████████| 8/8 [00:01<00:00,  6.12it/s, "
                                 "val_avg_loss=0.121, timestep=800]", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 66);

  /* accelerator.print(f"\nepoch {epoch+1}/{num_train_epochs}\n") */
  g_assert_cmpint (feed (parser, "epoch 2/10", &r), ==, LP_LOG_NOTHING);
  g_assert_cmpint (feed (parser, "steps: 100%|██████████| 150/150 [00:17<00:00,  8.50it/s, avr_loss=nan]", &r),
                   ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 150);
  g_assert_true (isnan (r.loss));
}

/* huggingface/diffusers examples/text_to_image/train_text_to_image_lora.py:
 *   progress_bar = tqdm(range(0, args.max_train_steps), initial=initial_global_step, desc="Steps", …)
 *   logs = {"step_loss": loss.detach().item(), "lr": lr_scheduler.get_last_lr()[0]}
 *   progress_bar.set_postfix(**logs)        (tqdm sorts the keys) */
static void
test_diffusers (void)
{
  g_autoptr(LpLogParser) parser = parser_for (LP_LOG_FORMAT_TQDM, 500, 0);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "Steps:   0%|          | 1/500 [00:00<00:00, 1398101.33it/s, lr=0.0001, step_loss=0.0912]",
                         &r), ==, LP_LOG_METRICS);
  assert_value (r.loss, 0.0912);
  assert_value (r.learning_rate, 1e-4);
  g_assert_cmpint (r.step, ==, 1);
  /* A shorter redraw is padded with spaces over the longer one. */
  g_assert_cmpint (feed (parser, "Steps:   0%|          | 2/500 [00:01<06:40,  1.24it/s, lr=9.99e-5, step_loss=0.129]  ",
                         &r), ==, LP_LOG_METRICS);
  assert_value (r.loss, 0.129);
  assert_value (r.learning_rate, 9.99e-5);
  g_assert_cmpint (r.step, ==, 2);
  g_assert_cmpint (r.total_steps, ==, 500);
}

/* Nerogar/OneTrainer modules/trainer/GenericTrainer.py:
 *   for _epoch in tqdm(epochs, desc="epoch"):
 *     step_tqdm = tqdm(…, desc="step", total=current_epoch_length, initial=train_progress.epoch_step)
 *     step_tqdm.set_postfix({'loss': accumulated_loss_cpu, 'smooth loss': ema_loss})
 * The step bar counts the steps of its epoch; tqdm moves the cursor up
 * (ESC [A) to redraw the nested bars. */
static void
test_onetrainer (void)
{
  g_autoptr(LpLogParser) parser = parser_for (LP_LOG_FORMAT_AUTO, 200, 5);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "epoch:   0%|          | 0/5 [00:00<?, ?it/s]", &r), ==, LP_LOG_NOTHING);
  g_assert_cmpint (feed (parser, "step:   2%|▎         | 1/40 [00:01<00:39,  1.01s/it, loss=0.153, smooth loss=0.15]\x1b[A",
                         &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 1);
  g_assert_cmpint (r.total_steps, ==, 200);
  assert_value (r.loss, 0.153);

  g_assert_cmpint (feed (parser, "epoch:  20%|██        | 1/5 [00:42<02:48, 42.0s/it]", &r), ==, LP_LOG_NOTHING);
  g_assert_cmpint (feed (parser, "step:  25%|██▌       | 10/40 [00:10<00:30,  1.00s/it, loss=0.0981, smooth loss=0.121]\x1b[A",
                         &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 50);
  assert_value (r.loss, 0.0981);
}

/* ostris/ai-toolkit jobs/process/BaseSDTrainProcess.py: a ToolkitProgressBar
 * (a tqdm) with desc=self.job.name and total=self.train_config.steps;
 *   prog_bar_string = f"lr: {learning_rate:.1e}"; … += f" {key}: {value:.3e}"
 *   self.progress_bar.set_postfix_str(prog_bar_string) */
static void
test_ai_toolkit (void)
{
  g_autoptr(LpLogParser) parser = parser_for (LP_LOG_FORMAT_AUTO, 2000, 1);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "my_first_flux_lora_v1:   3%|▎         | 63/2000 [01:03<32:32,  1.01s/it, "
                                 "lr: 1.0e-04 loss: 4.532e-01]", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 63);
  g_assert_cmpint (r.total_steps, ==, 2000);
  assert_value (r.loss, 0.4532);
  assert_value (r.learning_rate, 1e-4);

  /* A job named like an evaluation is still the job's bar by its total. */
  g_assert_cmpint (feed (parser, "test lora:   3%|▎         | 64/2000 [01:04<32:32,  1.01s/it, lr: 1.0e-04 loss: 4.5e-01]",
                         &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 64);
}

/* Lightning-AI/pytorch-lightning src/lightning/pytorch/callbacks/progress/tqdm_progress.py:
 *   on_train_epoch_start: self.train_progress_bar.set_description(f"Epoch {trainer.current_epoch}")
 *   on_train_batch_end: self.train_progress_bar.set_postfix(self.get_metrics(trainer, pl_module))
 * with its Tqdm.format_num() padding floats to 5 characters ("2.540"). */
static void
test_lightning (void)
{
  g_autoptr(LpLogParser) parser = parser_for (LP_LOG_FORMAT_LIGHTNING, 450, 3);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "Training: 0it [00:00, ?it/s]", &r), ==, LP_LOG_NOTHING);
  g_assert_cmpint (feed (parser, "Sanity Checking DataLoader 0: 100%|██████████| 2/2 [00:00<00:00, 40.33it/s]\x1b[A\x1b[A",
                         &r), ==, LP_LOG_NOTHING);
  g_assert_cmpint (feed (parser, "Epoch 0:  42%|████▏     | 63/150 [00:07<00:10,  8.50it/s, v_num=0, train_loss=2.540]",
                         &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 63);
  g_assert_cmpint (r.total_steps, ==, 450);
  assert_value (r.loss, 2.54);
  assert_value (r.epoch, 0.42);

  g_assert_cmpint (feed (parser, "Validation DataLoader 0:  50%|█████     | 5/10 [00:00<00:00, 96.64it/s]\x1b[A", &r),
                   ==, LP_LOG_NOTHING);
  g_assert_cmpint (feed (parser, "Epoch 1: 100%|██████████| 150/150 [00:17<00:00,  8.50it/s, v_num=0, "
                                 "train_loss=1.900, val_loss=2.610]", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 300);
  assert_value (r.loss, 1.9);
  assert_value (r.eval_loss, 2.61);
  g_assert_true (r.present & LP_LOG_HAS_EVAL_LOSS);

  /* The next epoch's bar: its val_loss is the same, not a new one. */
  g_assert_cmpint (feed (parser, "Epoch 1:   0%|          | 0/150 [00:00<?, ?it/s, v_num=0, train_loss=1.900, val_loss=2.610]",
                         &r), ==, LP_LOG_NOTHING);
  g_assert_cmpint (feed (parser, "Epoch 2:   1%|          | 1/150 [00:00<00:17,  8.50it/s, v_num=0, "
                                 "train_loss_step=1.800, val_loss=2.610, train_loss_epoch=1.950]", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 301);
  assert_value (r.loss, 1.8);
  g_assert_false (r.present & LP_LOG_HAS_EVAL_LOSS);
}

/* pytorch/torchtune recipes/lora_finetune_single_device.py:
 *   pbar = tqdm(total=self._steps_per_epoch)
 *   pbar.set_description(f"{curr_epoch + 1}|{self.global_step}|Loss: {loss_to_log}")
 * and torchtune/training/metric_logging.py StdoutLogger.log_dict():
 *   print(f"Step {step} | ", end=""); then print(f"{name}:{data} ", end="") each */
static void
test_torchtune (void)
{
  g_autoptr(LpLogParser) parser = parser_for (LP_LOG_FORMAT_AUTO, 1000, 2);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "  0%|          | 0/500 [00:00<?, ?it/s]", &r), ==, LP_LOG_PROGRESS);
  g_assert_cmpint (feed (parser, "1|150|Loss: 2.3309857845306396:  30%|███       | 150/500 [01:23<03:14,  1.80it/s]",
                         &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 150);
  g_assert_cmpint (r.total_steps, ==, 1000);
  assert_value (r.loss, 2.3309857845306396);
  assert_value (r.epoch, 0.3);
  g_assert_cmpint (feed (parser, "2|650|Loss: 1.25:  30%|███       | 150/500 [01:23<03:14,  1.80it/s]", &r),
                   ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 650);
  assert_value (r.epoch, 1.3);

  g_assert_cmpint (feed (parser, "Step 650 | loss:1.25 lr:2e-05 tokens_per_second_per_gpu:1234.5678 ", &r),
                   ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 650);
  assert_value (r.loss, 1.25);
  assert_value (r.learning_rate, 2e-05);
}

/* karpathy/nanoGPT train.py:
 *   print(f"iter {iter_num}: loss {lossf:.4f}, time {dt*1000:.2f}ms, mfu {running_mfu*100:.2f}%")
 *   print(f"step {iter_num}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}") */
static void
test_nanogpt (void)
{
  g_autoptr(LpLogParser) parser = parser_for (LP_LOG_FORMAT_NANOGPT, 5000, 0);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "step 0: train loss 10.9882, val loss 10.9859", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 0);
  g_assert_cmpint (r.present & ~LP_LOG_HAS_TOTAL_STEPS, ==, LP_LOG_HAS_STEP | LP_LOG_HAS_EVAL_LOSS);
  assert_value (r.eval_loss, 10.9859);
  g_assert_cmpint (feed (parser, "iter 0: loss 10.9853, time 12000.12ms, mfu -100.00%", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 0);
  g_assert_cmpint (feed (parser, "iter 100: loss 2.3456, time 12.34ms, mfu 1.23%", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 100);
  g_assert_cmpint (r.present, ==, LP_LOG_HAS_STEP | LP_LOG_HAS_LOSS);
  assert_value (r.loss, 2.3456);
  g_assert_cmpint (lp_log_parser_get_step (parser), ==, 100);
  /* Other formats are not read when the job names this one. */
  g_assert_cmpint (feed (parser, "{'loss': 0.5, 'epoch': 1.0}", &r), ==, LP_LOG_NOTHING);
  g_assert_cmpint (feed (parser, "steps:  42%|████▏     | 63/150 [00:07<00:10,  8.50it/s, avr_loss=2.54]", &r),
                   ==, LP_LOG_NOTHING);
  g_assert_true (r.bar);
}

/* Lightning-AI/litgpt litgpt/finetune/lora.py:
 *   fabric.print(f"Epoch {metrics['epoch'] + 1} | iter {metrics['iter']} step {metrics['step']} |"
 *                f" loss train: {metrics['loss']:.3f}," f" val: {val_loss} |"
 *                f" iter time: {metrics['iter_time'] * 1000:.2f} ms" f"{' (step)' if not is_accumulating else ''}")
 *   fabric.print(f"iter {iter_num}: val loss {val_loss_tensor.item():.4f}, val time: {…:.2f} ms")
 *   fabric.print(f"Final evaluation | val loss: {val_loss.item():.3f} | val ppl: {math.exp(val_loss):.3f}") */
static void
test_litgpt (void)
{
  g_autoptr(LpLogParser) parser = parser_for (LP_LOG_FORMAT_AUTO, 100, 2);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "Epoch 1 | iter 96 step 24 | loss train: 2.345, val: n/a | iter time: 123.45 ms", &r),
                   ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 24);
  g_assert_cmpint (feed (parser, "Epoch 1 | iter 100 step 25 | loss train: 2.301, val: n/a | iter time: 120.01 ms (step)", &r),
                   ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 25);
  assert_value (r.loss, 2.301);
  assert_value (r.epoch, 0.5);
  g_assert_cmpint (feed (parser, "iter 100: val loss 2.4012, val time: 1234.56 ms", &r), ==, LP_LOG_METRICS);
  /* At the optimizer step, not at the iteration. */
  g_assert_cmpint (r.step, ==, 25);
  assert_value (r.eval_loss, 2.4012);
  g_assert_cmpint (feed (parser, "Epoch 2 | iter 400 step 100 | loss train: 1.201, val: 2.401 | iter time: 120.01 ms (step)",
                         &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 100);
  assert_value (r.epoch, 2.0);
  g_assert_cmpint (feed (parser, "Final evaluation | val loss: 1.987 | val ppl: 7.294", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 100);
  assert_value (r.eval_loss, 1.987);
}

/* ml-explore/mlx-lm mlx_lm/tuner/trainer.py (before its TrainUI):
 *   print(f"Iter {it}: Train loss {train_loss:.3f}, " f"Learning Rate {learning_rate:.3e}, "
 *         f"It/sec {it_sec:.3f}, " f"Tokens/sec {tokens_sec:.3f}, " f"Trained Tokens {trained_tokens}, "
 *         f"Peak mem {peak_mem:.3f} GB", flush=True)
 *   print(f"Iter {it}: " f"Val loss {val_loss:.3f}, " f"Val took {val_time:.3f}s", flush=True)
 * and mlx_lm/cli_ui.py's TrainUI rows, after its header. */
static void
test_mlx (void)
{
  g_autoptr(LpLogParser) parser = parser_for (LP_LOG_FORMAT_MLX, 600, 0);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "Iter 1: Val loss 2.456, Val took 1.234s", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 1);
  assert_value (r.eval_loss, 2.456);
  g_assert_cmpint (feed (parser, "Iter 10: Train loss 2.345, Learning Rate 1.000e-05, It/sec 1.234, "
                                 "Tokens/sec 567.890, Trained Tokens 1234, Peak mem 1.234 GB", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 10);
  g_assert_cmpint (r.present, ==, LP_LOG_HAS_STEP | LP_LOG_HAS_LOSS | LP_LOG_HAS_LEARNING_RATE);
  assert_value (r.loss, 2.345);
  assert_value (r.learning_rate, 1e-05);

  /* A table row means nothing before its header. */
  g_assert_cmpint (feed (parser, "    20    2.100 ▼    1,234    12.3k", &r), ==, LP_LOG_NOTHING);
  g_assert_cmpint (feed (parser, "  iter   train_loss     tok/s     tokens", &r), ==, LP_LOG_NOTHING);
  g_assert_cmpint (feed (parser, "    20    2.100 ▼    1,234    12.3k", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 20);
  assert_value (r.loss, 2.1);
  /* Rich colours it when the console is forced to; escapes go. */
  g_assert_cmpint (feed (parser, "  \x1b[38;2;128;128;128m  30\x1b[0m    \x1b[1;33m2.200 ▲\x1b[0m    1,200    24.0k", &r),
                   ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 30);
  assert_value (r.loss, 2.2);
  g_assert_cmpint (feed (parser, "    30    val 2.310    0.52s", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 30);
  assert_value (r.eval_loss, 2.31);
}

/* The lines before training say what the run is doing. */
static void
test_hints (void)
{
  g_autoptr(LpLogParser) parser = lp_log_parser_new (0);
  LpLogRecord r;
  struct {
    const char *line;
    LpLogHint   hint;
  } lines[] = {
    /* transformers' modeling_utils.py bar, desc="Loading checkpoint shards" */
    { "Loading checkpoint shards:  50%|█████     | 1/2 [00:03<00:03,  3.01s/it]", LP_LOG_HINT_MODEL_LOADING },
    /* datasets' arrow_dataset.py map(), desc="Map" (unit " examples") */
    { "Map: 100%|██████████| 242/242 [00:00<00:00, 3912.55 examples/s]", LP_LOG_HINT_PREPROCESSING },
    { "Map (num_proc=4):  25%|██▌       | 500/2000 [00:01<00:03, 412.00 examples/s]", LP_LOG_HINT_PREPROCESSING },
    { "Generating train split: 100%|██████████| 9846/9846 [00:00<00:00, 52151.90 examples/s]", LP_LOG_HINT_PREPROCESSING },
    /* huggingface_hub's downloads: a byte rate */
    { "config.json: 100%|██████████| 466/466 [00:00<00:00, 3.11MB/s]", LP_LOG_HINT_MODEL_LOADING },
    { "Fetching 4 files: 100%|██████████| 4/4 [00:20<00:00,  5.08s/it]", LP_LOG_HINT_MODEL_LOADING },
    /* kohya-ss's logger.info(f"loading model for process {…}/{…}"), behind rich's columns */
    { "2024-05-01 12:00:00 INFO     loading model for process 0/1                  train_util.py:5574", LP_LOG_HINT_MODEL_LOADING },
    { "2024-05-01 12:00:00 INFO     Loading dataset config from dataset.toml          train_network.py:519", LP_LOG_HINT_PREPROCESSING },
    { "caching latents.", LP_LOG_HINT_PREPROCESSING },
    /* mlx_lm/lora.py: rprint("Loading pretrained model"), rprint("Loading datasets") */
    { "Loading pretrained model", LP_LOG_HINT_MODEL_LOADING },
    { "Loading datasets", LP_LOG_HINT_PREPROCESSING },
    /* nanoGPT train.py */
    { "Initializing a new model from scratch", LP_LOG_HINT_MODEL_LOADING },
    { "tokens per iteration will be: 491,520", LP_LOG_HINT_NONE },
    { "Traceback (most recent call last):", LP_LOG_HINT_NONE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_test_message ("%s", lines[i].line);
      g_assert_cmpint (feed (parser, lines[i].line, &r), ==, LP_LOG_NOTHING);
      g_assert_cmpint (r.hint, ==, lines[i].hint);
    }

  /* None of those was the training bar: a shorter bar after them is. */
  g_assert_cmpint (lp_log_parser_get_total_steps (parser), ==, -1);
  g_assert_cmpint (feed (parser, "  1%|          | 2/200 [00:01<01:39,  2.00it/s]", &r), ==, LP_LOG_PROGRESS);
  g_assert_cmpint (r.total_steps, ==, 200);
}

/* A coloured bar (tqdm's colour=) reads as the plain one. */
static void
test_escapes (void)
{
  g_autoptr(LpLogParser) parser = lp_log_parser_new (0);
  LpLogRecord r;

  g_assert_cmpint (feed (parser, "\x1b[32m 42%|\x1b[32m████▏     \x1b[0m| 850/2000 [6:23:10<8:15:00, 22.5s/it, loss=0.42]\x1b[0m",
                         &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 850);
  assert_value (r.loss, 0.42);
  /* Wrapped scalars in a postfix, and a bar without a total. */
  g_assert_cmpint (feed (parser, " 43%|████▎     | 860/2000 [6:23:10<8:15:00, 22.5s/it, loss=tensor(0.41, device='cuda:0'), lr=2e-05]",
                         &r), ==, LP_LOG_METRICS);
  assert_value (r.loss, 0.41);
  assert_value (r.learning_rate, 2e-05);
  g_assert_cmpint (feed (parser, "860it [6:23:10, 22.5s/it, loss=0.41]", &r), ==, LP_LOG_NOTHING);
}

static void
test_patterns (void)
{
  const char *patterns[] = {
    "^\\[(?<step>\\d+)/(?<total>\\d+)\\] loss=(?<loss>\\S+)",
    "validation: (?<val_loss>[0-9.]+)",
    NULL,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(LpLogParser) parser = lp_log_parser_new_full (LP_LOG_FORMAT_NONE, patterns, 0, 0, &error);
  LpLogRecord r;

  g_assert_no_error (error);
  g_assert_cmpint (feed (parser, "[5/100] loss=0.5 lr=1", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 5);
  g_assert_cmpint (r.total_steps, ==, 100);
  assert_value (r.loss, 0.5);
  g_assert_cmpint (feed (parser, "[6/100] loss=", &r), ==, LP_LOG_NOTHING);
  g_assert_cmpint (feed (parser, "validation: 0.61", &r), ==, LP_LOG_METRICS);
  g_assert_cmpint (r.step, ==, 5);
  assert_value (r.eval_loss, 0.61);
  /* "none" reads no built-in format. */
  g_assert_cmpint (feed (parser, "{'loss': 0.5, 'epoch': 1.0}", &r), ==, LP_LOG_NOTHING);
  g_assert_cmpint (feed (parser, " 42%|████▏     | 850/2000 [6:23:10<8:15:00, 22.5s/it]", &r), ==, LP_LOG_NOTHING);
  g_assert_null (lp_log_parser_take_warning (parser));
}

static void
check_bad_pattern (const char *pattern,
                   const char *expected)
{
  const char *patterns[] = { "(?<loss>x)", pattern, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(LpLogParser) parser = lp_log_parser_new_full (LP_LOG_FORMAT_AUTO, patterns, 0, 0, &error);

  g_assert_null (parser);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "item 1"));
  g_assert_nonnull (strstr (error->message, expected));
}

static void
test_bad_patterns (void)
{
  g_autofree char *long_pattern = g_strnfill (LP_LOG_PATTERN_MAX_CHARS + 1, 'a');

  /* The pattern and GRegex's own words. */
  check_bad_pattern ("(?<loss>[0-9", "“(?<loss>[0-9”");
  check_bad_pattern ("(?<loss>[0-9", "missing terminating ] for character class");
  check_bad_pattern ("loss=(\\d+)", "none of the named groups");
  check_bad_pattern ("(?<speed>\\d+)", "none of the named groups");
  check_bad_pattern ("", "empty");
  check_bad_pattern (long_pattern, "longer than");
}

/* (a+)+$ on a long line of a's backtracks for ever; PCRE2's match limit
 * stops it, and the pattern is turned off after that one line. */
static void
test_catastrophic_pattern (void)
{
  const char *patterns[] = { "^(?<loss>(a+)+)$", NULL };
  g_autoptr(LpLogParser) parser = lp_log_parser_new_full (LP_LOG_FORMAT_AUTO, patterns, 0, 0, NULL);
  g_autofree char *line = g_strnfill (4000, 'a');
  g_autofree char *warning = NULL;
  LpLogRecord r;
  gint64 started;

  line[3999] = 'b';
  started = g_get_monotonic_time ();
  g_assert_cmpint (feed (parser, line, &r), ==, LP_LOG_NOTHING);
  warning = lp_log_parser_take_warning (parser);
  g_assert_nonnull (warning);
  g_test_message ("%s after %" G_GINT64_FORMAT " ms", warning, (g_get_monotonic_time () - started) / 1000);
  g_assert_nonnull (strstr (warning, "“^(?<loss>(a+)+)$” was turned off"));
  g_assert_cmpint (g_get_monotonic_time () - started, <, 2 * G_USEC_PER_SEC);

  /* Off: a thousand more such lines cost nothing, and the formats still read. */
  started = g_get_monotonic_time ();
  for (guint i = 0; i < 1000; i++)
    feed (parser, line, &r);
  g_assert_cmpint (g_get_monotonic_time () - started, <, G_USEC_PER_SEC / 2);
  g_assert_null (lp_log_parser_take_warning (parser));
  g_assert_cmpint (feed (parser, "{'loss': 0.5}", &r), ==, LP_LOG_METRICS);
}

static void
test_config (void)
{
  struct {
    const char *json;
    const char *error;   /* NULL: fine */
  } cases[] = {
    { "{}", NULL },
    { "{\"log_format\": \"mlx\", \"log_patterns\": [\"(?<loss>x)\"]}", NULL },
    { "{\"log_format\": null}", NULL },
    { "{\"log_format\": \"kohya\"}", "“log_format” must be one of auto, huggingface, tqdm, lightning, nanogpt, litgpt, mlx, torchtune, none" },
    { "{\"log_format\": 3}", "“log_format” must be one of" },
    { "{\"log_patterns\": \"(?<loss>x)\"}", "“log_patterns” must be an array" },
    { "{\"log_patterns\": [1]}", "item 0 is not a string" },
    { "{\"log_patterns\": [\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\"]}",
      "at most 16" },
    { "{\"log_format\": \"none\"}", "give at least one pattern" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonParser) json = json_parser_new ();
      g_auto(GStrv) patterns = NULL;
      LpLogFormat format = LP_LOG_FORMAT_NONE;
      gboolean ok;

      g_test_message ("%s", cases[i].json);
      g_assert_true (json_parser_load_from_data (json, cases[i].json, -1, NULL));
      ok = lp_log_config_read (json_node_get_object (json_parser_get_root (json)), &format, &patterns, &error);
      if (cases[i].error == NULL)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_nonnull (patterns);
        }
      else
        {
          g_assert_false (ok);
          g_assert_nonnull (error);
          g_assert_nonnull (strstr (error->message, cases[i].error));
          g_assert_null (patterns);
        }
    }

  g_assert_cmpstr (lp_log_format_to_string (LP_LOG_FORMAT_TORCHTUNE), ==, "torchtune");
  g_assert_true (lp_log_config_is_key ("log_patterns"));
  g_assert_false (lp_log_config_is_key ("argv"));
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
  g_test_add_func ("/log-parser/lagging-counter", test_lagging_counter);
  g_test_add_func ("/log-parser/restore", test_restore);
  g_test_add_func ("/log-parser/kohya", test_kohya);
  g_test_add_func ("/log-parser/diffusers", test_diffusers);
  g_test_add_func ("/log-parser/onetrainer", test_onetrainer);
  g_test_add_func ("/log-parser/ai-toolkit", test_ai_toolkit);
  g_test_add_func ("/log-parser/lightning", test_lightning);
  g_test_add_func ("/log-parser/torchtune", test_torchtune);
  g_test_add_func ("/log-parser/nanogpt", test_nanogpt);
  g_test_add_func ("/log-parser/litgpt", test_litgpt);
  g_test_add_func ("/log-parser/mlx", test_mlx);
  g_test_add_func ("/log-parser/hints", test_hints);
  g_test_add_func ("/log-parser/escapes", test_escapes);
  g_test_add_func ("/log-parser/patterns", test_patterns);
  g_test_add_func ("/log-parser/bad-patterns", test_bad_patterns);
  g_test_add_func ("/log-parser/catastrophic-pattern", test_catastrophic_pattern);
  g_test_add_func ("/log-parser/config", test_config);

  return g_test_run ();
}
