#!/usr/bin/env python3
# bench_app.py: `lora-monitor --job ID` on a year of history, time and memory
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A real lora-jobd with a job of 1,000,000 metrics events and one of 1,000
# (through the webhook, as bench_first_load.py), then lora-monitor
# --service URL --job ID on a private Xvfb, three times per case:
#
#  first frame  from spawning the process to the end of the first frame
#               that shows a curve (the app prints that moment when
#               LM_BENCH_FIRST_CURVE is set; both clocks are
#               CLOCK_MONOTONIC). The reference is the same on the
#               1,000-point job: what the history adds.
#  memory       VmRSS from /proc two seconds after that frame, with GSK's
#               GL renderer (Mesa's llvmpipe under Xvfb) and with
#               GSK_RENDERER=cairo. The app's own data is told apart from
#               the libraries' as the difference from the 1,000-point job
#               (same libraries, same renderer, same window); RssAnon and
#               RssFile are printed too.
#
#   meson test -C _build --benchmark app -v
#   LORA_JOBD=... LORA_MONITOR=... python3 bench/bench_app.py

import argparse
import os
import re
import subprocess
import tempfile
import time

import benchlib
from benchlib import log

CURVE_RE = re.compile(rb'first curve on screen at (\d+) us')


def proc_status(pid):
    out = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            name, _, value = line.partition(':')
            if name in ('VmRSS', 'RssAnon', 'RssFile', 'RssShmem'):
                out[name] = int(value.split()[0]) / 1024.0
    return out


def launch(binary, display, jobd, job_id, renderer, timeout=30.0):
    """Returns (ms to the first curve, memory figures in MB)."""
    env = display.env(LORA_TOKEN=jobd.token, LM_BENCH_FIRST_CURVE='1')
    if renderer == 'cairo':
        env['GSK_RENDERER'] = 'cairo'
    else:
        env.pop('GSK_RENDERER', None)
    with tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen([binary, '--service', jobd.url, '--job', str(job_id)], env=env,
                                stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        try:
            deadline = start + timeout
            found = None
            while found is None:
                if time.monotonic() > deadline or proc.poll() is not None:
                    err.seek(0)
                    raise RuntimeError('no curve from lora-monitor (exit %r): %s'
                                       % (proc.poll(), err.read()[-2000:].decode('utf-8', 'replace')))
                time.sleep(0.005)
                err.seek(0)
                found = CURVE_RE.search(err.read())
            ms = (int(found.group(1)) / 1e6 - start) * 1000.0
            time.sleep(2.0)
            memory = proc_status(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return ms, memory


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--points', type=int, default=1000000)
    opts = parser.parse_args()
    binary = os.environ.get('LORA_MONITOR') or os.path.join(
        benchlib.BENCH_DIR, '..', '_build', 'src', 'monitor', 'lora-monitor')

    jobd = benchlib.start_jobd()
    display = benchlib.Display()
    try:
        client = benchlib.Client(jobd.host, jobd.port)
        start = time.monotonic()
        big, secret = benchlib.external_job(jobd, 'a year of history')
        benchlib.fill_metrics(jobd, client, big, secret, opts.points)
        small, secret = benchlib.external_job(jobd, 'a short run')
        benchlib.fill_metrics(jobd, client, small, secret, 1000)
        client.close()
        log('jobs of %d and 1000 points in %.1f s' % (opts.points, time.monotonic() - start))

        # A first start of GTK and Mesa warms the page cache: not timed.
        launch(binary, display, jobd, small, 'gl')

        figures = {}
        for run in range(benchlib.RUNS):
            for renderer in ('gl', 'cairo'):
                for job_id, label in ((big, 'big'), (small, 'small')):
                    ms, mem = launch(binary, display, jobd, job_id, renderer)
                    figures.setdefault((renderer, label), []).append((ms, mem))
                    log('run %d: %-5s %-5s curve after %7.1f ms; VmRSS %6.1f MB (anon %6.1f, file %6.1f, shmem %5.1f)'
                        % (run + 1, renderer, label, ms, mem['VmRSS'], mem['RssAnon'], mem['RssFile'],
                           mem['RssShmem']))

        def series(renderer, label, what):
            return [ms if what == 'ms' else mem[what] for ms, mem in figures[(renderer, label)]]

        for renderer in ('gl', 'cairo'):
            benchlib.result('app --job to curve, %dK points, %s' % (opts.points // 1000, renderer),
                            series(renderer, 'big', 'ms'), 'ms', series(renderer, 'small', 'ms'),
                            '1K points', goal='<= 300 ms')
        for renderer in ('gl', 'cairo'):
            benchlib.result('app VmRSS, %dK points, %s' % (opts.points // 1000, renderer),
                            series(renderer, 'big', 'VmRSS'), 'MB', series(renderer, 'small', 'VmRSS'),
                            '1K points', goal='<= 120 MB with GL')
            own = [b - s for b, s in zip(series(renderer, 'big', 'VmRSS'), series(renderer, 'small', 'VmRSS'))]
            benchlib.result('app own data (VmRSS - 1K job), %s' % renderer, own, 'MB')
            benchlib.result('app RssAnon, %dK points, %s' % (opts.points // 1000, renderer),
                            series(renderer, 'big', 'RssAnon'), 'MB', series(renderer, 'small', 'RssAnon'),
                            '1K points')
        return 0
    finally:
        display.close()
        jobd.close()


if __name__ == '__main__':
    raise SystemExit(main())
