# benchlib.py: what the service benchmarks share
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A real lora-jobd on loopback (tests/jobd.py's harness), a keep-alive HTTP
# client light enough not to be the bottleneck (prebuilt request bytes on a
# raw socket; Python's http.client costs more per request than the
# service's health route), data builders, and the report format: every
# benchmark prints one RESULT line per row with our figure, the reference
# measured in the same run and their ratio, each the median of RUNS runs.
#
# Standard library only.

import json
import os
import socket
import statistics
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(BENCH_DIR, '..', 'tests'))

import jobd as harness  # noqa: E402

RUNS = int(os.environ.get('BENCH_RUNS', '3'))


def log(text):
    print(text, flush=True)


class Client:
    """One keep-alive HTTP/1.1 connection. request() takes the whole
    request as bytes, so building and signing stay out of the timing."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b''

    def close(self):
        self.sock.close()

    def request(self, raw):
        self.sock.sendall(raw)
        while True:
            end = self.buf.find(b'\r\n\r\n')
            if end >= 0:
                break
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError('the service closed the connection')
            self.buf += chunk
        head = self.buf[:end].decode('latin-1')
        status = int(head.split(' ', 2)[1])
        length = 0
        for line in head.split('\r\n')[1:]:
            name, _, value = line.partition(':')
            if name.strip().lower() == 'content-length':
                length = int(value)
            elif name.strip().lower() == 'connection' and 'close' in value.lower():
                raise ConnectionError('the service did not keep the connection alive')
        need = end + 4 + length
        while len(self.buf) < need:
            chunk = self.sock.recv(max(65536, need - len(self.buf)))
            if not chunk:
                raise ConnectionError('the service closed the connection mid-body')
            self.buf += chunk
        body = self.buf[end + 4:need]
        self.buf = self.buf[need:]
        return status, body


def get_request(jobd, path, token=True):
    auth = ('Authorization: Bearer %s\r\n' % jobd.token) if token else ''
    return ('GET %s HTTP/1.1\r\nHost: %s:%d\r\n%s\r\n' % (path, jobd.host, jobd.port, auth)).encode('ascii')


def webhook_request(jobd, job_id, secret, body):
    head = ('POST /api/training/jobs/%d/webhook HTTP/1.1\r\nHost: %s:%d\r\n'
            'Content-Type: application/json\r\nX-Lora-Signature: %s\r\n'
            'Content-Length: %d\r\n\r\n' % (job_id, jobd.host, jobd.port,
                                            harness.sign(secret, body), len(body)))
    return head.encode('ascii') + body


def metrics_data(step):
    """The same numbers bench-ingest-raw.c writes: a falling, noisy loss,
    validation every 100 steps."""
    loss = 0.3 + 1.5 / (1.0 + step / 2000.0) + ((step * 7919) % 101) / 5000.0
    data = {'step': step, 'epoch': round(step / 1000.0, 3), 'train_loss': round(loss, 4),
            'learning_rate': 2e-4, 'gpu_util': 90 + step % 10}
    if step % 100 == 0:
        data['val_loss'] = round(loss * 1.05, 4)
    return data


def metrics_batch(first_step, n, prefix='m'):
    events = [{'event_id': '%s%d' % (prefix, s), 'type': 'metrics', 'data': metrics_data(s)}
              for s in range(first_step, first_step + n)]
    return json.dumps({'events': events}, separators=(',', ':')).encode('utf-8')


def start_jobd(**kw):
    kw.setdefault('slots', 3)
    jobd = harness.Jobd(**kw)
    jobd.start()
    return jobd


def external_job(jobd, name='bench', total_steps=100000000):
    job, secret = jobd.create_external(name=name, total_steps=total_steps, epochs=1)
    return job['id'], secret


def fill_metrics(jobd, client, job_id, secret, n_points, batch=10000, prefix='m'):
    """@n_points metrics events through the webhook, in batches."""
    step = 1
    while step <= n_points:
        n = min(batch, n_points - step + 1)
        status, body = client.request(webhook_request(jobd, job_id, secret, metrics_batch(step, n, prefix)))
        if status != 202:
            raise RuntimeError('webhook batch at step %d: %d %r' % (step, status, body[:300]))
        step += n


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


def median(values):
    return statistics.median(values)


def result(name, ours, ours_unit, ref=None, ref_label='', goal='', speedup=False):
    """One row: the medians over the runs of our figure and the reference's,
    and the ratio of those medians (ours / reference; with @speedup,
    reference / ours, "how many times faster")."""
    ours_m = median(ours)
    line = 'RESULT %-34s ours %10.3f %s' % (name, ours_m, ours_unit)
    if ref is not None:
        ref_m = median(ref)
        if speedup:
            ratio = ref_m / ours_m if ours_m else float('inf')
        else:
            ratio = ours_m / ref_m if ref_m else float('inf')
        line += ' | %s %10.3f %s | %s %.2f' % (ref_label or 'reference', ref_m, ours_unit,
                                                'speed-up' if speedup else 'ratio', ratio)
    if goal:
        line += ' | goal %s' % goal
    line += '  (median of %d: %s)' % (len(ours), ', '.join('%.3f' % v for v in ours))
    log(line)


class Display:
    """A private Xvfb and D-Bus session for the app's benchmarks, so they
    run the same under `meson test --benchmark` with or without xvfb-run,
    and no other session's windows or bus get in the way. env() is the
    environment to give the app."""

    def __init__(self):
        import shutil
        import subprocess
        self.procs = []
        xvfb, dbus = shutil.which('Xvfb'), shutil.which('dbus-daemon')
        if xvfb is None or dbus is None:
            raise RuntimeError('Xvfb and dbus-daemon are needed')
        r, w = os.pipe()
        self.procs.append(subprocess.Popen([xvfb, '-displayfd', str(w), '-screen', '0', '1440x900x24',
                                            '-nolisten', 'tcp', '-noreset'], pass_fds=(w,),
                                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL, start_new_session=True))
        os.close(w)
        self.display = ':' + _read_line(r)
        os.close(r)
        r, w = os.pipe()
        self.procs.append(subprocess.Popen([dbus, '--session', '--nofork', '--print-address=%d' % w],
                                           pass_fds=(w,), stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                           start_new_session=True))
        os.close(w)
        self.bus = _read_line(r)
        os.close(r)
        import tempfile
        self.tmpdir = tempfile.TemporaryDirectory(prefix='lora-bench-display-')

    def env(self, **extra):
        env = dict(os.environ)
        for var in ('WAYLAND_DISPLAY', 'AT_SPI_BUS_ADDRESS', 'XAUTHORITY'):
            env.pop(var, None)
        env.update(DISPLAY=self.display, DBUS_SESSION_BUS_ADDRESS=self.bus, GDK_BACKEND='x11',
                   XDG_RUNTIME_DIR=self.tmpdir.name, GSETTINGS_BACKEND='memory', NO_AT_BRIDGE='1',
                   LC_ALL='C.UTF-8', TZ='UTC')
        for var, sub in (('XDG_CONFIG_HOME', 'config'), ('XDG_DATA_HOME', 'data'),
                         ('XDG_CACHE_HOME', 'cache')):
            env[var] = os.path.join(self.tmpdir.name, sub)
        env.update(extra)
        return env

    def close(self):
        for proc in reversed(self.procs):
            proc.terminate()
            proc.wait()
        self.tmpdir.cleanup()


def _read_line(fd):
    data = b''
    while not data.endswith(b'\n'):
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()
