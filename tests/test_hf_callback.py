#!/usr/bin/python3
# test_hf_callback.py: contrib/lora_hf_callback.py against the real lora-jobd
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# transformers is not installable here, so the callback is driven the way
# transformers' Trainer drives it (the same hooks in the same order, with
# the logs dicts it passes), with stand-ins for TrainingArguments,
# TrainerState and TrainerControl that have the attributes the callback
# reads. The events go to a real service, for external-provider jobs.

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from contrib_support import ContribTestCase  # noqa: E402

import lora_hf_callback  # noqa: E402


class TrainingArguments:
    def __init__(self, output_dir='/tmp/out', logging_steps=10, eval_steps=25, save_steps=25):
        self.output_dir = output_dir
        self.logging_steps = logging_steps
        self.eval_steps = eval_steps
        self.save_steps = save_steps


class TrainerState:
    def __init__(self, max_steps, is_world_process_zero=True):
        self.global_step = 0
        self.epoch = 0.0
        self.max_steps = max_steps
        self.num_train_epochs = 2
        self.log_history = []
        self.is_world_process_zero = is_world_process_zero
        self.is_local_process_zero = is_world_process_zero


class TrainerControl:
    def __init__(self):
        self.should_training_stop = False
        self.should_epoch_stop = False
        self.should_save = False
        self.should_evaluate = False
        self.should_log = False


def loss_at(step):
    return 2.0 * 0.97 ** step


class FakeTrainer:
    """Calls the hooks as transformers.Trainer does: on_train_begin, per
    step on_step_begin/on_step_end, then on_log with the training logs,
    evaluate (on_log with eval_* then on_evaluate), save (on_save); at the
    end on_log with the run summary and on_train_end."""

    def __init__(self, callback, max_steps=50, steps_per_epoch=25, world_zero=True, crash_at=None):
        self.cb = callback
        self.args = TrainingArguments()
        self.state = TrainerState(max_steps, world_zero)
        self.control = TrainerControl()
        self.steps_per_epoch = steps_per_epoch
        self.crash_at = crash_at
        self.between_steps = None

    def log(self, logs):
        logs = dict(logs, epoch=round(self.state.epoch, 4))
        self.state.log_history.append(dict(logs, step=self.state.global_step))
        self.cb.on_log(self.args, self.state, self.control, logs=logs)

    def train(self):
        a, s, c = self.args, self.state, self.control
        self.cb.on_train_begin(a, s, c)
        for step in range(1, s.max_steps + 1):
            self.cb.on_step_begin(a, s, c)
            if step == self.crash_at:
                raise RuntimeError('CUDA out of memory. Tried to allocate 2.00 GiB')
            s.global_step = step
            s.epoch = step / self.steps_per_epoch
            self.cb.on_step_end(a, s, c)
            if step % a.logging_steps == 0:
                self.log({'loss': loss_at(step), 'grad_norm': 0.5, 'learning_rate': 2e-4 * (1 - step / s.max_steps)})
            if step % a.eval_steps == 0:
                metrics = {'eval_loss': loss_at(step) + 0.05, 'eval_runtime': 0.5,
                           'eval_samples_per_second': 100.0}
                self.log(metrics)
                self.cb.on_evaluate(a, s, c, metrics=dict(metrics, epoch=s.epoch))
            if step % a.save_steps == 0:
                self.cb.on_save(a, s, c)
            if self.between_steps is not None:
                self.between_steps(step)
            if c.should_training_stop:
                break
        self.log({'train_runtime': 12.5, 'train_samples_per_second': 40.0, 'train_loss': 0.8})
        self.cb.on_train_end(a, s, c)


class HfCallbackTests(ContribTestCase):

    def callback(self, url, secret, **kwargs):
        kwargs.setdefault('flush_interval', 0.05)
        kwargs.setdefault('backoff_base', 0.05)
        cb = lora_hf_callback.LoraReporterCallback(url=url, secret=secret, **kwargs)
        self.addCleanup(cb.reporter.close, 1.0)
        return cb

    def test_base_class_without_transformers(self):
        cls = lora_hf_callback.LoraReporterCallback
        try:
            import transformers  # noqa: F401
        except ImportError:
            self.assertTrue(issubclass(cls, lora_hf_callback.PlainTrainerCallback))
        else:
            self.assertTrue(issubclass(cls, transformers.TrainerCallback))
        self.assertIs(lora_hf_callback.LoraReporterCallback, cls)
        with self.assertRaises(AttributeError):
            lora_hf_callback.NoSuchThing

    def test_a_training_run(self):
        job, secret, url = self.external_job(total_steps=50, epochs=2)
        jid = job['id']
        cb = self.callback(url, secret)
        cb.reporter.stage('preprocessing', 'active', substatus='Tokenizing...')
        cb.reporter.stage('model_loading', 'active', substatus='Loading model...')
        trainer = FakeTrainer(cb)
        trainer.train()
        self.assertFalse(trainer.control.should_training_stop)

        job = self.jobd.job(jid)
        self.assertEqual(job['status'], 'completed')
        self.assertEqual(job['current_step'], 50)
        self.assertEqual(job['epoch'], 2)
        self.assertEqual(set(self.stage_statuses(job).values()), {'completed'})
        self.assertEqual(self.series(jid, 'train_loss'), [(s, loss_at(s)) for s in (10, 20, 30, 40, 50)])
        self.assertEqual(self.series(jid, 'val_loss'), [(25, loss_at(25) + 0.05), (50, loss_at(50) + 0.05)])
        lr = self.series(jid, 'learning_rate')
        self.assertEqual([s for s, _ in lr], [10, 20, 30, 40, 50])
        self.assertAlmostEqual(lr[0][1], 2e-4 * 0.8)

        metrics = self.trainer_events(jid, 'metrics')
        # Five training logs and two evaluations, each evaluation once
        # although both on_log and on_evaluate saw it; no summary.
        self.assertEqual(len(metrics), 7)
        first = metrics[0]['payload']['data']
        self.assertEqual(first, {'step': 10, 'epoch': 0.4, 'train_loss': loss_at(10),
                                 'learning_rate': 2e-4 * 0.8, 'grad_norm': 0.5})
        checkpoints = self.trainer_events(jid, 'checkpoint')
        self.assertEqual([e['payload']['data'] for e in checkpoints],
                         [{'step': 25, 'path': '/tmp/out/checkpoint-25'},
                          {'step': 50, 'path': '/tmp/out/checkpoint-50'}])
        statuses = [e['payload']['data'] for e in self.trainer_events(jid, 'status')]
        self.assertEqual(statuses[0], {'stage': 'preprocessing', 'status': 'active', 'substatus': 'Tokenizing...'})
        self.assertIn({'status': 'training'}, statuses)
        self.assertIn({'stage': 'training', 'status': 'active', 'substatus': 'Training for 50 steps'}, statuses)
        self.assertEqual(statuses[-4:], [
            {'stage': 'training', 'status': 'completed'},
            {'stage': 'finalization', 'status': 'active', 'substatus': 'Training ended at step 50; saving...'},
            {'stage': 'finalization', 'status': 'completed'},
            {'status': 'completed'},
        ])

    def test_finish_after_saving(self):
        job, secret, url = self.external_job(total_steps=20)
        cb = self.callback(url, secret, finish_on_train_end=False)
        trainer = FakeTrainer(cb, max_steps=20)
        trainer.train()
        cb.reporter.flush(5)
        job = self.jobd.job(job['id'])
        self.assertEqual(job['status'], 'training')
        self.assertEqual(self.stage_statuses(job)['finalization'], 'active')
        cb.finish()
        job = self.jobd.job(job['id'])
        self.assertEqual(job['status'], 'completed')
        self.assertEqual(self.stage_statuses(job)['finalization'], 'completed')
        cb.finish()                                     # twice is harmless

    def test_on_evaluate_alone_reports_val_loss(self):
        job, secret, url = self.external_job(total_steps=100)
        cb = self.callback(url, secret)
        args, state, control = TrainingArguments(), TrainerState(100), TrainerControl()
        cb.on_train_begin(args, state, control)
        state.global_step, state.epoch = 40, 0.8
        cb.on_evaluate(args, state, control, metrics={'eval_loss': float('nan'), 'epoch': 0.8})
        cb.on_evaluate(args, state, control, metrics={'eval_accuracy': 0.9})     # no loss: nothing
        cb.on_log(args, state, control, logs={'loss': float('inf'), 'epoch': 0.8})
        cb.on_log(args, state, control, logs={'total_flos': 1e12})               # nothing
        self.assertTrue(cb.reporter.flush(5))
        self.assertEqual(self.series(job['id'], 'val_loss'), [(40, None)])
        self.assertEqual(self.series(job['id'], 'train_loss'), [(40, None)])
        data = [e['payload']['data'] for e in self.trainer_events(job['id'], 'metrics')]
        self.assertEqual(data, [{'step': 40, 'epoch': 0.8, 'val_loss': 'NaN'},
                                {'step': 40, 'epoch': 0.8, 'train_loss': 'Infinity'}])

    def test_cancel_stops_training(self):
        job, secret, url = self.external_job(total_steps=200)
        jid = job['id']
        cb = self.callback(url, secret)
        trainer = FakeTrainer(cb, max_steps=200)

        def between_steps(step):
            if step == 30:
                cb.reporter.flush(5)
                self.assertEqual(self.jobd.cancel(jid).json['status'], 'cancelled')
            if step == 40:
                # The logs of step 40 went out and got 409.
                self.assertTrue(cb.reporter.flush(5))
                self.assertTrue(cb.stopped)
                self.assertFalse(trainer.control.should_training_stop)
        trainer.between_steps = between_steps
        trainer.train()

        self.assertTrue(trainer.control.should_training_stop)
        self.assertEqual(trainer.state.global_step, 41)        # stopped at the next step end
        job = self.jobd.job(jid)
        self.assertEqual(job['status'], 'cancelled')
        self.assertEqual(job['current_step'], 30)
        self.assertEqual([s for s, _ in self.series(jid, 'train_loss')], [10, 20, 30])
        # Nothing claimed completion after the cancel.
        kinds = [e['payload'].get('data') for e in self.trainer_events(jid, 'status')]
        self.assertNotIn({'status': 'completed'}, kinds)
        self.assertNotIn({'stage': 'training', 'status': 'completed'}, kinds)

    def test_failure(self):
        job, secret, url = self.external_job(total_steps=100)
        cb = self.callback(url, secret)
        trainer = FakeTrainer(cb, max_steps=100, crash_at=35)
        try:
            trainer.train()
        except RuntimeError as exc:
            cb.fail(exc)
        else:
            self.fail('no crash')
        job = self.jobd.job(job['id'])
        self.assertEqual(job['status'], 'failed')
        self.assertEqual(job['error'], 'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB')
        self.assertEqual(self.stage_statuses(job)['training'], 'failed')
        err = self.trainer_events(job['id'], 'error')[0]
        self.assertEqual(err['payload']['data']['exception'], 'RuntimeError')
        self.assertIn('in train', err['payload']['data']['traceback'])

    def test_with_block_reports_a_failure(self):
        job, secret, url = self.external_job(total_steps=100)
        with self.assertRaises(KeyError):
            with self.callback(url, secret) as cb:
                cb.on_train_begin(TrainingArguments(), TrainerState(100), TrainerControl())
                raise KeyError('labels')
        job = self.jobd.job(job['id'])
        self.assertEqual(job['status'], 'failed')
        self.assertEqual(job['error'], "KeyError: 'labels'")

    def test_only_the_main_process_reports(self):
        job, secret, url = self.external_job(total_steps=50)
        cb = self.callback(url, secret)
        FakeTrainer(cb, world_zero=False).train()
        self.assertTrue(cb.reporter.flush(2))
        self.assertEqual(cb.reporter.stats['queued'], 0)
        self.assertEqual(self.jobd.job(job['id'])['status'], 'provisioning')


if __name__ == '__main__':
    unittest.main(verbosity=2)
