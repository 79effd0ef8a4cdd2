#!/usr/bin/python3
# test_tiny_lora.py: contrib/examples/tiny_lora.py, a trainer that really
# learns, run as a separate process reporting to the real lora-jobd
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The trainer gets the three LORA_* variables of an external-provider job,
# as a trainer started by hand (or by the local provider) does.

import ast
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from contrib_support import TINY_LORA, ContribTestCase  # noqa: E402

PYTHON = sys.executable or '/usr/bin/python3'


class TinyLoraTests(ContribTestCase):

    def trainer_env(self, job, secret, url):
        env = dict(os.environ)
        env.update({'LORA_JOB_ID': str(job['id']), 'LORA_WEBHOOK_URL': url,
                    'LORA_WEBHOOK_SECRET': secret, 'PYTHONDONTWRITEBYTECODE': '1'})
        return env

    def start(self, args, env):
        out = tempfile.TemporaryFile()
        proc = subprocess.Popen([PYTHON, '-u', TINY_LORA] + args, env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

        def cleanup():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            out.close()
        self.addCleanup(cleanup)
        return proc, out

    @staticmethod
    def output(out):
        out.seek(0)
        return out.read().decode('utf-8', 'replace')

    def test_a_run_learns_and_completes(self):
        job, secret, url = self.external_job(name='tiny-lora d16 r2', total_steps=300, epochs=38)
        jid = job['id']
        outdir = tempfile.TemporaryDirectory(prefix='tiny-lora-')
        self.addCleanup(outdir.cleanup)
        proc, out = self.start(['--steps', '300', '--report-interval', '0.2',
                                '--output-dir', outdir.name], self.trainer_env(job, secret, url))
        self.assertEqual(proc.wait(60), 0, self.output(out))
        text = self.output(out)
        self.assertIn('reporting to ' + url, text)
        self.assertIn('done: 300 steps', text)
        self.assertNotIn('not delivered', text)

        job = self.jobd.job(jid)
        self.assertEqual(job['status'], 'completed', job)
        self.assertEqual(job['current_step'], 300)
        self.assertEqual(set(self.stage_statuses(job).values()), {'completed'})
        self.assertIn('Generating 320 samples', self.trainer_events(jid, 'status')[0]['message'])

        train = self.series(jid, 'train_loss')
        self.assertEqual([s for s, _ in train], [1] + list(range(10, 301, 10)))
        first, last = train[0][1], train[-1][1]
        self.assertLess(last, first / 2, train)
        self.assertLess(last, first / 20, train)         # it really fits
        val = self.series(jid, 'val_loss')
        self.assertEqual([s for s, _ in val], [50, 100, 150, 200, 250, 300])
        self.assertLess(val[-1][1], val[0][1] / 2, val)
        lr = self.series(jid, 'learning_rate')
        self.assertAlmostEqual(max(v for _, v in lr), 0.2, delta=0.001)
        self.assertEqual(lr[-1][1], 0.0)

        ckpts = [e['payload']['data'] for e in self.trainer_events(jid, 'checkpoint')]
        self.assertEqual([c['step'] for c in ckpts], [100, 200])
        for c in ckpts:
            self.assertTrue(os.path.exists(os.path.join(c['path'], 'adapter.json')), c)
        self.assertTrue(os.path.exists(os.path.join(outdir.name, 'adapter.json')))
        final = self.trainer_events(jid, 'status')[-1]
        self.assertEqual(final['payload']['data'], {'status': 'completed'})
        self.assertRegex(final['message'], r'^Adapter fitted: loss [0-9.]+ -> [0-9.e-]+$')

    def test_a_cancelled_run_stops(self):
        job, secret, url = self.external_job(name='tiny-lora cancelled', total_steps=3000)
        jid = job['id']
        proc, out = self.start(['--steps', '3000', '--sleep', '0.005', '--report-interval', '0.2'],
                               self.trainer_env(job, secret, url))
        self.jobd.wait_for(lambda: self.jobd.job(jid)['current_step'] >= 100, timeout=30,
                           what='100 steps')
        t0 = time.monotonic()
        r = self.jobd.cancel(jid)
        self.assertEqual(r.json['status'], 'cancelled', r)
        self.assertEqual(proc.wait(15), 0, self.output(out))
        self.assertLess(time.monotonic() - t0, 5)
        text = self.output(out)
        self.assertRegex(text, r'stopped at step \d+ by the service \(Job \d+ is cancelled and takes no events\)')
        self.assertNotIn('done:', text)

        job = self.jobd.job(jid)
        self.assertEqual(job['status'], 'cancelled')
        self.assertEqual(job['cancel_reason'], 'testing')
        self.assertGreaterEqual(job['current_step'], 100)
        self.assertLess(job['current_step'], 3000)
        self.assertEqual(self.stage_statuses(job)['training'], 'active')
        train = self.series(jid, 'train_loss')
        self.assertGreaterEqual(len(train), 10)
        self.assertLess(train[-1][1], train[0][1])

    def test_without_a_service_and_hf_logs(self):
        # No LORA_* variables: it trains and prints, and the Hugging Face
        # style lines are Python dicts, as the Trainer prints them.
        env = {k: v for k, v in os.environ.items() if not k.startswith('LORA_')}
        proc, out = self.start(['--steps', '200', '--print-hf-logs', '--eval-every', '100'], env)
        self.assertEqual(proc.wait(30), 0, self.output(out))
        text = self.output(out)
        self.assertIn('not reporting', text)
        logs = [ast.literal_eval(line) for line in text.splitlines() if line.startswith('{')]
        train = [d for d in logs if 'loss' in d]
        evals = [d for d in logs if 'eval_loss' in d]
        self.assertEqual(len(train), 21)
        self.assertEqual(set(train[0]), {'loss', 'grad_norm', 'learning_rate', 'epoch'})
        self.assertEqual(len(evals), 2)
        self.assertLess(train[-1]['loss'], train[0]['loss'] / 2)
        self.assertEqual(evals[-1]['epoch'], 25.0)


if __name__ == '__main__':
    unittest.main(verbosity=2)
