# jobd.py: a harness that runs the real lora-jobd for the integration tests
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Standard library only, so that the tests run wherever the build does.

import hashlib
import hmac
import http.client
import itertools
import json
import os
import re
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.parse

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))

# How long the daemon may take to print its "listening on" line.
START_TIMEOUT = 20.0
# One request may wait for a cancel, which the service bounds at 10 s.
REQUEST_TIMEOUT = 30.0

_event_ids = itertools.count(1)

# What the daemon must never print: GLib criticals and warnings (a warning
# is how the service reports an internal error) and sanitizer findings.
TROUBLE_RE = re.compile(r'-(CRITICAL|WARNING) \*\*|runtime error:|AddressSanitizer|LeakSanitizer')


def binary_path():
    path = os.environ.get('LORA_JOBD')
    if not path:
        path = os.path.join(TESTS_DIR, '..', 'build', 'src', 'jobd', 'lora-jobd')
    return os.path.abspath(path)


def default_local_user():
    """Who local jobs run as when a test does not say. The service refuses
    to run them as root unless told, and the tests may run as root (in CI
    containers), where they say so: as the user the tests run as anyway."""
    return 'root' if os.geteuid() == 0 else None


def daemon_env():
    env = dict(os.environ)
    # English messages: the tests read the events the service writes.
    env['LC_ALL'] = 'C.UTF-8'
    env.pop('LANGUAGE', None)
    env['TZ'] = 'UTC'
    # A critical warning is a bug: let it kill the daemon, which the
    # tests then notice.
    env['G_DEBUG'] = 'fatal-criticals'
    return env


def sign(secret, body):
    """The X-Lora-Signature header value for @body (bytes)."""
    digest = hmac.new(secret.encode('utf-8'), body, hashlib.sha256).hexdigest()
    return 'sha256=' + digest


def new_event_id(prefix='ev'):
    return '%s-%d' % (prefix, next(_event_ids))


def parse_time(text):
    """Seconds since the epoch for the service's ISO 8601 UTC times."""
    from datetime import datetime, timezone
    if text is None:
        return None
    if text.endswith('Z'):
        text = text[:-1] + '+00:00'
    return datetime.fromisoformat(text).astimezone(timezone.utc).timestamp()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.json = None
        ctype = headers.get('Content-Type', '') if headers is not None else ''
        if body and 'json' in ctype:
            self.json = json.loads(body.decode('utf-8'))

    def __repr__(self):
        return '<Response %d %r>' % (self.status, self.body[:300])


class Jobd:
    """One lora-jobd process on a free loopback port with its own database."""

    def __init__(self, slots=3, time_scale=5000.0, demo=False, user='tester',
                 extra_args=(), extra_env=None, enable_local=False, local_user=None,
                 preexec=None):
        self.slots = slots
        # --enable-local, with --local-user @local_user (default:
        # default_local_user()); both may change between restarts.
        self.enable_local = enable_local
        self.local_user = local_user
        # Runs in the child before exec, e.g. to set resource limits.
        self.preexec = preexec
        self.extra_args = list(extra_args)
        self.extra_env = dict(extra_env or {})
        self.time_scale = time_scale
        self.demo = demo
        self.user = user
        self.tmpdir = tempfile.TemporaryDirectory(prefix='lora-jobd-test-')
        self.db = os.path.join(self.tmpdir.name, 'jobs.db')
        self.proc = None
        self.url = None
        self.host = None
        self.port = None
        self.token = None
        self._log = None
        self._n_starts = 0

    # Process control

    def start(self):
        assert self.proc is None or self.proc.poll() is not None
        self._n_starts += 1
        out_path = os.path.join(self.tmpdir.name, 'stdout-%d.txt' % self._n_starts)
        self.err_path = os.path.join(self.tmpdir.name, 'stderr-%d.txt' % self._n_starts)
        args = [binary_path(), '--listen', '127.0.0.1:0', '--db', self.db,
                '--slots', str(self.slots), '--time-scale', repr(float(self.time_scale))]
        if self.demo:
            args.append('--demo')
        if self.enable_local:
            args.append('--enable-local')
            local_user = self.local_user if self.local_user is not None else default_local_user()
            if local_user:
                args.extend(['--local-user', local_user])
        args.extend(self.extra_args)
        env = daemon_env()
        env.update(self.extra_env)

        # Files, not pipes: nobody has to keep draining them.
        with open(out_path, 'wb') as out, open(self.err_path, 'wb') as err:
            self.proc = subprocess.Popen(args, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, env=env,
                                         preexec_fn=self.preexec)

        deadline = time.monotonic() + START_TIMEOUT
        line = None
        while time.monotonic() < deadline:
            with open(out_path, 'rb') as f:
                data = f.read()
            if b'\n' in data:
                line = data.split(b'\n', 1)[0].decode('utf-8')
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)

        if line is None:
            self.kill()
            raise RuntimeError('lora-jobd printed no address (exit %r): %s'
                               % (self.proc.returncode, self.stderr_tail()))

        prefix = 'listening on '
        if not line.startswith(prefix):
            self.kill()
            raise RuntimeError('unexpected first line from lora-jobd: %r' % line)

        self.url = line[len(prefix):].strip()
        parts = urllib.parse.urlsplit(self.url)
        self.host, self.port = parts.hostname, parts.port
        if self.token is None:
            self.token = self.add_token(self.user)
        return self

    def add_token(self, name):
        result = subprocess.run([binary_path(), 'token', 'add', name, '--db', self.db],
                                capture_output=True, env=daemon_env(), timeout=20)
        if result.returncode != 0:
            raise RuntimeError('token add failed: %s' % result.stderr.decode('utf-8', 'replace'))
        lines = result.stdout.decode('utf-8').splitlines()
        if len(lines) != 1 or not lines[0].strip():
            raise RuntimeError('token add printed %r, not one token' % result.stdout)
        return lines[0].strip()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15.0):
        """SIGTERM and wait; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError('lora-jobd did not stop within %.0f s of SIGTERM' % timeout)
        return self.proc.returncode

    def restart(self):
        return self.restart_with(lambda: None)

    def restart_with(self, change):
        """Stops, calls @change while nothing runs, starts again on the
        same database; returns the exit code of the stop."""
        code = self.stop()
        change()
        self.start()
        return code

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        self.kill()
        self.tmpdir.cleanup()

    def stderr_text(self, all_runs=False):
        first = 1 if all_runs else self._n_starts
        out = []
        for n in range(first, self._n_starts + 1):
            try:
                with open(os.path.join(self.tmpdir.name, 'stderr-%d.txt' % n), 'rb') as f:
                    out.append(f.read().decode('utf-8', 'replace'))
            except OSError:
                pass
        return ''.join(out)

    def trouble(self):
        """Lines of stderr, over every run so far, that reveal a bug."""
        return [line for line in self.stderr_text(all_runs=True).splitlines() if TROUBLE_RE.search(line)]

    def stderr_tail(self, n=2000):
        return self.stderr_text()[-n:]

    def sql(self, query, params=()):
        """Reads the database directly, for what the API cannot show."""
        con = sqlite3.connect('file:%s?mode=ro' % self.db, uri=True, timeout=10)
        try:
            return con.execute(query, params).fetchall()
        finally:
            con.close()

    def sql_write(self, query, params=()):
        """Changes the database; only while the daemon is stopped."""
        assert not self.alive()
        con = sqlite3.connect(self.db, timeout=10)
        try:
            con.execute(query, params)
            con.commit()
        finally:
            con.close()

    # HTTP

    def request(self, method, path, body=None, headers=None, token=True, timeout=REQUEST_TIMEOUT):
        """@body: None, bytes, or anything else as JSON. @token: True for the
        harness user's token, None for no Authorization header, or a string."""
        hdrs = {}
        if token is True:
            token = self.token
        if token is not None:
            hdrs['Authorization'] = 'Bearer ' + token
        if body is not None and not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode('utf-8')
            hdrs['Content-Type'] = 'application/json'
        if headers:
            hdrs.update(headers)

        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, resp.msg, data)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def post(self, path, body=None, **kw):
        return self.request('POST', path, body, **kw)

    def delete(self, path, **kw):
        return self.request('DELETE', path, **kw)

    def get_ok(self, path):
        r = self.get(path)
        if r.status != 200:
            raise AssertionError('GET %s: %r' % (path, r))
        return r.json

    # Jobs

    @staticmethod
    def job_fields(**overrides):
        fields = {
            'name': 'Test run',
            'total_steps': 300,
            'epochs': 3,
            'gpu_type': 'A100 SXM 80GB',
            'pricing': 'spot',
            'hourly_rate': 1.19,
        }
        fields.update(overrides)
        return {k: v for k, v in fields.items() if v is not None}

    def create_job(self, **overrides):
        """Creates a job; returns (job, webhook_secret)."""
        r = self.post('/api/training/jobs', self.job_fields(**overrides))
        if r.status != 201:
            raise AssertionError('creating a job: %r' % r)
        job = r.json
        secret = job.pop('webhook_secret')
        return job, secret

    def create_external(self, **overrides):
        overrides.setdefault('provider', 'external')
        return self.create_job(**overrides)

    def job(self, job_id):
        return self.get_ok('/api/training/jobs/%d' % job_id)

    def events(self, job_id, query=''):
        return self.get_ok('/api/training/jobs/%d/events%s' % (job_id, query))

    def all_events(self, job_id, type_='all'):
        """Every event of a job, newest first."""
        out, page = [], 1
        while True:
            r = self.events(job_id, '?per_page=200&page=%d&type=%s' % (page, type_))
            out.extend(r['events'])
            if len(r['events']) < 200:
                return out
            page += 1

    def metrics(self, job_id, query=''):
        return self.get_ok('/api/training/jobs/%d/metrics%s' % (job_id, query))

    def cancel(self, job_id, reason='testing', token=True):
        body = None if reason is None else {'reason': reason}
        return self.post('/api/training/jobs/%d/cancel' % job_id, body, token=token)

    def webhook(self, job_id, secret, payload, signature=None):
        """Posts @payload (an event, a batch, or raw bytes) signed with
        @secret, or with @signature as given ('' leaves the header out)."""
        if isinstance(payload, (bytes, bytearray)):
            body = bytes(payload)
        else:
            body = json.dumps(payload).encode('utf-8')
        headers = {'Content-Type': 'application/json'}
        if signature is None:
            headers['X-Lora-Signature'] = sign(secret, body)
        elif signature != '':
            headers['X-Lora-Signature'] = signature
        return self.post('/api/training/jobs/%d/webhook' % job_id, body, headers=headers, token=None)

    def webhook_ok(self, job_id, secret, payload):
        r = self.webhook(job_id, secret, payload)
        if r.status != 202:
            raise AssertionError('webhook for job %d: %r' % (job_id, r))
        return r.json

    def list_jobs(self, query=''):
        return self.get_ok('/api/training/jobs' + query)

    def queue(self):
        return self.get_ok('/api/training/queue')

    # Waiting

    def wait_for(self, predicate, timeout=20.0, interval=0.05, what='condition'):
        """Polls @predicate until it returns something true; returns that."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            if not self.alive():
                raise AssertionError('lora-jobd died while waiting for %s: %s'
                                     % (what, self.stderr_tail()))
            last = predicate()
            if last:
                return last
            if time.monotonic() >= deadline:
                raise AssertionError('timed out after %.0f s waiting for %s (last: %r)'
                                     % (timeout, what, last))
            time.sleep(interval)

    def wait_status(self, job_id, statuses, timeout=20.0):
        if isinstance(statuses, str):
            statuses = (statuses,)
        state = {}

        def check():
            job = self.job(job_id)
            state['job'] = job
            return job if job['status'] in statuses else None

        try:
            return self.wait_for(check, timeout, what='job %d to be %s' % (job_id, '/'.join(statuses)))
        except AssertionError as e:
            job = state.get('job')
            raise AssertionError('%s; job is %s' % (e, job and job['status'])) from None


# Events a trainer would send

def metrics_event(step, train_loss=None, epoch=None, val_loss=None,
                  learning_rate=None, gpu_util=None, event_id=None, **extra):
    data = {'step': step}
    for key, value in (('epoch', epoch), ('train_loss', train_loss), ('val_loss', val_loss),
                       ('learning_rate', learning_rate), ('gpu_util', gpu_util)):
        if value is not None:
            data[key] = value
    event = {'event_id': event_id or new_event_id('m'), 'type': 'metrics', 'data': data}
    event.update(extra)
    return event


def stage_event(stage, status, substatus=None, error=None, event_id=None):
    data = {'stage': stage, 'status': status}
    if substatus is not None:
        data['substatus'] = substatus
    if error is not None:
        data['error'] = error
    return {'event_id': event_id or new_event_id('s'), 'type': 'stage', 'data': data}


def status_event(status, error=None, message=None, event_id=None):
    data = {'status': status}
    if error is not None:
        data['error'] = error
    event = {'event_id': event_id or new_event_id('st'), 'type': 'status', 'data': data}
    if message is not None:
        event['message'] = message
    return event


def simple_event(type_, message=None, data=None, event_id=None):
    event = {'event_id': event_id or new_event_id(type_[:2]), 'type': type_}
    if message is not None:
        event['message'] = message
    if data is not None:
        event['data'] = data
    return event


class JobdTestCase(unittest.TestCase):
    """Runs the tests of a class against one shared lora-jobd, or against a
    fresh one per test when PER_TEST is true. Either way the process is
    killed when its tests end, whatever happened."""

    SLOTS = 3
    TIME_SCALE = 5000.0
    DEMO = False
    PER_TEST = False
    # The local provider is off unless a test class turns it on.
    ENABLE_LOCAL = False
    LOCAL_USER = None
    EXTRA_ARGS = ()
    EXTRA_ENV = None

    @classmethod
    def _new_jobd(cls):
        jobd = Jobd(slots=cls.SLOTS, time_scale=cls.TIME_SCALE, demo=cls.DEMO,
                    enable_local=cls.ENABLE_LOCAL, local_user=cls.LOCAL_USER,
                    extra_args=cls.EXTRA_ARGS, extra_env=cls.EXTRA_ENV)
        try:
            jobd.start()
        except BaseException:
            jobd.close()
            raise
        return jobd

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shared = None
        if not cls.PER_TEST:
            cls.shared = cls._new_jobd()

    @classmethod
    def tearDownClass(cls):
        if cls.shared is not None:
            cls.shared.close()
            cls.shared = None
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        if self.PER_TEST:
            self.jobd = self._new_jobd()
            self.addCleanup(self.jobd.close)
        else:
            self.jobd = self.shared

    def tearDown(self):
        # A daemon that died mid-test (a crash, a fatal critical) fails the
        # test even if every request before it looked fine.
        jobd = self.jobd
        died = jobd.proc is not None and jobd.proc.poll() is not None and jobd.proc.returncode != 0
        if self.PER_TEST:
            jobd.kill()
        if died:
            self.fail('lora-jobd exited with %r: %s' % (jobd.proc.returncode, jobd.stderr_tail()))
        trouble = jobd.trouble()
        if trouble:
            self.fail('lora-jobd reported trouble on stderr:\n' + '\n'.join(trouble[:20]))
        super().tearDown()

    # Assertions

    def assertError(self, response, status, code=None):
        self.assertEqual(response.status, status, response)
        body = response.json
        self.assertIsInstance(body, dict, response)
        self.assertEqual(set(body), {'error'}, response)
        self.assertIsInstance(body['error'], dict)
        self.assertIsInstance(body['error'].get('code'), str)
        self.assertIsInstance(body['error'].get('message'), str)
        self.assertTrue(body['error']['message'])
        if code is not None:
            self.assertEqual(body['error']['code'], code)
        return body['error']
