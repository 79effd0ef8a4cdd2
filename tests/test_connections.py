#!/usr/bin/env python3
# test_connections.py: what many, idle, slow and early-refused clients do
# to a real lora-jobd, and that a normal client is still answered.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import http.client
import json
import resource
import socket
import threading
import time
import unittest

from jobd import Jobd, JobdTestCase

# A normal client must be answered within this, whatever else goes on.
ANSWER_WITHIN = 1.0


def limit_files(n):
    def preexec():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return preexec


def raise_own_file_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < min(hard, 4096):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))


def read_all(sock, timeout):
    """Everything the peer sends until it closes, or until @timeout."""
    sock.settimeout(timeout)
    data = b''
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except socket.timeout:
        return data, False
    except ConnectionResetError:
        return data, True


def parse_response(data):
    head, _, body = data.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


class Client:
    """A well-behaved client: a fresh connection, one request."""

    def __init__(self, jobd):
        self.jobd = jobd

    def health(self):
        start = time.monotonic()
        conn = http.client.HTTPConnection(self.jobd.host, self.jobd.port, timeout=10)
        try:
            conn.request('GET', '/api/health')
            resp = conn.getresponse()
            resp.read()
            return resp.status, time.monotonic() - start
        finally:
            conn.close()


class Crowd:
    """Connections that hold the service open without finishing a request."""

    def __init__(self, jobd):
        self.jobd = jobd
        self.sockets = []
        self.slow = []
        self._stop = threading.Event()
        self._thread = None

    def idle(self, n):
        for _ in range(n):
            s = socket.socket()
            s.settimeout(5)
            s.connect((self.jobd.host, self.jobd.port))
            self.sockets.append(s)

    def keep_alive(self, n):
        """Connections that made one request and keep the connection."""
        for _ in range(n):
            s = socket.create_connection((self.jobd.host, self.jobd.port), timeout=5)
            s.sendall(b'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n')
            data = b''
            while b'"slots"' not in data:
                data += s.recv(4096)
            self.sockets.append(s)

    def slow_headers(self, n):
        for _ in range(n):
            s = socket.create_connection((self.jobd.host, self.jobd.port), timeout=5)
            s.sendall(b'GET /api/health HTTP/1.1\r\nHost: x\r\n')
            self.slow.append(s)
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self):
        while not self._stop.wait(0.5):
            for s in self.slow:
                try:
                    s.sendall(b'X-Slow: 1\r\n')
                except OSError:
                    pass

    def close(self):
        self._stop.set()
        if self._thread:
            self._thread.join()
        for s in self.sockets + self.slow:
            s.close()
        self.sockets, self.slow = [], []


class FloodTest(unittest.TestCase):
    """Many idle and slow clients at the common open-file limit of 1,024."""

    def setUp(self):
        raise_own_file_limit()
        self.jobd = Jobd(preexec=limit_files(1024))
        self.jobd.start()
        self.addCleanup(self.jobd.close)

    def check_clean(self):
        self.assertTrue(self.jobd.alive(), self.jobd.stderr_tail())
        self.assertEqual(self.jobd.trouble(), [])

    def test_idle_and_slow_clients_do_not_lock_out_a_normal_one(self):
        crowd = Crowd(self.jobd)
        self.addCleanup(crowd.close)
        crowd.idle(1100)
        crowd.slow_headers(100)

        client = Client(self.jobd)
        for _ in range(5):
            status, took = client.health()
            self.assertEqual(status, 200)
            self.assertLess(took, ANSWER_WITHIN)
            time.sleep(0.2)

        # More of the same while they are all still held open.
        crowd.idle(200)
        status, took = client.health()
        self.assertEqual(status, 200)
        self.assertLess(took, ANSWER_WITHIN)

        crowd.close()
        for _ in range(3):
            status, took = client.health()
            self.assertEqual(status, 200)
            self.assertLess(took, ANSWER_WITHIN)
        self.check_clean()

    def test_kept_alive_and_slow_clients(self):
        crowd = Crowd(self.jobd)
        self.addCleanup(crowd.close)
        crowd.keep_alive(200)
        crowd.slow_headers(100)

        client = Client(self.jobd)
        for _ in range(5):
            status, took = client.health()
            self.assertEqual(status, 200)
            self.assertLess(took, ANSWER_WITHIN)
        self.check_clean()


def open_fds(pid):
    import os
    return len(os.listdir('/proc/%d/fd' % pid))


class ReleaseTest(JobdTestCase):
    """Every way a client can end a connection gives its descriptor back
    (libsoup 3.2 keeps one closed between two requests, see ljd-acceptor.c)."""

    def test_closed_connections_are_let_go(self):
        pid = self.jobd.proc.pid
        self.assertEqual(self.jobd.get('/api/health').status, 200)
        before = open_fds(pid)
        for how in ('close after answer', 'half-close', 'close unused', 'close mid-headers'):
            for _ in range(50):
                s = socket.create_connection((self.jobd.host, self.jobd.port), timeout=5)
                if how in ('close after answer', 'half-close'):
                    s.sendall(b'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n')
                    data = b''
                    while b'"slots"' not in data:
                        data += s.recv(4096)
                    if how == 'half-close':
                        s.shutdown(socket.SHUT_WR)
                        self.assertEqual(read_all(s, 5), (b'', True))
                elif how == 'close mid-headers':
                    s.sendall(b'GET /api/health HTTP/1.1\r\nHo')
                s.close()
            deadline = time.monotonic() + 3
            while open_fds(pid) > before + 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertLessEqual(open_fds(pid), before + 2, how)


class TimeoutTest(JobdTestCase):
    """Short timeouts, so that the test need not wait the defaults out."""

    @classmethod
    def _new_jobd(cls):
        jobd = Jobd(extra_args=['--header-timeout', '1', '--idle-timeout', '1.5'])
        jobd.start()
        return jobd

    def connect(self):
        return socket.create_connection((self.jobd.host, self.jobd.port), timeout=5)

    def test_kept_alive_connection_closes_when_idle(self):
        s = self.connect()
        self.addCleanup(s.close)
        s.sendall(b'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n')
        start = time.monotonic()
        data, closed = read_all(s, 5)
        took = time.monotonic() - start
        self.assertTrue(closed)
        self.assertEqual(parse_response(data)[0], 200)
        self.assertGreater(took, 1.0)
        self.assertLess(took, 3.5)

    def test_kept_alive_connection_serves_several_requests(self):
        s = self.connect()
        self.addCleanup(s.close)
        for _ in range(3):
            s.sendall(b'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n')
            data = b''
            while b'"slots"' not in data:
                data += s.recv(4096)
            self.assertTrue(data.startswith(b'HTTP/1.1 200'))
            time.sleep(0.5)

    def test_slow_headers_get_408(self):
        s = self.connect()
        self.addCleanup(s.close)
        s.sendall(b'GET /api/health HTTP/1.1\r\n')
        start = time.monotonic()
        # Each header arrives well within the timeout; together they do not.
        for _ in range(6):
            time.sleep(0.3)
            try:
                s.sendall(b'X-Slow: 1\r\n')
            except OSError:
                break
        data, closed = read_all(s, 5)
        took = time.monotonic() - start
        self.assertTrue(closed)
        status, headers, body = parse_response(data)
        self.assertEqual(status, 408)
        self.assertEqual(json.loads(body)['error']['code'], 'request_timeout')
        self.assertLess(took, 3.5)

    def test_stalled_body_gets_408(self):
        s = self.connect()
        self.addCleanup(s.close)
        s.sendall(b'POST /api/training/jobs/1/webhook HTTP/1.1\r\nHost: x\r\n'
                  b'Content-Length: 100\r\n\r\n{"events":')
        data, closed = read_all(s, 5)
        self.assertTrue(closed)
        status, headers, body = parse_response(data)
        self.assertEqual(status, 408)
        self.assertEqual(json.loads(body)['error']['code'], 'request_timeout')

    def test_connection_that_sends_nothing_is_closed(self):
        s = self.connect()
        self.addCleanup(s.close)
        data, closed = read_all(s, 5)
        self.assertTrue(closed)
        self.assertEqual(parse_response(data)[0], 408)


class LimitTest(JobdTestCase):
    @classmethod
    def _new_jobd(cls):
        jobd = Jobd(extra_args=['--max-connections', '20', '--max-connections-per-address', '8',
                                '--header-timeout', '30'])
        jobd.start()
        return jobd

    def busy(self, n, host='127.0.0.1'):
        """Connections in the middle of sending a body: busy, not idle."""
        socks = []
        for _ in range(n):
            s = socket.socket()
            s.bind((host, 0))
            s.settimeout(5)
            s.connect((self.jobd.host, self.jobd.port))
            s.sendall(b'POST /api/training/jobs/1/webhook HTTP/1.1\r\nHost: x\r\n'
                      b'Content-Length: 1000\r\n\r\n{')
            socks.append(s)
            self.addCleanup(s.close)
        time.sleep(0.2)
        return socks

    def test_address_at_its_limit_is_refused_with_503(self):
        self.busy(8)
        s = socket.create_connection((self.jobd.host, self.jobd.port), timeout=5)
        self.addCleanup(s.close)
        s.sendall(b'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n')
        data, closed = read_all(s, 5)
        status, headers, body = parse_response(data)
        self.assertEqual(status, 503)
        self.assertEqual(headers.get('retry-after'), '1')
        self.assertEqual(json.loads(body)['error']['code'], 'too_many_connections')
        self.assertIn('address', json.loads(body)['error']['message'])

        # Another address is still welcome.
        s2 = socket.socket()
        self.addCleanup(s2.close)
        s2.bind(('127.0.0.2', 0))
        s2.settimeout(5)
        s2.connect((self.jobd.host, self.jobd.port))
        s2.sendall(b'GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        data, closed = read_all(s2, 5)
        self.assertEqual(parse_response(data)[0], 200)

    def test_service_at_its_limit_is_refused_with_503(self):
        for i in range(3):
            self.busy(7, host='127.0.0.%d' % (i + 3))
        s = socket.socket()
        self.addCleanup(s.close)
        s.bind(('127.0.0.9', 0))
        s.settimeout(5)
        s.connect((self.jobd.host, self.jobd.port))
        s.sendall(b'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n')
        data, closed = read_all(s, 5)
        status, headers, body = parse_response(data)
        self.assertEqual(status, 503)
        self.assertEqual(json.loads(body)['error']['code'], 'too_many_connections')

    def test_idle_connections_make_room(self):
        idle = []
        for _ in range(8):
            s = socket.create_connection((self.jobd.host, self.jobd.port), timeout=5)
            self.addCleanup(s.close)
            idle.append(s)
        time.sleep(0.2)
        status, took = Client(self.jobd).health()
        self.assertEqual(status, 200)
        # The longest-waiting idle connection made way.
        data, closed = read_all(idle[0], 2)
        self.assertTrue(closed)


class EarlyRefusalTest(JobdTestCase):
    """Refusals decided on the headers come at once, with no body kept."""

    def send_headers(self, head):
        s = socket.create_connection((self.jobd.host, self.jobd.port), timeout=5)
        self.addCleanup(s.close)
        s.sendall(head)
        return s

    def expect_now(self, s, status, code):
        start = time.monotonic()
        s.settimeout(5)
        data = b''
        while b'\r\n\r\n' not in data or not data.rstrip().endswith(b'}'):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        took = time.monotonic() - start
        got_status, headers, body = parse_response(data)
        self.assertEqual(got_status, status, data)
        self.assertEqual(headers.get('connection'), 'close')
        self.assertEqual(json.loads(body)['error']['code'], code)
        self.assertLess(took, ANSWER_WITHIN)
        return headers

    def test_huge_declared_body_without_token(self):
        s = self.send_headers(b'POST /api/training/jobs HTTP/1.1\r\nHost: x\r\n'
                              b'Content-Length: 1000000000000\r\n\r\n')
        self.expect_now(s, 413, 'payload_too_large')

    def test_body_without_token_is_not_kept(self):
        before = rss_kib(self.jobd.proc.pid)
        s = self.send_headers(b'POST /api/training/jobs HTTP/1.1\r\nHost: x\r\n'
                              b'Content-Length: 1000000\r\n\r\n')
        headers = self.expect_now(s, 401, 'unauthorized')
        # The declared body, and then more: none of it is kept.
        self.assertIn('Bearer', headers.get('www-authenticate', ''))
        sent = 0
        try:
            while sent < 16000000:
                s.sendall(b'x' * 65536)
                sent += 65536
        except OSError:
            pass
        time.sleep(0.3)
        self.assertLess(rss_kib(self.jobd.proc.pid) - before, 4096)
        self.assertEqual(self.jobd.get('/api/health').status, 200)

    def test_chunked_body_is_refused_at_once(self):
        s = self.send_headers(b'POST /api/training/jobs/1/webhook HTTP/1.1\r\nHost: x\r\n'
                              b'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n')
        self.expect_now(s, 411, 'length_required')

    def test_webhook_over_the_limit(self):
        s = self.send_headers(b'POST /api/training/jobs/1/webhook HTTP/1.1\r\nHost: x\r\n'
                              b'Content-Length: 16777217\r\n\r\n')
        self.expect_now(s, 413, 'payload_too_large')


class UnreadableRequestTest(JobdTestCase):
    """Requests libsoup refuses itself still get the JSON error body."""

    CASES = [
        (b'HELLO\r\n\r\n', 400),
        (b'GET /api/health HTTP/2.0\r\nHost: x\r\n\r\n', 505),
        (b'GET /api/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 501),
        (b'GET /api/%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400),
        (b'GET /api/health?a=%zz HTTP/1.1\r\nHost: x\r\n\r\n', 400),
        (b'GET /api/health HTTP/1.1\r\n\r\n', 400),
        (b'GET /api/%2e%2e/etc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400),
        (b'GET /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n', 400),
        (b'GET /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 400),
        (b'\x00\xff\xfe GET / HTTP/1.1\r\n\r\n', 400),
        (b'GET ' + b'/a' * 40000 + b' HTTP/1.1\r\nHost: x\r\n\r\n', 431),
        (b'GET /api/health HTTP/1.1\r\nHost: x\r\n' + b'X-Many: 0123456789\r\n' * 4000 + b'\r\n', 431),
        (b'POST /api/training/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n', 400),
    ]

    def test_every_refusal_is_json(self):
        for request, status in self.CASES:
            with self.subTest(request=request[:60]):
                s = socket.create_connection((self.jobd.host, self.jobd.port), timeout=5)
                self.addCleanup(s.close)
                try:
                    s.sendall(request)
                except OSError:
                    pass
                data, closed = read_all(s, 3)
                got, headers, body = parse_response(data)
                self.assertGreaterEqual(got, 400, data[:200])
                if got != 404:
                    self.assertEqual(got, status, data[:200])
                self.assertTrue(headers.get('content-type', '').startswith('application/json'), data[:300])
                error = json.loads(body)['error']
                self.assertIsInstance(error['code'], str)
                self.assertTrue(error['message'])
        self.assertEqual(self.jobd.get('/api/health').status, 200)


if __name__ == '__main__':
    unittest.main(verbosity=2)
