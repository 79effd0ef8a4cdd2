#!/usr/bin/env python3
# test_crash.py: lora-jobd killed with SIGKILL again and again while trainers
# post batches of events and resend every batch whose answer they did not
# get. Whatever was acknowledged must be stored, nothing stored twice, and
# the database intact after every restart.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import http.client
import json
import random
import threading
import time
import unittest

from jobd import Jobd, sign

N_TRAINERS = 3
BATCH = 200
KILLS = 8


class Trainer(threading.Thread):
    """Posts numbered batches for one job; a batch is resent until the
    service acknowledges it, as contrib/lora_reporter.py does."""

    def __init__(self, jobd, job_id, secret, name):
        super().__init__(daemon=True)
        self.jobd, self.job_id, self.secret, self.name = jobd, job_id, secret, name
        self.acked = set()
        self.sent_batches = 0
        self.resends = 0
        self.duplicates = 0
        self.stop = threading.Event()
        self.step = 0

    def batch(self):
        events = []
        for _ in range(BATCH):
            self.step += 1
            events.append({'event_id': '%s-%d' % (self.name, self.step), 'type': 'metrics',
                           'data': {'step': self.step, 'train_loss': 1.0 / self.step, 'epoch': 1}})
        return events

    def post(self, body):
        conn = http.client.HTTPConnection(self.jobd.host, self.jobd.port, timeout=5)
        try:
            conn.request('POST', '/api/training/jobs/%d/webhook' % self.job_id, body=body,
                         headers={'Content-Type': 'application/json',
                                  'X-Lora-Signature': sign(self.secret, body)})
            resp = conn.getresponse()
            data = resp.read()
            if resp.status == 202:
                # A batch stored before a kill took its answer comes back
                # as duplicates when it is sent again.
                self.duplicates += json.loads(data)['duplicates']
            return resp.status
        finally:
            conn.close()

    def run(self):
        while not self.stop.is_set():
            events = self.batch()
            body = json.dumps({'events': events}).encode()
            while True:
                try:
                    status = self.post(body)
                except (OSError, http.client.HTTPException, TypeError):
                    status = None
                if status == 202:
                    self.acked.update(e['event_id'] for e in events)
                    self.sent_batches += 1
                    break
                if status is not None:
                    raise AssertionError('webhook answered %r' % status)
                self.resends += 1
                time.sleep(0.02)
                if self.stop.is_set() and not self.jobd.alive():
                    return


class KillDuringIngestTest(unittest.TestCase):
    def setUp(self):
        self.jobd = Jobd()
        self.jobd.start()
        self.addCleanup(self.jobd.close)

    def integrity(self):
        self.assertEqual(self.jobd.sql('PRAGMA integrity_check'), [('ok',)])

    def test_nothing_lost_nothing_twice(self):
        trainers = []
        for i in range(N_TRAINERS):
            job, secret = self.jobd.create_external(name='Crash %d' % i)
            trainers.append(Trainer(self.jobd, job['id'], secret, 't%d' % i))
        for t in trainers:
            t.start()

        rng = random.Random(7)
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.2, 0.6))
            self.jobd.kill()
            self.integrity()
            self.jobd.start()

        time.sleep(0.5)
        for t in trainers:
            t.stop.set()
        for t in trainers:
            t.join(timeout=30)
            self.assertFalse(t.is_alive())
        self.jobd.stop()
        self.integrity()

        total_acked = 0
        for t in trainers:
            stored = self.jobd.sql('SELECT source_id FROM events WHERE job_id = ? AND source_id IS NOT NULL',
                                   (t.job_id,))
            ids = [row[0] for row in stored]
            self.assertEqual(len(ids), len(set(ids)), 'an event stored twice')
            missing = t.acked - set(ids)
            self.assertEqual(missing, set(), 'acknowledged events lost')
            steps = self.jobd.sql('SELECT step FROM training_metrics_history WHERE job_id = ? AND series = 0',
                                  (t.job_id,))
            self.assertEqual(len(steps), len(set(steps)))
            self.assertGreaterEqual(len(steps), len(t.acked))
            total_acked += len(t.acked)

        # The kills did land mid-ingest: some batches had to be sent again.
        self.assertGreater(total_acked, 0)
        self.assertGreater(sum(t.resends for t in trainers), 0)
        print('acknowledged %d events in %d batches, %d resends, %d duplicates, %d kills'
              % (total_acked, sum(t.sent_batches for t in trainers), sum(t.resends for t in trainers),
                 sum(t.duplicates for t in trainers), KILLS))
        self.assertEqual(self.jobd.trouble(), [])


if __name__ == '__main__':
    unittest.main(verbosity=2)
