#!/usr/bin/python3
# test_guard.py: the budget guard, through the real lora-jobd
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Simulated runs that cost $1 a real second (hourly_rate 3600) overrun a
# $2 spend limit two seconds in; the guard warns, then cancels once its
# grace is over, unless somebody chose "Keep running". --time-scale 1000
# makes the service look at running jobs every 0.1 s.

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from jobd import JobdTestCase, metrics_event, parse_time, stage_event  # noqa: E402

SCALE = 1000.0
# Long enough that no run finishes before its guard acts.
STEPS = 5000


def guard_events(jobd, job_id, action=None):
    """The guard's events for a job, oldest first."""
    events = [e for e in reversed(jobd.all_events(job_id))
              if e['payload'].get('kind') == 'guard']
    if action is not None:
        events = [e for e in events if e['payload']['action'] == action]
    return events


class GuardValidationTests(JobdTestCase):
    TIME_SCALE = SCALE

    def put_guard(self, job_id, body, **kw):
        return self.jobd.request('PUT', '/api/training/jobs/%d/guard' % job_id, body, **kw)

    def queued_job(self, **kw):
        return self.jobd.create_job(name='guarded', total_steps=STEPS, **kw)[0]

    def test_nonsense_is_refused(self):
        job = self.queued_job(estimate_min=10, estimate_max=20)
        nonsense = [
            b'not json',
            [1, 2],
            {'spend': {'max_usd': -5}},
            {'spend': {'max_usd': 0}},
            {'spend': {'max_usd': 5, 'percent_over_estimate': 10}},
            {'spend': {}},
            {'spend': 5},
            {'projected': {'percent_over_estimate': 5000}},
            {'stal_s': 600},
            {'stall_s': 5},
            {'stall_s': 'ten minutes'},
            {'divergence': 'yes'},
            {'gpu_idle': {'below_percent': 20}},
            {'gpu_idle': {'below_percent': 150, 'for_s': 600}},
            {'grace_s': 0},
            {'spend': {'max_usd': 5}, 'grace_s': 10 ** 9},
            {'spend': {'max_usd': 5, 'currency': 'EUR'}},
        ]
        for body in nonsense:
            with self.subTest(body=body):
                error = self.assertError(self.put_guard(job['id'], body), 400, 'bad_request')
                self.assertTrue(error['message'])
        # Nothing of it was stored.
        self.assertIsNone(self.jobd.job(job['id'])['guard'])

    def test_percent_needs_an_estimate(self):
        job = self.queued_job()
        r = self.put_guard(job['id'], {'projected': {'percent_over_estimate': 10}})
        error = self.assertError(r, 400, 'bad_request')
        self.assertIn('estimate', error['message'])

    def test_valid_guard_is_served_back(self):
        job = self.queued_job(estimate_min=40, estimate_max=50)
        self.assertIsNone(job['guard'])
        body = {'projected': {'max_usd': 60}, 'spend': {'percent_over_estimate': 10},
                'divergence': True, 'stall_s': 1800,
                'gpu_idle': {'below_percent': 20, 'for_s': 900}, 'grace_s': 120}
        before = time.time()
        r = self.put_guard(job['id'], body)
        self.assertEqual(r.status, 200, r)
        guard = r.json['guard']
        for key, value in body.items():
            self.assertEqual(guard[key], value, key)
        self.assertEqual(guard['set_by'], 'tester')
        self.assertGreaterEqual(parse_time(guard['set_at']), before - 1)
        self.assertIsNone(guard['warned'])
        self.assertIsNone(guard['cancel_at'])
        self.assertEqual(guard['disarmed'], [])
        # The same on a plain read and in the list.
        self.assertEqual(self.jobd.job(job['id'])['guard'], guard)
        listed = [j for j in self.jobd.list_jobs('?per_page=100')['jobs'] if j['id'] == job['id']]
        self.assertEqual(listed[0]['guard'], guard)
        # Its event says who set what.
        event = guard_events(self.jobd, job['id'], 'set')[-1]
        self.assertEqual(event['message'],
                         'tester set the guard. Guard: cancel when spend is 10% over the estimate; '
                         'cancel above $60.00 projected; cancel if the loss diverges; '
                         'cancel after 30m 0s without metrics; cancel after 15m 0s of GPU below 20%')

        # A new PUT replaces the rules; an empty one removes the guard.
        r = self.put_guard(job['id'], {'spend': {'max_usd': 5}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(k for k in r.json['guard'] if k in body), {'spend', 'grace_s'})
        self.assertEqual(r.json['guard']['grace_s'], 300)
        r = self.put_guard(job['id'], {})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json['guard'])
        self.assertEqual(guard_events(self.jobd, job['id'], 'remove')[-1]['message'],
                         'Guard removed by tester')

    def test_create_with_guard(self):
        fields = self.jobd.job_fields(name='guarded at birth', total_steps=STEPS,
                                      guard={'projected': {'max_usd': 60}, 'grace_s': 30})
        r = self.jobd.post('/api/training/jobs', fields)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json['guard']['projected'], {'max_usd': 60})
        self.assertEqual(r.json['guard']['set_by'], 'tester')
        fields['guard'] = {'projected': {'max_usd': 'sixty'}}
        self.assertError(self.jobd.post('/api/training/jobs', fields), 400, 'bad_request')
        fields['guard'] = 'on'
        self.assertError(self.jobd.post('/api/training/jobs', fields), 400, 'bad_request')

    def test_unknown_and_finished_jobs(self):
        self.assertError(self.put_guard(999999, {'stall_s': 600}), 404, 'not_found')
        job = self.queued_job()
        self.assertEqual(self.jobd.cancel(job['id']).status, 200)
        self.assertError(self.put_guard(job['id'], {'stall_s': 600}), 409, 'conflict')
        r = self.jobd.post('/api/training/jobs/%d/guard/disarm' % job['id'], {'rule': 'stall'})
        self.assertError(r, 409, 'conflict')

    def test_authorisation(self):
        job = self.queued_job()
        self.assertError(self.put_guard(job['id'], {'stall_s': 600}, token=None), 401, 'unauthorized')
        self.assertError(self.put_guard(job['id'], {'stall_s': 600}, token='nope'), 401, 'unauthorized')
        r = self.jobd.post('/api/training/jobs/%d/guard/disarm' % job['id'], {'rule': 'stall'}, token=None)
        self.assertError(r, 401, 'unauthorized')
        # Anyone with a token may, as anyone may cancel.
        other = self.jobd.add_token('bob')
        r = self.put_guard(job['id'], {'stall_s': 600}, token=other)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json['guard']['set_by'], 'bob')

    def test_disarm_validation(self):
        job = self.queued_job()
        path = '/api/training/jobs/%d/guard/disarm' % job['id']
        self.assertEqual(self.put_guard(job['id'], {'stall_s': 600}).status, 200)
        self.assertError(self.jobd.post(path, None), 400, 'bad_request')
        self.assertError(self.jobd.post(path, {'rule': 'everything'}), 400, 'bad_request')
        self.assertError(self.jobd.post(path, {'rule': 'stall', 'extra': 1}), 400, 'bad_request')
        self.assertError(self.jobd.post(path, {'rule': 'spend'}), 409, 'conflict')
        r = self.jobd.post(path, {'rule': 'stall'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json['guard']['disarmed'], ['stall'])
        self.assertError(self.jobd.request('GET', '/api/training/jobs/%d/guard' % job['id']), 405)


class GuardActionTests(JobdTestCase):
    TIME_SCALE = SCALE
    SLOTS = 6
    PER_TEST = True

    def costly_job(self, guard, **kw):
        return self.jobd.create_job(name='overruns', total_steps=STEPS, hourly_rate=3600,
                                    config={'seed': 7}, guard=guard, **kw)[0]

    def wait_guard(self, job_id, action, timeout=20.0):
        return self.jobd.wait_for(lambda: guard_events(self.jobd, job_id, action), timeout,
                                  what='a guard %s event for job %d' % (action, job_id))[0]

    def test_spend_overrun_is_cancelled(self):
        jobd = self.jobd
        job = self.costly_job({'spend': {'max_usd': 2}, 'grace_s': 1})
        warn = self.wait_guard(job['id'], 'warn')
        self.assertEqual(warn['type'], 'warning')
        p = warn['payload']
        self.assertEqual((p['rule'], p['threshold'], p['grace_s'], p['set_by']), ('spend', 2, 1, 'tester'))
        self.assertGreater(p['value'], 2)
        self.assertAlmostEqual(parse_time(p['cancel_at']) - parse_time(warn['ts']), 1, delta=1)
        self.assertRegex(warn['message'],
                         r'^Budget guard: spend \$\d+\.\d\d is above the guard’s limit of \$2\.00\. '
                         r'The job will be cancelled in 1s, at \d\d:\d\d:\d\d UTC, unless that changes '
                         r'or someone chooses Keep running$')

        done = jobd.wait_status(job['id'], 'cancelled', timeout=20)
        self.assertEqual(done['cancel_reason'], 'auto_spend')
        self.assertEqual(done['cancelled_by'], 'tester')
        cancel = guard_events(jobd, job['id'], 'cancel')
        self.assertEqual(len(cancel), 1)
        c = cancel[0]['payload']
        self.assertEqual((c['rule'], c['reason'], c['threshold']), ('spend', 'auto_spend', 2))
        self.assertGreater(c['value'], 2)
        self.assertGreaterEqual(parse_time(cancel[0]['ts']), parse_time(p['cancel_at']) - 1)
        self.assertTrue(cancel[0]['message'].startswith('Budget guard cancels the job for tester: spend $'))
        statuses = [e['message'] for e in jobd.all_events(job['id'], 'status')]
        self.assertIn('Cancel requested by tester: Budget guard (Spend limit)', statuses)

    def test_projected_overrun_is_cancelled(self):
        jobd = self.jobd
        # The projection passes $20 at the first step, long before the spend.
        job = self.costly_job({'projected': {'percent_over_estimate': 10}, 'grace_s': 1},
                              estimate_min=10, estimate_max=20)
        warn = self.wait_guard(job['id'], 'warn')
        self.assertEqual(warn['payload']['rule'], 'projected')
        self.assertEqual(warn['payload']['threshold'], 22)
        done = jobd.wait_status(job['id'], 'cancelled', timeout=20)
        self.assertEqual(done['cancel_reason'], 'auto_projected')
        self.assertLess(done['cost'], 22)

    def test_keep_running_disarms(self):
        jobd = self.jobd
        job = self.costly_job({'spend': {'max_usd': 2}, 'grace_s': 3})
        self.wait_guard(job['id'], 'warn')
        self.assertEqual(jobd.job(job['id'])['guard']['warned'], 'spend')
        r = jobd.post('/api/training/jobs/%d/guard/disarm' % job['id'], {'rule': 'spend'})
        self.assertEqual(r.status, 200, r)
        guard = r.json['guard']
        self.assertEqual(guard['disarmed'], ['spend'])
        self.assertIsNone(guard['warned'])
        self.assertIsNone(guard['cancel_at'])
        disarm = guard_events(jobd, job['id'], 'disarm')
        self.assertEqual(len(disarm), 1)
        self.assertTrue(disarm[0]['payload']['was_counting_down'])
        self.assertEqual(disarm[0]['message'],
                         'tester chose Keep running: the guard’s “Spend limit” no longer acts for this job')
        # Well past the grace: still running, no second warning.
        time.sleep(5)
        job_now = jobd.job(job['id'])
        self.assertEqual(job_now['status'], 'training')
        self.assertIsNone(job_now['cancel_reason'])
        self.assertEqual(len(guard_events(jobd, job['id'], 'warn')), 1)
        self.assertEqual(guard_events(jobd, job['id'], 'cancel'), [])
        # Disarming twice changes nothing.
        r = jobd.post('/api/training/jobs/%d/guard/disarm' % job['id'], {'rule': 'spend'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(guard_events(jobd, job['id'], 'disarm')), 1)
        self.assertEqual(jobd.cancel(job['id']).status, 200)

    def test_guard_survives_restart(self):
        jobd = self.jobd
        calm = self.costly_job({'projected': {'max_usd': 1e6}, 'stall_s': 3600, 'grace_s': 60})
        job = self.costly_job({'spend': {'max_usd': 2}, 'grace_s': 4})
        warn = self.wait_guard(job['id'], 'warn')
        cancel_at = parse_time(warn['payload']['cancel_at'])
        calm_guard = jobd.job(calm['id'])['guard']
        counting = jobd.job(job['id'])['guard']
        self.assertEqual(counting['warned'], 'spend')

        jobd.restart()

        # The rules and the countdown as they were.
        self.assertEqual(jobd.job(calm['id'])['guard'], calm_guard)
        self.assertEqual(jobd.job(job['id'])['guard'], counting)
        done = jobd.wait_status(job['id'], 'cancelled', timeout=20)
        self.assertEqual(done['cancel_reason'], 'auto_spend')
        # It cancelled when its warning said, not a fresh grace after the
        # restart, and did not warn again.
        cancel = guard_events(jobd, job['id'], 'cancel')[0]
        self.assertGreaterEqual(parse_time(cancel['ts']), cancel_at - 1)
        self.assertLess(parse_time(cancel['ts']), cancel_at + 3)
        self.assertEqual(len(guard_events(jobd, job['id'], 'warn')), 1)
        self.assertEqual(jobd.job(calm['id'])['status'], 'training')
        self.assertEqual(jobd.cancel(calm['id']).status, 200)

    def assertCancelledBy(self, job_id, rule):
        jobd = self.jobd
        warn = self.wait_guard(job_id, 'warn')
        self.assertEqual(warn['payload']['rule'], rule)
        done = jobd.wait_status(job_id, 'cancelled', timeout=20)
        self.assertEqual(done['cancel_reason'], 'auto_' + rule)
        self.assertEqual(done['cancelled_by'], 'tester')
        cancel = guard_events(jobd, job_id, 'cancel')
        self.assertEqual([e['payload']['rule'] for e in cancel], [rule])
        return warn, cancel[0]

    def test_divergence_is_cancelled(self):
        job = self.jobd.create_job(name='diverges', total_steps=STEPS, config={
            'seed': 7, 'diverge_at_step': 150, 'diverge_nan': True},
            guard={'divergence': True, 'grace_s': 1})[0]
        warn, cancel = self.assertCancelledBy(job['id'], 'divergence')
        self.assertTrue(warn['message'].startswith('Budget guard: the training loss is diverging. '))
        self.assertNotIn('value', cancel['payload'])
        self.assertGreaterEqual(cancel['payload']['step'], 150)

    def test_stall_is_cancelled(self):
        job = self.jobd.create_job(name='stalls', total_steps=STEPS, config={
            'seed': 7, 'stall_at_step': 100}, guard={'stall_s': 600, 'grace_s': 1})[0]
        warn, cancel = self.assertCancelledBy(job['id'], 'stall')
        self.assertEqual(warn['payload']['threshold'], 600)
        self.assertGreaterEqual(warn['payload']['value'], 600)
        self.assertRegex(warn['message'], r'^Budget guard: no metrics for 1\dm \d+s\. ')
        self.assertEqual(cancel['payload']['step'], 100)

    def test_idle_gpu_is_cancelled(self):
        job = self.jobd.create_job(name='starved', total_steps=STEPS, config={
            'seed': 7, 'gpu_low_from_step': 100},
            guard={'gpu_idle': {'below_percent': 50, 'for_s': 300}, 'grace_s': 1})[0]
        warn, cancel = self.assertCancelledBy(job['id'], 'gpu_idle')
        self.assertEqual(warn['payload']['threshold'], 50)
        self.assertLess(warn['payload']['value'], 50)
        self.assertRegex(warn['message'], r'^Budget guard: GPU utilization below 50% for \dm \d+s\. ')
        self.assertGreaterEqual(cancel['payload']['step'], 120)

    def test_countdown_clears_when_the_rule_stops_holding(self):
        jobd = self.jobd
        job, secret = jobd.create_external(name='fed by hand', total_steps=1000,
                                           guard={'divergence': True, 'grace_s': 30})
        jid = job['id']
        jobd.webhook_ok(jid, secret, stage_event('training', 'active'))
        for i, loss in enumerate([2.0, 1.9, 1.8, 1.7, 1.6, 'NaN']):
            jobd.webhook_ok(jid, secret, metrics_event((i + 1) * 10, loss))
        self.wait_guard(jid, 'warn')
        self.assertEqual(jobd.job(jid)['guard']['warned'], 'divergence')
        # Back to normal: the countdown stops, the job keeps running.
        jobd.webhook_ok(jid, secret, metrics_event(70, 1.5))
        clear = self.wait_guard(jid, 'clear')
        self.assertEqual(clear['type'], 'status')
        self.assertEqual(clear['message'], 'Budget guard: “Loss diverges” no longer holds; the job keeps running')
        guard = jobd.job(jid)['guard']
        self.assertIsNone(guard['warned'])
        self.assertIsNone(guard['cancel_at'])
        self.assertEqual(guard['disarmed'], [])
        # Not disarmed: the next divergence warns again.
        jobd.webhook_ok(jid, secret, metrics_event(80, 'NaN'))
        jobd.wait_for(lambda: len(guard_events(jobd, jid, 'warn')) == 2, what='a second warning')
        self.assertEqual(jobd.job(jid)['status'], 'training')
        self.assertEqual(jobd.cancel(jid).status, 200)

    def test_new_rules_stop_the_countdown(self):
        jobd = self.jobd
        # A PUT starts the rules afresh: a higher limit no longer holds.
        job = self.costly_job({'spend': {'max_usd': 2}, 'grace_s': 30})
        self.wait_guard(job['id'], 'warn')
        r = jobd.request('PUT', '/api/training/jobs/%d/guard' % job['id'],
                         {'spend': {'max_usd': 1e6}, 'grace_s': 30})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json['guard']['warned'])
        time.sleep(1)
        self.assertEqual(len(guard_events(jobd, job['id'], 'warn')), 1)
        self.assertEqual(jobd.job(job['id'])['status'], 'training')
        self.assertEqual(jobd.cancel(job['id']).status, 200)


if __name__ == '__main__':
    unittest.main(verbosity=2)
