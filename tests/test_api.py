#!/usr/bin/python3
# test_api.py: integration tests of lora-jobd's HTTP API
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Each test class runs the real binary (see jobd.py) on a free loopback port
# with a temporary database, and talks to it only through HTTP, except where
# a test must prove that rows are gone or must fabricate a timestamp tie.

import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from jobd import (  # noqa: E402
    JobdTestCase, Jobd, binary_path, daemon_env, metrics_event, parse_time, sign,
    simple_event, stage_event, status_event,
)

JOB_FIELDS = {
    'id', 'name', 'status', 'created_by', 'created_at', 'started_at', 'finished_at',
    'progress', 'current_step', 'total_steps', 'epoch', 'total_epochs', 'stage', 'stages',
    'elapsed_s', 'remaining_s', 'gpu_type', 'pricing', 'hourly_rate', 'cost',
    'projected_cost', 'estimate_min', 'estimate_max', 'error', 'cancel_reason',
    'queue_position', 'provider', 'preset', 'cancelled_by',
}
STAGE_FIELDS = {'name', 'status', 'started_at', 'finished_at', 'duration_s', 'substatus', 'error'}
STAGE_NAMES = ['preprocessing', 'model_loading', 'training', 'finalization']
STATUSES = ['queued', 'provisioning', 'training', 'cancelling', 'completed', 'failed', 'cancelled']
ACTIVE = {'provisioning', 'training', 'cancelling'}
SERIES = ['train_loss', 'val_loss', 'learning_rate', 'gpu_util']
EVENT_TYPES = {'status', 'stage', 'metrics', 'warning', 'error', 'checkpoint'}
ISO_RE = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]00:?00)$')

# A simulated job that stays running for minutes of real time.
SLOW = {'steps_per_hour': 1}


def urllib_quote(text):
    return urllib.parse.quote(text, safe='')


def money(value):
    return '$%.2f' % value


def cost_for(job):
    return round(job['elapsed_s'] * job['hourly_rate'] / 3600.0 + 1e-9, 2)


def safe_file_name(name):
    """The export file name's job part, as the issue describes it: each
    character unsafe in a file name becomes '-'."""
    out = []
    for ch in name:
        if (ch.isascii() and ch.isalnum()) or ch in '_-' or (ch == '.' and out):
            out.append(ch)
        else:
            out.append('-')
    return ''.join(out) or 'job'


class ApiAssertions:
    def assertIso(self, value, msg=None):
        self.assertIsInstance(value, str, msg)
        self.assertRegex(value, ISO_RE, msg)

    def assertJobShape(self, job):
        self.assertTrue(JOB_FIELDS <= set(job), 'missing: %s' % (JOB_FIELDS - set(job)))
        self.assertNotIn('webhook_secret', job)
        self.assertIsInstance(job['id'], int)
        self.assertGreater(job['id'], 0)
        self.assertIn(job['status'], STATUSES)
        self.assertIso(job['created_at'])
        for key in ('started_at', 'finished_at'):
            if job[key] is not None:
                self.assertIso(job[key])
        for key in ('current_step', 'total_steps', 'epoch', 'total_epochs', 'elapsed_s'):
            self.assertIsInstance(job[key], int, key)
        for key in ('progress', 'hourly_rate', 'cost', 'projected_cost'):
            self.assertIsInstance(job[key], (int, float), key)
        self.assertTrue(job['remaining_s'] is None or isinstance(job['remaining_s'], int))
        self.assertAlmostEqual(job['progress'], job['current_step'] * 100.0 / job['total_steps'], places=6)
        self.assertEqual([s['name'] for s in job['stages']], STAGE_NAMES)
        for stage in job['stages']:
            self.assertEqual(set(stage), STAGE_FIELDS)
            self.assertIn(stage['status'], ('pending', 'active', 'completed', 'failed'))
            if stage['started_at'] is None:
                self.assertIsNone(stage['duration_s'])
            else:
                self.assertIso(stage['started_at'])
                self.assertIsInstance(stage['duration_s'], int)
        if job['status'] == 'queued':
            self.assertIsInstance(job['queue_position'], int)
            self.assertGreaterEqual(job['queue_position'], 1)
        else:
            self.assertIsNone(job['queue_position'])

    def assertEventShape(self, event):
        self.assertEqual(set(event), {'id', 'ts', 'type', 'message', 'payload'})
        self.assertIsInstance(event['id'], int)
        self.assertGreater(event['id'], 0)
        self.assertIso(event['ts'])
        self.assertIn(event['type'], EVENT_TYPES)
        self.assertIsInstance(event['message'], str)
        self.assertTrue(event['message'])
        self.assertIsInstance(event['payload'], dict)


class TestCase(JobdTestCase, ApiAssertions):
    pass


# ---------------------------------------------------------------------------
# Health, identity and authentication

class AuthTests(TestCase):
    def test_health_needs_no_token(self):
        for token in (None, 'not-a-token'):
            r = self.jobd.get('/api/health', token=token)
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.headers['Content-Type'].startswith('application/json'))
            self.assertEqual(r.json['status'], 'ok')
            self.assertEqual(r.json['slots'], self.SLOTS)
        r = self.jobd.request('HEAD', '/api/health', token=None)
        self.assertEqual(r.status, 200)

    def test_me(self):
        r = self.jobd.get('/api/me')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {'user': 'tester'})

        # A token added while the service runs works at once.
        alice = self.jobd.add_token('alice')
        r = self.jobd.get('/api/me', token=alice)
        self.assertEqual(r.json, {'user': 'alice'})

        # Tokens are distinct, and a second token for the same user works too.
        again = self.jobd.add_token('alice')
        self.assertNotEqual(again, alice)
        self.assertEqual(self.jobd.get('/api/me', token=again).json, {'user': 'alice'})

    def test_missing_or_bad_token_is_401(self):
        headers_cases = [
            {},
            {'Authorization': 'Bearer not-a-real-token'},
            {'Authorization': 'Bearer '},
            {'Authorization': 'Basic dGVzdGVyOnNlY3JldA=='},
            {'Authorization': self.jobd.token},
            {'Authorization': 'Bearer ' + self.jobd.token + 'x'},
        ]
        for headers in headers_cases:
            with self.subTest(headers=headers):
                r = self.jobd.request('GET', '/api/me', headers=headers, token=None)
                self.assertError(r, 401, 'unauthorized')
                self.assertTrue(r.headers.get('WWW-Authenticate', '').startswith('Bearer'), r.headers)

    def test_every_api_route_but_health_and_webhook_needs_a_token(self):
        job, _ = self.jobd.create_job(name='auth probe', config=SLOW)
        jid = job['id']
        routes = [
            ('GET', '/api/me'),
            ('GET', '/api/training/jobs'),
            ('POST', '/api/training/jobs'),
            ('GET', '/api/training/jobs/%d' % jid),
            ('DELETE', '/api/training/jobs/%d' % jid),
            ('POST', '/api/training/jobs/%d/cancel' % jid),
            ('GET', '/api/training/jobs/%d/metrics' % jid),
            ('GET', '/api/training/jobs/%d/events' % jid),
            ('GET', '/api/training/jobs/%d/events/export' % jid),
            ('GET', '/api/training/queue'),
            ('GET', '/api/training/jobs/999999'),
        ]
        for method, path in routes:
            for token in (None, 'wrong'):
                with self.subTest(method=method, path=path, token=token):
                    body = {'reason': 'testing'} if method == 'POST' else None
                    r = self.jobd.request(method, path, body, token=token)
                    self.assertError(r, 401, 'unauthorized')
                    self.assertIn('WWW-Authenticate', r.headers)
        # Nothing above took effect.
        self.assertEqual(self.jobd.job(jid)['status'], 'provisioning')

    def test_token_cli_prints_only_a_token(self):
        token = self.jobd.add_token('bob')
        self.assertRegex(token, r'^\S{20,}$')


# ---------------------------------------------------------------------------
# Creating jobs

class CreateJobTests(TestCase):
    SLOTS = 50

    def count_all(self):
        return self.jobd.list_jobs('?per_page=1')['counts']['all']

    def test_create_returns_201_with_location_and_secret(self):
        fields = Jobd.job_fields(name='Created run', total_steps=400, epochs=2,
                                 gpu_type='H100 SXM 80GB', pricing='on_demand', hourly_rate=3.47,
                                 estimate_min=45, estimate_max=55, preset='quality',
                                 provider='external', config={'note': 'kept'})
        r = self.jobd.post('/api/training/jobs', fields)
        self.assertEqual(r.status, 201, r)
        job = r.json
        self.assertEqual(r.headers['Location'], '/api/training/jobs/%d' % job['id'])
        self.assertRegex(job['webhook_secret'], r'^[0-9a-f]{64}$')
        secret = job.pop('webhook_secret')
        self.assertJobShape(job)

        self.assertEqual(job['name'], 'Created run')
        self.assertEqual(job['total_steps'], 400)
        self.assertEqual(job['total_epochs'], 2)
        self.assertEqual(job['gpu_type'], 'H100 SXM 80GB')
        self.assertEqual(job['pricing'], 'on_demand')
        self.assertEqual(job['hourly_rate'], 3.47)
        self.assertEqual(job['estimate_min'], 45)
        self.assertEqual(job['estimate_max'], 55)
        self.assertEqual(job['preset'], 'quality')
        self.assertEqual(job['provider'], 'external')
        self.assertEqual(job['created_by'], 'tester')
        self.assertIsNone(job['cancelled_by'])
        self.assertLess(abs(parse_time(job['created_at']) - time.time()), 10)
        # A free slot is taken before the response.
        self.assertEqual(job['status'], 'provisioning')
        self.assertIsNotNone(job['started_at'])

        # The secret is in the create response only.
        jid = job['id']
        for path in ('/api/training/jobs/%d' % jid, '/api/training/jobs',
                     '/api/training/jobs/%d/events/export' % jid, '/api/training/queue'):
            r = self.jobd.get(path)
            self.assertEqual(r.status, 200, r)
            self.assertNotIn(b'webhook_secret', r.body)
            self.assertNotIn(secret.encode(), r.body)
        events = self.jobd.all_events(jid)
        self.assertNotIn(secret, json.dumps(events))

        # The location names the job.
        self.assertEqual(self.jobd.job(jid)['name'], 'Created run')

    def test_each_job_gets_its_own_secret(self):
        _, s1 = self.jobd.create_external(name='secret one')
        _, s2 = self.jobd.create_external(name='secret two')
        self.assertNotEqual(s1, s2)

    def test_defaults(self):
        job, _ = self.jobd.create_job(name='Defaults', config=SLOW)
        self.assertEqual(job['preset'], 'balanced')
        self.assertEqual(job['provider'], 'simulator')
        self.assertIsNone(job['estimate_min'])
        self.assertIsNone(job['estimate_max'])
        self.assertEqual(job['epoch'], 1)
        self.assertEqual(job['current_step'], 0)
        self.assertEqual(job['progress'], 0)

    def test_name_limits(self):
        job, _ = self.jobd.create_external(name='x' * 200)
        self.assertEqual(job['name'], 'x' * 200)
        # Characters, not bytes.
        job, _ = self.jobd.create_external(name='é' * 200)
        self.assertEqual(job['name'], 'é' * 200)
        job, _ = self.jobd.create_external(name='Ünïcode 名前 🚀')
        self.assertEqual(self.jobd.job(job['id'])['name'], 'Ünïcode 名前 🚀')

    def test_each_invalid_field_is_400(self):
        base = Jobd.job_fields(provider='external')
        cases = {
            'name missing': {'name': None},
            'name empty': {'name': ''},
            'name blank': {'name': '   '},
            'name tab and newline': {'name': '\t\n'},
            'name too long': {'name': 'x' * 201},
            'name too long in characters': {'name': 'é' * 201},
            'name not a string': {'name': 42},
            'total_steps 0': {'total_steps': 0},
            'total_steps negative': {'total_steps': -5},
            'total_steps missing': {'total_steps': None},
            'total_steps fractional': {'total_steps': 10.5},
            'total_steps string': {'total_steps': '100'},
            'epochs 0': {'epochs': 0},
            'epochs missing': {'epochs': None},
            'epochs negative': {'epochs': -1},
            'gpu_type missing': {'gpu_type': None},
            'gpu_type empty': {'gpu_type': ''},
            'pricing bad': {'pricing': 'cheap'},
            'pricing missing': {'pricing': None},
            'pricing case': {'pricing': 'SPOT'},
            'hourly_rate 0': {'hourly_rate': 0},
            'hourly_rate negative': {'hourly_rate': -1.5},
            'hourly_rate missing': {'hourly_rate': None},
            'hourly_rate string': {'hourly_rate': '2.5'},
            'hourly_rate absurd': {'hourly_rate': 1e8},
            'total_steps absurd': {'total_steps': 10 ** 9},
            'epochs absurd': {'epochs': 10 ** 5},
            'estimate min > max': {'estimate_min': 60, 'estimate_max': 50},
            'estimate only min': {'estimate_min': 10},
            'estimate only max': {'estimate_max': 10},
            'estimate zero': {'estimate_min': 0, 'estimate_max': 10},
            'estimate negative': {'estimate_min': -10, 'estimate_max': 10},
            'preset bad': {'preset': 'turbo'},
            'preset not a string': {'preset': 1},
            'provider unknown': {'provider': 'runpod-nonexistent'},
            'provider empty': {'provider': ''},
            'config not an object': {'config': [1, 2]},
            'config a string': {'config': 'seed=1'},
        }
        sim_config_cases = {
            'sim seed not a number': {'seed': 'abc'},
            'sim fail_at_step 0': {'fail_at_step': 0},
            'sim fail_at_step string': {'fail_at_step': 'ten'},
            'sim fail_at_step beyond total_steps': {'fail_at_step': 301},
            'sim steps_per_hour 0': {'steps_per_hour': 0},
            'sim steps_per_hour negative': {'steps_per_hour': -160},
            'sim fail_message not a string': {'fail_message': 5},
            'sim log_every 0': {'log_every': 0},
            'sim eval_every 0': {'eval_every': 0},
            'sim checkpoint_every 0': {'checkpoint_every': 0},
        }
        for name, config in sim_config_cases.items():
            cases[name] = {'provider': 'simulator', 'config': config}

        before = self.count_all()
        for name, change in cases.items():
            with self.subTest(name):
                fields = dict(base)
                fields.update(change)
                fields = {k: v for k, v in fields.items() if v is not None}
                r = self.jobd.post('/api/training/jobs', fields)
                self.assertError(r, 400, 'bad_request')
        self.assertEqual(self.count_all(), before, 'a rejected request created a job')

    def test_bad_bodies_are_400(self):
        bodies = {
            'not JSON': b'{"name": ',
            'garbage': b'hello',
            'JSON array': b'[]',
            'JSON number': b'42',
            'JSON string': b'"job"',
            'JSON null': b'null',
            'empty body': b'',
            'invalid UTF-8 in a string': b'{"name": "caf\xe9", "total_steps": 10}',
            'invalid UTF-8 bytes': b'\xff\xfe{}',
        }
        before = self.count_all()
        for name, body in bodies.items():
            with self.subTest(name):
                r = self.jobd.post('/api/training/jobs', body, headers={'Content-Type': 'application/json'})
                self.assertError(r, 400, 'bad_request')
        self.assertEqual(self.count_all(), before)

    def test_created_by_records_the_caller(self):
        carol = self.jobd.add_token('carol')
        r = self.jobd.post('/api/training/jobs', Jobd.job_fields(name='by carol', provider='external'),
                           token=carol)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json['created_by'], 'carol')
        # Every user sees every job.
        self.assertEqual(self.jobd.job(r.json['id'])['created_by'], 'carol')


# ---------------------------------------------------------------------------
# Routing: ids, unknown routes, methods, body size

class RoutingTests(TestCase):
    SLOTS = 10

    BAD_IDS = ['abc', '0', '-1', '01', '007', '1.5', '1e3', '+1', '0x10', '%201', '1%20',
               '99999999999999999999999', '9223372036854775808', '18446744073709551616']

    def test_malformed_ids_are_404(self):
        job, _ = self.jobd.create_external(name='route target')
        paths = [
            ('GET', '/api/training/jobs/%s'),
            ('DELETE', '/api/training/jobs/%s'),
            ('POST', '/api/training/jobs/%s/cancel'),
            ('GET', '/api/training/jobs/%s/metrics'),
            ('GET', '/api/training/jobs/%s/events'),
            ('GET', '/api/training/jobs/%s/events/export'),
            ('POST', '/api/training/jobs/%s/webhook'),
        ]
        for method, pattern in paths:
            for bad in self.BAD_IDS + ['9223372036854775807', '424242']:
                with self.subTest(method=method, path=pattern % bad):
                    body = {'reason': 'testing'} if method == 'POST' else None
                    r = self.jobd.request(method, pattern % bad, body)
                    self.assertError(r, 404, 'not_found')
        # The real job is untouched and reachable.
        self.assertEqual(self.jobd.job(job['id'])['status'], 'provisioning')

    def test_unknown_routes_are_404(self):
        job, _ = self.jobd.create_external(name='unknown routes')
        paths = ['/', '/api', '/api/', '/api/nothing', '/api/training', '/api/training/nothing',
                 '/api/training/jobs/%d/nothing' % job['id'],
                 '/api/training/jobs/%d/events/nothing' % job['id'],
                 '/api/training/jobs/%d/events/export/more' % job['id'],
                 '/api/training/jobs/%d/metrics/train_loss' % job['id'],
                 '/api/training/queue/1', '/api/me/more', '/index.html', '/favicon.ico',
                 '/api/v2/training/jobs']
        for path in paths:
            with self.subTest(path=path):
                self.assertError(self.jobd.get(path), 404, 'not_found')

    def test_wrong_method_is_405(self):
        job, _ = self.jobd.create_external(name='methods')
        jid = job['id']
        cases = [
            ('POST', '/api/health'),
            ('DELETE', '/api/health'),
            ('POST', '/api/me'),
            ('PUT', '/api/training/jobs'),
            ('DELETE', '/api/training/jobs'),
            ('PATCH', '/api/training/jobs/%d' % jid),
            ('PUT', '/api/training/jobs/%d' % jid),
            ('POST', '/api/training/jobs/%d' % jid),
            ('GET', '/api/training/jobs/%d/cancel' % jid),
            ('DELETE', '/api/training/jobs/%d/cancel' % jid),
            ('POST', '/api/training/jobs/%d/metrics' % jid),
            ('DELETE', '/api/training/jobs/%d/events' % jid),
            ('POST', '/api/training/jobs/%d/events/export' % jid),
            ('GET', '/api/training/jobs/%d/webhook' % jid),
            ('POST', '/api/training/queue'),
        ]
        for method, path in cases:
            with self.subTest(method=method, path=path):
                r = self.jobd.request(method, path, {} if method in ('POST', 'PUT', 'PATCH') else None)
                self.assertError(r, 405, 'method_not_allowed')
                allow = r.headers.get('Allow')
                self.assertTrue(allow, 'no Allow header')
                self.assertNotIn(method, [m.strip() for m in allow.split(',')])
        # Nothing changed.
        self.assertEqual(self.jobd.job(jid)['status'], 'provisioning')

    def test_one_connection_serves_many_requests(self):
        # Clients keep connections open; every kind of answer must leave the
        # connection usable, including 204 and errors.
        conn = http.client.HTTPConnection(self.jobd.host, self.jobd.port, timeout=30)
        auth = {'Authorization': 'Bearer ' + self.jobd.token, 'Content-Type': 'application/json'}
        try:
            def call(method, path, body=None, headers=auth):
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                return resp.status, resp.read()

            self.assertEqual(call('GET', '/api/health')[0], 200)
            status, body = call('POST', '/api/training/jobs',
                                json.dumps(Jobd.job_fields(name='keep-alive', provider='external')))
            self.assertEqual(status, 201)
            jid = json.loads(body)['id']
            self.assertEqual(call('DELETE', '/api/training/jobs/%d' % jid)[0], 409)
            self.assertEqual(call('GET', '/api/me', headers={})[0], 401)
            self.assertEqual(call('POST', '/api/training/jobs', b'{')[0], 400)
            self.assertEqual(call('PUT', '/api/training/jobs')[0], 405)
            self.assertEqual(call('POST', '/api/training/jobs/%d/cancel' % jid, b'{"reason":"testing"}')[0], 200)
            status, body = call('DELETE', '/api/training/jobs/%d' % jid)
            self.assertEqual((status, body), (204, b''))
            self.assertEqual(call('GET', '/api/training/jobs/%d' % jid)[0], 404)
            self.assertEqual(call('GET', '/api/training/queue')[0], 200)
        finally:
            conn.close()

    def test_trailing_slash(self):
        self.assertEqual(self.jobd.get('/api/health/').status, 200)
        self.assertEqual(self.jobd.get('/api/training/jobs/').status, 200)

    def test_body_over_16_mib_is_413(self):
        limit = 16 * 1024 * 1024
        job, secret = self.jobd.create_external(name='big bodies')
        before = self.jobd.list_jobs('?per_page=1')['counts']['all']

        def body_of(size):
            body = b'{"name": "' + b'a' * (size - 12) + b'"}'
            self.assertEqual(len(body), size)
            return body

        big = body_of(limit + 1)
        for path, extra in (('/api/training/jobs', {}),
                            ('/api/training/jobs/%d/webhook' % job['id'],
                             {'X-Lora-Signature': sign(secret, big)}),
                            ('/api/training/jobs/%d/cancel' % job['id'], {})):
            with self.subTest(path=path):
                r = self.jobd.post(path, big, headers=dict(extra, **{'Content-Type': 'application/json'}))
                self.assertError(r, 413, 'payload_too_large')

        # A body of unknown length is refused before any of it is read,
        # so the limit cannot be walked around with chunked encoding.
        def chunks():
            yield b'{"name": '
            yield b'"chunked"}'

        conn = http.client.HTTPConnection(self.jobd.host, self.jobd.port, timeout=30)
        try:
            conn.request('POST', '/api/training/jobs', body=chunks(), encode_chunked=True,
                         headers={'Authorization': 'Bearer ' + self.jobd.token,
                                  'Content-Type': 'application/json'})
            resp = conn.getresponse()
            self.assertEqual(resp.status, 411)
            self.assertEqual(json.loads(resp.read())['error']['code'], 'length_required')
        finally:
            conn.close()

        # A stranger is turned away on the headers alone.
        r = self.jobd.post('/api/training/jobs', body_of(1 << 20), token=None,
                           headers={'Content-Type': 'application/json'})
        self.assertError(r, 401, 'unauthorized')

        # Exactly 16 MiB is not too large for a webhook batch: it reaches
        # validation. Other bodies stop at 1 MiB.
        exact = body_of(limit)
        r = self.jobd.post('/api/training/jobs/%d/webhook' % job['id'], exact,
                           headers={'X-Lora-Signature': sign(secret, exact)})
        self.assertError(r, 400, 'bad_request')
        for path in ('/api/training/jobs', '/api/training/jobs/%d/cancel' % job['id']):
            with self.subTest(path=path):
                r = self.jobd.post(path, body_of((1 << 20) + 1), headers={'Content-Type': 'application/json'})
                self.assertError(r, 413, 'payload_too_large')
                self.assertIn('1 MiB', r.json['error']['message'])
                r = self.jobd.post(path, body_of(1 << 20), headers={'Content-Type': 'application/json'})
                self.assertError(r, 400, 'bad_request')

        # The service carries on.
        self.assertEqual(self.jobd.get('/api/health').status, 200)
        self.assertEqual(self.jobd.list_jobs('?per_page=1')['counts']['all'], before)
        self.jobd.create_external(name='after big bodies')
        self.assertEqual(self.jobd.job(job['id'])['status'], 'provisioning')
        self.assertEqual(self.jobd.events(job['id'])['total'], 2)


# ---------------------------------------------------------------------------
# Listing jobs

class ListJobsTests(TestCase):
    SLOTS = 2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        jobd = cls.shared
        try:
            ids = {}
            j, s = jobd.create_external(name='Alpha completed run')
            jobd.webhook_ok(j['id'], s, status_event('completed'))
            ids['completed'] = j['id']
            j, s = jobd.create_external(name='Beta failed run')
            jobd.webhook_ok(j['id'], s, status_event('failed', error='boom'))
            ids['failed'] = j['id']
            j, _ = jobd.create_external(name='Gamma cancelled run')
            r = jobd.cancel(j['id'])
            assert r.status == 200, r
            ids['cancelled'] = j['id']
            ids['active1'] = jobd.create_external(name='Ünïcode Delta run')[0]['id']
            ids['active2'] = jobd.create_external(name='Epsilon run')[0]['id']
            ids['queued1'] = jobd.create_external(name='Zeta queued run')[0]['id']
            ids['queued2'] = jobd.create_external(name='zeta QUEUED two')[0]['id']
            cls.ids = ids
        except BaseException:
            cls.tearDownClass()
            raise

    def ids_of(self, body):
        return [j['id'] for j in body['jobs']]

    def test_all_newest_first(self):
        body = self.jobd.list_jobs()
        self.assertEqual(body['total'], 7)
        self.assertEqual(body['page'], 1)
        self.assertEqual(body['per_page'], 25)
        ids = self.ids_of(body)
        self.assertEqual(ids, sorted(self.ids.values(), reverse=True))
        for job in body['jobs']:
            self.assertJobShape(job)
        keys = [(parse_time(j['created_at']), j['id']) for j in body['jobs']]
        self.assertEqual(keys, sorted(keys, reverse=True))
        self.assertEqual(self.ids_of(self.jobd.list_jobs('?status=all')), ids)

    def test_counts(self):
        expected = {'queued': 2, 'provisioning': 2, 'training': 0, 'cancelling': 0,
                    'completed': 1, 'failed': 1, 'cancelled': 1}
        # Tab badges: the counts do not depend on the tab (status) or page.
        for query in ('', '?status=completed', '?status=queued', '?per_page=1&page=3'):
            counts = self.jobd.list_jobs(query)['counts']
            for status, n in expected.items():
                self.assertEqual(counts[status], n, (query, status))
            self.assertEqual(counts['active'], 2)
            self.assertEqual(counts['all'], 7)

    def test_status_filters(self):
        i = self.ids
        expected = {
            'active': [i['active2'], i['active1']],
            'queued': [i['queued2'], i['queued1']],
            'completed': [i['completed']],
            'failed': [i['failed']],
            'cancelled': [i['cancelled']],
        }
        for status, ids in expected.items():
            with self.subTest(status=status):
                body = self.jobd.list_jobs('?status=' + status)
                self.assertEqual(self.ids_of(body), ids)
                self.assertEqual(body['total'], len(ids))
        queued = self.jobd.list_jobs('?status=queued')['jobs']
        self.assertEqual({j['id']: j['queue_position'] for j in queued},
                         {i['queued1']: 1, i['queued2']: 2})
        for job in self.jobd.list_jobs('?status=active')['jobs']:
            self.assertIn(job['status'], ACTIVE)

    def test_range(self):
        for rng in ('7d', '30d', '90d', 'all'):
            with self.subTest(range=rng):
                body = self.jobd.list_jobs('?range=' + rng)
                self.assertEqual(body['total'], 7)
        body = self.jobd.list_jobs('?range=7d&status=failed')
        self.assertEqual(self.ids_of(body), [self.ids['failed']])

    def test_query_is_case_insensitive_and_unicode_aware(self):
        i = self.ids
        cases = {
            'zeta': [i['queued2'], i['queued1']],
            'ZETA': [i['queued2'], i['queued1']],
            'queued': [i['queued2'], i['queued1']],
            'ünï': [i['active1']],
            'ÜNÏCODE': [i['active1']],
            'Ünïcode Delta': [i['active1']],
            'unicode': [],
            'run': [i['queued1'], i['active2'], i['active1'], i['cancelled'], i['failed'], i['completed']],
            'nothing-matches': [],
            '%': [],
            '_': [],
            "'": [],
        }
        for q, ids in cases.items():
            with self.subTest(q=q):
                body = self.jobd.list_jobs('?q=' + urllib_quote(q))
                self.assertEqual(self.ids_of(body), ids)
                self.assertEqual(body['total'], len(ids))
        body = self.jobd.list_jobs('?q=zeta&status=queued')
        self.assertEqual(body['total'], 2)
        self.assertEqual(self.jobd.list_jobs('?q=zeta&status=completed')['total'], 0)
        self.assertEqual(self.jobd.list_jobs('?q=')['total'], 7)

    def test_paging(self):
        all_ids = self.ids_of(self.jobd.list_jobs())
        pages = []
        for page in (1, 2, 3):
            body = self.jobd.list_jobs('?per_page=3&page=%d' % page)
            self.assertEqual(body['total'], 7)
            self.assertEqual(body['page'], page)
            self.assertEqual(body['per_page'], 3)
            pages.append(self.ids_of(body))
        self.assertEqual([len(p) for p in pages], [3, 3, 1])
        self.assertEqual(pages[0] + pages[1] + pages[2], all_ids)

        body = self.jobd.list_jobs('?per_page=3&page=4')
        self.assertEqual(body['jobs'], [])
        self.assertEqual(body['total'], 7)

        self.assertEqual(len(self.jobd.list_jobs('?per_page=1')['jobs']), 1)
        self.assertEqual(len(self.jobd.list_jobs('?per_page=100')['jobs']), 7)
        body = self.jobd.list_jobs('?status=queued&per_page=1&page=2')
        self.assertEqual(self.ids_of(body), [self.ids['queued1']])
        self.assertEqual(body['total'], 2)

    def test_bad_parameters_are_400(self):
        bad = ['status=running', 'status=ALL', 'status=provisioning', 'range=1y', 'range=7',
               'range=7D', 'page=0', 'page=-1', 'page=abc', 'page=1.5', 'per_page=0',
               'per_page=101', 'per_page=-5', 'per_page=ten', 'q=' + 'x' * 201,
               'page=99999999999999999999', 'page=2147483648', 'q=%FF', 'q=caf%E9']
        for query in bad:
            with self.subTest(query=query[:40]):
                self.assertError(self.jobd.get('/api/training/jobs?' + query), 400, 'bad_request')
        # 200 characters are fine, and so is a page far beyond the end.
        self.assertEqual(self.jobd.get('/api/training/jobs?q=' + urllib_quote('é' * 200)).status, 200)
        body = self.jobd.list_jobs('?page=2147483647&per_page=100')
        self.assertEqual(body['jobs'], [])
        self.assertEqual(body['total'], 7)


class OrderTieTests(TestCase):
    """Ties in created_at cannot be made over HTTP, so this test stops the
    service, gives jobs equal timestamps in the database, and restarts."""

    SLOTS = 1
    PER_TEST = True

    def test_ties_broken_by_id_in_list_and_queue(self):
        jobd = self.jobd
        j1, s1 = jobd.create_external(name='tie one')
        j2 = jobd.create_external(name='tie two')[0]
        j3 = jobd.create_external(name='tie three')[0]
        j4 = jobd.create_external(name='tie four')[0]
        self.assertEqual(jobd.restart_with(lambda: self.fabricate(j1, j2, j3, j4)), 0)

        # Newest first: j2 and j3 share the newest time (higher id first),
        # then j4, then j1.
        ids = [j['id'] for j in jobd.list_jobs()['jobs']]
        self.assertEqual(ids, [j3['id'], j2['id'], j4['id'], j1['id']])

        # FIFO by created_at, ties by id: j4 is oldest of the queue.
        queued = [q['job']['id'] for q in jobd.queue()['queued']]
        self.assertEqual(queued, [j4['id'], j2['id'], j3['id']])
        self.assertEqual(jobd.job(j4['id'])['queue_position'], 1)
        self.assertEqual(jobd.job(j2['id'])['queue_position'], 2)
        self.assertEqual(jobd.job(j3['id'])['queue_position'], 3)

        # The slot goes to j4, not to the lowest id.
        jobd.webhook_ok(j1['id'], s1, status_event('completed'))
        self.assertEqual(jobd.job(j4['id'])['status'], 'provisioning')
        self.assertEqual(jobd.job(j2['id'])['status'], 'queued')

    def fabricate(self, j1, j2, j3, j4):
        (base,), = self.jobd.sql('SELECT created_at FROM jobs WHERE id = ?', (j1['id'],))
        for job, offset in ((j2, 10), (j3, 10), (j4, 5)):
            self.jobd.sql_write('UPDATE jobs SET created_at = ? WHERE id = ?',
                                (base + offset * 1000000, job['id']))


# ---------------------------------------------------------------------------
# One job: fields, delete, cancel

class JobDetailTests(TestCase):
    SLOTS = 20

    def test_fields_of_a_running_job(self):
        job, secret = self.jobd.create_external(name='Detail run', total_steps=200, epochs=3,
                                                estimate_min=10, estimate_max=20, hourly_rate=2.0)
        jid = job['id']
        job = self.jobd.job(jid)
        self.assertJobShape(job)
        self.assertEqual(job['status'], 'provisioning')
        self.assertIsNone(job['stage'])
        self.assertIsNone(job['finished_at'])
        self.assertIsNone(job['error'])
        self.assertIsNone(job['cancel_reason'])
        self.assertIsNone(job['queue_position'])
        self.assertEqual(job['estimate_min'], 10)
        self.assertEqual(job['estimate_max'], 20)
        for stage in job['stages']:
            self.assertEqual(stage['status'], 'pending')
            self.assertIsNone(stage['started_at'])
            self.assertIsNone(stage['substatus'])
        # Without progress the remaining time is the estimate: (10+20)/2 / $2 = 7.5 h.
        self.assertAlmostEqual(job['remaining_s'] + job['elapsed_s'], 7.5 * 3600, delta=2)
        self.assertGreaterEqual(job['projected_cost'], job['cost'])

        self.jobd.webhook_ok(jid, secret, metrics_event(50, 1.25, epoch=1.2, learning_rate=1e-4, gpu_util=91))
        job = self.jobd.job(jid)
        self.assertEqual(job['status'], 'training')
        self.assertEqual(job['current_step'], 50)
        self.assertAlmostEqual(job['progress'], 25.0)
        self.assertEqual(job['epoch'], 2)
        self.assertEqual(job['total_epochs'], 3)
        self.assertEqual(job['stage'], 'training')
        training = job['stages'][2]
        self.assertEqual(training['status'], 'active')
        self.assertEqual(training['substatus'], 'Epoch 2/3 - Step 50 of 200')
        self.assertIsNotNone(training['started_at'])
        self.assertIsNotNone(job['remaining_s'])
        self.assertGreaterEqual(job['elapsed_s'], 0)
        self.assertEqual(job['cost'], cost_for(job))

    def test_queue_position_of_queued_jobs(self):
        jobd = Jobd(slots=1, time_scale=5000).start()
        try:
            jobd.create_external(name='holder')
            q1 = jobd.create_external(name='waiter 1')[0]
            q2 = jobd.create_external(name='waiter 2')[0]
            self.assertEqual(q1['status'], 'queued')
            self.assertEqual(q1['queue_position'], 1)
            self.assertEqual(q2['queue_position'], 2)
            job = jobd.job(q2['id'])
            self.assertJobShape(job)
            self.assertEqual(job['queue_position'], 2)
            self.assertIsNone(job['started_at'])
            self.assertEqual(job['cost'], 0)
            self.assertEqual(job['elapsed_s'], 0)
            # 300 steps at 160 an hour.
            self.assertEqual(job['remaining_s'], 6750)
            events = jobd.all_events(q2['id'])
            self.assertEqual([e['message'] for e in events], ['Job queued at position 2'])
        finally:
            jobd.close()


class DeleteTests(TestCase):
    SLOTS = 1
    PER_TEST = True

    def db_rows(self, job_id):
        return {table: self.jobd.sql('SELECT count(*) FROM %s WHERE job_id = ?' % table, (job_id,))[0][0]
                for table in ('events', 'training_metrics_history', 'stages')}

    def test_delete(self):
        jobd = self.jobd
        running, secret = jobd.create_external(name='to delete')
        queued = jobd.create_external(name='queued, kept')[0]
        rid, qid = running['id'], queued['id']

        self.assertError(jobd.delete('/api/training/jobs/%d' % rid), 409, 'conflict')
        self.assertError(jobd.delete('/api/training/jobs/%d' % qid), 409, 'conflict')

        jobd.webhook_ok(rid, secret, {'events': [metrics_event(s, 2.0 - s / 100, val_loss=2.1) for s in range(1, 11)]
                                      + [simple_event('checkpoint', data={'step': 10})]})
        self.assertEqual(jobd.job(rid)['status'], 'training')
        self.assertError(jobd.delete('/api/training/jobs/%d' % rid), 409, 'conflict')

        jobd.webhook_ok(rid, secret, status_event('completed'))
        rows = self.db_rows(rid)
        self.assertGreater(rows['events'], 0)
        self.assertEqual(rows['training_metrics_history'], 20)

        r = jobd.delete('/api/training/jobs/%d' % rid)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b'')

        for path in ('', '/metrics', '/events', '/events/export'):
            self.assertError(jobd.get('/api/training/jobs/%d%s' % (rid, path)), 404, 'not_found')
        self.assertError(jobd.delete('/api/training/jobs/%d' % rid), 404, 'not_found')
        self.assertError(jobd.cancel(rid), 404, 'not_found')
        self.assertEqual(jobd.webhook(rid, secret, metrics_event(20, 1.0)).status, 404)
        self.assertEqual(self.db_rows(rid), {'events': 0, 'training_metrics_history': 0, 'stages': 0})
        self.assertNotIn(rid, [j['id'] for j in jobd.list_jobs()['jobs']])

        # The queued job took the slot when the first one completed, and is
        # untouched by the delete.
        self.assertEqual(jobd.job(qid)['status'], 'provisioning')
        self.assertGreater(self.db_rows(qid)['events'], 0)

    def test_delete_failed_and_cancelled(self):
        jobd = self.jobd
        a, sa = jobd.create_external(name='fails')
        jobd.webhook_ok(a['id'], sa, status_event('failed', error='x'))
        b = jobd.create_external(name='cancelled')[0]
        self.assertEqual(jobd.cancel(b['id']).json['status'], 'cancelled')
        c = jobd.create_external(name='queued then cancelled')[0]
        d = jobd.create_external(name='queued')[0]
        self.assertEqual(jobd.cancel(d['id']).json['status'], 'cancelled')
        for job in (a, b, d):
            self.assertEqual(jobd.delete('/api/training/jobs/%d' % job['id']).status, 204)
            self.assertEqual(jobd.get('/api/training/jobs/%d' % job['id']).status, 404)
        self.assertEqual(jobd.list_jobs()['total'], 1)
        self.assertEqual(jobd.job(c['id'])['status'], 'provisioning')


class CancelTests(TestCase):
    SLOTS = 1
    PER_TEST = True

    def test_bad_requests_are_400(self):
        jobd = self.jobd
        job = jobd.create_job(name='cancel validation', config=SLOW)[0]
        path = '/api/training/jobs/%d/cancel' % job['id']
        cases = {
            'no body': None,
            'empty object': {},
            'unknown reason': {'reason': 'bored'},
            'empty reason': {'reason': ''},
            'reason not a string': {'reason': 3},
            'reason null': {'reason': None},
            'reason case': {'reason': 'Testing'},
            'not JSON': b'reason=testing',
            'JSON array': b'["testing"]',
            'invalid UTF-8': b'{"reason": "\xff"}',
        }
        for name, body in cases.items():
            with self.subTest(name):
                headers = {'Content-Type': 'application/json'} if isinstance(body, bytes) else None
                self.assertError(jobd.post(path, body, headers=headers), 400, 'bad_request')
        job = jobd.job(job['id'])
        self.assertIn(job['status'], ('provisioning', 'training'))
        self.assertIsNone(job['cancel_reason'])
        self.assertError(jobd.cancel(424242), 404, 'not_found')

    def test_cancel_queued_job_at_once(self):
        jobd = self.jobd
        jobd.create_job(name='holds the slot', config=SLOW)
        queued = jobd.create_job(name='waits', config=SLOW)[0]
        behind = jobd.create_job(name='behind', config=SLOW)[0]
        self.assertEqual(queued['status'], 'queued')

        r = jobd.cancel(queued['id'], 'cost_too_high')
        self.assertEqual(r.status, 200, r)
        job = r.json
        self.assertJobShape(job)
        self.assertEqual(job['status'], 'cancelled')
        self.assertEqual(job['cancel_reason'], 'cost_too_high')
        self.assertEqual(job['cancelled_by'], 'tester')
        self.assertIsNotNone(job['finished_at'])
        self.assertIsNone(job['started_at'])
        self.assertEqual(job['cost'], 0)
        self.assertIsNone(job['queue_position'])
        self.assertEqual(without_volatile(jobd.job(queued['id'])), without_volatile(job))

        events = jobd.all_events(queued['id'])
        self.assertEqual(events[0]['type'], 'status')
        self.assertIn('tester', events[0]['message'])
        self.assertEqual(events[0]['payload'].get('reason'), 'cost_too_high')
        self.assertEqual(events[0]['payload'].get('user'), 'tester')

        # The one behind moves up; nothing else starts.
        self.assertEqual(jobd.job(behind['id'])['queue_position'], 1)
        self.assertEqual(jobd.queue()['slots']['used'], 1)
        # Cancelling again is a conflict.
        self.assertError(jobd.cancel(queued['id']), 409, 'conflict')

    def test_cancel_running_simulated_job(self):
        jobd = self.jobd
        alice = jobd.add_token('alice')
        job = jobd.create_job(name='to cancel', hourly_rate=3600.0, total_steps=400,
                              config={'steps_per_hour': 20})[0]
        jid = job['id']
        jobd.wait_for(lambda: jobd.metrics(jid, '?latest=true')['latest']['step'],
                      what='metrics of job %d' % jid)
        queued = jobd.create_job(name='next in line', config=SLOW)[0]
        self.assertEqual(queued['status'], 'queued')

        r = jobd.cancel(jid, 'loss_not_decreasing', token=alice)
        self.assertEqual(r.status, 200, r)
        job = r.json
        self.assertEqual(job['status'], 'cancelled')
        self.assertEqual(job['cancelled_by'], 'alice')
        self.assertEqual(job['created_by'], 'tester')
        self.assertEqual(job['cancel_reason'], 'loss_not_decreasing')
        self.assertIsNotNone(job['finished_at'])
        self.assertEqual(job['cost'], cost_for(job))
        self.assertEqual(job['projected_cost'], job['cost'])
        self.assertIsNone(job['remaining_s'])

        # The freed slot went to the queue before the response.
        self.assertEqual(jobd.job(queued['id'])['status'], 'provisioning')

        # The interrupted stage keeps its status but stops its clock.
        training = job['stages'][2]
        self.assertEqual(training['status'], 'active')
        self.assertEqual(training['finished_at'], job['finished_at'])
        time.sleep(1.1)
        self.assertEqual(jobd.job(jid)['stages'][2]['duration_s'], training['duration_s'])

        events = jobd.all_events(jid, 'status')
        messages = [e['message'] for e in events]
        requested = [e for e in events if e['message'].startswith('Cancel requested by alice')]
        final = [e for e in events if e['message'].startswith('Job cancelled. Final cost: ')]
        self.assertEqual(len(requested), 1, messages)
        self.assertEqual(len(final), 1, messages)
        self.assertGreater(final[0]['id'], requested[0]['id'])
        self.assertEqual(final[0]['message'], 'Job cancelled. Final cost: ' + money(job['cost']))
        self.assertEqual(requested[0]['payload']['reason'], 'loss_not_decreasing')
        self.assertEqual(requested[0]['payload']['user'], 'alice')
        self.assertEqual(final[0]['payload']['final_cost'], job['cost'])
        self.assertEqual(events[0]['id'], final[0]['id'], 'the final event is the newest')

        # Partial data stays, and the stopped simulation adds nothing.
        metrics = jobd.metrics(jid)
        n = len(metrics['series']['train_loss']['step'])
        self.assertGreater(n, 0)
        total = jobd.events(jid)['total']
        time.sleep(0.5)
        self.assertEqual(len(jobd.metrics(jid)['series']['train_loss']['step']), n)
        self.assertEqual(jobd.events(jid)['total'], total)
        self.assertEqual(jobd.job(jid)['status'], 'cancelled')

        self.assertError(jobd.cancel(jid), 409, 'conflict')

    def test_cancel_finished_job_is_409(self):
        jobd = self.jobd
        job = jobd.create_job(name='quick', total_steps=200)[0]
        jobd.wait_status(job['id'], 'completed')
        before = jobd.job(job['id'])
        self.assertError(jobd.cancel(job['id']), 409, 'conflict')
        self.assertEqual(without_volatile(jobd.job(job['id'])), without_volatile(before))

        failed = jobd.create_job(name='fails', total_steps=200, config={'fail_at_step': 50})[0]
        jobd.wait_status(failed['id'], 'failed')
        self.assertError(jobd.cancel(failed['id'], 'other'), 409, 'conflict')


VOLATILE = ('elapsed_s', 'remaining_s', 'cost', 'projected_cost', 'stages')


def without_volatile(job):
    return {k: v for k, v in job.items() if k not in VOLATILE}


# ---------------------------------------------------------------------------
# Metrics

class MetricsTests(TestCase):
    SLOTS = 20

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            jobd = cls.shared
            job, secret = jobd.create_external(name='metrics', total_steps=1000, epochs=2)
            cls.jid, cls.secret = job['id'], secret
            cls.train = {s: round(2.0 - s * 0.01, 4) for s in range(1, 101)}
            cls.train[57] = 1000.0        # the spike that thinning must keep
            cls.val = {s: round(2.1 - s * 0.01, 4) for s in range(10, 101, 10)}
            cls.lr = {s: 1e-6 * s for s in range(1, 101)}
            cls.gpu = {s: 80 + s % 15 for s in range(1, 101)}
            events = [metrics_event(s, cls.train[s], epoch=s / 50, val_loss=cls.val.get(s),
                                    learning_rate=cls.lr[s], gpu_util=cls.gpu[s])
                      for s in range(1, 101)]
            r = jobd.webhook(cls.jid, secret, {'events': events})
            assert r.status == 202 and r.json == {'accepted': 100, 'duplicates': 0}, r
        except BaseException:
            cls.tearDownClass()
            raise

    def test_empty_job_has_empty_series(self):
        job = self.jobd.create_external(name='no metrics')[0]
        m = self.jobd.metrics(job['id'])
        self.assertEqual(m['job_id'], job['id'])
        self.assertEqual(set(m['series']), set(SERIES))
        for name in SERIES:
            self.assertEqual(m['series'][name], {'step': [], 'value': []})
        for key in ('step', 'train_loss', 'prev_train_loss', 'val_loss', 'prev_val_loss',
                    'learning_rate', 'gpu_util'):
            self.assertIsNone(m['latest'][key], key)

    def test_full_series(self):
        m = self.jobd.metrics(self.jid)
        self.assertEqual(m['job_id'], self.jid)
        self.assertEqual(set(m), {'job_id', 'series', 'latest'})
        self.assertEqual(set(m['series']), set(SERIES))
        for name, expected in (('train_loss', self.train), ('val_loss', self.val),
                               ('learning_rate', self.lr), ('gpu_util', self.gpu)):
            series = m['series'][name]
            self.assertEqual(set(series), {'step', 'value'})
            self.assertEqual(series['step'], sorted(expected))
            self.assertEqual(len(series['value']), len(series['step']))
            for step, value in zip(series['step'], series['value']):
                self.assertAlmostEqual(value, expected[step], places=9, msg='%s@%d' % (name, step))

    def test_latest(self):
        latest = self.jobd.metrics(self.jid)['latest']
        self.assertEqual(set(latest), {'step', 'epoch', 'ts', 'train_loss', 'prev_train_loss', 'val_loss',
                                       'prev_val_loss', 'learning_rate', 'gpu_util'})
        self.assertEqual(latest['step'], 100)
        self.assertAlmostEqual(latest['epoch'], 2.0)
        self.assertIso(latest['ts'])
        self.assertAlmostEqual(latest['train_loss'], self.train[100])
        self.assertAlmostEqual(latest['prev_train_loss'], self.train[99])
        self.assertAlmostEqual(latest['val_loss'], self.val[100])
        self.assertAlmostEqual(latest['prev_val_loss'], self.val[90])
        self.assertAlmostEqual(latest['learning_rate'], self.lr[100])
        self.assertAlmostEqual(latest['gpu_util'], self.gpu[100])

        only = self.jobd.metrics(self.jid, '?latest=true')
        self.assertNotIn('series', only)
        self.assertEqual(only['job_id'], self.jid)
        self.assertEqual(only['latest'], latest)
        self.assertNotIn('series', self.jobd.metrics(self.jid, '?latest=1'))
        self.assertIn('series', self.jobd.metrics(self.jid, '?latest=false'))

    def test_since_step(self):
        m = self.jobd.metrics(self.jid, '?since_step=50')
        self.assertEqual(m['series']['train_loss']['step'], list(range(51, 101)))
        self.assertEqual(m['series']['val_loss']['step'], list(range(60, 101, 10)))
        self.assertEqual(m['series']['train_loss']['value'][57 - 51], 1000.0)
        self.assertEqual(m['latest']['step'], 100)
        m = self.jobd.metrics(self.jid, '?since_step=100')
        for name in SERIES:
            self.assertEqual(m['series'][name]['step'], [])
        self.assertEqual(m['latest']['step'], 100)
        m = self.jobd.metrics(self.jid, '?since_step=0')
        self.assertEqual(len(m['series']['train_loss']['step']), 100)
        m = self.jobd.metrics(self.jid, '?since_step=99999999')
        self.assertEqual(m['series']['train_loss']['step'], [])

    def test_max_points_keeps_the_spike(self):
        for k in (10, 2, 3, 7, 50):
            with self.subTest(max_points=k):
                m = self.jobd.metrics(self.jid, '?max_points=%d' % k)
                for name in SERIES:
                    series = m['series'][name]
                    self.assertLessEqual(len(series['step']), k, name)
                    self.assertEqual(len(series['value']), len(series['step']))
                    self.assertEqual(series['step'], sorted(set(series['step'])))
                train = m['series']['train_loss']
                self.assertIn(1000.0, train['value'])
                self.assertEqual(train['step'][train['value'].index(1000.0)], 57)
                self.assertIn(min(self.train.values()), train['value'])
                for step, value in zip(train['step'], train['value']):
                    self.assertEqual(value, self.train[step])
        # Fewer points than asked leaves the series whole.
        m = self.jobd.metrics(self.jid, '?max_points=1000')
        self.assertEqual(len(m['series']['train_loss']['step']), 100)
        # Together with since_step.
        m = self.jobd.metrics(self.jid, '?since_step=40&max_points=10')
        train = m['series']['train_loss']
        self.assertLessEqual(len(train['step']), 10)
        self.assertGreater(min(train['step']), 40)
        self.assertIn(1000.0, train['value'])

    def test_bad_parameters_are_400(self):
        for query in ('since_step=abc', 'since_step=-2', 'since_step=1.5', 'since_step=1e3',
                      'max_points=1', 'max_points=0', 'max_points=-10', 'max_points=abc',
                      'max_points=1000001', 'latest=yes', 'latest=TRUE', 'latest=2'):
            with self.subTest(query=query):
                r = self.jobd.get('/api/training/jobs/%d/metrics?%s' % (self.jid, query))
                self.assertError(r, 400, 'bad_request')
        self.assertError(self.jobd.get('/api/training/jobs/424242/metrics'), 404, 'not_found')

    def test_nan_loss(self):
        job, secret = self.jobd.create_external(name='diverges', total_steps=100)
        jid = job['id']
        self.jobd.webhook_ok(jid, secret, metrics_event(1, 2.5, gpu_util=90))
        r = self.jobd.webhook(jid, secret, metrics_event(2, 'NaN', val_loss='nan', gpu_util=90))
        self.assertEqual(r.status, 202, r)
        # null is "not measured", not a value.
        event = metrics_event(3, gpu_util=90)
        event['data']['train_loss'] = None
        self.jobd.webhook_ok(jid, secret, event)
        m = self.jobd.metrics(jid)
        self.assertEqual(m['series']['train_loss']['step'], [1, 2])
        self.assertEqual(m['series']['train_loss']['value'], [2.5, None])
        self.assertEqual(m['series']['val_loss'], {'step': [2], 'value': [None]})
        self.assertEqual(m['series']['gpu_util']['step'], [1, 2, 3])
        self.assertEqual(m['latest']['step'], 2)
        self.assertIsNone(m['latest']['train_loss'])
        self.assertEqual(m['latest']['prev_train_loss'], 2.5)
        self.assertEqual(self.jobd.job(jid)['current_step'], 3)
        messages = [e['message'] for e in self.jobd.all_events(jid, 'metrics')]
        self.assertTrue(any('loss=NaN' in msg for msg in messages), messages)
        # A NaN that is not a word is still refused.
        r = self.jobd.webhook(jid, secret, metrics_event(4, 'not a number'))
        self.assertError(r, 400, 'bad_request')


# ---------------------------------------------------------------------------
# Events and export

class EventsTests(TestCase):
    SLOTS = 20

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            jobd = cls.shared
            job, secret = jobd.create_external(name='events', total_steps=1000)
            cls.jid, cls.secret = job['id'], secret
            batch = [
                stage_event('preprocessing', 'active', 'Tokenizing 242 conversations...'),
                stage_event('preprocessing', 'completed'),
                stage_event('model_loading', 'active', 'Loading Llama 3 70B model...'),
                stage_event('training', 'active'),
                metrics_event(10, 1.9, gpu_util=90),
                metrics_event(20, 1.8, gpu_util=45),
                simple_event('warning', data={'step': 20, 'gpu_util': 45},
                             message='GPU utilization dropped to 45% (possible throttling)'),
                metrics_event(30, 1.7, gpu_util=91),
                simple_event('checkpoint', data={'step': 30, 'path': '/out/checkpoint-30'}),
                simple_event('error', data={'error': 'NCCL timeout (recovered)'}),
                metrics_event(40, 1.6, gpu_util=92),
            ]
            jobd.webhook_ok(cls.jid, secret, {'events': batch})
            cls.n_events = 2 + len(batch)   # queued and provisioning come first
        except BaseException:
            cls.tearDownClass()
            raise

    def test_all_newest_first(self):
        body = self.jobd.events(self.jid)
        self.assertEqual(set(body), {'events', 'total', 'page', 'per_page'})
        self.assertEqual(body['total'], self.n_events)
        self.assertEqual(body['page'], 1)
        self.assertEqual(body['per_page'], 50)
        events = body['events']
        self.assertEqual(len(events), self.n_events)
        for event in events:
            self.assertEventShape(event)
        ids = [e['id'] for e in events]
        self.assertEqual(ids, sorted(ids, reverse=True))
        self.assertEqual(len(set(ids)), len(ids))

        oldest = events[::-1]
        self.assertEqual(oldest[0]['message'], 'Job queued at position 1')
        self.assertEqual(oldest[0]['type'], 'status')
        self.assertEqual(oldest[0]['payload'].get('status'), 'queued')
        self.assertTrue(oldest[1]['message'].startswith('Provisioning GPU: A100 SXM 80GB'), oldest[1])
        self.assertEqual(oldest[1]['payload'].get('status'), 'provisioning')
        # Readable messages for trainer events that came without one.
        messages = [e['message'] for e in oldest]
        self.assertIn('Checkpoint saved at step 30', messages)
        self.assertIn('NCCL timeout (recovered)', messages)
        self.assertTrue(any(m.startswith('Step 10: loss=1.9') for m in messages), messages)
        self.assertTrue(any('Tokenizing 242 conversations...' in m for m in messages), messages)
        # The trainer's event is kept as its payload.
        checkpoint = [e for e in oldest if e['type'] == 'checkpoint'][0]
        self.assertEqual(checkpoint['payload']['data']['path'], '/out/checkpoint-30')

    def test_type_filters(self):
        expected = {'status': 6, 'metrics': 4, 'warning': 1, 'error': 1, 'checkpoint': 1, 'all': self.n_events}
        for type_, n in expected.items():
            with self.subTest(type=type_):
                body = self.jobd.events(self.jid, '?type=' + type_)
                self.assertEqual(body['total'], n)
                self.assertEqual(len(body['events']), n)
                types = {e['type'] for e in body['events']}
                if type_ == 'status':
                    self.assertEqual(types, {'status', 'stage'})
                elif type_ != 'all':
                    self.assertEqual(types, {type_})

    def test_paging(self):
        all_ids = [e['id'] for e in self.jobd.events(self.jid)['events']]
        p1 = self.jobd.events(self.jid, '?per_page=4&page=1')
        p2 = self.jobd.events(self.jid, '?per_page=4&page=2')
        self.assertEqual(p1['per_page'], 4)
        self.assertEqual(p2['page'], 2)
        self.assertEqual(p1['total'], self.n_events)
        self.assertEqual([e['id'] for e in p1['events']] + [e['id'] for e in p2['events']], all_ids[:8])
        far = self.jobd.events(self.jid, '?per_page=4&page=100')
        self.assertEqual(far['events'], [])
        self.assertEqual(far['total'], self.n_events)
        self.assertEqual(len(self.jobd.events(self.jid, '?per_page=1')['events']), 1)
        self.assertEqual(len(self.jobd.events(self.jid, '?per_page=200')['events']), self.n_events)
        body = self.jobd.events(self.jid, '?type=metrics&per_page=3&page=2')
        self.assertEqual(len(body['events']), 1)
        self.assertEqual(body['total'], 4)

    def test_after_id(self):
        all_ids = [e['id'] for e in self.jobd.events(self.jid)['events']]
        pivot = sorted(all_ids)[5]
        body = self.jobd.events(self.jid, '?after_id=%d' % pivot)
        self.assertEqual([e['id'] for e in body['events']], [i for i in all_ids if i > pivot])
        self.assertEqual(body['total'], len([i for i in all_ids if i > pivot]))
        self.assertEqual(self.jobd.events(self.jid, '?after_id=%d' % max(all_ids))['events'], [])
        self.assertEqual(len(self.jobd.events(self.jid, '?after_id=0')['events']), self.n_events)
        body = self.jobd.events(self.jid, '?after_id=%d&type=metrics' % pivot)
        self.assertTrue(all(e['type'] == 'metrics' and e['id'] > pivot for e in body['events']))

        # A poller that keeps after_id sees new events only.
        job, secret = self.jobd.create_external(name='polled')
        last = self.jobd.events(job['id'], '?per_page=1')['events'][0]['id']
        self.jobd.webhook_ok(job['id'], secret, simple_event('warning', 'later warning'))
        body = self.jobd.events(job['id'], '?after_id=%d' % last)
        self.assertEqual([e['message'] for e in body['events']], ['later warning'])
        self.assertEqual(self.jobd.events(job['id'], '?after_id=%d' % body['events'][0]['id'])['events'], [])

    def test_bad_parameters_are_400(self):
        for query in ('per_page=0', 'per_page=201', 'per_page=-1', 'per_page=x', 'page=0', 'page=-2',
                      'page=x', 'type=bogus', 'type=stage', 'type=STATUS', 'after_id=abc', 'after_id=-1',
                      'after_id=1.5'):
            with self.subTest(query=query):
                r = self.jobd.get('/api/training/jobs/%d/events?%s' % (self.jid, query))
                self.assertError(r, 400, 'bad_request')
        self.assertError(self.jobd.get('/api/training/jobs/424242/events'), 404, 'not_found')


class ExportTests(TestCase):
    SLOTS = 20

    def export(self, name):
        job, secret = self.jobd.create_external(name=name)
        self.jobd.webhook_ok(job['id'], secret, {'events': [
            stage_event('training', 'active'), metrics_event(1, 2.0), simple_event('warning', 'careful')]})
        before = time.time()
        r = self.jobd.get('/api/training/jobs/%d/events/export' % job['id'])
        after = time.time()
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers['Content-Type'].startswith('application/json'))
        return job, r, before, after

    def check_disposition(self, r, name, before, after):
        disposition = r.headers.get('Content-Disposition')
        self.assertIsNotNone(disposition)
        m = re.fullmatch(r'attachment; filename="(.*)-events-(\d{8})-(\d{6})\.json"', disposition)
        self.assertIsNotNone(m, disposition)
        self.assertEqual(m.group(1), safe_file_name(name))
        stamp = parse_time('%s-%s-%sT%s:%s:%sZ' % (m.group(2)[:4], m.group(2)[4:6], m.group(2)[6:],
                                                   m.group(3)[:2], m.group(3)[2:4], m.group(3)[4:]))
        self.assertGreaterEqual(stamp, int(before) - 1)
        self.assertLessEqual(stamp, after + 1)

    def test_export(self):
        name = 'Export run'
        job, r, before, after = self.export(name)
        self.check_disposition(r, name, before, after)
        body = r.json
        self.assertEqual(set(body), {'job', 'events'})
        self.assertJobShape(body['job'])
        self.assertEqual(body['job']['id'], job['id'])
        self.assertEqual(body['job']['name'], name)
        events = body['events']
        ids = [e['id'] for e in events]
        self.assertEqual(ids, sorted(ids))
        listed = self.jobd.all_events(job['id'])
        self.assertEqual(events, listed[::-1])
        self.assertEqual(len(events), 5)
        for event in events:
            self.assertEventShape(event)

    def test_file_name_replaces_unsafe_characters(self):
        for name in ('Elena Morales: Financial/v2*', 'a"b\\c', 'semi;colon', '.hidden', 'keep_these-1.2',
                     '../../etc/passwd', 'Ünïcode 名前'):
            with self.subTest(name=name):
                _, r, before, after = self.export(name)
                self.check_disposition(r, name, before, after)
                disposition = r.headers['Content-Disposition']
                self.assertNotIn('/', disposition)
                self.assertNotIn('\\', disposition)
                self.assertTrue(disposition.isascii(), disposition)

    def test_export_of_many_events(self):
        job, secret = self.jobd.create_external(name='many')
        self.jobd.webhook_ok(job['id'], secret, {'events': [metrics_event(s, 1.0) for s in range(1, 601)]})
        body = self.jobd.get_ok('/api/training/jobs/%d/events/export' % job['id'])
        self.assertEqual(len(body['events']), 602)
        ids = [e['id'] for e in body['events']]
        self.assertEqual(ids, sorted(ids))


# ---------------------------------------------------------------------------
# Webhooks

class WebhookTests(TestCase):
    SLOTS = 50

    def fresh(self, **kw):
        kw.setdefault('name', 'webhook target')
        return self.jobd.create_external(**kw)

    def snapshot(self, jid):
        return (self.jobd.job(jid)['status'], self.jobd.events(jid)['total'],
                json.dumps(self.jobd.metrics(jid)['series'], sort_keys=True))

    def test_single_event(self):
        job, secret = self.fresh()
        r = self.jobd.webhook(job['id'], secret, simple_event('warning', 'hello'))
        self.assertEqual(r.status, 202, r)
        self.assertTrue(r.headers['Content-Type'].startswith('application/json'))
        self.assertEqual(r.json, {'accepted': 1, 'duplicates': 0})
        self.assertEqual(self.jobd.events(job['id'], '?type=warning')['events'][0]['message'], 'hello')

    def test_batch_and_duplicates(self):
        job, secret = self.fresh()
        jid = job['id']
        batch = [metrics_event(s, 2.0 - s / 100) for s in (1, 2, 3)]
        self.assertEqual(self.jobd.webhook_ok(jid, secret, {'events': batch}), {'accepted': 3, 'duplicates': 0})
        total = self.jobd.events(jid)['total']

        # The same batch again: acknowledged, stored once.
        self.assertEqual(self.jobd.webhook_ok(jid, secret, {'events': batch}), {'accepted': 0, 'duplicates': 3})
        # A single repeated event.
        self.assertEqual(self.jobd.webhook_ok(jid, secret, batch[0]), {'accepted': 0, 'duplicates': 1})
        self.assertEqual(self.jobd.events(jid)['total'], total)

        # A mix of new and old, and a repeat inside one batch.
        new = metrics_event(4, 1.9)
        self.assertEqual(self.jobd.webhook_ok(jid, secret, {'events': [batch[1], new, new]}),
                         {'accepted': 1, 'duplicates': 2})
        self.assertEqual(self.jobd.events(jid)['total'], total + 1)
        self.assertEqual(self.jobd.metrics(jid)['series']['train_loss']['step'], [1, 2, 3, 4])

        # An integer event_id is the same id as its decimal string.
        self.assertEqual(self.jobd.webhook_ok(jid, secret, simple_event('warning', 'n', event_id=77)),
                         {'accepted': 1, 'duplicates': 0})
        self.assertEqual(self.jobd.webhook_ok(jid, secret, simple_event('warning', 'n', event_id='77')),
                         {'accepted': 0, 'duplicates': 1})

        # event_id is unique per job, not globally.
        other, other_secret = self.fresh()
        self.assertEqual(self.jobd.webhook_ok(other['id'], other_secret, batch[0]),
                         {'accepted': 1, 'duplicates': 0})

    def test_signature(self):
        job, secret = self.fresh()
        other, other_secret = self.fresh()
        jid = job['id']
        body = json.dumps(simple_event('warning', 'signed')).encode()
        before = self.snapshot(jid)
        cases = {
            'wrong secret': sign('not-the-secret', body),
            'other job\'s secret': sign(other_secret, body),
            'other body': sign(secret, body + b' '),
            'no prefix': sign(secret, body)[len('sha256='):],
            'wrong prefix': 'sha1=' + sign(secret, body)[len('sha256='):],
            'truncated': sign(secret, body)[:-2],
            'empty': 'sha256=',
            'garbage': 'garbage',
        }
        for name, signature in cases.items():
            with self.subTest(name):
                r = self.jobd.webhook(jid, secret, body, signature=signature)
                self.assertError(r, 401, 'unauthorized')
        with self.subTest('missing'):
            self.assertError(self.jobd.webhook(jid, secret, body, signature=''), 401, 'unauthorized')
        with self.subTest('bearer token instead of a signature'):
            r = self.jobd.post('/api/training/jobs/%d/webhook' % jid, body,
                               headers={'Content-Type': 'application/json'}, token=True)
            self.assertError(r, 401, 'unauthorized')
        self.assertEqual(self.snapshot(jid), before)
        # The right signature works, and needs no user token.
        self.assertEqual(self.jobd.webhook(jid, secret, body).status, 202)
        # A signature is checked before the body is parsed.
        self.assertError(self.jobd.webhook(jid, secret, b'not json', signature=sign('x', b'not json')),
                         401, 'unauthorized')

    def test_unknown_job_is_404(self):
        self.assertError(self.jobd.webhook(424242, 'x', simple_event('warning', 'x')), 404, 'not_found')

    def test_invalid_events_are_400_and_store_nothing(self):
        job, secret = self.fresh()
        jid = job['id']
        before = self.snapshot(jid)
        self.assertEqual(before[0], 'provisioning')
        good = metrics_event(5, 1.5)
        cases = {
            'no event_id': {'type': 'warning', 'message': 'x'},
            'empty event_id': {'event_id': '', 'type': 'warning'},
            'event_id object': {'event_id': {}, 'type': 'warning'},
            'no type': {'event_id': 'a'},
            'unknown type': {'event_id': 'a', 'type': 'progress'},
            'metrics without step': {'event_id': 'a', 'type': 'metrics', 'data': {'train_loss': 1}},
            'negative step': {'event_id': 'a', 'type': 'metrics', 'data': {'step': -1, 'train_loss': 1}},
            'fractional step': {'event_id': 'a', 'type': 'metrics', 'data': {'step': 1.5}},
            'loss a string': {'event_id': 'a', 'type': 'metrics', 'data': {'step': 1, 'train_loss': 'low'}},
            'gpu_util over 100': {'event_id': 'a', 'type': 'metrics', 'data': {'step': 1, 'gpu_util': 150}},
            'negative epoch': {'event_id': 'a', 'type': 'metrics', 'data': {'step': 1, 'epoch': -1}},
            'unknown stage': {'event_id': 'a', 'type': 'stage', 'data': {'stage': 'eval', 'status': 'active'}},
            'bad stage status': {'event_id': 'a', 'type': 'stage',
                                 'data': {'stage': 'training', 'status': 'running'}},
            'stage without status': {'event_id': 'a', 'type': 'stage', 'data': {'stage': 'training'}},
            'status queued': {'event_id': 'a', 'type': 'status', 'data': {'status': 'queued'}},
            'status cancelled': {'event_id': 'a', 'type': 'status', 'data': {'status': 'cancelled'}},
            'status missing': {'event_id': 'a', 'type': 'status', 'data': {}},
            'bad ts': {'event_id': 'a', 'type': 'warning', 'ts': 'yesterday'},
            'data not an object': {'event_id': 'a', 'type': 'warning', 'data': [1]},
            'message not a string': {'event_id': 'a', 'type': 'warning', 'message': 5},
            'empty batch': {'events': []},
            'batch of numbers': {'events': [1, 2]},
            'events not an array': {'events': {'event_id': 'a', 'type': 'warning'}},
            'batch with one bad event': {'events': [good, stage_event('training', 'active'),
                                                    status_event('completed'),
                                                    {'event_id': 'bad', 'type': 'nope'}]},
            'batch with the bad event first': {'events': [{'event_id': 'bad'}, good]},
        }
        raw_cases = {
            'not JSON': b'{"event_id": ',
            'JSON array': b'[]',
            'empty body': b'',
            'invalid UTF-8': b'{"event_id": "\xff", "type": "warning"}',
        }
        for name, payload in list(cases.items()) + list(raw_cases.items()):
            with self.subTest(name):
                r = self.jobd.webhook(jid, secret, payload)
                self.assertError(r, 400, 'bad_request')
                self.assertEqual(self.snapshot(jid), before)
        # The good parts of the refused batch are still new.
        self.assertEqual(self.jobd.webhook_ok(jid, secret, {'events': [good]}), {'accepted': 1, 'duplicates': 0})

    def test_batch_size_limit(self):
        job, secret = self.fresh()
        jid = job['id']
        events = [{'event_id': 'b%d' % i, 'type': 'warning'} for i in range(10001)]
        self.assertError(self.jobd.webhook(jid, secret, {'events': events}), 400, 'bad_request')
        self.assertEqual(self.jobd.events(jid)['total'], 2)
        self.assertEqual(self.jobd.webhook_ok(jid, secret, {'events': events[:10000]}),
                         {'accepted': 10000, 'duplicates': 0})
        self.assertEqual(self.jobd.events(jid, '?type=warning&per_page=1')['total'], 10000)

    def test_first_training_event_moves_provisioning_to_training(self):
        for name, event in (('metrics', metrics_event(1, 2.0)),
                            ('stage', stage_event('preprocessing', 'active', 'Tokenizing...')),
                            ('status', status_event('training'))):
            with self.subTest(name):
                job, secret = self.fresh(name='moves by ' + name)
                self.assertEqual(job['status'], 'provisioning')
                self.jobd.webhook_ok(job['id'], secret, event)
                self.assertEqual(self.jobd.job(job['id'])['status'], 'training')
        for type_ in ('warning', 'error', 'checkpoint'):
            with self.subTest(type_):
                job, secret = self.fresh(name='stays on ' + type_)
                self.jobd.webhook_ok(job['id'], secret, simple_event(type_, 'just a ' + type_))
                self.assertEqual(self.jobd.job(job['id'])['status'], 'provisioning')

    def test_status_completed_finishes_with_final_cost(self):
        job, secret = self.fresh(hourly_rate=36.0, total_steps=100)
        jid = job['id']
        self.jobd.webhook_ok(jid, secret, {'events': [
            stage_event('training', 'active'), metrics_event(100, 0.5)]})
        started = parse_time(self.jobd.job(jid)['started_at'])
        # A trainer clock a little ahead is believed: two minutes of work.
        ts = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(started + 121))
        event = status_event('completed')
        event['ts'] = ts
        self.assertEqual(self.jobd.webhook_ok(jid, secret, event), {'accepted': 1, 'duplicates': 0})

        job = self.jobd.job(jid)
        self.assertEqual(job['status'], 'completed')
        self.assertEqual(job['finished_at'], ts)
        self.assertIn(job['elapsed_s'], (120, 121))
        self.assertEqual(job['cost'], cost_for(job))
        self.assertAlmostEqual(job['cost'], 1.2, delta=0.011)
        self.assertEqual(job['projected_cost'], job['cost'])
        self.assertEqual(job['remaining_s'], 0)
        self.assertEqual(job['stages'][2]['status'], 'completed')
        self.assertIsNone(job['stage'])

        final = self.jobd.events(jid, '?per_page=1')['events'][0]
        self.assertEqual(final['type'], 'status')
        self.assertTrue(final['message'].startswith('Job completed in 2m'), final['message'])
        self.assertTrue(final['message'].endswith('Final cost: ' + money(job['cost'])), final['message'])
        self.assertEqual(final['payload']['final_cost'], job['cost'])
        self.assertEqual(final['payload']['status'], 'completed')

        # A finished job takes no more events.
        total = self.jobd.events(jid)['total']
        r = self.jobd.webhook(jid, secret, metrics_event(101, 0.4))
        self.assertError(r, 409, 'conflict')
        # A retry of the batch that finished it is acknowledged, not refused,
        # and stored nothing twice.
        self.assertEqual(self.jobd.webhook_ok(jid, secret, event), {'accepted': 0, 'duplicates': 1})
        self.assertEqual(self.jobd.events(jid)['total'], total)
        self.assertEqual(self.jobd.job(jid)['status'], 'completed')

    def test_status_failed_records_the_error(self):
        job, secret = self.fresh(hourly_rate=10.0)
        jid = job['id']
        self.jobd.webhook_ok(jid, secret, {'events': [
            stage_event('training', 'active'), metrics_event(40, 1.5)]})
        self.jobd.webhook_ok(jid, secret, status_event('failed', error='CUDA out of memory. Tried to allocate 2.00 GiB'))
        job = self.jobd.job(jid)
        self.assertEqual(job['status'], 'failed')
        self.assertEqual(job['error'], 'CUDA out of memory. Tried to allocate 2.00 GiB')
        self.assertIsNotNone(job['finished_at'])
        self.assertIsNone(job['remaining_s'])
        self.assertEqual(job['cost'], cost_for(job))
        self.assertEqual(job['stages'][2]['status'], 'failed')
        self.assertEqual(job['stages'][2]['error'], job['error'])
        self.assertEqual(job['stage'], 'training')
        final = self.jobd.events(jid, '?per_page=1')['events'][0]
        self.assertEqual(final['type'], 'error')
        self.assertEqual(final['message'], 'Job failed at step 40. Final cost: ' + money(job['cost']))
        self.assertEqual(final['payload']['error'], job['error'])
        self.assertError(self.jobd.webhook(jid, secret, simple_event('warning', 'late')), 409, 'conflict')

        # Without an error text the message stands in.
        job, secret = self.fresh()
        self.jobd.webhook_ok(job['id'], secret, status_event('failed', message='Trainer crashed'))
        self.assertEqual(self.jobd.job(job['id'])['error'], 'Trainer crashed')

    def test_stage_events_update_stages(self):
        job, secret = self.fresh()
        jid = job['id']
        self.jobd.webhook_ok(jid, secret, stage_event('preprocessing', 'active', 'Tokenizing 242 conversations...'))
        job = self.jobd.job(jid)
        self.assertEqual(job['stage'], 'preprocessing')
        pre = job['stages'][0]
        self.assertEqual(pre['status'], 'active')
        self.assertEqual(pre['substatus'], 'Tokenizing 242 conversations...')
        self.assertIsNotNone(pre['started_at'])
        self.assertIsNone(pre['finished_at'])
        self.assertEqual(self.jobd.events(jid, '?per_page=1')['events'][0]['message'],
                         'Preprocessing: Tokenizing 242 conversations...')

        # Starting the next stage completes the one before.
        self.jobd.webhook_ok(jid, secret, stage_event('model_loading', 'active', 'Loading Llama 3 70B model...'))
        job = self.jobd.job(jid)
        self.assertEqual(job['stage'], 'model_loading')
        self.assertEqual(job['stages'][0]['status'], 'completed')
        self.assertIsNotNone(job['stages'][0]['finished_at'])
        self.assertEqual(job['stages'][1]['substatus'], 'Loading Llama 3 70B model...')

        # A failed stage keeps its error; the job does not fail by itself.
        self.jobd.webhook_ok(jid, secret, stage_event('model_loading', 'failed', error='Checksum mismatch'))
        job = self.jobd.job(jid)
        self.assertEqual(job['stages'][1]['status'], 'failed')
        self.assertEqual(job['stages'][1]['error'], 'Checksum mismatch')
        self.assertIsNotNone(job['stages'][1]['finished_at'])
        self.assertEqual(job['status'], 'training')
        self.assertEqual(self.jobd.events(jid, '?per_page=1')['events'][0]['message'],
                         'Model Loading failed: Checksum mismatch')

        # A retry clears it.
        self.jobd.webhook_ok(jid, secret, stage_event('model_loading', 'active', 'Retrying...'))
        job = self.jobd.job(jid)
        self.assertEqual(job['stages'][1]['status'], 'active')
        self.assertIsNone(job['stages'][1]['error'])
        self.assertEqual(job['stages'][1]['substatus'], 'Retrying...')

        self.jobd.webhook_ok(jid, secret, {'events': [
            stage_event('model_loading', 'completed'),
            stage_event('training', 'active', 'Epoch 1/3 - Step 0 of 300'),
            stage_event('training', 'completed'),
            stage_event('finalization', 'active', 'Saving adapters...')]})
        job = self.jobd.job(jid)
        self.assertEqual([s['status'] for s in job['stages']], ['completed', 'completed', 'completed', 'active'])
        self.assertEqual(job['stage'], 'finalization')
        self.assertEqual(job['stages'][3]['substatus'], 'Saving adapters...')

    def test_event_times(self):
        job, secret = self.fresh()
        jid = job['id']
        event = simple_event('warning', 'from the past')
        event['ts'] = '2025-01-02T03:04:05Z'
        self.jobd.webhook_ok(jid, secret, event)
        self.assertEqual(self.jobd.events(jid, '?per_page=1')['events'][0]['ts'], '2025-01-02T03:04:05Z')
        # A clock far ahead is not believed.
        event = simple_event('warning', 'from the future')
        event['ts'] = '2099-01-01T00:00:00Z'
        self.jobd.webhook_ok(jid, secret, event)
        ts = parse_time(self.jobd.events(jid, '?per_page=1')['events'][0]['ts'])
        self.assertLess(abs(ts - time.time()), 10)


class ExternalProviderTests(TestCase):
    SLOTS = 5

    def test_waits_in_provisioning(self):
        job, _ = self.jobd.create_external(name='waits for its trainer')
        self.assertEqual(job['status'], 'provisioning')
        self.assertEqual(job['provider'], 'external')
        # Nothing is started, so nothing happens; a short look is enough.
        time.sleep(0.3)
        job = self.jobd.job(job['id'])
        self.assertEqual(job['status'], 'provisioning')
        self.assertEqual(job['current_step'], 0)
        self.assertEqual([e['message'][:20] for e in self.jobd.all_events(job['id'])],
                         ['Provisioning GPU: A1', 'Job queued at positi'])

    def test_driven_entirely_by_webhooks(self):
        job, secret = self.jobd.create_external(name='driven', total_steps=20, epochs=2)
        jid = job['id']
        self.jobd.webhook_ok(jid, secret, status_event('training', message='Trainer up'))
        self.assertEqual(self.jobd.job(jid)['status'], 'training')
        self.jobd.webhook_ok(jid, secret, {'events': [metrics_event(s, 1.0 / s, epoch=s / 10) for s in range(1, 21)]})
        job = self.jobd.job(jid)
        self.assertEqual(job['current_step'], 20)
        self.assertEqual(job['progress'], 100.0)
        self.assertEqual(job['epoch'], 2)
        self.assertEqual(job['status'], 'training')
        self.jobd.webhook_ok(jid, secret, status_event('completed'))
        self.assertEqual(self.jobd.job(jid)['status'], 'completed')

    def test_cancel_marks_cancelled_and_next_event_is_409(self):
        for started in (False, True):
            with self.subTest(started=started):
                job, secret = self.jobd.create_external(name='cancelled external')
                jid = job['id']
                if started:
                    self.jobd.webhook_ok(jid, secret, metrics_event(3, 1.0))
                r = self.jobd.cancel(jid, 'wrong_configuration')
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json['status'], 'cancelled')
                self.assertEqual(r.json['cancel_reason'], 'wrong_configuration')
                total = self.jobd.events(jid)['total']
                self.assertError(self.jobd.webhook(jid, secret, metrics_event(4, 0.9)), 409, 'conflict')
                self.assertError(self.jobd.webhook(jid, secret, status_event('completed')), 409, 'conflict')
                self.assertEqual(self.jobd.events(jid)['total'], total)
                self.assertEqual(self.jobd.job(jid)['status'], 'cancelled')


# ---------------------------------------------------------------------------
# The queue

class QueueTests(TestCase):
    SLOTS = 2
    PER_TEST = True

    def active_count(self):
        counts = self.jobd.list_jobs('?per_page=1')['counts']
        return counts['provisioning'] + counts['training'] + counts['cancelling']

    def test_fifo_slot_limit_and_queue_view(self):
        jobd = self.jobd
        jobs = []
        for i in range(5):
            jobs.append(jobd.create_external(name='fifo %d' % i, total_steps=160))
            self.assertLessEqual(self.active_count(), 2)
        ids = [j['id'] for j, _ in jobs]
        self.assertEqual([jobd.job(i)['status'] for i in ids],
                         ['provisioning', 'provisioning', 'queued', 'queued', 'queued'])
        self.assertEqual([jobd.job(i)['queue_position'] for i in ids], [None, None, 1, 2, 3])
        self.assertEqual(self.active_count(), 2)

        now = time.time()
        q = jobd.queue()
        self.assertEqual(set(q), {'slots', 'queued', 'elsewhere'})
        # Jobs in a cluster's own queue (Slurm) would be there; these take slots.
        self.assertEqual(q['elsewhere'], [])
        self.assertEqual(set(q['slots']), {'max', 'used', 'running'})
        self.assertEqual(q['slots']['max'], 2)
        self.assertEqual(q['slots']['used'], 2)
        self.assertEqual([r['id'] for r in q['slots']['running']], ids[:2])
        for r in q['slots']['running']:
            self.assertEqual(set(r), {'id', 'name', 'status', 'progress'})
            self.assertEqual(r['status'], 'provisioning')
            self.assertEqual(r['progress'], 0)
        self.assertEqual(q['slots']['running'][0]['name'], 'fifo 0')

        queued = q['queued']
        self.assertEqual([e['position'] for e in queued], [1, 2, 3])
        self.assertEqual([e['job']['id'] for e in queued], ids[2:])
        starts = [e['starts_in_s'] for e in queued]
        for entry in queued:
            self.assertEqual(set(entry), {'position', 'job', 'estimated_start', 'starts_in_s'})
            self.assertJobShape(entry['job'])
            self.assertEqual(entry['job']['queue_position'], entry['position'])
            self.assertIso(entry['estimated_start'])
            self.assertAlmostEqual(parse_time(entry['estimated_start']), now + entry['starts_in_s'], delta=3)
            self.assertGreaterEqual(entry['starts_in_s'], 300)
        self.assertEqual(starts, sorted(starts))
        # 160 steps at 160 an hour: both slots free in an hour, then the
        # third job waits for one of the first two queued ones.
        self.assertAlmostEqual(starts[0], 3600 + 300, delta=3)
        self.assertAlmostEqual(starts[1], 3600 + 300, delta=3)
        self.assertAlmostEqual(starts[2], 2 * (3600 + 300), delta=3)

    def test_estimate_midpoint_sets_duration(self):
        jobd = Jobd(slots=1, time_scale=5000).start()
        try:
            jobd.create_external(name='running', total_steps=160)
            jobd.create_external(name='estimated', estimate_min=10, estimate_max=30, hourly_rate=10.0)
            jobd.create_external(name='after it', total_steps=160)
            starts = [e['starts_in_s'] for e in jobd.queue()['queued']]
            # $20 midpoint at $10/h is two hours.
            self.assertAlmostEqual(starts[0], 3600 + 300, delta=3)
            self.assertAlmostEqual(starts[1], 3600 + 300 + 7200 + 300, delta=3)
        finally:
            jobd.close()

    def test_simulated_durations_follow_the_time_scale(self):
        jobd = Jobd(slots=1, time_scale=100).start()
        try:
            jobd.create_external(name='holds the slot', total_steps=160)
            simulated = jobd.create_job(name='simulated', total_steps=160)[0]
            external = jobd.create_external(name='real time', total_steps=160)[0]
            # 160 steps at 160 an hour is an hour of real work, or 36 s of
            # simulated work at 100 times the speed.
            self.assertEqual(jobd.job(simulated['id'])['remaining_s'], 36)
            self.assertEqual(jobd.job(external['id'])['remaining_s'], 3600)
            starts = [e['starts_in_s'] for e in jobd.queue()['queued']]
            self.assertAlmostEqual(starts[1] - starts[0], 36 + 300, delta=2)
        finally:
            jobd.close()

    def test_freed_slot_is_filled_before_the_response(self):
        jobd = self.jobd
        jobs = [jobd.create_external(name='slot %d' % i) for i in range(6)]
        (j1, s1), (j2, _), (j3, s3), (j4, _), (j5, _), (j6, _) = jobs

        # A webhook that completes a job hands its slot on at once.
        r = jobd.webhook(j1['id'], s1, {'events': [metrics_event(10, 1.0), status_event('completed')]})
        self.assertEqual(r.status, 202, r)
        self.assertEqual(jobd.job(j3['id'])['status'], 'provisioning')
        self.assertEqual(jobd.job(j4['id'])['queue_position'], 1)
        self.assertEqual(self.active_count(), 2)

        # So does a cancel.
        self.assertEqual(jobd.cancel(j2['id']).json['status'], 'cancelled')
        self.assertEqual(jobd.job(j4['id'])['status'], 'provisioning')
        self.assertEqual(self.active_count(), 2)

        # And a failure.
        jobd.webhook_ok(j3['id'], s3, status_event('failed', error='x'))
        self.assertEqual(jobd.job(j5['id'])['status'], 'provisioning')
        self.assertEqual(jobd.job(j6['id'])['queue_position'], 1)
        self.assertEqual(self.active_count(), 2)

        # A queued job's cancel frees no slot and starts nothing.
        self.assertEqual(jobd.cancel(j6['id']).json['status'], 'cancelled')
        q = jobd.queue()
        self.assertEqual(q['queued'], [])
        self.assertEqual(sorted(r['id'] for r in q['slots']['running']), [j4['id'], j5['id']])

        # The provisioning event of a started job follows its queued one.
        messages = [e['message'] for e in jobd.all_events(j4['id'])][::-1]
        self.assertEqual(messages[0], 'Job queued at position 2')
        self.assertTrue(messages[1].startswith('Provisioning GPU'))

    def test_queued_job_refuses_webhooks_and_deletes(self):
        jobd = self.jobd
        jobd.create_external(name='a')
        jobd.create_external(name='b')
        queued, secret = jobd.create_external(name='queued')
        self.assertEqual(queued['status'], 'queued')
        self.assertError(jobd.webhook(queued['id'], secret, metrics_event(1, 1.0)), 409, 'conflict')
        self.assertError(jobd.webhook(queued['id'], secret, status_event('training')), 409, 'conflict')
        self.assertError(jobd.delete('/api/training/jobs/%d' % queued['id']), 409, 'conflict')
        self.assertEqual(jobd.events(queued['id'])['total'], 1)
        self.assertEqual(jobd.job(queued['id'])['status'], 'queued')

    def test_simulated_jobs_keep_the_slot_limit(self):
        jobd = self.jobd
        ids = [jobd.create_job(name='sim %d' % i, total_steps=200)[0]['id'] for i in range(5)]
        seen = []

        def all_done():
            q = jobd.queue()
            seen.append(q['slots']['used'])
            self.assertLessEqual(len(q['slots']['running']), 2)
            return all(jobd.job(i)['status'] == 'completed' for i in ids)

        jobd.wait_for(all_done, timeout=30, what='five simulated jobs to complete')
        self.assertLessEqual(max(seen), 2)
        jobs = [jobd.job(i) for i in ids]
        starts = [parse_time(j['started_at']) for j in jobs]
        self.assertEqual(starts, sorted(starts), 'jobs started out of FIFO order')
        # The third started only once one of the first two had finished.
        self.assertGreaterEqual(starts[2], min(parse_time(j['finished_at']) for j in jobs[:2]))


# ---------------------------------------------------------------------------
# The simulator

class SimulatorTests(TestCase):
    SLOTS = 10

    def test_full_run(self):
        jobd = self.jobd
        job = jobd.create_job(name='Simulated full run', total_steps=1100, epochs=2, hourly_rate=2.5,
                              config={'seed': 7, 'steps_per_hour': 800})[0]
        jid = job['id']
        self.assertEqual(job['status'], 'provisioning')
        job = jobd.wait_status(jid, ('completed', 'failed', 'cancelled'))
        self.assertEqual(job['status'], 'completed', job['error'])
        self.assertEqual(job['current_step'], 1100)
        self.assertEqual(job['progress'], 100.0)
        self.assertEqual(job['epoch'], 2)
        self.assertIsNone(job['error'])
        # Simulated hours, real seconds: elapsed and cost follow the clock.
        self.assertLess(job['elapsed_s'], 60)
        self.assertEqual(job['cost'], cost_for(job))

        stages = job['stages']
        self.assertEqual([s['status'] for s in stages], ['completed'] * 4)
        for stage in stages:
            self.assertIsNotNone(stage['started_at'])
            self.assertIsNotNone(stage['finished_at'])
            self.assertIsNone(stage['error'])
        self.assertEqual(stages[0]['substatus'], 'Tokenizing 242 conversations...')
        self.assertEqual(stages[1]['substatus'], 'Loading Llama 3 70B model...')
        self.assertEqual(stages[2]['substatus'], 'Epoch 2/2 - Step 1,100 of 1,100')
        self.assertEqual(stages[3]['substatus'], 'Saving adapters...')

        m = jobd.metrics(jid)
        train = m['series']['train_loss']
        self.assertEqual(train['step'], list(range(10, 1101, 10)))
        self.assertGreater(train['value'][0], train['value'][-1] + 0.5, 'loss does not decrease')
        self.assertEqual(m['series']['val_loss']['step'], list(range(100, 1101, 100)))
        lr = m['series']['learning_rate']['value']
        peak = lr.index(max(lr))
        self.assertGreater(peak, 0)
        self.assertLess(peak, len(lr) // 4, 'warm-up then decay')
        self.assertLess(lr[-1], lr[peak] / 10)
        for util in m['series']['gpu_util']['value']:
            self.assertTrue(0 <= util <= 100)
        self.assertEqual(m['latest']['step'], 1100)

        events = jobd.all_events(jid)[::-1]
        messages = [e['message'] for e in events]
        self.assertEqual(messages[0], 'Job queued at position 1')
        self.assertTrue(messages[1].startswith('Provisioning GPU: A100 SXM 80GB (spot)'))
        self.assertIn('Training started (GPU: A100 SXM 80GB spot)', messages)
        checkpoints = [e for e in events if e['type'] == 'checkpoint']
        self.assertEqual([e['message'] for e in checkpoints],
                         ['Checkpoint saved at step 500', 'Checkpoint saved at step 1,000'])
        stage_messages = [e['message'] for e in events if e['type'] == 'stage']
        for name in ('Preprocessing', 'Model Loading', 'Training', 'Finalization'):
            self.assertTrue(any(msg.startswith(name) for msg in stage_messages), (name, stage_messages))
        self.assertTrue(messages[-1].startswith('Job completed in '), messages[-1])
        self.assertTrue(messages[-1].endswith('Final cost: ' + money(job['cost'])), messages[-1])
        self.assertEqual(events[-1]['payload']['final_cost'], job['cost'])
        # The simulator's webhook events carry the event ids a trainer would.
        ids = [e['payload']['event_id'] for e in events if 'event_id' in e['payload']]
        self.assertEqual(len(ids), len(set(ids)))

    def test_failure_at_a_step(self):
        jobd = self.jobd
        job = jobd.create_job(name='Simulated failure', total_steps=300,
                              config={'fail_at_step': 150, 'fail_message': 'Boom: out of memory at step 150'})[0]
        job = jobd.wait_status(job['id'], ('completed', 'failed', 'cancelled'))
        self.assertEqual(job['status'], 'failed')
        self.assertEqual(job['error'], 'Boom: out of memory at step 150')
        # The step it failed at, not the last step it logged.
        self.assertEqual(job['current_step'], 150)
        self.assertEqual([s['status'] for s in job['stages']], ['completed', 'completed', 'failed', 'pending'])
        self.assertEqual(job['stages'][2]['error'], 'Boom: out of memory at step 150')
        self.assertEqual(job['stage'], 'training')
        self.assertIsNotNone(job['finished_at'])
        errors = jobd.all_events(job['id'], 'error')
        self.assertIn('Boom: out of memory at step 150', [e['message'] for e in errors])
        self.assertTrue(errors[0]['message'].startswith('Job failed at step '), errors[0]['message'])
        self.assertEqual(errors[0]['payload']['error'], 'Boom: out of memory at step 150')

        job = jobd.create_job(name='Default failure', total_steps=200, config={'fail_at_step': 20})[0]
        job = jobd.wait_status(job['id'], ('completed', 'failed', 'cancelled'))
        self.assertEqual(job['status'], 'failed')
        self.assertTrue(job['error'].startswith('CUDA out of memory. Tried to allocate 2.00 GiB'), job['error'])

    def test_same_seed_same_run(self):
        jobd = self.jobd
        config = {'seed': 42, 'log_every': 1}
        ids = [jobd.create_job(name='seeded %d' % i, total_steps=300, config=dict(config))[0]['id']
               for i in range(2)]
        other = jobd.create_job(name='other seed', total_steps=300, config={'seed': 43, 'log_every': 1})[0]['id']
        for jid in ids + [other]:
            self.assertEqual(jobd.wait_status(jid, ('completed', 'failed', 'cancelled'))['status'], 'completed')
        runs = [jobd.metrics(jid)['series'] for jid in ids + [other]]
        for name in SERIES:
            self.assertEqual(runs[0][name], runs[1][name], name)
        self.assertEqual(len(runs[0]['train_loss']['step']), 300)
        self.assertNotEqual(runs[0]['train_loss']['value'], runs[2]['train_loss']['value'])

        # GPU dips and warnings agree: one warning for each step below 50 %.
        gpu = runs[0]['gpu_util']
        dips = [s for s, v in zip(gpu['step'], gpu['value']) if v < 50]
        # The service's own early warnings depend on how fast the machine
        # runs the simulation; the simulator's dips do not.
        def dip_warnings(jid):
            return [e for e in jobd.all_events(jid, 'warning')
                    if e['message'].startswith('GPU utilization dropped to')]
        warnings = dip_warnings(ids[0])
        self.assertEqual(sorted(e['payload']['data']['step'] for e in warnings), dips)
        self.assertEqual(len(warnings), len(dip_warnings(ids[1])))


# ---------------------------------------------------------------------------
# Restart

class RestartTests(TestCase):
    SLOTS = 2
    PER_TEST = True

    def test_sigterm_exits_cleanly(self):
        jobd = self.jobd
        jobd.create_job(name='running at shutdown', config=SLOW)
        self.assertEqual(jobd.stop(), 0)
        self.assertNotIn('CRITICAL', jobd.stderr_text())
        jobd.start()
        self.assertEqual(jobd.get('/api/health').status, 200)
        self.assertEqual(jobd.stop(), 0)

    def test_restart_with_more_slots_starts_the_queue(self):
        jobd = self.jobd
        jobs = [jobd.create_external(name='slot %d' % i)[0]['id'] for i in range(4)]
        self.assertEqual([jobd.job(j)['status'] for j in jobs],
                         ['provisioning', 'provisioning', 'queued', 'queued'])
        jobd.slots = 3
        self.assertEqual(jobd.restart(), 0)
        self.assertEqual(jobd.get_ok('/api/health')['slots'], 3)
        # Resuming fills the new slot before the service answers anything.
        self.assertEqual([jobd.job(j)['status'] for j in jobs],
                         ['provisioning', 'provisioning', 'provisioning', 'queued'])
        # Fewer slots than running jobs stops nothing; the queue just waits.
        jobd.slots = 1
        self.assertEqual(jobd.restart(), 0)
        self.assertEqual([jobd.job(j)['status'] for j in jobs],
                         ['provisioning', 'provisioning', 'provisioning', 'queued'])
        q = jobd.queue()
        self.assertEqual(q['slots'], dict(q['slots'], max=1, used=3))
        self.assertEqual(len(q['queued']), 1)
        self.assertGreaterEqual(q['queued'][0]['starts_in_s'], 300)

    def snapshot(self, ids):
        jobd = self.jobd
        return {jid: {'job': jobd.job(jid), 'metrics': jobd.metrics(jid),
                      'events': jobd.all_events(jid)} for jid in ids}

    def test_restart_keeps_every_job_metric_and_event(self):
        jobd = self.jobd
        done = jobd.create_job(name='done before', total_steps=200, config={'seed': 3})[0]['id']
        jobd.wait_status(done, 'completed')

        ext, ext_secret = jobd.create_external(name='external running', total_steps=500)
        ext = ext['id']
        jobd.webhook_ok(ext, ext_secret, {'events': [stage_event('training', 'active')] +
                                          [metrics_event(s, 2 - s / 100, val_loss=2.0, gpu_util=90)
                                           for s in range(1, 51)] +
                                          [simple_event('warning', 'hot GPU')]})
        cancelled = jobd.create_external(name='cancelled before')[0]['id']
        self.assertEqual(jobd.cancel(cancelled, 'other').json['status'], 'cancelled')

        sim = jobd.create_job(name='simulated across restart', total_steps=300,
                              config={'seed': 5, 'steps_per_hour': 60})[0]['id']
        queued = jobd.create_external(name='queued across restart')[0]['id']
        self.assertEqual(jobd.job(queued)['status'], 'queued')
        jobd.wait_for(lambda: (jobd.metrics(sim, '?latest=true')['latest']['step'] or 0) >= 30,
                      what='the simulated job to train')

        stable = [done, ext, cancelled, queued]
        before = self.snapshot(stable)
        sim_before = self.snapshot([sim])[sim]
        rows_before = self.row_counts(stable)
        list_before = jobd.list_jobs()

        self.assertEqual(jobd.restart(), 0)
        self.assertNotIn('CRITICAL', jobd.stderr_text())

        after = self.snapshot(stable)
        for jid in stable:
            with self.subTest(job=jid):
                b, a = before[jid], after[jid]
                if b['job']['status'] in ('completed', 'failed', 'cancelled'):
                    self.assertEqual(a['job'], b['job'])
                else:
                    self.assertEqual(without_volatile(a['job']), without_volatile(b['job']))
                    self.assertEqual(strip_durations(a['job']['stages']), strip_durations(b['job']['stages']))
                self.assertEqual(a['metrics']['series'], b['metrics']['series'])
                self.assertEqual(a['metrics']['latest'], b['metrics']['latest'])
                self.assertEqual(a['events'], b['events'])
        self.assertEqual(self.row_counts(stable), rows_before)
        list_after = jobd.list_jobs()
        self.assertEqual([j['id'] for j in list_after['jobs']], [j['id'] for j in list_before['jobs']])
        self.assertEqual(list_after['total'], list_before['total'])

        # The queue is as it was: both slots still taken.
        self.assertEqual(jobd.job(queued)['queue_position'], 1)
        self.assertEqual(jobd.queue()['slots']['used'], 2)
        # The external job still takes webhooks, with its old secret.
        jobd.webhook_ok(ext, ext_secret, metrics_event(51, 1.4))

        # The simulated job lost nothing and carries on to completion.
        sim_events = {e['id']: e for e in jobd.all_events(sim)}
        for event in sim_before['events']:
            self.assertEqual(sim_events.get(event['id']), event)
        job = jobd.wait_status(sim, ('completed', 'failed', 'cancelled'))
        self.assertEqual(job['status'], 'completed')
        self.assertEqual(job['current_step'], 300)
        m = jobd.metrics(sim)
        self.assertEqual(m['series']['train_loss']['step'], list(range(10, 301, 10)))
        old = dict(zip(sim_before['metrics']['series']['train_loss']['step'],
                       sim_before['metrics']['series']['train_loss']['value']))
        new = dict(zip(m['series']['train_loss']['step'], m['series']['train_loss']['value']))
        for step, value in old.items():
            self.assertEqual(new[step], value)
        events = jobd.all_events(sim)
        ids = [e['payload']['event_id'] for e in events if 'event_id' in e['payload']]
        self.assertEqual(len(ids), len(set(ids)), 'an event was stored twice')
        self.assertEqual(len([e for e in events if e['message'].startswith('Job completed')]), 1)

        # Its slot went to the queued job.
        jobd.wait_status(queued, 'provisioning')

    def row_counts(self, ids):
        out = {}
        for jid in ids:
            out[jid] = tuple(self.jobd.sql('SELECT count(*) FROM %s WHERE job_id = ?' % t, (jid,))[0][0]
                             for t in ('events', 'training_metrics_history', 'stages'))
        return out


def strip_durations(stages):
    return [{k: v for k, v in s.items() if k != 'duration_s'} for s in stages]


# ---------------------------------------------------------------------------
# The command line

class CliTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix='lora-jobd-cli-')
        self.addCleanup(self.tmp.cleanup)
        self.db = os.path.join(self.tmp.name, 'jobs.db')

    def run_jobd(self, *args, timeout=20):
        return subprocess.run([binary_path()] + list(args), capture_output=True, timeout=timeout,
                              env=daemon_env(), stdin=subprocess.DEVNULL)

    def test_bad_arguments_exit_2(self):
        for args in (['--slots', '0'], ['--slots', '1001'], ['--time-scale', '0'],
                     ['--time-scale', '-1'], ['--listen', 'nonsense'], ['--listen', '127.0.0.1:99999'],
                     ['--bogus'], ['unexpected']):
            with self.subTest(args=args):
                r = self.run_jobd(*(args + ['--db', self.db]))
                self.assertEqual(r.returncode, 2, r)
                self.assertEqual(r.stdout, b'')
                self.assertTrue(r.stderr.startswith(b'lora-jobd'), r.stderr)

    def test_version(self):
        r = self.run_jobd('--version')
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout.decode(), r'^lora-jobd \S+\n$')

    def test_token_command(self):
        for args in (['token'], ['token', 'add'], ['token', 'remove', 'x'], ['token', 'add', 'a', 'b']):
            with self.subTest(args=args):
                r = self.run_jobd(*(args + ['--db', self.db]))
                self.assertEqual(r.returncode, 2, r)
                self.assertEqual(r.stdout, b'')
        for blank in ('', '   ', '\t'):
            r = self.run_jobd('token', 'add', blank, '--db', self.db)
            self.assertNotEqual(r.returncode, 0)
            self.assertEqual(r.stdout, b'')
        # A database in a folder that does not exist yet.
        nested = os.path.join(self.tmp.name, 'a', 'b', 'jobs.db')
        r = self.run_jobd('token', 'add', 'dora', '--db', nested)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(len(r.stdout.decode().splitlines()), 1)
        self.assertTrue(os.path.exists(nested))

    def test_port_in_use_exits_1(self):
        jobd = Jobd(slots=1).start()
        try:
            r = self.run_jobd('--listen', '127.0.0.1:%d' % jobd.port, '--db', self.db)
            self.assertEqual(r.returncode, 1, r)
            self.assertEqual(r.stdout, b'')
            self.assertEqual(jobd.get('/api/health').status, 200)
        finally:
            jobd.close()


# ---------------------------------------------------------------------------
# Demo data

class DemoTests(TestCase):
    SLOTS = 3
    TIME_SCALE = 1.0
    DEMO = True

    def all_jobs(self):
        jobs, page = [], 1
        while True:
            body = self.jobd.list_jobs('?per_page=100&page=%d' % page)
            jobs.extend(body['jobs'])
            if len(body['jobs']) < 100:
                return jobs, body
            page += 1

    def test_demo_history(self):
        jobd = self.jobd

        # The scheduler fills the free third slot at once; the two runs in
        # progress reach "training" with the simulator's first catch-up post.
        counts = jobd.list_jobs('?per_page=1')['counts']
        self.assertEqual(counts['queued'], 5)
        self.assertEqual(counts['training'] + counts['provisioning'], 3)

        def settled():
            counts = jobd.list_jobs('?per_page=1')['counts']
            return counts if (counts['queued'] == 5 and counts['training'] == 2 and
                              counts['provisioning'] == 1) else None

        counts = jobd.wait_for(settled, what='two training, one provisioning and five queued')
        self.assertEqual(counts['cancelling'], 0)
        for status in ('completed', 'failed', 'cancelled'):
            self.assertGreater(counts[status], 5, status)
        self.assertTrue(280 <= counts['all'] <= 320, counts)

        jobs, body = self.all_jobs()
        self.assertEqual(len(jobs), counts['all'])
        self.assertEqual(len({j['id'] for j in jobs}), len(jobs))
        users = {j['created_by'] for j in jobs}
        self.assertGreaterEqual(len(users), 3, users)
        times = [parse_time(j['created_at']) for j in jobs]
        self.assertEqual(times, sorted(times, reverse=True))
        self.assertGreater(time.time() - min(times), 60 * 86400)
        for job in jobs[:50]:
            self.assertJobShape(job)

        # The queue view matches.
        q = jobd.queue()
        self.assertEqual(q['slots']['used'], 3)
        self.assertEqual(len(q['queued']), 5)
        starts = [e['starts_in_s'] for e in q['queued']]
        self.assertTrue(all(s >= 300 for s in starts))

    def test_ranges(self):
        totals = {}
        now = time.time()
        for rng, days in (('7d', 7), ('30d', 30), ('90d', 90)):
            body = self.jobd.list_jobs('?per_page=100&range=' + rng)
            totals[rng] = body['total']
            for job in body['jobs']:
                self.assertGreaterEqual(parse_time(job['created_at']), now - days * 86400 - 5)
        totals['all'] = self.jobd.list_jobs('?range=all')['total']
        self.assertLess(totals['7d'], totals['30d'])
        self.assertLess(totals['30d'], totals['90d'])
        self.assertLessEqual(totals['90d'], totals['all'])
        self.assertGreater(totals['7d'], 0)
        # Combined with a status and a query.
        body = self.jobd.list_jobs('?range=30d&status=completed&q=elena')
        for job in body['jobs']:
            self.assertEqual(job['status'], 'completed')
            self.assertIn('elena', job['name'].lower())

    def test_finished_demo_jobs_have_history(self):
        jobd = self.jobd
        done = jobd.list_jobs('?status=completed&per_page=1')['jobs'][0]
        self.assertEqual(done['progress'], 100.0)
        self.assertEqual([s['status'] for s in done['stages']], ['completed'] * 4)
        m = jobd.metrics(done['id'], '?max_points=50')
        self.assertGreater(len(m['series']['train_loss']['step']), 10)
        self.assertTrue(jobd.events(done['id'])['events'][0]['message'].startswith('Job completed'))
        failed = jobd.list_jobs('?status=failed&per_page=1')['jobs'][0]
        self.assertTrue(failed['error'])
        cancelled = jobd.list_jobs('?status=cancelled&per_page=1')['jobs'][0]
        self.assertTrue(cancelled['cancelled_by'])
        self.assertTrue(cancelled['cancel_reason'])
        running = jobd.list_jobs('?status=active')['jobs']
        training = [j for j in running if j['status'] == 'training']
        self.assertEqual(len(training), 2)
        for job in training:
            self.assertGreater(job['current_step'], 0)
            self.assertGreater(job['cost'], 0)
            self.assertEqual(job['stage'], 'training')


if __name__ == '__main__':
    unittest.main(verbosity=2)
