#!/usr/bin/env python3
# bench_ingest.py: how fast a trainer's events go in
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Two rows of issue 15's table, each three runs, medians:
#
#  batch   webhook POSTs of 1,000 metrics events each (train_loss,
#          learning_rate, gpu_util, val_loss every 100 steps), signed, over
#          one keep-alive connection, in events/s; the reference is
#          bench-ingest-raw: the same rows inserted into a database of the
#          same schema with sqlite alone, in C, one transaction per 1,000.
#  single  one metrics event per POST, new ids, keep-alive, in requests/s;
#          the reference is GET /api/health on the same connection. The
#          same POSTs again (all duplicates) are reported beside them.
#
# Bodies and signatures are made before the clock starts.
#
#   meson test -C _build --benchmark ingest -v
#   LORA_JOBD=... BENCH_INGEST_RAW=... python3 bench/bench_ingest.py

import argparse
import os
import subprocess
import time

import benchlib
from benchlib import log


def post_all(client, requests, want=202):
    start = time.perf_counter()
    for raw in requests:
        status, body = client.request(raw)
        if status != want:
            raise RuntimeError('webhook: %d %r' % (status, body[:300]))
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--batches', type=int, default=60, help='batches of 1,000 per run')
    parser.add_argument('--singles', type=int, default=5000, help='single POSTs per run')
    opts = parser.parse_args()
    raw_tool = os.environ.get('BENCH_INGEST_RAW') or os.path.join(
        benchlib.BENCH_DIR, '..', '_build', 'bench', 'bench-ingest-raw')

    # Each run makes two external jobs, each holding a slot until it ends.
    jobd = benchlib.start_jobd(slots=2 * benchlib.RUNS + 1)
    # The reference's database: made by lora-jobd, so the same schema.
    ref = benchlib.start_jobd()
    try:
        ref_job, _ = benchlib.external_job(ref, 'reference')
        ref.stop()
        client = benchlib.Client(jobd.host, jobd.port)

        batch_ours, batch_ref = [], []
        single_ours, single_ref, single_dup = [], [], []
        step = 1
        for run in range(benchlib.RUNS):
            job_id, secret = benchlib.external_job(jobd, 'batch run %d' % (run + 1))
            requests = [benchlib.webhook_request(jobd, job_id, secret,
                                                 benchlib.metrics_batch(1 + i * 1000, 1000))
                        for i in range(opts.batches)]
            n = opts.batches * 1000
            seconds = post_all(client, requests)
            batch_ours.append(n / seconds)

            out = subprocess.run([raw_tool, ref.db, str(ref_job), str(n), '1000', str(step)],
                                 check=True, capture_output=True, text=True).stdout
            batch_ref.append(float(out.split()[1]))
            step += n
            log('run %d: batches %8.0f events/s, raw sqlite %8.0f events/s'
                % (run + 1, batch_ours[-1], batch_ref[-1]))

            job_id, secret = benchlib.external_job(jobd, 'single run %d' % (run + 1))
            requests = [benchlib.webhook_request(jobd, job_id, secret,
                                                 benchlib.harness.json.dumps(
                                                     {'event_id': 's%d' % s, 'type': 'metrics',
                                                      'data': benchlib.metrics_data(s)},
                                                     separators=(',', ':')).encode('utf-8'))
                        for s in range(1, opts.singles + 1)]
            health = [benchlib.get_request(jobd, '/api/health', token=False)] * opts.singles
            single_ours.append(opts.singles / post_all(client, requests))
            single_ref.append(opts.singles / post_all(client, health, want=200))
            single_dup.append(opts.singles / post_all(client, requests))
            log('run %d: single POSTs %6.0f/s, duplicates %6.0f/s, GET /api/health %6.0f/s'
                % (run + 1, single_ours[-1], single_dup[-1], single_ref[-1]))
        client.close()

        benchlib.result('ingest batches of 1000', batch_ours, 'events/s', batch_ref, 'raw sqlite (C)',
                        goal='ratio >= 0.5')
        benchlib.result('single webhook POSTs', single_ours, 'req/s', single_ref, 'GET /api/health',
                        goal='>= 5000 req/s')
        benchlib.result('duplicate webhook POSTs', single_dup, 'req/s', single_ref, 'GET /api/health')
        trouble = jobd.trouble()
        if trouble:
            log('lora-jobd reported trouble:\n' + '\n'.join(trouble[:20]))
            return 1
        return 0
    finally:
        jobd.close()
        ref.close()


if __name__ == '__main__':
    raise SystemExit(main())
