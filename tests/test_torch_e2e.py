#!/usr/bin/python3
# test_torch_e2e.py: a real LoRA fine-tune in PyTorch, run by the service
# under the local provider, in each of its modes
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# contrib/examples/torch_lora.py trains a small transformer language model,
# freezes it and fits rank-8 LoRA adapters to its attention projections
# (Debian's python3-torch, on CPU). lora-jobd runs it as a local job and
# follows it three ways: reading the tqdm bar it draws the way kohya-ss
# sd-scripts does, reading the dicts it prints the way a Hugging Face
# Trainer does, and taking what it reports through contrib's reporter.
# A fourth run is cancelled midway.
#
# The three runs go at once (the service has the slots), after one short
# run has trained the base model they all load, so that the whole file
# takes about 20 s on two cores.

import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from contrib_support import CONTRIB_DIR, ContribTestCase  # noqa: E402

TORCH_LORA = os.path.join(CONTRIB_DIR, 'examples', 'torch_lora.py')
# Debian's PyTorch and tqdm are for Debian's Python.
PYTHON = '/usr/bin/python3'
FINISHED = ('completed', 'failed', 'cancelled')
STEPS = 60
GRACE_MS = 3000

os.environ['LORA_LOCAL_GRACE_MS'] = str(GRACE_MS)


def have_torch():
    try:
        return subprocess.run([PYTHON, '-c', 'import torch, tqdm'], capture_output=True,
                              timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def processes_with(marker):
    pids = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % name, 'rb') as f:
                if marker.encode() in f.read():
                    pids.append(int(name))
        except OSError:
            continue
    return pids


def mean(values):
    return sum(values) / len(values)


@unittest.skipUnless(have_torch(), 'needs python3-torch and python3-tqdm (build-aux/deps.sh installs them)')
class TorchLoraTests(ContribTestCase):
    ENABLE_LOCAL = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory(prefix='torch-lora-e2e-')
        cls.base = os.path.join(cls.tmp.name, 'base.pt')
        # The base model, once: every run below loads it.
        subprocess.run([PYTHON, TORCH_LORA, '--steps', '1', '--base-cache', cls.base],
                       check=True, capture_output=True, timeout=120)
        cls.jobs = {}
        for mode, extra in (('kohya', ['--print', 'tqdm-kohya', '--sleep', '0.02']),
                            ('hf', ['--print', 'hf']),
                            ('report', ['--report', '--checkpoint-every', '30'])):
            outdir = os.path.join(cls.tmp.name, mode)
            argv = [PYTHON, TORCH_LORA, '--steps', str(STEPS), '--base-cache', cls.base,
                    '--output-dir', outdir] + extra
            job, _ = cls.shared.create_job(name='torch-lora ' + mode, total_steps=STEPS, epochs=2,
                                           gpu_type='CPU', pricing='on_demand', hourly_rate=0.01,
                                           provider='local', config={'argv': argv})
            cls.jobs[mode] = (job['id'], outdir)

    @classmethod
    def tearDownClass(cls):
        try:
            for jid, _ in cls.jobs.values():
                if cls.shared.alive() and cls.shared.job(jid)['status'] not in FINISHED:
                    cls.shared.cancel(jid)
        finally:
            super().tearDownClass()
            cls.tmp.cleanup()

    def finished(self, mode):
        jid, outdir = self.jobs[mode]
        job = self.jobd.wait_status(jid, FINISHED, timeout=90)
        self.assertEqual(job['status'], 'completed', job)
        self.assertIsNone(job['error'])
        self.assertEqual(job['current_step'], STEPS)
        self.assertEqual(job['progress'], 100.0)
        self.assertTrue(os.path.exists(os.path.join(outdir, 'adapter.pt')))
        return jid, job

    def assertLearns(self, jid):
        """The loss falls: the second half of the curve is lower than the
        first, and the last validation lower than the first."""
        values = [v for _, v in self.series(jid, 'train_loss')]
        half = len(values) // 2
        self.assertLess(mean(values[half:]), mean(values[:half]), values)
        val = [v for _, v in self.series(jid, 'val_loss')]
        self.assertLess(val[-1], val[0], val)

    def assertStagesInOrder(self, job):
        self.assertEqual([s['status'] for s in job['stages']], ['completed'] * 4, job['stages'])
        starts = [s['started_at'] for s in job['stages']]
        self.assertEqual(starts, sorted(starts), job['stages'])
        ends = [s['finished_at'] for s in job['stages']]
        self.assertEqual(ends, sorted(ends), job['stages'])
        self.assertLessEqual(ends[-1], job['finished_at'])

    def test_kohya_style_bar(self):
        jid, job = self.finished('kohya')
        train = self.series(jid, 'train_loss')
        steps = [s for s, _ in train]
        # The bar's steps, each once, up to the last; tqdm redraws at most
        # ten times a second, so not every step need be there.
        self.assertEqual(steps, sorted(set(steps)))
        # At most one point a second (see ljd-log-follower.c).
        self.assertGreaterEqual(len(steps), 3, steps)
        self.assertEqual(steps[-1], STEPS)
        self.assertLearns(jid)
        # The validation bar's end, at the step it ran after.
        self.assertEqual([s for s, _ in self.series(jid, 'val_loss')], [20, 40, 60])
        self.assertStagesInOrder(job)
        stages = {s['name']: s for s in job['stages']}
        self.assertEqual(stages['model_loading']['substatus'], 'loading model: a 2-layer, 32-wide transformer')

    def test_hugging_face_dicts(self):
        jid, job = self.finished('hf')
        train = self.series(jid, 'train_loss')
        self.assertEqual([s for s, _ in train], list(range(10, STEPS + 1, 10)))
        self.assertLearns(jid)
        self.assertEqual([s for s, _ in self.series(jid, 'val_loss')], [20, 40, 60])
        lr = self.series(jid, 'learning_rate')
        self.assertEqual(len(lr), 6)
        self.assertLess(lr[-1][1], lr[0][1])
        self.assertEqual(self.jobd.metrics(jid)['latest']['epoch'], 2.0)
        self.assertStagesInOrder(job)
        stages = {s['name']: s for s in job['stages']}
        self.assertTrue(stages['preprocessing']['substatus'] is None or
                        stages['preprocessing']['substatus'].startswith('Map'))

    def test_reporter(self):
        jid, job = self.finished('report')
        train = self.series(jid, 'train_loss')
        self.assertEqual([s for s, _ in train], [1] + list(range(10, STEPS + 1, 10)))
        self.assertLearns(jid)
        self.assertEqual([s for s, _ in self.series(jid, 'val_loss')], [20, 40, 60])
        self.assertStagesInOrder(job)
        # The trainer's own stages, not the output's.
        stages = {s['name']: s for s in job['stages']}
        self.assertEqual(stages['model_loading']['substatus'],
                         'Loading the base model from %s' % self.base)
        events = self.trainer_events(jid)
        self.assertEqual([e['payload']['data']['step'] for e in events if e['type'] == 'checkpoint'], [30])
        final = [e for e in events if e['type'] == 'status'
                 and e['payload'].get('data', {}).get('status') == 'completed']
        self.assertEqual(len(final), 1)
        self.assertRegex(final[0]['message'], r'^LoRA fitted: loss \d\.\d+ -> \d\.\d+$')

    def test_zz_cancel_keeps_the_curve(self):
        # After the others: it has the CPU to itself.
        outdir = os.path.join(self.tmp.name, 'cancel')
        argv = [PYTHON, TORCH_LORA, '--steps', '2000', '--sleep', '0.02', '--base-cache', self.base,
                '--output-dir', outdir, '--print', 'tqdm-kohya']
        job, _ = self.jobd.create_job(name='torch-lora cancelled', total_steps=2000, epochs=2,
                                      provider='local', config={'argv': argv})
        jid = job['id']
        self.addCleanup(lambda: self.jobd.alive() and self.jobd.job(jid)['status'] not in FINISHED
                        and self.jobd.cancel(jid))
        self.jobd.wait_for(lambda: len(self.series(jid, 'train_loss')) >= 3, timeout=60,
                           what='a few points of the curve')
        self.assertTrue(processes_with(outdir))
        curve = self.series(jid, 'train_loss')

        started = time.monotonic()
        r = self.jobd.cancel(jid)
        self.assertEqual(r.status, 200, r)
        job = self.jobd.wait_status(jid, 'cancelled', timeout=GRACE_MS / 1000.0 + 5)
        self.assertLess(time.monotonic() - started, GRACE_MS / 1000.0)
        self.jobd.wait_for(lambda: not processes_with(outdir), timeout=2, what='the trainer to be gone')
        self.assertEqual(job['cancel_reason'], 'testing')
        self.assertLess(job['current_step'], 2000)
        kept = self.series(jid, 'train_loss')
        self.assertEqual(kept[:len(curve)], curve)
        self.assertEqual({s['name']: s['status'] for s in job['stages']}['training'], 'active')
        self.assertFalse([m for m in (e['message'] for e in self.jobd.all_events(jid))
                          if 'exited with status' in m or 'killed by signal' in m])


if __name__ == '__main__':
    unittest.main(verbosity=2)
