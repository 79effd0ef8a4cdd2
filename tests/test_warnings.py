#!/usr/bin/python3
# test_warnings.py: the service's early warnings, through the real lora-jobd
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The simulator goes wrong on request (stall_at_step, diverge_at_step,
# gpu_low_from_step; a high hourly_rate against a small estimate for the
# cost warnings), and the service must say so exactly once per occurrence,
# also across a restart. --time-scale 1000 turns the 10-minute stall into
# 0.6 s and a 300-step run into about 8 s. The external provider, fed by the
# test itself, shows the re-arming, which needs full control of the points.

import os
import sys
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from jobd import JobdTestCase, metrics_event, parse_time, stage_event  # noqa: E402

KINDS = {'stalled', 'divergence', 'gpu_low', 'projected_over', 'spend_over'}
FINISHED = ('completed', 'failed', 'cancelled')
# Seconds of simulated time per real second.
SCALE = 1000.0


def service_warnings(jobd, job_id, kind=None):
    """The warnings the service raised for a job (the trainer's own warning
    events have no "kind"), oldest first."""
    events = [e for e in reversed(jobd.all_events(job_id, 'warning')) if 'kind' in e['payload']]
    if kind is not None:
        events = [e for e in events if e['payload']['kind'] == kind]
    return events


def kinds_of(jobd, job_id):
    return sorted(e['payload']['kind'] for e in service_warnings(jobd, job_id))


def money(value):
    return '$%.2f' % value


def iso(dt):
    return dt.strftime('%Y-%m-%dT%H:%M:%SZ')


class WarningAssertions:
    def assertWarning(self, event, kind):
        self.assertEqual(event['type'], 'warning')
        self.assertEqual(event['payload']['kind'], kind)
        self.assertIn(kind, KINDS)
        self.assertEqual(event['payload']['source'], 'service')
        self.assertTrue(event['message'])

    def wait_warning(self, jobd, job_id, kind, timeout=20.0):
        return jobd.wait_for(lambda: service_warnings(jobd, job_id, kind), timeout,
                             what='a %s warning for job %d' % (kind, job_id))[0]


class SimulatedWarningsTests(JobdTestCase, WarningAssertions):
    """One service runs every scenario at once, so the class takes about
    as long as its slowest simulated run."""

    SLOTS = 10
    TIME_SCALE = SCALE

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            jobd = cls.shared
            create = lambda name, **kw: jobd.create_job(name=name, total_steps=300, **kw)[0]['id']  # noqa: E731
            cls.healthy = create('healthy', config={'seed': 7}, estimate_min=40, estimate_max=60)
            cls.stall = create('stalls', config={'seed': 7, 'stall_at_step': 100})
            cls.jump = create('diverges', config={'seed': 7, 'diverge_at_step': 150})
            cls.nan = create('goes NaN', config={'seed': 7, 'diverge_at_step': 150, 'diverge_nan': True})
            cls.gpu = create('starved GPU', config={'seed': 7, 'gpu_low_from_step': 100})
            # $1 a real second against a $1-2 estimate: the projection
            # passes $2 at the first step, the spend (counted in whole
            # seconds) three seconds in, while the run takes five.
            cls.costly = jobd.create_job(name='over budget', total_steps=150, hourly_rate=3600,
                                         estimate_min=1, estimate_max=2, config={'seed': 7})[0]['id']
            cls.finishing = [cls.healthy, cls.jump, cls.nan, cls.gpu, cls.costly]
            for jid in cls.finishing:
                jobd.wait_status(jid, FINISHED, timeout=30)
        except BaseException:
            cls.tearDownClass()
            raise

    def test_finished_runs_completed(self):
        for jid in self.finishing:
            self.assertEqual(self.jobd.job(jid)['status'], 'completed')

    def test_healthy_run_has_no_warning(self):
        self.assertEqual(kinds_of(self.jobd, self.healthy), [])

    def test_stalled(self):
        jobd = self.jobd
        event = self.wait_warning(jobd, self.stall, 'stalled')
        self.assertWarning(event, 'stalled')
        job = jobd.job(self.stall)
        self.assertEqual(job['status'], 'training')
        # The last metrics were at step 100; nothing came after it.
        self.assertEqual(job['current_step'], 100)
        payload = event['payload']
        self.assertEqual(payload['step'], 100)
        self.assertEqual(payload['threshold_s'], 600)
        self.assertGreaterEqual(payload['silent_s'], 600)
        self.assertLess(payload['silent_s'], 1200)
        self.assertRegex(event['message'],
                         r'^No metrics for 1\dm \d+s, since step 100: training may have stalled$')
        # Still stalled three delays later, and still one warning.
        time.sleep(3 * 600 / SCALE)
        self.assertEqual(kinds_of(jobd, self.stall), ['stalled'])
        self.assertEqual(jobd.job(self.stall)['status'], 'training')
        self.assertEqual(jobd.cancel(self.stall).status, 200)

    def test_divergence_jump(self):
        jobd = self.jobd
        self.assertEqual(kinds_of(jobd, self.jump), ['divergence'])
        event = service_warnings(jobd, self.jump)[0]
        self.assertWarning(event, 'divergence')
        payload = event['payload']
        self.assertEqual(payload['step'], 150)
        series = jobd.metrics(self.jump)['series']['train_loss']
        values = dict(zip(series['step'], series['value']))
        self.assertEqual(payload['train_loss'], values[150])
        # The median of the 14 points before step 150 (steps 10 to 140).
        before = sorted(values[s] for s in range(10, 150, 10))
        median = (before[6] + before[7]) / 2
        self.assertEqual(payload['window'], 14)
        self.assertAlmostEqual(payload['median'], median, places=9)
        self.assertAlmostEqual(payload['threshold'], 3 * median, places=9)
        self.assertGreater(payload['train_loss'], payload['threshold'])
        self.assertIn('jumped to %.4g at step 150' % values[150], event['message'])

    def test_divergence_nan(self):
        jobd = self.jobd
        self.assertEqual(kinds_of(jobd, self.nan), ['divergence'])
        event = service_warnings(jobd, self.nan)[0]
        self.assertWarning(event, 'divergence')
        self.assertEqual(event['payload']['step'], 150)
        self.assertEqual(event['payload']['train_loss'], 'NaN')
        self.assertEqual(event['message'], 'Training loss is NaN at step 150: training has diverged')
        series = jobd.metrics(self.nan)['series']['train_loss']
        self.assertEqual(series['value'][-1], None)

    def test_gpu_low(self):
        jobd = self.jobd
        self.assertEqual(kinds_of(jobd, self.gpu), ['gpu_low'])
        event = service_warnings(jobd, self.gpu)[0]
        self.assertWarning(event, 'gpu_low')
        payload = event['payload']
        gpu = jobd.metrics(self.gpu)['series']['gpu_util']
        values = dict(zip(gpu['step'], gpu['value']))
        # Points every 10 steps, 225 simulated seconds apart: the third low
        # point is the first five minutes after the first.
        self.assertTrue(all(27 <= values[s] <= 33 for s in range(100, 301, 10)))
        self.assertLessEqual(payload['since_step'], 100)
        self.assertGreaterEqual(payload['step'], 120)
        self.assertEqual(payload['step'], payload['since_step'] + 20)
        self.assertEqual(payload['gpu_util'], values[payload['step']])
        self.assertEqual(payload['low_s'], 450)
        self.assertEqual(payload['threshold'], 50)
        self.assertEqual(payload['threshold_s'], 300)
        self.assertEqual(event['message'],
                         'GPU utilization has been below 50%% for 7m 30s, since step %d (now %d%%)'
                         % (payload['since_step'], payload['gpu_util']))

    def test_cost_warnings(self):
        jobd = self.jobd
        job = jobd.job(self.costly)
        self.assertGreater(job['cost'], 3)
        self.assertEqual(kinds_of(jobd, self.costly), ['projected_over', 'spend_over'])
        projected, spend = service_warnings(jobd, self.costly)
        self.assertLess(projected['id'], spend['id'])

        self.assertWarning(projected, 'projected_over')
        p = projected['payload']
        self.assertGreater(p['projected_cost'], 2)
        self.assertLessEqual(p['cost'], 2)
        self.assertEqual((p['estimate_min'], p['estimate_max']), (1, 2))
        self.assertEqual(projected['message'],
                         'Projected cost %s exceeds the estimate of $1-2' % money(p['projected_cost']))

        self.assertWarning(spend, 'spend_over')
        s = spend['payload']
        # Seen at the first whole second past the estimate.
        self.assertEqual(s['cost'], 3.0)
        self.assertLess(s['cost'], job['cost'])
        self.assertEqual(spend['message'], 'Spend $3.00 exceeds the estimate of $1-2')


class RearmTests(JobdTestCase, WarningAssertions):
    """An external job fed point by point: a warning comes back only after
    its condition cleared."""

    def training_job(self):
        jobd = self.jobd
        job, secret = jobd.create_external(name='fed by hand', total_steps=1000)
        jobd.webhook_ok(job['id'], secret, stage_event('training', 'active'))
        return job['id'], secret

    def test_divergence_rearms(self):
        jobd = self.jobd
        jid, secret = self.training_job()
        losses = [2.0, 1.9, 1.8, 1.7, 1.6, 1.5, 9.0, 9.5, 1.4, 8.0, 'NaN', 1.3, 'NaN', 'NaN']
        counts = []
        for i, loss in enumerate(losses):
            jobd.webhook_ok(jid, secret, metrics_event((i + 1) * 10, loss))
            counts.append(len(service_warnings(jobd, jid)))
        # 9.0 jumps (median 1.75); 9.5 is the same jump; 1.4 clears it;
        # 8.0 jumps again, and a NaN right after is the same divergence;
        # 1.3 clears it, so the next NaN is a new one, the one after not.
        self.assertEqual(counts, [0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3])
        first, second, third = service_warnings(jobd, jid)
        self.assertEqual(first['payload']['step'], 70)
        self.assertEqual(first['payload']['train_loss'], 9.0)
        self.assertAlmostEqual(first['payload']['median'], 1.75)
        self.assertEqual(first['message'],
                         'Training loss jumped to 9 at step 70, more than 3× its recent median '
                         'of 1.75: training may be diverging')
        self.assertEqual(second['payload']['step'], 100)
        self.assertEqual(third['payload']['train_loss'], 'NaN')
        self.assertEqual(kinds_of(jobd, jid), ['divergence'] * 3)

    def test_gpu_low_from_timestamps_and_rearm(self):
        jobd = self.jobd
        jid, secret = self.training_job()
        start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)

        def point(step, util, minutes):
            event = metrics_event(step, 1.0, gpu_util=util)
            event['ts'] = iso(start + timedelta(minutes=minutes))
            return event

        # Low for 4 minutes only: no warning, however many points.
        batch = [point(10, 90, 0)] + [point(20 + i, 30, 1 + i) for i in range(5)] + [point(30, 80, 6)]
        jobd.webhook_ok(jid, secret, {'events': batch})
        self.assertEqual(service_warnings(jobd, jid), [])

        # Low from minute 10 to 15: five minutes by the points' times.
        jobd.webhook_ok(jid, secret, {'events': [point(40, 40, 10), point(50, 35, 14)]})
        self.assertEqual(service_warnings(jobd, jid), [])
        jobd.webhook_ok(jid, secret, point(60, 45, 15))
        warnings = service_warnings(jobd, jid)
        self.assertEqual(len(warnings), 1)
        self.assertWarning(warnings[0], 'gpu_low')
        payload = warnings[0]['payload']
        self.assertEqual((payload['since_step'], payload['step'], payload['low_s']), (40, 60, 300))
        self.assertEqual(payload['gpu_util'], 45)
        # The warning carries the time of the point that showed it.
        self.assertEqual(parse_time(warnings[0]['ts']), (start + timedelta(minutes=15)).timestamp())

        # Still low: nothing more. Busy again, then low for five minutes: again.
        jobd.webhook_ok(jid, secret, {'events': [point(70, 20, 20), point(80, 20, 30)]})
        self.assertEqual(len(service_warnings(jobd, jid)), 1)
        jobd.webhook_ok(jid, secret, {'events': [point(90, 95, 31), point(100, 10, 32), point(110, 10, 37)]})
        warnings = service_warnings(jobd, jid)
        self.assertEqual(len(warnings), 2)
        self.assertEqual(warnings[1]['payload']['since_step'], 100)

    def test_external_job_is_not_judged_on_simulated_time(self):
        # --time-scale speeds up the simulator only: a real trainer silent
        # for a second (16 simulated minutes) is not stalled.
        jobd = self.jobd
        jid, secret = self.training_job()
        jobd.webhook_ok(jid, secret, metrics_event(10, 1.0, gpu_util=90))
        time.sleep(1.0)
        self.assertEqual(service_warnings(jobd, jid), [])


class SimulatorKeysTests(JobdTestCase):
    def test_keys_are_checked_at_creation(self):
        jobd = self.jobd
        bad = {
            'stall_at_step': 301, 'diverge_at_step': 0, 'gpu_low_from_step': 'soon',
            'diverge_nan': 'yes',
        }
        for key, value in bad.items():
            with self.subTest(key=key):
                r = jobd.post('/api/training/jobs', jobd.job_fields(total_steps=300, config={key: value}))
                self.assertEqual(r.status, 400, r)
                self.assertIn(key, r.json['error']['message'])
        good = {'stall_at_step': 300, 'diverge_at_step': 1, 'diverge_nan': False, 'gpu_low_from_step': 150}
        job = jobd.create_job(total_steps=300, config=good)[0]
        self.assertEqual(jobd.cancel(job['id']).status, 200)


class RestartTests(JobdTestCase, WarningAssertions):
    """Raised warnings are remembered in the database: a restarted service,
    whose simulator replays and continues the runs, does not repeat them."""

    SLOTS = 4
    TIME_SCALE = SCALE
    PER_TEST = True

    def test_once_across_restart(self):
        jobd = self.jobd
        stall = jobd.create_job(name='stalls', total_steps=300,
                                config={'seed': 3, 'stall_at_step': 30})[0]['id']
        # Goes wrong in every other way early, and keeps running for a
        # while: 2,000 steps take 45 real seconds.
        bad = jobd.create_job(name='everything wrong', total_steps=2000, hourly_rate=36000,
                              estimate_min=10, estimate_max=20,
                              config={'seed': 3, 'diverge_at_step': 50, 'diverge_nan': True,
                                      'gpu_low_from_step': 50})[0]['id']
        expected = {stall: ['stalled'],
                    bad: ['divergence', 'gpu_low', 'projected_over', 'spend_over']}
        for jid, kinds in expected.items():
            for kind in kinds:
                self.wait_warning(jobd, jid, kind)
        self.assertEqual(kinds_of(jobd, stall), expected[stall])
        self.assertEqual(kinds_of(jobd, bad), expected[bad])
        step = jobd.job(bad)['current_step']

        self.assertEqual(jobd.restart(), 0)

        # The run goes on past where it was, still NaN, idle and over
        # budget, and the stalled one stays silent for several delays.
        jobd.wait_for(lambda: jobd.job(bad)['current_step'] >= step + 60, timeout=20,
                      what='the run to continue after the restart')
        time.sleep(3 * 600 / SCALE)
        self.assertEqual(jobd.job(stall)['status'], 'training')
        self.assertEqual(kinds_of(jobd, stall), expected[stall])
        self.assertEqual(kinds_of(jobd, bad), expected[bad])
        self.assertEqual(sorted(jobd.sql('SELECT kind, count FROM job_warnings WHERE job_id = ?', (bad,))),
                         [(kind, 1) for kind in expected[bad]])

        for jid in (stall, bad):
            self.assertEqual(jobd.cancel(jid).status, 200)


if __name__ == '__main__':
    unittest.main(verbosity=2)
