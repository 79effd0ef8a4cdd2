#!/usr/bin/env python3
# bench_first_load.py: a chart's first request, by length of history
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Three jobs with 1,000, 100,000 and 1,000,000 metrics events (train_loss,
# learning_rate and gpu_util at every step, val_loss every 100), sent
# through the webhook in batches of 10,000 so that whatever the service
# keeps at ingest (thinned levels, say) is built the way a trainer builds
# it. Then GET metrics?max_points=1000 for each, in ms: the median of a
# run's requests, three runs, medians. The goal is independence of the
# history's length, so the reference is the 1,000-point job: the ratio
# says how much longer a year of history takes than a short run. The
# train_loss series alone (series=...) is not an API option, so every
# figure is for the four series.
#
#   meson test -C _build --benchmark first-load -v
#   LORA_JOBD=... python3 bench/bench_first_load.py [--sizes 1000,100000,1000000]

import argparse
import json
import time

import benchlib
from benchlib import log


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--sizes', default='1000,100000,1000000')
    parser.add_argument('--requests', type=int, default=15)
    parser.add_argument('--max-points', type=int, default=1000)
    opts = parser.parse_args()
    sizes = [int(s) for s in opts.sizes.split(',')]

    jobd = benchlib.start_jobd()
    try:
        client = benchlib.Client(jobd.host, jobd.port)
        jobs = {}
        for n in sizes:
            start = time.monotonic()
            job_id, secret = benchlib.external_job(jobd, 'history of %d' % n)
            benchlib.fill_metrics(jobd, client, job_id, secret, n)
            jobs[n] = job_id
            log('job %d: %d metrics events in %.1f s' % (job_id, n, time.monotonic() - start))

        figures = {n: [] for n in sizes}
        for run in range(benchlib.RUNS):
            for n in sizes:
                raw = benchlib.get_request(jobd, '/api/training/jobs/%d/metrics?max_points=%d'
                                           % (jobs[n], opts.max_points))
                times = []
                for i in range(opts.requests + 1):
                    start = time.perf_counter()
                    status, body = client.request(raw)
                    elapsed = (time.perf_counter() - start) * 1000.0
                    if status != 200:
                        raise RuntimeError('metrics of job %d: %d %r' % (jobs[n], status, body[:200]))
                    if i == 0:
                        points = len(json.loads(body)['series']['train_loss']['step'])
                        continue
                    times.append(elapsed)
                figures[n].append(benchlib.median(times))
                log('run %d: %8d points: %8.2f ms (median of %d; %d train_loss points, %d bytes)'
                    % (run + 1, n, figures[n][-1], len(times), points, len(body)))
        client.close()

        for n in sizes:
            benchlib.result('first load, %d points' % n, figures[n], 'ms', figures[sizes[0]],
                            '%d points' % sizes[0], goal='<= 20 ms')
        trouble = jobd.trouble()
        if trouble:
            log('lora-jobd reported trouble:\n' + '\n'.join(trouble[:20]))
            return 1
        return 0
    finally:
        jobd.close()


if __name__ == '__main__':
    raise SystemExit(main())
