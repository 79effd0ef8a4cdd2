#!/usr/bin/env python3
# test_hostile.py: a few hundred hostile requests over every route of a real
# lora-jobd. Each must be refused with a JSON error, none may change what is
# stored, and the service must go on answering everyone else.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import http.client
import json
import socket
import unittest

from jobd import JobdTestCase, sign, metrics_event, new_event_id

BIG = 2 ** 63
ROUTE_TEMPLATES = [
    '/api/me',
    '/api/training/queue',
    '/api/training/jobs',
    '/api/training/jobs/{id}',
    '/api/training/jobs/{id}/cancel',
    '/api/training/jobs/{id}/metrics',
    '/api/training/jobs/{id}/events',
    '/api/training/jobs/{id}/events/export',
    '/api/training/jobs/{id}/webhook',
]
# The methods each route answers; any other is a 405.
METHODS = {
    '/api/me': {'GET'},
    '/api/training/queue': {'GET'},
    '/api/training/jobs': {'GET', 'POST'},
    '/api/training/jobs/{id}': {'GET', 'DELETE'},
    '/api/training/jobs/{id}/cancel': {'POST'},
    '/api/training/jobs/{id}/metrics': {'GET'},
    '/api/training/jobs/{id}/events': {'GET'},
    '/api/training/jobs/{id}/events/export': {'GET'},
    '/api/training/jobs/{id}/webhook': {'POST'},
}
BAD_IDS = ['0', '-1', '01', '1.0', '1e3', str(BIG), '99999999999999999999', 'abc', '%00',
           '%2F', '1%20', '%201', '%EF%BC%91', 'null', '1;DROP%20TABLE%20jobs', '%c3%28']
BAD_TOKENS = [None, '', 'Bearer', 'Bearer ', 'Bearer nope', 'Basic dXNlcjpwYXNz',
              'bearer  ' + 'x' * 5000, 'Bearer \x7f', 'Token abc']


class HostileRequestTest(JobdTestCase):
    TIME_SCALE = 1.0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        jobd = cls.shared
        cls.job, cls.secret = jobd.create_external(name='Victim')
        cls.other, cls.other_secret = jobd.create_external(name='Bystander')
        jobd.webhook_ok(cls.job['id'], cls.secret,
                        {'events': [metrics_event(step, train_loss=1.0 / step, epoch=1)
                                    for step in range(1, 40)]})

    # Tools

    def raw(self, method, path, body=None, headers=None, token=True):
        hdrs = {}
        if token is True:
            hdrs['Authorization'] = 'Bearer ' + self.jobd.token
        elif token is not None:
            hdrs['Authorization'] = token
        if headers:
            hdrs.update(headers)
        conn = http.client.HTTPConnection(self.jobd.host, self.jobd.port, timeout=30)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in hdrs.items():
                conn.putheader(name, value)
            if body is not None:
                conn.putheader('Content-Length', str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return resp.status, resp.getheader('Content-Type', ''), resp.read()
        finally:
            conn.close()

    def refused(self, what, status, content_type, data, expect=None):
        if expect is not None:
            self.assertEqual(status, expect, (what, data[:300]))
        self.assertGreaterEqual(status, 400, (what, data[:300]))
        self.assertLess(status, 500, (what, data[:300]))
        self.assertTrue(content_type.startswith('application/json'), (what, content_type))
        body = json.loads(data)
        self.assertEqual(set(body), {'error'}, what)
        self.assertIsInstance(body['error']['code'], str, what)
        self.assertTrue(body['error']['message'], what)

    def snapshot(self):
        tables = [name for (name,) in self.jobd.sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: sorted(self.jobd.sql('SELECT * FROM "%s"' % t), key=repr)
                for t in tables if t not in ('tokens',)}

    def route(self, template, job_id=None):
        return template.replace('{id}', str(job_id if job_id is not None else self.job['id']))

    # The attack, route by route

    def test_hostile_requests_change_nothing(self):
        before = self.snapshot()
        n = 0

        def check(method, path, body=None, headers=None, token=True, expect=None):
            nonlocal n
            n += 1
            status, ctype, data = self.raw(method, path, body=body, headers=headers, token=token)
            self.refused('%s %s %r' % (method, path, (body or b'')[:40]), status, ctype, data, expect)

        # Wrong methods, everywhere.
        for template in ROUTE_TEMPLATES:
            for method in ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'BREW']:
                if method in METHODS[template]:
                    continue
                check(method, self.route(template), body=b'{}' if method in ('POST', 'PUT', 'PATCH') else None,
                      expect=405)

        # Ids that name no job.
        for template in ROUTE_TEMPLATES:
            if '{id}' not in template:
                continue
            method = sorted(METHODS[template])[0]
            for bad in BAD_IDS + [str(self.job['id'] + 1000)]:
                check(method, template.replace('{id}', bad),
                      body=b'{}' if method == 'POST' else None)

        # Strangers: no token, or a wrong one, on every route that needs one.
        for template in ROUTE_TEMPLATES:
            if template.endswith('/webhook'):
                continue
            for method in METHODS[template]:
                for token in BAD_TOKENS:
                    check(method, self.route(template), token=token,
                          body=b'{"reason":"x"}' if method == 'POST' else None, expect=401)

        # Query strings.
        bad_queries = {
            '/api/training/jobs': ['page=0', 'page=-1', 'page=%d' % BIG, 'page=1e3', 'page=1x',
                                   'page=%s' % ('9' * 400), 'per_page=0', 'per_page=101',
                                   'per_page=-5', 'status=bogus', 'status=%00', 'range=forever',
                                   'status=queued,bogus', 'page=%zz'],
            '/api/training/jobs/{id}/metrics': ['since_step=-2', 'since_step=nan', 'since_step=%d' % BIG,
                                                'since_step=1.5', 'max_points=1', 'max_points=0',
                                                'max_points=99999999', 'max_points=abc', 'since_step=%201'],
            '/api/training/jobs/{id}/events': ['type=bogus', 'page=0', 'per_page=0', 'per_page=201',
                                               'after_id=-1', 'after_id=%d' % BIG, 'after_id=x',
                                               'page=2147483648'],
        }
        for template, queries in bad_queries.items():
            for query in queries:
                check('GET', self.route(template) + '?' + query, expect=400)

        # Bodies of create and cancel that are not what they should be.
        bodies = [b'', b'null', b'[]', b'"x"', b'{', b'{"name":', b'\xff\xfe{}', b'{"name":"a\xff"}',
                  b'{"name":"x","total_steps":"300"}', b'{"name":"","total_steps":300}',
                  b'{"name":"x","total_steps":-1,"epochs":1,"gpu_type":"A","pricing":"spot","hourly_rate":1}',
                  b'{"name":"x","total_steps":300,"epochs":1,"gpu_type":"A","pricing":"spot","hourly_rate":-1}',
                  b'{"name":"x","total_steps":300,"epochs":1,"gpu_type":"A","pricing":"free","hourly_rate":1}',
                  b'{"name":"x","total_steps":300,"epochs":1,"gpu_type":"A","pricing":"spot","hourly_rate":1,'
                  b'"provider":"nope"}',
                  b'{"name":"' + b'x' * 100000 + b'"}',
                  b'[' * 100 + b']' * 100,
                  b'{"a":' * 100 + b'1' + b'}' * 100,
                  json.dumps({'name': 'x', 'total_steps': 300, 'epochs': 3, 'gpu_type': 'A', 'pricing': 'spot',
                              'hourly_rate': 1.0, 'provider': 'external', 'config': {'a': [[[[[[[[[[]]]]]]]]]]},
                              'unknown': 1}).encode()]
        for body in bodies:
            check('POST', '/api/training/jobs', body=body, expect=400)
        for body in [b'{', b'[]', b'{"reason":5}', b'{"reason":""}', b'{"reason":"' + b'r' * 100000 + b'"}']:
            check('POST', self.route('/api/training/jobs/{id}/cancel'), body=body, expect=400)

        # Webhooks: unsigned, badly signed, signed with another job's secret,
        # and signed but broken.
        hook = self.route('/api/training/jobs/{id}/webhook')
        good = json.dumps({'events': [metrics_event(100, train_loss=0.5)]}).encode()
        for signature in [None, '', 'sha256=', 'sha256=zz', 'sha256=' + '0' * 64, 'md5=abc',
                          sign(self.other_secret, good), sign(self.secret, good + b' '),
                          sign(self.secret, good)[:-2], 'sha256=' + 'a' * 10000]:
            headers = {} if signature is None else {'X-Lora-Signature': signature}
            check('POST', hook, body=good, headers=headers, token=None, expect=401)
        for body in [b'', b'{}', b'{"events":{}}', b'{"events":[1]}', b'{"events":[{"type":"metrics"}]}',
                     b'{"events":[{"id":"x","type":"nope","timestamp":"2026-01-01T00:00:00Z"}]}',
                     b'{"events":' + b'[' * 5000 + b']' * 5000 + b'}', b'\xff']:
            check('POST', hook, body=body, headers={'X-Lora-Signature': sign(self.secret, body)},
                  token=None, expect=400)

        # Everything was refused and nothing moved.
        self.assertGreater(n, 300)
        self.assertEqual(self.snapshot(), before)

        # The rest of the world is still served.
        self.assertEqual(self.jobd.get('/api/health').status, 200)
        self.assertEqual(self.jobd.job(self.job['id'])['name'], 'Victim')
        self.jobd.webhook_ok(self.job['id'], self.secret,
                             {'events': [metrics_event(40, train_loss=0.025, epoch=1)]})

    def test_routes_never_answer_5xx_or_non_json(self):
        """Odd but well-formed paths: always a JSON 4xx."""
        paths = ['/', '/api', '/api/', '/api//', '/api/health/x', '/api/training', '/api/training/',
                 '/api/training/jobs//', '/api/training/jobs/%d/' % self.job['id'],
                 '/api/training/jobs/%d/events/export/x' % self.job['id'],
                 '/api/training/jobs/%d/metrics/x' % self.job['id'], '/api/%E2%80%AE', '/.env',
                 '/api/training/jobs/%d/../../../etc/passwd' % self.job['id'], '/' + 'x' * 8000]
        for path in paths:
            status, ctype, data = self.raw('GET', path)
            if status == 200:
                # A trailing slash names the same resource.
                self.assertTrue(path.endswith('/'), path)
                continue
            self.refused(path, status, ctype, data)


if __name__ == '__main__':
    unittest.main(verbosity=2)
