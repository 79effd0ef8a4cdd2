#!/usr/bin/env python3
# test_runpod.py: the RunPod provider, against a stand-in for RunPod's API
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# lora-jobd runs for real; RunPod is runpod_standin.py on loopback, since
# the real API cannot be reached from here. Each test gets a fresh service
# and a fresh stand-in; polls, retries and sweeps are shortened through the
# LORA_RUNPOD_* variables.

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from jobd import Jobd, JobdTestCase, metrics_event, stage_event, status_event  # noqa: E402
from runpod_standin import NO_CAPACITY, RunpodStandin  # noqa: E402

API_KEY = 'rpa_TESTKEY0123456789abcdefSECRET'
POLL_MS = 100
RETRY_LIMIT_MS = 1500
SWEEP_MS = 700


class RunpodTestCase(JobdTestCase):
    PER_TEST = True
    KEY_IN_FILE = API_KEY
    EXTRA_ARGS = ()

    @classmethod
    def _new_jobd(cls):
        raise AssertionError('made in setUp, with its stand-in')

    def setUp(self):
        unittest.TestCase.setUp(self)
        self.standin = RunpodStandin(API_KEY).start()
        self.addCleanup(self.standin.stop)
        self.jobd = self.make_jobd()
        self.addCleanup(self.jobd.close)

    def make_jobd(self, extra_args=(), start=True):
        jobd = Jobd(extra_env={
            'LORA_RUNPOD_POLL_MS': str(POLL_MS),
            'LORA_RUNPOD_RETRY_LIMIT_MS': str(RETRY_LIMIT_MS),
            'LORA_RUNPOD_SWEEP_MS': str(SWEEP_MS),
            # The key comes from the file; an inherited one must not count.
            'RUNPOD_API_KEY': '',
            'G_MESSAGES_DEBUG': '',
        })
        key_file = os.path.join(jobd.tmpdir.name, 'runpod-key')
        with open(key_file, 'w') as f:
            f.write(self.KEY_IN_FILE + '\n')
        jobd.extra_args = ['--runpod-api-key-file', key_file, '--runpod-url', self.standin.url]
        jobd.extra_args += list(self.EXTRA_ARGS) + list(extra_args)
        if start:
            jobd.start()
        return jobd

    def tearDown(self):
        try:
            self.assert_key_never_shown()
        finally:
            super().tearDown()

    # Helpers

    def create(self, config=None, **fields):
        fields.setdefault('provider', 'runpod')
        fields.setdefault('pricing', 'on_demand')
        fields.setdefault('hourly_rate', 0.44)
        fields.setdefault('gpu_type', 'A40')
        if config is None:
            config = {'image': 'ghcr.io/example/lora-trainer:1', 'gpu_type_id': 'NVIDIA A40'}
        fields['config'] = config
        return self.jobd.create_job(**fields)

    def pod_of(self, job_id, timeout=10.0):
        """The pod id the service recorded for a job."""
        def recorded():
            rows = self.jobd.sql('SELECT provider_state FROM jobs WHERE id = ?', (job_id,))
            if rows and rows[0][0]:
                import json
                return json.loads(rows[0][0]).get('pod')
            return None
        return self.jobd.wait_for(recorded, timeout, what='a pod id for job %d' % job_id)

    def wait_running(self, pod_id):
        self.standin.wait_for(lambda: self.standin.pods.get(pod_id, {}).get('status') == 'RUNNING',
                              what='pod %s running' % pod_id)

    def wait_deleted(self, pod_id, timeout=10.0):
        self.standin.wait_for(lambda: pod_id in self.standin.deleted, timeout,
                              what='pod %s deleted' % pod_id)

    def deletes_of(self, pod_id):
        return self.standin.requests_matching('DELETE', '^/v2/pods/%s$' % pod_id)

    def assert_key_never_shown(self):
        """Nothing the service answers or logs contains the RunPod key."""
        jobd = self.jobd
        if not jobd.alive():
            return
        bodies = []
        listing = jobd.get('/api/training/jobs?per_page=100&status=all')
        bodies.append(listing.body)
        for job in (listing.json or {}).get('jobs', []):
            for path in ('', '/events?per_page=200', '/events/export', '/metrics'):
                bodies.append(jobd.get('/api/training/jobs/%d%s' % (job['id'], path)).body)
        bodies.append(jobd.get('/api/training/queue').body)
        for body in bodies:
            self.assertNotIn(API_KEY.encode(), body)
        self.assertNotIn(API_KEY, jobd.stderr_text(all_runs=True))
        # What the service sent RunPod: the key only in the Authorization header.
        for request in self.standin.requests:
            self.assertNotIn(API_KEY.encode(), request['raw'])


class TestCreateAndLifecycle(RunpodTestCase):
    EXTRA_ARGS = ()

    def test_create_sends_the_documented_body_and_completion_terminates(self):
        job, secret = self.create(config={
            'image': 'ghcr.io/example/lora-trainer:1',
            'gpu_type_id': 'NVIDIA A40',
            'gpu_count': 2,
            'container_disk_gb': 40,
            'volume_gb': 20,
            'args': 'python train.py',
            'env': {'HF_TOKEN': 'hf_x', 'BASE_MODEL': 'llama3'},
        }, hourly_rate=0.88)
        self.assertEqual(job['status'], 'provisioning')
        self.assertEqual(job['provider'], 'runpod')

        post = self.standin.wait_requests('POST', '^/v2/pods$')[0]
        self.assertEqual(post['headers'].get('Authorization'), 'Bearer ' + API_KEY)
        self.assertEqual(post['headers'].get('Content-Type'), 'application/json')
        body = post['body']
        self.assertRegex(body['name'], r'^lora-jobd-%d-[0-9a-f]{8}$' % job['id'])
        self.assertEqual(body['image'], 'ghcr.io/example/lora-trainer:1')
        self.assertEqual(body['gpu'], {'id': 'NVIDIA A40', 'count': 2})
        self.assertEqual(body['disk'], 40)
        self.assertEqual(body['args'], 'python train.py')
        self.assertEqual(body['mounts'], {'persistent': {'size': 20, 'path': '/workspace'}})
        self.assertEqual(body['env'], {
            'HF_TOKEN': 'hf_x', 'BASE_MODEL': 'llama3',
            'LORA_JOB_ID': str(job['id']),
            'LORA_WEBHOOK_URL': '%s/api/training/jobs/%d/webhook' % (self.jobd.url, job['id']),
            'LORA_WEBHOOK_SECRET': secret,
        })
        self.assertEqual(set(body) - {'name', 'image', 'gpu', 'disk', 'args', 'mounts', 'env'}, set())

        pod_id = self.pod_of(job['id'])
        self.wait_running(pod_id)
        self.assertEqual(self.jobd.job(job['id'])['status'], 'provisioning')

        # The trainer in the pod reports like any trainer.
        self.jobd.webhook_ok(job['id'], secret, {'events': [
            status_event('training'),
            stage_event('training', 'active'),
            metrics_event(10, train_loss=1.5, epoch=0.1),
        ]})
        self.assertEqual(self.jobd.job(job['id'])['status'], 'training')
        self.assertEqual(self.deletes_of(pod_id), [])

        self.jobd.webhook_ok(job['id'], secret, status_event('completed'))
        self.assertEqual(self.jobd.job(job['id'])['status'], 'completed')
        self.wait_deleted(pod_id)
        self.assertEqual(len(self.deletes_of(pod_id)), 1)
        self.assertEqual(self.deletes_of(pod_id)[0]['headers'].get('Authorization'), 'Bearer ' + API_KEY)

        # Watching stops with the job: no more reads of that pod.
        time.sleep(3 * POLL_MS / 1000)
        reads = len(self.standin.requests_matching('GET', '^/v2/pods/%s$' % pod_id))
        time.sleep(3 * POLL_MS / 1000)
        self.assertEqual(len(self.standin.requests_matching('GET', '^/v2/pods/%s$' % pod_id)), reads)
        self.assertEqual(self.jobd.job(job['id'])['status'], 'completed')

    def test_cancel_terminates_the_pod(self):
        job, _ = self.create()
        pod_id = self.pod_of(job['id'])
        self.wait_running(pod_id)

        r = self.jobd.cancel(job['id'], 'cost_too_high')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json['status'], 'cancelled')
        self.assertEqual(len(self.deletes_of(pod_id)), 1)
        self.assertIn(pod_id, self.standin.deleted)

    def test_trainer_failure_terminates_the_pod(self):
        job, secret = self.create()
        pod_id = self.pod_of(job['id'])
        self.jobd.webhook_ok(job['id'], secret, status_event('failed', error='CUDA out of memory'))
        self.wait_deleted(pod_id)
        self.assertEqual(self.jobd.job(job['id'])['error'], 'CUDA out of memory')

    def test_pod_exiting_early_fails_the_job_and_terminates_it(self):
        job, _ = self.create()
        pod_id = self.pod_of(job['id'])
        self.wait_running(pod_id)
        self.standin.set_status(pod_id, 'EXITED')

        failed = self.jobd.wait_status(job['id'], 'failed', timeout=10)
        self.assertEqual(failed['error'], 'The pod exited before the trainer reported completion')
        # An exited pod still holds its disk: it is deleted too.
        self.wait_deleted(pod_id)

    def test_pod_error_fails_the_job(self):
        job, _ = self.create()
        pod_id = self.pod_of(job['id'])
        self.standin.set_status(pod_id, 'ERROR')
        failed = self.jobd.wait_status(job['id'], 'failed', timeout=10)
        self.assertIn('unrecoverable error state', failed['error'])
        self.assertIn(pod_id, failed['error'])
        self.wait_deleted(pod_id)

    def test_pod_disappearing_fails_the_job(self):
        job, _ = self.create()
        pod_id = self.pod_of(job['id'])
        self.wait_running(pod_id)
        self.standin.vanish(pod_id)

        failed = self.jobd.wait_status(job['id'], 'failed', timeout=10)
        self.assertEqual(failed['error'], 'Pod %s no longer exists on RunPod; it was deleted '
                                          'outside this service' % pod_id)
        self.assertEqual(self.deletes_of(pod_id), [])

    def test_cost_differing_from_the_rate_is_a_warning_not_a_new_rate(self):
        self.standin.cost_per_gpu = 0.79
        job, _ = self.create(hourly_rate=0.44)
        pod_id = self.pod_of(job['id'])

        def warning():
            events = self.jobd.all_events(job['id'], 'warning')
            return events[0] if events else None

        event = self.jobd.wait_for(warning, 10, what='a cost warning')
        self.assertEqual(event['message'],
                         'RunPod bills pod %s at $0.79 an hour, not the job\'s $0.44; '
                         'the job\'s cost is still reckoned at $0.44 an hour' % pod_id)
        self.wait_running(pod_id)
        time.sleep(3 * POLL_MS / 1000)
        self.assertEqual(len(self.jobd.all_events(job['id'], 'warning')), 1)
        self.assertEqual(self.jobd.job(job['id'])['hourly_rate'], 0.44)

    def test_cluster_pod_refusing_delete_is_reported_on_cancel(self):
        job, _ = self.create()
        pod_id = self.pod_of(job['id'])
        self.standin.mark_cluster(pod_id)

        r = self.jobd.cancel(job['id'])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json['status'], 'cancelled')
        errors = [e['message'] for e in self.jobd.all_events(job['id'], 'error')]
        self.assertTrue(any('RunPod will not terminate pod %s (HTTP 409' % pod_id in m for m in errors),
                        errors)


class TestRefusalsAndRetries(RunpodTestCase):

    def test_refused_create_fails_the_job_with_the_detail(self):
        self.standin.refused_gpus.add('NVIDIA H100 80GB HBM3')
        job, _ = self.create(config={'image': 'x/y:1', 'gpu_type_id': 'NVIDIA H100 80GB HBM3'})
        failed = self.jobd.wait_status(job['id'], 'failed', timeout=10)
        self.assertEqual(failed['error'], 'RunPod refused to create the pod (HTTP 400: %s)' % NO_CAPACITY)
        self.assertEqual(len(self.standin.requests_matching('POST')), 1)
        self.assertEqual(self.standin.requests_matching('DELETE'), [])

    def test_validation_errors_are_shown(self):
        self.standin.fail('POST', 422, detail='Request validation failed.')
        job, _ = self.create()
        failed = self.jobd.wait_status(job['id'], 'failed', timeout=10)
        self.assertEqual(failed['error'],
                         'RunPod refused to create the pod (HTTP 422: Request validation failed.)')

    def test_rate_limit_is_honoured_then_the_pod_is_created(self):
        self.standin.fail('POST', 429, headers={'Retry-After': '1'})
        job, _ = self.create()
        posts = self.standin.wait_requests('POST', '^/v2/pods$', count=2)
        self.assertGreaterEqual(posts[1]['time'] - posts[0]['time'], 0.95)
        pod_id = self.pod_of(job['id'])
        self.assertEqual(self.standin.pod_ids(), [pod_id])
        self.assertEqual(self.jobd.job(job['id'])['status'], 'provisioning')

    def test_sustained_server_errors_fail_the_job_after_the_bounded_retry(self):
        self.standin.fail('POST', 503, count=None, detail='upstream unavailable')
        started = time.monotonic()
        job, _ = self.create()
        failed = self.jobd.wait_status(job['id'], 'failed', timeout=15)
        self.assertGreaterEqual(time.monotonic() - started, RETRY_LIMIT_MS / 1000 - 0.1)
        self.assertEqual(failed['error'],
                         'RunPod did not answer for 1 minute (HTTP 503: upstream unavailable)')
        posts = self.standin.requests_matching('POST', '^/v2/pods$')
        self.assertGreaterEqual(len(posts), 2)
        # Before each repeat it looked for a pod an unanswered create made.
        self.assertGreaterEqual(len(self.standin.requests_matching('GET', '^/v2/pods$')), len(posts) - 1)

    def test_create_answered_with_an_error_after_making_the_pod_is_adopted(self):
        self.standin.fail('POST', 502, create_anyway=True)
        job, _ = self.create()
        pod_id = self.pod_of(job['id'])
        self.assertEqual(self.standin.pod_ids(), [pod_id])
        self.assertEqual(len(self.standin.requests_matching('POST')), 1)
        self.wait_running(pod_id)

    def test_lost_connection_while_watching_is_retried(self):
        job, _ = self.create()
        pod_id = self.pod_of(job['id'])
        self.standin.fail('GET', 0, path='^/v2/pods/%s$' % pod_id, count=3)
        self.standin.fail('GET', 500, path='^/v2/pods/%s$' % pod_id, count=2)
        self.wait_running(pod_id)
        time.sleep(5 * POLL_MS / 1000)
        self.assertEqual(self.jobd.job(job['id'])['status'], 'provisioning')

    def test_spot_is_refused(self):
        r = self.jobd.post('/api/training/jobs', self.jobd.job_fields(
            provider='runpod', pricing='spot', config={'image': 'x/y:1'}))
        error = self.assertError(r, 400, 'bad_request')
        self.assertIn('spot', error['message'])
        self.assertIn('on_demand', error['message'])
        self.assertEqual(self.standin.requests, [])

    def test_config_is_checked_at_creation(self):
        cases = [
            ({}, '“image” is required'),
            ({'image': ''}, '“image” must not be empty'),
            ({'image': 'x', 'gpu_count': 0}, '“gpu_count” must be from 1 to 64'),
            ({'image': 'x', 'volume_gb': 5}, '“volume_gb” must be from 10 to 100000'),
            ({'image': 'x', 'env': {'LORA_WEBHOOK_URL': 'http://evil'}}, 'LORA_WEBHOOK_URL'),
            ({'image': 'x', 'env': {'A': 1}}, '“env” member “A” must be a string'),
            ({'image': 'x', 'env': {'1A': 'v'}}, 'not an environment variable name'),
            ({'image': 'x', 'cloud': 'CHEAP'}, 'SECURE or COMMUNITY'),
            ({'image': 'x', 'api_key': 'mine'}, 'Unknown key “api_key”'),
        ]
        for config, expected in cases:
            r = self.jobd.post('/api/training/jobs', self.jobd.job_fields(
                provider='runpod', pricing='on_demand', config=config))
            error = self.assertError(r, 400, 'bad_request')
            self.assertIn(expected, error['message'], config)
        self.assertEqual(self.standin.requests_matching('POST'), [])

    def test_gpu_type_id_defaults_to_the_jobs_gpu_type(self):
        job, _ = self.create(config={'image': 'x/y:1'}, gpu_type='NVIDIA GeForce RTX 4090')
        post = self.standin.wait_requests('POST', '^/v2/pods$')[0]
        self.assertEqual(post['body']['gpu'], {'id': 'NVIDIA GeForce RTX 4090', 'count': 1})
        self.assertEqual(post['body']['disk'], 50)


class TestWrongKey(RunpodTestCase):
    KEY_IN_FILE = 'rpa_NOT_THE_ACCOUNTS_KEY'

    def test_rejected_key_fails_the_job(self):
        job, _ = self.create()
        failed = self.jobd.wait_status(job['id'], 'failed', timeout=10)
        self.assertEqual(failed['error'],
                         'RunPod did not accept the service\'s API key (HTTP 401: invalid API key)')
        self.assertNotIn(self.KEY_IN_FILE, self.jobd.stderr_text(all_runs=True))
        self.assertNotIn(self.KEY_IN_FILE.encode(), self.jobd.get('/api/training/jobs/%d/events' % job['id']).body)


class TestPublicUrl(RunpodTestCase):
    EXTRA_ARGS = ('--public-url', 'https://jobs.example.org/')

    def test_pods_get_the_public_webhook_url(self):
        job, _ = self.create()
        post = self.standin.wait_requests('POST', '^/v2/pods$')[0]
        self.assertEqual(post['body']['env']['LORA_WEBHOOK_URL'],
                         'https://jobs.example.org/api/training/jobs/%d/webhook' % job['id'])


class TestRestartAndSweep(RunpodTestCase):

    def test_restart_resumes_watching_the_same_pod(self):
        job, secret = self.create()
        pod_id = self.pod_of(job['id'])
        self.wait_running(pod_id)

        self.assertEqual(self.jobd.stop(), 0)
        # Stopping the service leaves the pod: the trainer keeps training.
        self.assertIn(pod_id, self.standin.pods)
        reads = len(self.standin.requests_matching('GET', '^/v2/pods/%s$' % pod_id))
        self.jobd.start()

        self.standin.wait_requests('GET', '^/v2/pods/%s$' % pod_id, count=reads + 2)
        self.assertEqual(len(self.standin.requests_matching('POST')), 1)
        self.assertEqual(self.jobd.job(job['id'])['status'], 'provisioning')

        self.standin.set_status(pod_id, 'EXITED')
        failed = self.jobd.wait_status(job['id'], 'failed', timeout=10)
        self.assertEqual(failed['error'], 'The pod exited before the trainer reported completion')
        self.wait_deleted(pod_id)

    def test_restart_during_an_unanswered_create_finds_the_pod(self):
        # The service stopped after RunPod made the pod but before the
        # answer arrived: only the name was recorded.
        self.standin.fail('POST', 0, create_anyway=True, count=None)
        job, _ = self.create()
        self.standin.wait_requests('POST', '^/v2/pods$')
        self.assertEqual(self.jobd.stop(), 0)
        self.standin.clear_faults()
        self.assertEqual(len(self.standin.pod_ids()), 1)
        self.jobd.start()

        pod_id = self.pod_of(job['id'])
        self.assertEqual(self.standin.pod_ids(), [pod_id])
        self.wait_running(pod_id)

    def test_sweep_terminates_a_pod_left_behind_by_a_finished_job(self):
        self.standin.fail('DELETE', 503, count=None)
        job, secret = self.create()
        pod_id = self.pod_of(job['id'])
        self.jobd.webhook_ok(job['id'], secret, status_event('completed'))
        self.assertEqual(self.jobd.job(job['id'])['status'], 'completed')

        # The delete is retried, then given up to the sweep.
        self.jobd.wait_for(lambda: 'the sweep will try again' in self.jobd.stderr_text(),
                           10, what='the delete to be given up')
        self.assertIn(pod_id, self.standin.pods)
        self.standin.clear_faults()

        self.wait_deleted(pod_id, timeout=10)
        self.assertIn('RunPod sweep: pod %s of finished job %d is still there' % (pod_id, job['id']),
                      self.jobd.stderr_text())

    def test_sweep_leaves_other_pods_alone(self):
        other = self.standin.add_pod('lora-jobd-1-0badc0de')   # another service's job 1
        unrelated = self.standin.add_pod('my-notebook')
        job, secret = self.create()
        pod_id = self.pod_of(job['id'])
        self.jobd.webhook_ok(job['id'], secret, status_event('completed'))
        self.wait_deleted(pod_id)
        self.standin.wait_requests('GET', '^/v2/pods$', count=2, timeout=10)
        self.assertIn(other, self.standin.pods)
        self.assertIn(unrelated, self.standin.pods)


class TestWithoutKey(unittest.TestCase):

    def test_runpod_is_not_offered_without_a_key(self):
        jobd = Jobd(extra_env={'RUNPOD_API_KEY': ''})
        try:
            jobd.start()
            r = jobd.post('/api/training/jobs', jobd.job_fields(
                provider='runpod', pricing='on_demand', config={'image': 'x'}))
            self.assertEqual(r.status, 400, r)
            self.assertIn('“provider” must be one of', r.json['error']['message'])
            self.assertNotIn('runpod', r.json['error']['message'])
        finally:
            jobd.close()

    def test_key_from_the_environment(self):
        standin = RunpodStandin(API_KEY).start()
        jobd = Jobd(extra_args=['--runpod-url', standin.url],
                    extra_env={'RUNPOD_API_KEY': API_KEY, 'LORA_RUNPOD_POLL_MS': '100'})
        try:
            jobd.start()
            job, _ = jobd.create_job(provider='runpod', pricing='on_demand', config={'image': 'x'})
            post = standin.wait_requests('POST', '^/v2/pods$')[0]
            self.assertEqual(post['headers']['Authorization'], 'Bearer ' + API_KEY)
        finally:
            jobd.close()
            standin.stop()

    def test_empty_key_file_is_refused(self):
        jobd = Jobd()
        try:
            path = os.path.join(jobd.tmpdir.name, 'empty')
            open(path, 'w').close()
            jobd.extra_args = ['--runpod-api-key-file', path]
            with self.assertRaises(RuntimeError):
                jobd.start()
            self.assertEqual(jobd.proc.returncode, 2)
            self.assertIn('is empty', jobd.stderr_text())
        finally:
            jobd.close()


if __name__ == '__main__':
    unittest.main(verbosity=2)
