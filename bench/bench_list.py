#!/usr/bin/env python3
# bench_list.py: GET /api/training/jobs over a year of history
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds a 100,000-job database the way an import would: lora-jobd creates
# its schema (and the trigger-kept counts), stops, and the jobs and their
# stages go in with sqlite3 in one transaction; on the next start the
# service folds the new names into its search index itself. Then, for each
# filter of the list, the p50 and p99 of the service's answer over one
# keep-alive connection, against the same queries run directly in sqlite
# (Python's sqlite3 module on the same file: the count, the page, its
# stages and the per-status counts the answer carries). Three runs; the
# figures are their medians.
#
#   meson test -C _build --benchmark list -v
#   LORA_JOBD=_build/src/jobd/lora-jobd python3 bench/bench_list.py [--jobs N] [--requests N]

import argparse
import os
import random
import sqlite3
import time
import urllib.parse

import benchlib
from benchlib import log

QUEUED, TRAINING, COMPLETED, FAILED, CANCELLED = 0, 2, 4, 5, 6
STATUS_SETS = {'all': None, 'active': (1, 2, 3), 'queued': (0,), 'completed': (4,),
               'failed': (5,), 'cancelled': (6,)}
DAY = 86400 * 1000000

TASKS = ['ticket-triage', 'summarizer', 'sql-helper', 'support-bot', 'code-review', 'legal-qa',
         'translation', 'classifier', 'extraction', 'chat-tuning', 'sentiment', 'router']
MODELS = ['llama3-8b', 'qwen2-7b', 'mistral-7b', 'gemma-7b', 'phi3-mini', 'llama3-70b']
# A few names of another script, so the search's case folding is exercised.
RARE = ['Straße-ÉTÉ-zebra', 'Überprüfung-zebra', 'ΣΙΣΥΦΟΣ-zebra']


def build(jobd, n_jobs):
    """@n_jobs jobs over the last 365 days, newest queued, a few training."""
    rand = random.Random(15)
    now = int(time.time() * 1000000)
    spacing = 365 * DAY // n_jobs
    jobs, stages = [], []
    for i in range(n_jobs):
        created = now - (n_jobs - i) * spacing
        if i >= n_jobs - 1000:
            status = QUEUED
        elif i >= n_jobs - 1002:
            status = TRAINING
        else:
            status = rand.choices((COMPLETED, FAILED, CANCELLED), (80, 12, 8))[0]
        if i % 2000 == 7:
            name = '%s-%d' % (RARE[i % len(RARE)], i)
        else:
            name = '%s-%s-r%d-%d' % (rand.choice(TASKS), rand.choice(MODELS), rand.choice((4, 8, 16)), i)
        started = created + 60 * 1000000 if status != QUEUED else None
        finished = started + 3600 * 1000000 if status >= COMPLETED else None
        jobs.append((name, status, rand.choice(('alice', 'bob', 'carol')), created, started, finished,
                     1000 if status == COMPLETED else 400, 1000, 3, 'A100 SXM 80GB', 'spot', 1.19,
                     'balanced', 'external', '{}', '%064x' % rand.getrandbits(256),
                     'The trainer reported a failure' if status == FAILED else None,
                     2.38 if status >= COMPLETED else None))
    con = sqlite3.connect(jobd.db, timeout=30)
    try:
        con.execute('BEGIN')
        con.executemany('INSERT INTO jobs (name, status, created_by, created_at, started_at, finished_at, '
                        'current_step, total_steps, total_epochs, gpu_type, pricing, hourly_rate, preset, '
                        'provider, config, webhook_secret, error, final_cost) '
                        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', jobs)
        for job_id, status, started, finished in con.execute(
                'SELECT id, status, started_at, finished_at FROM jobs'):
            for idx in range(4):
                if status == QUEUED:
                    stages.append((job_id, idx, 0, None, None))
                elif status == TRAINING:
                    stages.append((job_id, idx, 2 if idx < 2 else (1 if idx == 2 else 0),
                                   started if idx <= 2 else None, started if idx < 2 else None))
                else:
                    stages.append((job_id, idx, 3 if (status == FAILED and idx == 2) else 2,
                                   started, finished))
        con.executemany('INSERT INTO stages (job_id, idx, status, started_at, finished_at) '
                        'VALUES (?, ?, ?, ?, ?)', stages)
        con.commit()
    finally:
        con.close()


FILTERS = [
    ('status=all', {}),
    ('status=active', {'status': 'active'}),
    ('status=queued', {'status': 'queued'}),
    ('status=completed', {'status': 'completed'}),
    ('status=failed', {'status': 'failed'}),
    ('status=cancelled', {'status': 'cancelled'}),
    ('q few (zebra, 50)', {'q': 'zebra'}),
    ('q unicode (STRASSE, 17)', {'q': 'STRASSE'}),
    ('q many (llama3, ~33%)', {'q': 'llama3'}),
    ('q short (r8)', {'q': 'r8'}),
    ('q many + failed', {'q': 'qwen', 'status': 'failed'}),
    ('range=7d', {'range': '7d'}),
    ('range=30d status=completed', {'range': '30d', 'status': 'completed'}),
    ('page=2000 (offset 50k)', {'page': '2000'}),
    ('page=3000 status=completed', {'page': '3000', 'status': 'completed'}),
    ('page=100 q many', {'page': '100', 'q': 'llama3'}),
]

COLUMNS = ('id, name, status, created_by, cancelled_by, created_at, started_at, finished_at, '
           'current_step, total_steps, epoch, total_epochs, gpu_type, pricing, hourly_rate, '
           'estimate_min, estimate_max, preset, provider, config, error, cancel_reason, final_cost')


def direct(con, params, now):
    """The list's answer from sqlite directly, with the service's schema:
    the per-status counts, the total, the page, its stages and queue
    positions."""
    where, args = [], []
    statuses = STATUS_SETS[params.get('status', 'all')]
    if statuses:
        where.append('status IN (%s)' % ', '.join(str(s) for s in statuses))
    days = {'7d': 7, '30d': 30, '90d': 90}.get(params.get('range', 'all'))
    if days:
        where.append('created_at >= ?')
        args.append(now - days * DAY)
    q = params.get('q')
    if q:
        folded = q.casefold()
        if len(folded) >= 3:
            where.append('id IN (SELECT rowid FROM job_names_fts WHERE job_names_fts MATCH ?)')
            args.append('"%s"' % folded.replace('"', '""'))
        else:
            where.append('id IN (SELECT id FROM job_names WHERE instr(folded, ?) > 0)')
            args.append(folded)
    clause = ('WHERE ' + ' AND '.join(where)) if where else ''
    counts = con.execute('SELECT status, n FROM job_counts').fetchall()
    if q or days:
        total = con.execute('SELECT count(*) FROM jobs ' + clause, args).fetchone()[0]
    else:
        total = sum(n for s, n in counts if statuses is None or s in statuses)
    offset = (int(params.get('page', '1')) - 1) * 25
    page = con.execute('SELECT %s FROM jobs %s ORDER BY created_at DESC, id DESC LIMIT 25 OFFSET ?'
                       % (COLUMNS, clause), args + [offset]).fetchall()
    for row in page:
        con.execute('SELECT idx, status, started_at, finished_at, substatus, error '
                    'FROM stages WHERE job_id = ?', (row[0],)).fetchall()
        if row[2] == QUEUED:
            con.execute('SELECT count(*) FROM jobs WHERE status = 0 AND '
                        '(created_at < ?1 OR (created_at = ?1 AND id <= ?2))', (row[5], row[0])).fetchone()
    return total, len(page)


def timed(fn, n, budget=4.0):
    """@n timings in ms, fewer (but at least 30) when they take over
    @budget seconds: slow cases must not make the run too long."""
    out = []
    deadline = time.monotonic() + budget
    for i in range(n):
        if i >= 30 and time.monotonic() > deadline:
            break
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000.0)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--jobs', type=int, default=100000)
    parser.add_argument('--requests', type=int, default=200)
    opts = parser.parse_args()

    jobd = benchlib.harness.Jobd(slots=3)
    try:
        start = time.monotonic()
        jobd.start()
        jobd.stop()
        build(jobd, opts.jobs)
        jobd.start()
        log('built %d jobs in %.1f s (including the service indexing their names at start)'
            % (opts.jobs, time.monotonic() - start))

        client = benchlib.Client(jobd.host, jobd.port)
        con = sqlite3.connect('file:%s?mode=ro' % jobd.db, uri=True, timeout=30)
        now = int(time.time() * 1000000)
        ours = {name: ([], []) for name, _ in FILTERS}
        refs = {name: ([], []) for name, _ in FILTERS}

        for run in range(benchlib.RUNS):
            log('run %d' % (run + 1))
            for name, params in FILTERS:
                raw = benchlib.get_request(jobd, '/api/training/jobs?' + urllib.parse.urlencode(params))

                def one():
                    status, body = client.request(raw)
                    if status != 200:
                        raise RuntimeError('%s: %d %r' % (name, status, body[:200]))

                timed(one, 10)
                t = timed(one, opts.requests)
                total, n = direct(con, params, now)
                r = timed(lambda: direct(con, params, now), opts.requests)
                p50, p99 = benchlib.percentile(t, 50), benchlib.percentile(t, 99)
                r50, r99 = benchlib.percentile(r, 50), benchlib.percentile(r, 99)
                ours[name][0].append(p50)
                ours[name][1].append(p99)
                refs[name][0].append(r50)
                refs[name][1].append(r99)
                log('  %-30s total %6d  service p50 %7.2f p99 %7.2f ms | sqlite p50 %7.2f p99 %7.2f ms'
                    % (name, total, p50, p99, r50, r99))
        con.close()
        client.close()

        for name, _ in FILTERS:
            benchlib.result('list %s p50' % name, ours[name][0], 'ms', refs[name][0], 'sqlite')
            benchlib.result('list %s p99' % name, ours[name][1], 'ms', refs[name][1], 'sqlite',
                            goal='<= 10 ms')
        trouble = jobd.trouble()
        if trouble:
            log('lora-jobd reported trouble:\n' + '\n'.join(trouble[:20]))
            return 1
        return 0
    finally:
        jobd.close()


if __name__ == '__main__':
    raise SystemExit(main())
