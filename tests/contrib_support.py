# contrib_support.py: shared pieces of the tests of contrib/ (the reporter,
# the Hugging Face callback, the tiny trainer)
#
# SPDX-License-Identifier: GPL-3.0-or-later

import http.client
import http.server
import json
import os
import sys
import threading
import time

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(TESTS_DIR)
CONTRIB_DIR = os.path.join(SOURCE_DIR, 'contrib')
TINY_LORA = os.path.join(CONTRIB_DIR, 'examples', 'tiny_lora.py')

for _d in (TESTS_DIR, CONTRIB_DIR):
    if _d not in sys.path:
        sys.path.insert(0, _d)

from jobd import JobdTestCase, sign  # noqa: E402


def webhook_path(job_id):
    return '/api/training/jobs/%d/webhook' % job_id


class ContribTestCase(JobdTestCase):
    """A shared lora-jobd with room for every job the tests leave running,
    and a helper that makes external jobs and cancels them at the end."""

    SLOTS = 64

    def external_job(self, **fields):
        """(job, secret, webhook URL) of a new external-provider job."""
        fields.setdefault('name', self.id().rsplit('.', 1)[-1])
        job, secret = self.jobd.create_external(**fields)
        self.assertEqual(job['status'], 'provisioning', job)

        def cleanup(jid=job['id']):
            if self.jobd.alive() and self.jobd.job(jid)['status'] not in ('completed', 'failed', 'cancelled'):
                self.jobd.cancel(jid)
        self.addCleanup(cleanup)
        return job, secret, self.jobd.url + webhook_path(job['id'])

    def series(self, job_id, name):
        s = self.jobd.metrics(job_id)['series'][name]
        return list(zip(s['step'], s['value']))

    def trainer_events(self, job_id, type_='all'):
        """The trainer's events of a job (not the service's), oldest first."""
        events = [e for e in self.jobd.all_events(job_id, type_) if 'event_id' in e['payload']]
        return list(reversed(events))

    def stage_statuses(self, job):
        return {s['name']: s['status'] for s in job['stages']}


class StandIn:
    """A tiny HTTP server on 127.0.0.1:0 in a thread. @handler(request)
    returns (status, headers dict, body bytes) or None to close the
    connection without an answer. Every request is recorded."""

    class Request:
        def __init__(self, method, path, headers, body):
            self.method, self.path, self.headers, self.body = method, path, headers, body
            self.time = time.monotonic()

        @property
        def json(self):
            return json.loads(self.body.decode('utf-8'))

    def __init__(self, handler):
        self.handler = handler
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(n)
                req = StandIn.Request('POST', self.path, dict(self.headers), body)
                with outer.lock:
                    outer.requests.append(req)
                answer = outer.handler(req)
                if answer is None:
                    self.close_connection = True
                    return
                status, headers, data = answer
                self.send_response(status)
                headers = dict(headers or {})
                headers.setdefault('Content-Type', 'application/json; charset=utf-8')
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = 'http://127.0.0.1:%d' % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={'poll_interval': 0.02},
                                       daemon=True)
        self.thread.start()

    def url(self, job_id=1):
        return self.base + webhook_path(job_id)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def scripted(answers):
    """A StandIn handler that gives @answers in turn (status, headers,
    body), then 202s."""
    answers = list(answers)
    lock = threading.Lock()

    def handler(req):
        with lock:
            answer = answers.pop(0) if answers else None
        if answer is None:
            n = len(req.json.get('events', [req.json]))
            return 202, {}, json.dumps({'accepted': n, 'duplicates': 0}).encode()
        status, headers = answer[0], answer[1] if len(answer) > 1 else {}
        body = answer[2] if len(answer) > 2 else json.dumps(
            {'error': {'code': 'x', 'message': 'stand-in %d' % status}}).encode()
        return status, headers, body
    return handler


def forward(jobd, req):
    """Forwards @req to the real service; returns (status, headers, body)."""
    conn = http.client.HTTPConnection(jobd.host, jobd.port, timeout=30)
    try:
        conn.request(req.method, req.path, body=req.body,
                     headers={'Content-Type': 'application/json',
                              'X-Lora-Signature': req.headers.get('X-Lora-Signature', '')})
        resp = conn.getresponse()
        return resp.status, {k: v for k, v in resp.getheaders()
                             if k.lower() in ('content-type', 'retry-after')}, resp.read()
    finally:
        conn.close()


def proxy(jobd, before=None, lose=()):
    """A StandIn handler that forwards to @jobd. @before(req) runs first
    (it may block); the answers of the requests numbered in @lose (1-based)
    are lost: the request reaches the service, the connection is closed."""
    count = [0]
    lock = threading.Lock()

    def handler(req):
        with lock:
            count[0] += 1
            n = count[0]
        if before is not None:
            before(req)
        answer = forward(jobd, req)
        if n in lose:
            return None
        return answer
    return handler


def check_signature(testcase, secret, req):
    testcase.assertEqual(req.headers.get('X-Lora-Signature'), sign(secret, req.body))
