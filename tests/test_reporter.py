#!/usr/bin/python3
# test_reporter.py: contrib/lora_reporter.py against the real lora-jobd
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The reporter posts to a real service (tests/jobd.py) for external-provider
# jobs; where the service cannot be made to misbehave (5xx, 429, a lost
# answer, a slow answer), a stand-in HTTP server on loopback answers
# instead, or sits between the reporter and the service.

import json
import math
import os
import re
import sys
import threading
import time
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from contrib_support import (  # noqa: E402
    ContribTestCase, StandIn, check_signature, proxy, scripted, webhook_path,
)
from jobd import status_event  # noqa: E402

import lora_reporter  # noqa: E402
from lora_reporter import Reporter  # noqa: E402

FAST = dict(flush_interval=0.1, backoff_base=0.05, backoff_max=0.5)


class ReporterTests(ContribTestCase):

    def reporter(self, *args, **kwargs):
        for k, v in FAST.items():
            kwargs.setdefault(k, v)
        r = Reporter(*args, **kwargs)
        self.addCleanup(r.close, 1.0)
        return r

    def stand_in(self, handler):
        s = StandIn(handler)
        self.addCleanup(s.close)
        return s

    # ------------------------------------------------------------------
    # A whole run, as a trainer sends it

    def test_a_run_reaches_the_job(self):
        job, secret, url = self.external_job(total_steps=100, epochs=2)
        jid = job['id']
        # The base URL and the job id work as well as the full webhook URL.
        r = self.reporter(url=self.jobd.url, secret=secret, job_id=jid)
        self.assertEqual(r.url, url)

        r.stage('preprocessing', 'active', substatus='Tokenizing 40 samples...')
        r.stage('model_loading', 'active', substatus='Loading the base model...')
        r.status('training')
        r.stage('training', 'active')
        for step in range(10, 101, 10):
            r.metrics(step, epoch=step / 50, train_loss=2.0 / step, learning_rate=1e-4,
                      val_loss=(2.2 / step) if step % 50 == 0 else None, gpu_util=93)
            if step == 50:
                r.checkpoint(step, path='/tmp/out/checkpoint-50')
                r.warning('GPU utilization dropped to 41%', step=step, gpu_util=41)
        r.stage('training', 'completed')
        r.stage('finalization', 'active', substatus='Saving adapters...')
        r.stage('finalization', 'completed')
        r.status('completed')
        self.assertTrue(r.close(10))

        job = self.jobd.job(jid)
        self.assertEqual(job['status'], 'completed')
        self.assertEqual(job['current_step'], 100)
        self.assertEqual(job['epoch'], 2)
        self.assertEqual(set(self.stage_statuses(job).values()), {'completed'})
        self.assertEqual(job['stages'][0]['substatus'], 'Tokenizing 40 samples...')
        self.assertEqual(self.series(jid, 'train_loss'), [(s, 2.0 / s) for s in range(10, 101, 10)])
        self.assertEqual(self.series(jid, 'val_loss'), [(50, 2.2 / 50), (100, 2.2 / 100)])
        self.assertEqual([v for _, v in self.series(jid, 'gpu_util')], [93.0] * 10)

        events = self.trainer_events(jid)
        self.assertEqual(len(events), 20)
        self.assertEqual(r.stats['accepted'], 20)
        self.assertEqual(r.stats['duplicates'], 0)
        ids = [e['payload']['event_id'] for e in events]
        self.assertEqual(ids, ['%s-%d' % (r.run_id, n) for n in range(1, 21)])
        for e in events:
            self.assertRegex(e['payload']['ts'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$')
        by_type = {}
        for e in events:
            by_type.setdefault(e['type'], []).append(e)
        self.assertEqual(by_type['checkpoint'][0]['payload']['data'],
                         {'step': 50, 'path': '/tmp/out/checkpoint-50'})
        self.assertEqual(by_type['checkpoint'][0]['message'], 'Checkpoint saved at step 50')
        self.assertEqual(by_type['warning'][0]['message'], 'GPU utilization dropped to 41%')
        self.assertEqual(by_type['warning'][0]['payload']['data'], {'step': 50, 'gpu_util': 41})

    def test_environment_and_disabled(self):
        job, secret, url = self.external_job()
        env = {'LORA_JOB_ID': str(job['id']), 'LORA_WEBHOOK_URL': url, 'LORA_WEBHOOK_SECRET': secret}
        with mock.patch.dict(os.environ, env):
            r = self.reporter()
        self.assertTrue(r.enabled)
        self.assertEqual((r.url, r.secret, r.job_id), (url, secret, job['id']))
        r.status('training')
        self.assertTrue(r.flush(5))
        self.assertEqual(self.jobd.job(job['id'])['status'], 'training')

        # Without the variables: every call does nothing, and no thread runs.
        with mock.patch.dict(os.environ, {}, clear=True):
            off = self.reporter()
        self.assertFalse(off.enabled)
        self.assertIsNone(off.metrics(1, train_loss=1.0))
        self.assertIsNone(off.status('completed'))
        self.assertTrue(off.flush(1))
        self.assertIsNone(off._thread)
        self.assertTrue(off.close(1))

    def test_invalid_arguments_raise_at_once(self):
        r = self.reporter(url='http://127.0.0.1:9/api/training/jobs/1/webhook', secret='x')
        with self.assertRaises(ValueError):
            r.status('running')
        with self.assertRaises(ValueError):
            r.stage('training', 'done')
        with self.assertRaises(ValueError):
            r.stage('evaluation', 'active')
        with self.assertRaises(ValueError):
            r.metrics(-1)
        self.assertEqual(r.stats['queued'], 0)

    # ------------------------------------------------------------------
    # Batching

    def test_batches_by_size(self):
        job, secret, _ = self.external_job(total_steps=1000)
        via = self.stand_in(proxy(self.jobd))
        r = self.reporter(url=via.url(job['id']), secret=secret, batch_size=25, flush_interval=60)
        for step in range(1, 101):
            r.metrics(step, train_loss=1.0 / step)
        self.assertTrue(r.flush(10))
        self.assertEqual([len(q.json['events']) for q in via.requests], [25, 25, 25, 25])
        for q in via.requests:
            check_signature(self, secret, q)
        self.assertEqual(r.stats['accepted'], 100)
        self.assertEqual([s for s, _ in self.series(job['id'], 'train_loss')], list(range(1, 101)))

    def test_batches_by_time(self):
        job, secret, _ = self.external_job()
        via = self.stand_in(proxy(self.jobd))
        r = self.reporter(url=via.url(job['id']), secret=secret, flush_interval=1.0)
        t0 = time.monotonic()
        for step in (1, 2, 3):
            r.metrics(step, train_loss=1.0)
        self.assertEqual(via.requests, [])
        deadline = time.monotonic() + 5
        while not via.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(len(via.requests), 1)
        self.assertGreaterEqual(via.requests[0].time - t0, 0.95)
        self.assertEqual(len(via.requests[0].json['events']), 3)

        # status and error events go at once, with what is queued.
        t1 = time.monotonic()
        r.metrics(4, train_loss=0.5)
        r.status('completed')
        while len(via.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertLess(via.requests[1].time - t1, 0.6)
        self.assertEqual([e['type'] for e in via.requests[1].json['events']], ['metrics', 'status'])
        self.assertTrue(r.flush(5))
        self.assertEqual(self.jobd.job(job['id'])['status'], 'completed')

    # ------------------------------------------------------------------
    # Retries

    def test_lost_answer_is_resent_and_counted_once(self):
        job, secret, _ = self.external_job()
        via = self.stand_in(proxy(self.jobd, lose={1}))
        r = self.reporter(url=via.url(job['id']), secret=secret)
        for step in range(1, 11):
            r.metrics(step, train_loss=1.0 / step)
        self.assertTrue(r.flush(10))
        # The service got the batch twice, byte for byte; the second time
        # it said it already had every event.
        self.assertEqual(len(via.requests), 2)
        self.assertEqual(via.requests[0].body, via.requests[1].body)
        self.assertEqual(r.stats['retries'], 1)
        self.assertEqual(r.stats['accepted'], 0)
        self.assertEqual(r.stats['duplicates'], 10)
        self.assertEqual(self.jobd.events(job['id'], '?type=metrics')['total'], 10)
        self.assertEqual(len(self.series(job['id'], 'train_loss')), 10)

    def test_backoff_on_5xx(self):
        stand_in = self.stand_in(scripted([(503,), (502,), (500,)]))
        r = self.reporter(url=stand_in.url(7), secret='s3cret', backoff_base=0.1, backoff_max=10)
        r.status('training')
        self.assertTrue(r.flush(10))
        reqs = stand_in.requests
        self.assertEqual(len(reqs), 4)
        self.assertEqual(len({q.body for q in reqs}), 1)
        for q in reqs:
            check_signature(self, 's3cret', q)
            self.assertEqual(q.path, webhook_path(7))
        gaps = [b.time - a.time for a, b in zip(reqs, reqs[1:])]
        # 0.1, 0.2, 0.4 s, each with jitter of up to half of it.
        for gap, base in zip(gaps, (0.1, 0.2, 0.4)):
            self.assertGreaterEqual(gap, base * 0.5 - 0.01, gaps)
            self.assertLess(gap, base + 0.5, gaps)
        self.assertEqual(r.stats['retries'], 3)
        self.assertEqual(r.stats['sent'], 1)

    def test_429_honours_retry_after(self):
        stand_in = self.stand_in(scripted([(429, {'Retry-After': '1'})]))
        r = self.reporter(url=stand_in.url(), secret='s', backoff_base=0.01)
        r.metrics(1, train_loss=1.0)
        self.assertTrue(r.flush(10))
        reqs = stand_in.requests
        self.assertEqual(len(reqs), 2)
        self.assertGreaterEqual(reqs[1].time - reqs[0].time, 0.95)
        self.assertEqual(reqs[0].body, reqs[1].body)

    def test_network_errors_are_retried_then_given_up(self):
        stand_in = StandIn(scripted([]))
        url = stand_in.url()
        stand_in.close()            # nothing listens there any more
        r = self.reporter(url=url, secret='s', backoff_base=0.02, give_up_after=0.3)
        t0 = time.monotonic()
        r.metrics(1, train_loss=1.0)
        self.assertLess(time.monotonic() - t0, 0.05)
        self.assertTrue(r.flush(5))
        self.assertGreaterEqual(r.stats['retries'], 3)
        self.assertEqual(r.stats['dropped'], 1)
        self.assertFalse(r.stopped)

    def test_close_gives_up_at_its_timeout(self):
        stand_in = self.stand_in(scripted([(503,)] * 1000))
        r = Reporter(url=stand_in.url(), secret='s', backoff_base=0.05, backoff_max=0.1)
        r.status('training')
        t0 = time.monotonic()
        self.assertFalse(r.close(0.5))
        self.assertLess(time.monotonic() - t0, 1.5)
        self.assertFalse(r._thread.is_alive())
        self.assertIsNone(r.metrics(2))             # after close: dropped

    def test_queued_job_is_retried_until_it_starts(self):
        # A 409 that says the job is queued is not the signal to stop.
        holder, hs, _ = self.external_job()
        for _ in range(self.SLOTS):
            if self.jobd.create_external(name='filler')[0]['status'] == 'queued':
                break
        job, secret = self.jobd.create_external(name='waits in the queue')
        self.assertEqual(job['status'], 'queued')
        r = self.reporter(url=self.jobd.url + webhook_path(job['id']), secret=secret,
                          backoff_max=0.2)
        r.status('training')
        self.assertFalse(r.flush(0.5))
        self.assertGreaterEqual(r.stats['retries'], 1)
        self.assertFalse(r.stopped)
        # Free every slot: the job starts, the retry gets through.
        for j in self.jobd.list_jobs('?per_page=100')['jobs']:
            if j['id'] != job['id'] and j['status'] in ('provisioning', 'queued'):
                self.jobd.cancel(j['id'])
        self.assertTrue(r.flush(10))
        self.assertFalse(r.stopped)
        self.assertEqual(self.jobd.job(job['id'])['status'], 'training')
        self.jobd.cancel(job['id'])

    # ------------------------------------------------------------------
    # Refusals

    def test_409_after_cancel_sets_stopped(self):
        job, secret, url = self.external_job()
        calls = []
        r = self.reporter(url=url, secret=secret, on_stop=calls.append)
        r.status('training')
        r.metrics(1, train_loss=1.0)
        self.assertTrue(r.flush(5))
        self.assertFalse(r.stopped)

        self.assertEqual(self.jobd.cancel(job['id']).json['status'], 'cancelled')
        r.metrics(2, train_loss=0.9)
        r.metrics(3, train_loss=0.8)
        self.assertTrue(r.flush(5))
        self.assertTrue(r.stopped)
        self.assertEqual(calls, [r])
        self.assertIn('cancelled', r.stop_reason)
        # Nothing more is sent.
        n = r.stats['requests']
        self.assertIsNone(r.metrics(4, train_loss=0.7))
        self.assertTrue(r.flush(1))
        self.assertEqual(r.stats['requests'], n)
        self.assertEqual(calls, [r])
        self.assertEqual([s for s, _ in self.series(job['id'], 'train_loss')], [1])

    def test_invalid_event_is_dropped_alone(self):
        job, secret, url = self.external_job()
        r = self.reporter(url=url, secret=secret, flush_interval=60)
        for step in range(1, 10):
            r.metrics(step, train_loss=1.0)
            if step == 5:
                r._emit('metrics', {'train_loss': 1.0}, None)     # no step: 400
        self.assertTrue(r.flush(10))
        self.assertEqual(r.stats['rejected'], 1)
        self.assertEqual(r.stats['accepted'], 9)
        self.assertEqual([s for s, _ in self.series(job['id'], 'train_loss')], list(range(1, 10)))

    def test_wrong_secret_is_dropped(self):
        job, _, url = self.external_job()
        with self.assertLogs('lora_reporter', 'WARNING') as logs:
            r = self.reporter(url=url, secret='0' * 64)
            r.status('training')
            self.assertTrue(r.flush(5))
        self.assertIn('HTTP 401', logs.output[0])
        self.assertEqual(r.stats['rejected'], 1)
        self.assertFalse(r.stopped)
        self.assertEqual(self.jobd.job(job['id'])['status'], 'provisioning')

    # ------------------------------------------------------------------
    # The queue

    def test_full_queue_drops_oldest_metrics_never_status(self):
        job, secret, _ = self.external_job(total_steps=1000)
        gate = threading.Event()
        via = self.stand_in(proxy(self.jobd, before=lambda req: gate.wait(10)))
        r = self.reporter(url=via.url(job['id']), secret=secret, max_queue=10, flush_interval=0.01)
        r.metrics(0, train_loss=5.0)
        deadline = time.monotonic() + 5
        while not via.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(len(via.requests), 1)      # held at the gate

        # The sender is stuck; reporting still returns at once.
        t0 = time.monotonic()
        r.status('training')
        r.stage('training', 'active')
        for step in range(1, 2001):
            r.metrics(step, train_loss=1.0 / step)
            if step == 1000:
                r.error('Something odd', step=step)
        r.stage('training', 'completed')
        r.status('completed')
        self.assertLess(time.monotonic() - t0, 1.0)
        types = [e.event['type'] for e in r._queue]
        self.assertEqual(len(types), 10)
        self.assertEqual(types.count('metrics'), 5)
        self.assertEqual(r.stats['dropped_metrics'], 1995)

        gate.set()
        self.assertTrue(r.flush(10))
        jid = job['id']
        self.assertEqual([s for s, _ in self.series(jid, 'train_loss')], [0, 1996, 1997, 1998, 1999, 2000])
        kinds = [(e['type'], e['payload'].get('data', {}).get('status')) for e in self.trainer_events(jid)
                 if e['type'] != 'metrics']
        self.assertEqual(kinds, [('status', 'training'), ('stage', 'active'), ('error', None),
                                 ('stage', 'completed'), ('status', 'completed')])
        self.assertEqual(self.jobd.job(jid)['status'], 'completed')

    def test_threads_report_concurrently(self):
        job, secret, url = self.external_job(total_steps=1000)
        r = self.reporter(url=url, secret=secret, batch_size=30)

        def work(k):
            for i in range(50):
                r.metrics(k * 50 + i + 1, train_loss=1.0)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertTrue(r.flush(10))
        self.assertEqual(r.stats['accepted'], 200)
        self.assertEqual(len(self.series(job['id'], 'train_loss')), 200)

    # ------------------------------------------------------------------
    # Numbers JSON cannot carry

    def test_nan_and_infinity_are_sent_as_strings(self):
        job, secret, url = self.external_job()
        via = self.stand_in(proxy(self.jobd))
        r = self.reporter(url=via.url(job['id']), secret=secret)
        r.metrics(5, epoch=0.5, train_loss=float('nan'), val_loss=float('inf'),
                  learning_rate=float('-inf'), gpu_util=float('nan'))
        r.metrics(6, train_loss=0.25)
        r.warning('Loss is NaN', loss=float('nan'), values=[1.0, float('inf')])
        self.assertTrue(r.flush(5))
        self.assertEqual(r.stats['accepted'], 3)
        body = via.requests[0].body.decode('utf-8')
        self.assertNotRegex(body, r'\bNaN\b(?!")|\bInfinity\b(?!")')
        data = json.loads(body)['events'][0]['data']
        self.assertEqual(data, {'step': 5, 'epoch': 0.5, 'train_loss': 'NaN',
                                'val_loss': 'Infinity', 'learning_rate': '-Infinity'})
        self.assertEqual(self.series(job['id'], 'train_loss'), [(5, None), (6, 0.25)])
        self.assertEqual(self.series(job['id'], 'val_loss'), [(5, None)])
        metrics = self.trainer_events(job['id'], 'metrics')
        self.assertEqual(metrics[0]['payload']['data']['train_loss'], 'NaN')
        self.assertIn('loss=NaN', metrics[0]['message'])

    def test_numbers_from_other_libraries(self):
        class Scalar:                                 # like a numpy or torch scalar
            def __init__(self, v):
                self.v = v

            def __float__(self):
                return self.v

        self.assertEqual(lora_reporter._number(Scalar(0.5)), 0.5)
        self.assertEqual(lora_reporter._number(Scalar(math.nan)), 'NaN')
        self.assertEqual(lora_reporter._jsonable({'x': Scalar(2.0), 'y': (1, 'a')}),
                         {'x': 2.0, 'y': [1, 'a']})

    def test_context_manager_reports_a_crash(self):
        job, secret, url = self.external_job()
        with self.assertRaises(ZeroDivisionError):
            with Reporter(url=url, secret=secret, **FAST) as r:
                r.status('training')
                1 / 0
        job = self.jobd.job(job['id'])
        self.assertEqual(job['status'], 'failed')
        self.assertEqual(job['error'], 'ZeroDivisionError: division by zero')
        err = self.trainer_events(job['id'], 'error')[0]
        self.assertIn('Traceback', err['payload']['data']['traceback'])

    def test_signature_matches_the_documented_example(self):
        secret = '5d2f8a0c4e6b1a3d9f7e5c3b1a0d2f4e6c8b0a2d4f6e8c0b2a4d6f8e0c2b4a6d'
        body = b'{"event_id":"run-7f3a-0001","type":"status","data":{"status":"training"}}'
        self.assertEqual(lora_reporter.sign(secret, body),
                         'sha256=afa0282f59a4a2791dca8d51e0876edaf9a2becc430c0a730fefadda82c877b3')
        # The harness's independent signer agrees, and the service takes it.
        job, secret, _ = self.external_job()
        self.jobd.webhook_ok(job['id'], secret, status_event('training'))


if __name__ == '__main__':
    unittest.main(verbosity=2)
