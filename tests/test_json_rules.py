#!/usr/bin/python3
# test_json_rules.py: what lora-jobd accepts as JSON, over real HTTP
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Bodies that are not strict RFC 8259 JSON, or that nest too deep, or whose
# numbers are out of their member's range, are refused with 400 and the
# JSON error body, and nothing is stored: no job, no event. What is
# accepted is served back as strict JSON (valid UTF-8, no lone surrogate,
# within the depth the app reads). Query numbers are read as strictly.

import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from jobd import JobdTestCase, Jobd, sign  # noqa: E402

# src/core/lp-json.h
MAX_DEPTH_REQUEST = 32
MAX_DEPTH_ANSWER = 64
SERVED_EXTRA_DEPTH = 3

DEEP = b'[' * 200000


def strict_json(data):
    """Reads an answer as strictly as the app does: UTF-8, no NaN or
    Infinity, no repeated names, no lone surrogates. Returns (value, depth)."""
    text = data.decode('utf-8')          # raises on invalid UTF-8

    def pairs(items):
        names = [k for k, _ in items]
        if len(names) != len(set(names)):
            raise ValueError('a repeated member name')
        return dict(items)

    def constant(word):
        raise ValueError('%s is not JSON' % word)

    value = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)

    def depth(v):
        if isinstance(v, dict):
            for k in v:
                k.encode('utf-8')         # raises on a lone surrogate
            return 1 + max((depth(x) for x in v.values()), default=0)
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        if isinstance(v, str):
            v.encode('utf-8')
        return 0

    return value, depth(value)


def nested_object(levels, leaf=1):
    """An object `levels` deep: {"a": {"a": ... leaf}}."""
    value = leaf
    for _ in range(levels):
        value = {'a': value}
    return value


def create_body(**fields):
    return json.dumps(Jobd.job_fields(provider='external', **fields)).encode('utf-8')


class RulesCase(JobdTestCase):
    def assertRefused(self, response, contains=None):
        error = self.assertError(response, 400, 'bad_request')
        if contains is not None:
            self.assertIn(contains, error['message'])
        strict_json(response.body)
        return error

    def job_count(self):
        return self.jobd.sql('SELECT count(*) FROM jobs')[0][0]

    def event_count(self, job_id=None):
        if job_id is None:
            return self.jobd.sql('SELECT count(*) FROM events')[0][0]
        return self.jobd.sql('SELECT count(*) FROM events WHERE job_id = ?', (job_id,))[0][0]


class CreateJobRules(RulesCase):
    SLOTS = 1

    REFUSED = {
        'hexadecimal': (b'{"name":"x","total_steps":0x10,"epochs":1,"gpu_type":"A","pricing":"spot",'
                        b'"hourly_rate":1}', 'hexadecimal'),
        'octal': (create_body().replace(b'"total_steps": 300', b'"total_steps": 0100'), 'leading zeros'),
        'two objects': (create_body() + create_body(), 'where the end of the body was expected'),
        'trailing text': (create_body() + b' x', 'where the end of the body was expected'),
        'single quotes': (create_body().replace(b'"spot"', b"'spot'"), 'single quotes'),
        'byte order mark': (b'\xef\xbb\xbf' + create_body(), 'byte order mark'),
        'bad escape': (create_body(name='\\q').replace(b'\\\\q', b'\\q'), 'not an escape'),
        'raw control character': (create_body(name='a\tb').replace(b'\\t', b'\t'), 'must be escaped'),
        'block comment': (b'/* a job */' + create_body(), 'comments'),
        'line comment': (create_body().replace(b', "epochs"', b'// x\n, "epochs"'), 'comments'),
        'lone surrogate': (create_body(name='x').replace(b'"x"', b'"\\ud800"'), 'lone surrogate'),
        'lone low surrogate': (create_body(name='x').replace(b'"x"', b'"\\udc00"'), 'second half'),
        'escaped NUL': (create_body(name='x').replace(b'"x"', b'"a\\u0000b"'), 'NUL'),
        'invalid UTF-8': (create_body(name='x').replace(b'"x"', b'"caf\xe9"'), 'not valid UTF-8'),
        'exponent overflow': (create_body().replace(b'1.19', b'1e400'), 'too large'),
        'NaN': (create_body().replace(b'1.19', b'NaN'), 'NaN'),
        'trailing comma': (create_body().replace(b'}', b',}'), 'another member'),
        'repeated name': (create_body().replace(b'{', b'{"name": "first", ', 1), 'appears twice'),
        'steps past int64': (create_body().replace(b'"total_steps": 300', b'"total_steps": -99999999999999999999'),
                             '“total_steps” must be from 1 to 100000000'),
        'steps of 2^63': (create_body().replace(b'"total_steps": 300', b'"total_steps": 9223372036854775808'),
                          '“total_steps” must be from 1 to 100000000'),
        'fractional steps': (create_body().replace(b'"total_steps": 300', b'"total_steps": 300.5'),
                             '“total_steps” must be an integer'),
        'epochs of 1e300': (create_body().replace(b'"epochs": 3', b'"epochs": 1e300'), '“epochs” must be from'),
        'config one level too deep': (create_body(config=nested_object(MAX_DEPTH_REQUEST)), 'nest more than 32'),
        'nesting hidden by a comment': (b'/*"*/{"name":"x","config":' + DEEP, 'comments'),
        'nesting hidden by single quotes': (b'{\'"\':1,"name":"x","config":' + DEEP, 'single quotes'),
        'plain deep nesting': (b'{"name":"x","config":' + DEEP, 'nest more than 32'),
    }

    def test_refused_bodies_store_nothing(self):
        jobs = self.job_count()
        events = self.event_count()
        for what, (body, message) in self.REFUSED.items():
            with self.subTest(what):
                r = self.jobd.post('/api/training/jobs', body, headers={'Content-Type': 'application/json'})
                self.assertRefused(r, message)
        self.assertEqual(self.job_count(), jobs, 'a refused body created a job')
        self.assertEqual(self.event_count(), events, 'a refused body recorded an event')
        self.assertTrue(self.jobd.alive())

    def test_error_says_where(self):
        body = b'{\n  "name": "x",\n  "total_steps": 0x10\n}'
        r = self.jobd.post('/api/training/jobs', body)
        error = self.assertRefused(r, 'hexadecimal')
        self.assertIn('line 3, column 18', error['message'])

    def test_refused_cancel_body(self):
        job, _ = self.jobd.create_external(name='cancel target')
        for body in [b'{"reason": "testing"} {}', b"{'reason': 'testing'}", b'{"reason": "testing", "reason": "other"}']:
            with self.subTest(body=body):
                r = self.jobd.post('/api/training/jobs/%d/cancel' % job['id'], body)
                self.assertRefused(r)
        self.assertNotEqual(self.jobd.job(job['id'])['status'], 'cancelled')
        self.jobd.cancel(job['id'])

    def test_accepted_edges_are_served_strictly(self):
        # Fill the only slot, so the next job waits in the queue, whose
        # answer wraps a job's config deepest.
        blocker, _ = self.jobd.create_external(name='slot holder')
        config = nested_object(MAX_DEPTH_REQUEST - 2, leaf=['\U0001F600', -0.0, 9223372036854775807])
        body = (b' \r\n\t' + create_body(name='caf\u00e9 \\ud83d\\ude00', total_steps=2000.0, config=config)
                .replace(b'\\\\ud83d\\\\ude00', b'\\ud83d\\ude00') + b'\n')
        _, depth = strict_json(body)
        self.assertEqual(depth, MAX_DEPTH_REQUEST)

        r = self.jobd.post('/api/training/jobs', body)
        self.assertEqual(r.status, 201, r)
        job_id = r.json['id']
        try:
            job, _ = strict_json(self.jobd.get('/api/training/jobs/%d' % job_id).body)
            self.assertEqual(job['name'], 'caf\u00e9 \U0001F600')
            self.assertEqual(job['total_steps'], 2000)
            self.assertEqual(job['config'], json.loads(json.dumps(config)))

            answers = {
                'job': '/api/training/jobs/%d' % job_id,
                'list': '/api/training/jobs',
                'queue': '/api/training/queue',
                'events': '/api/training/jobs/%d/events' % job_id,
                'export': '/api/training/jobs/%d/events/export' % job_id,
            }
            depths = {}
            for what, path in answers.items():
                r = self.jobd.get(path)
                self.assertEqual(r.status, 200, r)
                _, depths[what] = strict_json(r.body)
            # The deepest wrapping is the queue's: 3 more than the request.
            self.assertEqual(depths['queue'], MAX_DEPTH_REQUEST + SERVED_EXTRA_DEPTH, depths)
            self.assertLessEqual(max(depths.values()), MAX_DEPTH_ANSWER, depths)
        finally:
            self.jobd.cancel(job_id)
            self.jobd.cancel(blocker['id'])


class WebhookRules(RulesCase):
    def setUp(self):
        super().setUp()
        self.job, self.secret = self.jobd.create_external(name='webhook target')
        self.addCleanup(self.jobd.cancel, self.job['id'])

    def event(self, **data):
        return {'event_id': 'ev-1', 'type': 'metrics', 'data': dict({'step': 10}, **data)}

    def raw(self, payload):
        return json.dumps(payload).encode('utf-8')

    def test_refused_events_store_nothing(self):
        ev = self.raw(self.event())
        batch = self.raw({'events': [self.event(), {'event_id': 'ev-2', 'type': 'metrics',
                                                     'data': {'step': 9223372036854775807}}]})
        cases = {
            'step of 2^63-1': (self.raw(self.event(step=9223372036854775807)), '“step” must be from 0 to 1000000000000'),
            'step past int64': (ev.replace(b'"step": 10', b'"step": -99999999999999999999'), '“step” must be from 0'),
            'negative step': (self.raw(self.event(step=-1)), '“step” must be from 0'),
            'step as text': (self.raw(self.event(step='ten')), '“step” must be an integer'),
            'fractional step': (self.raw(self.event(step=10.5)), '“step” must be an integer'),
            'checkpoint step of 2^63-1': (self.raw({'event_id': 'c', 'type': 'checkpoint',
                                                    'data': {'step': 9223372036854775807}}), '“step” must be from'),
            'epoch of 1e300': (self.raw(self.event(epoch=1e300)), '“epoch” must be from'),
            'epoch overflow': (ev.replace(b'"step": 10', b'"step": 10, "epoch": 1e400'), 'too large'),
            'bare NaN loss': (ev.replace(b'"step": 10', b'"step": 10, "train_loss": NaN'), 'NaN'),
            'one bad event in a batch': (batch, 'Event 2: “step” must be from'),
            'lone surrogate': (self.raw({'event_id': 'w', 'type': 'warning', 'message': 'x'})
                               .replace(b'"x"', b'"\\ud800"'), 'lone surrogate'),
            'escaped NUL': (self.raw({'event_id': 'w', 'type': 'warning', 'message': 'x'})
                            .replace(b'"x"', b'"\\u0000"'), 'NUL'),
            'repeated name': (ev.replace(b'{', b'{"type": "warning", ', 1), 'appears twice'),
            'byte order mark': (b'\xef\xbb\xbf' + ev, 'byte order mark'),
            'two events glued': (ev + ev, 'where the end of the body was expected'),
            'data one level too deep': (self.raw({'event_id': 'w', 'type': 'warning',
                                                  'data': nested_object(MAX_DEPTH_REQUEST)}), 'nest more than 32'),
            'nesting hidden by a comment': (b'/*"*/{"event_id":"e","type":"warning","data":' + DEEP, 'comments'),
            'nesting hidden by single quotes': (b'{\'"\':1,"event_id":"e","data":' + DEEP, 'single quotes'),
        }
        before = self.event_count(self.job['id'])
        for what, (body, message) in cases.items():
            with self.subTest(what):
                r = self.jobd.webhook(self.job['id'], self.secret, body)
                self.assertRefused(r, message)
        self.assertEqual(self.event_count(self.job['id']), before, 'a refused webhook body recorded an event')
        self.assertEqual(self.jobd.metrics(self.job['id'])['series']['train_loss']['step'], [])
        self.assertEqual(self.jobd.job(self.job['id'])['current_step'], 0)

    def test_event_at_the_limit_is_served_within_the_app_limit(self):
        payload = {'event_id': 'deep', 'type': 'warning', 'message': 'deep \U0001F600',
                   'data': nested_object(MAX_DEPTH_REQUEST - 1)}
        _, depth = strict_json(self.raw(payload))
        self.assertEqual(depth, MAX_DEPTH_REQUEST)
        self.assertEqual(self.jobd.webhook_ok(self.job['id'], self.secret, payload)['accepted'], 1)
        metrics = self.raw({'event_id': 'm', 'type': 'metrics', 'data': {'step': 1000000000000, 'epoch': 1000000}})
        self.assertEqual(self.jobd.webhook_ok(self.job['id'], self.secret, metrics)['accepted'], 1)

        for path in ['/api/training/jobs/%d/events', '/api/training/jobs/%d/events/export']:
            r = self.jobd.get(path % self.job['id'])
            self.assertEqual(r.status, 200, r)
            _, depth = strict_json(r.body)
            self.assertEqual(depth, MAX_DEPTH_REQUEST + SERVED_EXTRA_DEPTH)
        job = self.jobd.job(self.job['id'])
        self.assertLessEqual(job['current_step'], job['total_steps'])


class QueryNumberRules(RulesCase):
    def test_query_numbers_are_strict(self):
        job, _ = self.jobd.create_external(name='query target')
        self.addCleanup(self.jobd.cancel, job['id'])
        jobs = '/api/training/jobs'
        events = '/api/training/jobs/%d/events' % job['id']
        metrics = '/api/training/jobs/%d/metrics' % job['id']
        cases = [
            (jobs, 'page', '4611686018427387904'),    # 2^62
            (jobs, 'page', '2147483648'),
            (jobs, 'page', '0'),
            (jobs, 'page', '-1'),
            (jobs, 'page', '1x'),
            (jobs, 'page', ' 1'),
            (jobs, 'page', '+1'),
            (jobs, 'page', '1.5'),
            (jobs, 'page', '1e3'),
            (jobs, 'page', '0x10'),
            (jobs, 'per_page', '101'),
            (jobs, 'per_page', '99999999999999999999'),
            (events, 'page', '9223372036854775807'),
            (events, 'per_page', '201'),
            (events, 'after_id', '-1'),
            (events, 'after_id', '9223372036854775808'),
            (events, 'after_id', 'abc'),
            (metrics, 'since_step', '-2'),
            (metrics, 'since_step', '9223372036854775808'),
            (metrics, 'since_step', '1 '),
            (metrics, 'max_points', '1'),
            (metrics, 'max_points', '1000001'),
        ]
        for path, name, value in cases:
            with self.subTest(path=path, name=name, value=value):
                r = self.jobd.get('%s?%s=%s' % (path, name, urllib.parse.quote(value, safe='')))
                self.assertRefused(r, '“%s”' % name)

    def test_last_pages_are_empty_not_undefined(self):
        job, _ = self.jobd.create_external(name='page target')
        self.addCleanup(self.jobd.cancel, job['id'])
        page = self.jobd.list_jobs('?page=2147483647&per_page=100')
        self.assertEqual(page['jobs'], [])
        self.assertEqual(page['page'], 2147483647)
        events = self.jobd.events(job['id'], '?page=2147483647&per_page=200&after_id=9223372036854775807')
        self.assertEqual(events['events'], [])
        self.assertEqual(events['total'], 0)
        metrics = self.jobd.metrics(job['id'], '?since_step=9223372036854775807&max_points=1000000')
        self.assertEqual(metrics['series']['train_loss']['step'], [])


if __name__ == '__main__':
    unittest.main(verbosity=2)
