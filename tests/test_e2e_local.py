#!/usr/bin/python3
# test_e2e_local.py: end to end, a trainer that really learns run BY the
# service under the local provider, reporting through contrib's reporter
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# lora-jobd starts contrib/examples/tiny_lora.py as its child process (the
# job's config argv), with LORA_JOB_ID, LORA_WEBHOOK_URL and
# LORA_WEBHOOK_SECRET in its environment; the trainer posts its stages,
# metrics and checkpoints to the service's webhook with the reporter. A
# second run is cancelled through the API midway: the provider's SIGTERM
# stops the trainer, and the job ends cancelled with what it had.

import os
import re
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from contrib_support import TINY_LORA, ContribTestCase  # noqa: E402

PYTHON = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
FINISHED = ('completed', 'failed', 'cancelled')
# The event ids lora_reporter gives: RUNID-SEQ, RUNID = UTC time-6 hex digits.
REPORTER_ID = re.compile(r'^\d{14}-[0-9a-f]{6}-\d+$')


def processes_with(marker):
    """Pids of the processes whose command line contains @marker."""
    pids = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % name, 'rb') as f:
                cmdline = f.read()
        except OSError:
            continue
        if marker.encode() in cmdline:
            pids.append(int(name))
    return pids


class LocalProviderTests(ContribTestCase):
    ENABLE_LOCAL = True

    def local_job(self, name, total_steps, args):
        outdir = tempfile.TemporaryDirectory(prefix='tiny-lora-local-')
        self.addCleanup(outdir.cleanup)
        argv = [PYTHON, '-u', TINY_LORA, '--report-interval', '0.2',
                '--output-dir', outdir.name] + args
        r = self.jobd.post('/api/training/jobs', self.jobd.job_fields(
            name=name, total_steps=total_steps, epochs=max(1, total_steps // 8),
            gpu_type='CPU', pricing='on_demand', hourly_rate=0.01,
            provider='local', config={'argv': argv}))
        self.assertEqual(r.status, 201, r)
        job = r.json

        def cleanup(jid=job['id']):
            if self.jobd.alive() and self.jobd.job(jid)['status'] not in FINISHED:
                self.jobd.cancel(jid)
        self.addCleanup(cleanup)
        return job, outdir.name

    def test_a_run_under_the_local_provider(self):
        job, outdir = self.local_job('tiny-lora local', 300, ['--steps', '300', '--sleep', '0.002'])
        jid = job['id']
        self.assertEqual(job['provider'], 'local')
        job = self.jobd.wait_status(jid, FINISHED, timeout=40)
        self.assertEqual(job['status'], 'completed', job)
        self.assertIsNone(job['error'])
        self.assertEqual(job['current_step'], 300)
        self.assertEqual(set(self.stage_statuses(job).values()), {'completed'})

        train = self.series(jid, 'train_loss')
        steps = [s for s, _ in train]
        self.assertEqual(steps[0], 1)
        self.assertEqual(steps[-1], 300)
        self.assertLess(train[-1][1], train[0][1] / 2, train)
        val = self.series(jid, 'val_loss')
        self.assertEqual([s for s, _ in val], [50, 100, 150, 200, 250, 300])
        self.assertLess(val[-1][1], val[0][1] / 2, val)

        # The events came from the reporter inside the child: its run id,
        # its stages and checkpoints, in order.
        events = [e for e in self.trainer_events(jid)
                  if REPORTER_ID.match(str(e['payload']['event_id']))]
        run_ids = {e['payload']['event_id'].rsplit('-', 1)[0] for e in events}
        self.assertEqual(len(run_ids), 1, run_ids)
        run_id = run_ids.pop()
        stages = [(e['payload']['data']['stage'], e['payload']['data']['status']) for e in events
                  if e['type'] == 'stage' and e['payload']['event_id'].startswith(run_id)]
        self.assertEqual(stages, [('preprocessing', 'active'), ('model_loading', 'active'),
                                  ('training', 'active'), ('training', 'completed'),
                                  ('finalization', 'active'), ('finalization', 'completed')])
        ckpts = [e['payload']['data'] for e in events
                 if e['type'] == 'checkpoint' and e['payload']['event_id'].startswith(run_id)]
        self.assertEqual([c['step'] for c in ckpts], [100, 200])
        for c in ckpts:
            self.assertTrue(os.path.exists(os.path.join(c['path'], 'adapter.json')), c)
        self.assertTrue(os.path.exists(os.path.join(outdir, 'adapter.json')))
        final = [e for e in events if e['type'] == 'status'
                 and e['payload'].get('data', {}).get('status') == 'completed']
        self.assertEqual(len(final), 1)
        self.assertRegex(final[0]['message'], r'^Adapter fitted: loss ')
        self.jobd.wait_for(lambda: not processes_with(outdir), timeout=5, what='the trainer to exit')

    def test_a_run_cancelled_midway(self):
        job, outdir = self.local_job('tiny-lora local cancelled', 4000,
                                     ['--steps', '4000', '--sleep', '0.005'])
        jid = job['id']
        # Past step 140: before it, a loss point (0.891 at step 120 with
        # seed 1) can be above the first (0.866 at step 10).
        # The curve itself past step 200, not only the step counter: the
        # metrics of a step can arrive after the step is counted.
        self.jobd.wait_for(lambda: self.jobd.job(jid)['current_step'] >= 200 and
                           max([s for s, _ in self.series(jid, 'train_loss')] or [0]) >= 200,
                           timeout=30, what='200 steps of the local run')
        self.assertTrue(processes_with(outdir))
        t0 = time.monotonic()
        r = self.jobd.cancel(jid)
        self.assertEqual(r.status, 200, r)
        job = self.jobd.wait_status(jid, 'cancelled', timeout=15)
        self.assertLess(time.monotonic() - t0, 8)
        self.assertEqual(job['cancel_reason'], 'testing')
        self.assertGreaterEqual(job['current_step'], 200)
        self.assertLess(job['current_step'], 4000)
        self.assertEqual(self.stage_statuses(job)['training'], 'active')
        train = self.series(jid, 'train_loss')
        self.assertGreaterEqual(len(train), 10)
        self.assertLess(train[-1][1], train[0][1])
        self.assertFalse([e for e in self.trainer_events(jid, 'status')
                          if e['payload'].get('data', {}).get('status') == 'completed'])
        # The trainer is gone.
        self.jobd.wait_for(lambda: not processes_with(outdir), timeout=5, what='the trainer to exit')


if __name__ == '__main__':
    unittest.main(verbosity=2)
