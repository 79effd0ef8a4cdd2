#!/usr/bin/python3
# test_slurm.py: the Slurm provider against a real Slurm
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The module starts a real single-node Slurm 22.05 on loopback
# (slurm_cluster.py: munged, slurmctld, slurmd, slurmrestd with JWT) and a
# real lora-jobd with --slurm-url, --slurm-user and --slurm-token-file.
# Every job here is a real batch job: submitted through slurmrestd's
# v0.0.38 API, scheduled by slurmctld, run by slurmd, watched, signalled
# and cancelled through the API again. Without Slurm or root the tests
# skip, saying why; in CI ($CI set) they fail instead.
#
# Time: the cluster starts in seconds, jobs run for a few, and the
# service polls slurmrestd every 250 ms (LORA_SLURM_POLL_MS); the whole
# module keeps under 90 s.

import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from contrib_support import TINY_LORA  # noqa: E402
from jobd import JobdTestCase, binary_path, daemon_env, parse_time  # noqa: E402
import slurm_cluster  # noqa: E402

PYTHON = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
FINISHED = ('completed', 'failed', 'cancelled')
GRACE_MS = 2000
CLUSTER = None


def setUpModule():
    global CLUSTER
    slurm_cluster.skip_or_fail()
    CLUSTER = slurm_cluster.SlurmCluster().start()


def tearDownModule():
    global CLUSTER
    if CLUSTER is not None:
        CLUSTER.stop()
        CLUSTER = None


def script(*lines):
    return '#!/bin/sh\n' + '\n'.join(lines) + '\n'


class SlurmProviderTests(JobdTestCase):
    # One slot, taken by a simulated job: Slurm jobs need none.
    SLOTS = 1

    @classmethod
    def setUpClass(cls):
        cls.workdir = CLUSTER.path('work')
        cls.token_file = CLUSTER.path('token')
        cls.token = CLUSTER.write_token(cls.token_file)
        # What compute nodes post to: another name for the same service.
        cls.port = slurm_cluster.free_port()
        cls.public_url = 'http://localhost:%d' % cls.port
        cls.EXTRA_ARGS = ('--listen', '127.0.0.1:%d' % cls.port,
                          '--slurm-url', CLUSTER.url, '--slurm-user', 'root',
                          '--slurm-token-file', cls.token_file, '--public-url', cls.public_url)
        cls.EXTRA_ENV = {'LORA_SLURM_POLL_MS': '250', 'LORA_SLURM_GRACE_MS': str(GRACE_MS),
                         # Secrets of the service's own: no job may see them.
                         'RUNPOD_API_KEY': 'rp-secret-of-the-service', 'SERVICE_SECRET': 'do-not-leak'}
        super().setUpClass()
        # The one slot is busy for the whole module.
        cls.sim, _ = cls.shared.create_job(name='holds the slot', total_steps=10 ** 7, epochs=1,
                                           hourly_rate=0.5)
        assert cls.shared.job(cls.sim['id'])['status'] in ('provisioning', 'training')

    def tearDown(self):
        try:
            self.assertNotIn(self.token, self.jobd.stderr_text(all_runs=True))
        finally:
            super().tearDown()

    # Helpers

    def folder(self, name):
        path = os.path.join(self.workdir, name)
        os.makedirs(path, exist_ok=True)
        return path

    def submit(self, name, config, expect=201, **fields):
        fields.setdefault('total_steps', 100)
        fields.setdefault('epochs', 1)
        fields.setdefault('gpu_type', 'Cluster GPU')
        fields.setdefault('pricing', 'on_demand')
        fields.setdefault('hourly_rate', 3.6)
        r = self.jobd.post('/api/training/jobs', self.jobd.job_fields(name=name, provider='slurm',
                                                                      config=config, **fields))
        self.assertEqual(r.status, expect, r)
        if expect != 201:
            return r
        job = r.json

        def cleanup(jid=job['id']):
            if self.jobd.alive() and self.jobd.job(jid)['status'] not in FINISHED:
                self.jobd.cancel(jid)
        self.addCleanup(cleanup)
        return job

    def slurm_id(self, job_id, timeout=10):
        def find():
            for e in self.jobd.all_events(job_id):
                sid = e['payload'].get('slurm_job_id')
                if sid:
                    return sid
            return None
        return self.jobd.wait_for(find, timeout=timeout, what='job %d to be submitted to Slurm' % job_id)

    def wait_output(self, job_id, text, timeout=15):
        """Waits for @text in the Slurm job's output file: a script that
        traps SIGTERM does so only once its shell runs it."""
        sid = self.slurm_id(job_id)
        folder = self.jobd.job(job_id)['config']['cwd']
        path = os.path.join(folder, 'lora-job-%d-%d.out' % (job_id, sid))

        def found():
            try:
                with open(path) as f:
                    return text in f.read()
            except OSError:
                return False
        self.jobd.wait_for(found, timeout=timeout, what='%r in %s' % (text, path))

    def messages(self, job_id, type_='all'):
        return [e['message'] for e in reversed(self.jobd.all_events(job_id, type_))]

    def wait_training(self, job_id, timeout=15):
        return self.jobd.wait_status(job_id, ('training',) + FINISHED, timeout=timeout)

    def assertAlmostTime(self, iso, slurm_time, delta=1.5):
        """@iso (the service's) is Slurm's @slurm_time (scontrol's, UTC)."""
        from datetime import datetime, timezone
        theirs = datetime.strptime(slurm_time, '%Y-%m-%dT%H:%M:%S').replace(tzinfo=timezone.utc).timestamp()
        self.assertLess(abs(parse_time(iso) - theirs), delta, (iso, slurm_time))

    # The tests

    def test_a_bad_config_values(self):
        w = self.folder('bad')
        ok = {'argv': ['/bin/true'], 'cwd': w}
        cases = [
            ({}, 'argv'),
            ({'argv': ['/bin/true'], 'script': script('true'), 'cwd': w}, 'script'),
            ({'argv': [], 'cwd': w}, 'argv'),
            ({'argv': [''], 'cwd': w}, 'argv'),
            ({'argv': ['/bin/true', 3], 'cwd': w}, 'argv'),
            ({'argv': ['/bin/true']}, 'cwd'),
            ({'argv': ['/bin/true'], 'cwd': 'relative/path'}, 'cwd'),
            ({'argv': ['/bin/true'], 'cwd': w + '/%j'}, 'cwd'),
            ({'script': 'echo no interpreter', 'cwd': w}, 'script'),
            ({'script': ['#!/bin/sh'], 'cwd': w}, 'script'),
            (dict(ok, gpus=-1), 'gpus'),
            (dict(ok, gpus='two'), 'gpus'),
            (dict(ok, gpus=1.5), 'gpus'),
            (dict(ok, cpus=0), 'cpus'),
            (dict(ok, cpus=True), 'cpus'),
            (dict(ok, memory_mb='16G'), 'memory_mb'),
            (dict(ok, memory_mb=0), 'memory_mb'),
            (dict(ok, time_limit_min=0), 'time_limit_min'),
            (dict(ok, time_limit_min=10 ** 7), 'time_limit_min'),
            (dict(ok, partition='gpu debug'), 'partition'),
            (dict(ok, partition='gpu,'), 'partition'),
            (dict(ok, partition=''), 'partition'),
            (dict(ok, account='lab;rm -rf'), 'account'),
            (dict(ok, qos=5), 'qos'),
            (dict(ok, env={'LORA_WEBHOOK_SECRET': 'mine'}), 'LORA_WEBHOOK_SECRET'),
            (dict(ok, env={'SLURM_JOB_ID': '1'}), 'SLURM_JOB_ID'),
            (dict(ok, env={'1BAD': 'x'}), '1BAD'),
            (dict(ok, env={'GOOD': 1}), 'GOOD'),
            (dict(ok, env=['A=1']), 'env'),
            (dict(ok, nodes=2), 'nodes'),
            (dict(ok, standard_output='/tmp/x'), 'standard_output'),
            (dict(ok, log_format='no-such-format'), 'log_format'),
            (dict(ok, log_patterns=['(unclosed']), 'log_patterns'),
        ]
        before = len(self.jobd.list_jobs('?per_page=100')['jobs'])
        for config, key in cases:
            with self.subTest(config=config):
                r = self.submit('bad', config, expect=400)
                error = self.assertError(r, 400)
                self.assertIn(key, error['message'])
                self.assertIn('slurm', error['message'])
        self.assertEqual(len(self.jobd.list_jobs('?per_page=100')['jobs']), before)
        # An unknown key is named, with the keys there are.
        error = self.assertError(self.submit('bad', dict(ok, partiton='gpu'), expect=400), 400)
        self.assertIn('“partiton”', error['message'])
        self.assertIn('partition', error['message'])

    def test_a_provider_list(self):
        providers = {p['name']: p for p in self.jobd.get_ok('/api/providers')['providers']}
        self.assertEqual(providers['slurm'], {'name': 'slurm', 'enabled': True})

    def test_a_bad_options(self):
        missing = os.path.join(self.workdir, 'no-such-token')
        empty = os.path.join(self.workdir, 'empty-token')
        open(empty, 'w').close()
        cases = [
            (['--slurm-url', 'ftp://head:6820', '--slurm-token-file', self.token_file], 'slurm-url'),
            (['--slurm-url', 'not a url', '--slurm-token-file', self.token_file], 'slurm-url'),
            (['--slurm-url', CLUSTER.url], 'slurm-token-file'),
            (['--slurm-url', CLUSTER.url, '--slurm-token-file', missing], missing),
            (['--slurm-url', CLUSTER.url, '--slurm-token-file', empty], empty),
            (['--slurm-url', CLUSTER.url, '--slurm-token-file', self.token_file, '--slurm-api', 'v0.0.41'],
             'v0.0.41'),
            (['--slurm-token-file', self.token_file], '--slurm-url'),
            (['--slurm-url', CLUSTER.url, '--slurm-token-file', self.token_file, '--slurm-user', 'a b'],
             'slurm-user'),
        ]
        for args, what in cases:
            with self.subTest(args=args):
                r = subprocess.run([binary_path(), '--listen', '127.0.0.1:0',
                                    '--db', os.path.join(self.workdir, 'options.db')] + args,
                                   capture_output=True, env=daemon_env(), timeout=20)
                self.assertEqual(r.returncode, 2, r)
                err = r.stderr.decode()
                self.assertIn(what, err)
                self.assertNotIn(self.token, err)

    def test_completes_through_the_reporter(self):
        w = self.folder('reporter')
        job = self.submit('tiny-lora on slurm', {
            'argv': [PYTHON, '-u', TINY_LORA, '--steps', '150', '--sleep', '0.01',
                     '--report-interval', '0.2', '--output-dir', os.path.join(w, 'out')],
            'cwd': w, 'partition': 'gpu', 'gpus': 1, 'cpus': 1, 'memory_mb': 200, 'time_limit_min': 5,
            'env': {'TINY_LORA_NOTE': 'from the job config'},
        }, total_steps=150, epochs=2)
        jid = job['id']
        # Out of our queue at once, although the only slot is taken.
        self.assertEqual(job['status'], 'provisioning', job)
        self.assertIsNone(job['queue_position'])
        sid = self.slurm_id(jid)
        fields = CLUSTER.job_fields(sid)
        self.assertEqual(fields['Partition'], 'gpu')
        self.assertEqual(fields['TimeLimit'], '00:05:00')
        self.assertEqual(fields['NumCPUs'], '1')
        self.assertEqual(fields['MinMemoryNode'], '200M')
        self.assertEqual(fields['TresPerJob'], 'gres:gpu:1')
        self.assertEqual(fields['Requeue'], '0')
        self.assertEqual(fields['WorkDir'], w)
        self.assertEqual(fields['StdOut'], os.path.join(w, 'lora-job-%d-%d.out' % (jid, sid)))
        self.assertTrue(fields['Comment'].startswith('lora-jobd'), fields)

        job = self.jobd.wait_status(jid, FINISHED, timeout=30)
        self.assertEqual(job['status'], 'completed', job)
        self.assertEqual(job['current_step'], 150)
        self.assertEqual({s['status'] for s in job['stages']}, {'completed'})
        # The cost counts from Slurm's start, not from the submission.
        fields = CLUSTER.job_fields(sid)
        self.assertAlmostTime(job['started_at'], fields['StartTime'])
        self.assertGreaterEqual(parse_time(job['started_at']), parse_time(job['created_at']))
        self.assertIn('Submitted to Slurm as job %d (partition gpu)' % sid, self.messages(jid))
        self.assertTrue([m for m in self.messages(jid) if m.startswith('Slurm started job %d on ' % sid)])
        train = self.jobd.metrics(jid)['series']['train_loss']
        self.assertGreaterEqual(len(train['step']), 10)
        self.assertLess(train['value'][-1], train['value'][0] / 2)
        self.assertTrue(os.path.exists(os.path.join(w, 'out', 'adapter.json')))
        # The trainer reports completion before its batch script has exited.
        self.jobd.wait_for(lambda: CLUSTER.job_fields(sid).get('JobState') == 'COMPLETED', timeout=15,
                           what='Slurm to see the batch job complete')

    def test_completes_zero_integration(self):
        w = self.folder('zero')
        job = self.submit('tiny-lora prints only', {
            'argv': [PYTHON, '-u', TINY_LORA, '--steps', '120', '--sleep', '0.01', '--no-report',
                     '--print-hf-logs'],
            'cwd': w,
        }, total_steps=120, epochs=2)
        jid = job['id']
        job = self.jobd.wait_status(jid, FINISHED, timeout=30)
        self.assertEqual(job['status'], 'completed', job)
        self.assertEqual(job['current_step'], 120)
        # The stages come from the output, by the local provider's rules.
        self.assertEqual([s['status'] for s in job['stages']], ['completed'] * 4)
        train = self.jobd.metrics(jid)['series']['train_loss']
        self.assertGreaterEqual(len(train['step']), 5, train)
        self.assertLess(train['value'][-1], train['value'][0])
        # None of it came from a reporter: the follower's event ids.
        ids = [e['payload'].get('event_id') for e in self.jobd.all_events(jid, 'metrics')]
        self.assertTrue(ids and all(str(i).startswith('slurm-') for i in ids), ids[:5])

    def test_environment_of_the_batch_job(self):
        w = self.folder('env')
        job = self.submit('what a batch job sees', {
            'script': script('env | sort', 'echo "pwd=$(pwd)"'),
            'cwd': w, 'env': {'MY_SETTING': 'hello world'},
        })
        jid = job['id']
        secret = self.jobd.sql('SELECT webhook_secret FROM jobs WHERE id = ?', (jid,))[0][0]
        job = self.jobd.wait_status(jid, FINISHED, timeout=20)
        self.assertEqual(job['status'], 'completed', job)
        sid = self.slurm_id(jid)
        with open(os.path.join(w, 'lora-job-%d-%d.out' % (jid, sid))) as f:
            out = f.read()
        self.assertIn('LORA_JOB_ID=%d\n' % jid, out)
        self.assertIn('LORA_WEBHOOK_URL=%s/api/training/jobs/%d/webhook\n' % (self.public_url, jid), out)
        self.assertIn('LORA_WEBHOOK_SECRET=%s\n' % secret, out)
        self.assertIn('MY_SETTING=hello world\n', out)
        self.assertIn('SLURM_JOB_ID=%d\n' % sid, out)
        self.assertIn('pwd=%s\n' % w, out)
        # Nothing of the service's environment: no key, no token.
        for leak in ('rp-secret-of-the-service', 'do-not-leak', self.token, 'RUNPOD_API_KEY', 'LORA_JOBD'):
            self.assertNotIn(leak, out)

    def test_failures_say_how_slurm_ended_them(self):
        w = self.folder('failures')
        exit3 = self.submit('exits 3', {
            'script': script('echo "loading the model"', 'sleep 1',
                             'echo "Traceback (most recent call last):"',
                             'echo "ValueError: the dataset is empty"', 'exit 3'),
            'cwd': w,
        })
        slow = self.submit('over its time limit', {
            'script': script('echo "training for a long time"', 'sleep 5', 'echo "too late"'),
            'cwd': w, 'time_limit_min': 1,
        })
        nopart = self.submit('no such partition', {'argv': ['/bin/true'], 'cwd': w, 'partition': 'nosuch'})
        greedy = self.submit('more GPUs than the cluster has', {'argv': ['/bin/true'], 'cwd': w, 'gpus': 3})

        # The time limit, made short on the running job: slurmctld ends
        # jobs past it as TIMEOUT (OverTimeLimit=0).
        self.wait_training(slow['id'])
        sid = self.slurm_id(slow['id'])
        end = time.strftime('%Y-%m-%dT%H:%M:%S', time.localtime(time.time() + 1))
        CLUSTER.scontrol('update', 'jobid=%d' % sid, 'EndTime=%s' % end)

        job = self.jobd.wait_status(exit3['id'], FINISHED, timeout=20)
        self.assertEqual(job['status'], 'failed', job)
        self.assertIn('ended FAILED (NonZeroExitCode), exit code 3', job['error'])
        self.assertIn('ValueError: the dataset is empty', job['error'])
        self.assertIn('loading the model', job['error'])

        job = self.jobd.wait_status(slow['id'], FINISHED, timeout=30)
        self.assertEqual(job['status'], 'failed', job)
        self.assertIn('ended TIMEOUT (TimeLimit)', job['error'])
        self.assertIn('training for a long time', job['error'])
        self.assertEqual(CLUSTER.job_state(sid), 'TIMEOUT')

        job = self.jobd.wait_status(nopart['id'], FINISHED, timeout=10)
        self.assertEqual(job['status'], 'failed', job)
        self.assertIn('Slurm refused the job', job['error'])
        self.assertIn('Invalid partition name specified', job['error'])

        job = self.jobd.wait_status(greedy['id'], FINISHED, timeout=10)
        self.assertEqual(job['status'], 'failed', job)
        self.assertIn('Requested node configuration is not available', job['error'])
        self.assertEqual(job['cost'], 0)

    def test_cancel_through_the_api(self):
        w = self.folder('cancel')
        polite = self.submit('stops on SIGTERM', {
            'argv': [PYTHON, '-u', TINY_LORA, '--steps', '100000', '--sleep', '0.01', '--report-interval', '0.2'],
            'cwd': w,
        }, total_steps=100000, hourly_rate=360)
        deaf = self.submit('ignores SIGTERM', {
            'script': script("trap 'echo got TERM' TERM", 'echo ready', 'while true; do echo tick; sleep 0.2; done'),
            'cwd': w,
        })
        for job in (polite, deaf):
            self.wait_training(job['id'])
        self.wait_output(deaf['id'], 'ready')
        # Slurm's start time is in whole seconds: a run cancelled within
        # a second of it may cost nothing.
        self.jobd.wait_for(lambda: (lambda j: j['current_step'] >= 20 and j['elapsed_s'] >= 2)(
                               self.jobd.job(polite['id'])),
                           timeout=20, what='the trainer to report steps for two seconds')
        polite_sid, deaf_sid = self.slurm_id(polite['id']), self.slurm_id(deaf['id'])

        # Both at once. A cancel request answers once its job is cancelled
        # (or after 10 s); meanwhile Slurm shows what the provider does.
        answers = {}

        def cancel(job):
            answers[job['id']] = self.jobd.cancel(job['id'])
        threads = [threading.Thread(target=cancel, args=(job,)) for job in (polite, deaf)]
        t0 = time.monotonic()
        for thread in threads:
            thread.start()
        try:
            # SIGTERM was enough for the trainer: gone from Slurm within
            # the grace period.
            self.jobd.wait_for(lambda: CLUSTER.job_state(polite_sid) not in ('RUNNING', 'PENDING', 'COMPLETING'),
                               timeout=GRACE_MS / 1000, interval=0.02, what='Slurm to end the trainer')
            job = self.jobd.wait_status(polite['id'], 'cancelled', timeout=5)
            # Not for the other, which has the grace period, then Slurm's
            # cancel (SIGTERM, KillWait=1, SIGKILL).
            time.sleep(max(0, GRACE_MS / 1000 * 0.75 - (time.monotonic() - t0)))
            self.assertEqual(CLUSTER.job_state(deaf_sid), 'RUNNING')
            self.assertEqual(self.jobd.job(deaf['id'])['status'], 'cancelling')
        finally:
            for thread in threads:
                thread.join(30)
        self.assertEqual(answers[polite['id']].status, 200, answers)
        self.assertEqual(answers[deaf['id']].status, 200, answers)
        self.assertGreater(job['cost'], 0, job)
        self.assertTrue([m for m in self.messages(polite['id']) if m.startswith('Job cancelled. Final cost: $')])
        job = self.jobd.wait_status(deaf['id'], 'cancelled', timeout=20)
        self.assertGreater(time.monotonic() - t0, GRACE_MS / 1000)
        self.assertEqual(CLUSTER.job_state(deaf_sid), 'CANCELLED')
        out = open(os.path.join(w, 'lora-job-%d-%d.out' % (deaf['id'], deaf_sid))).read()
        self.assertIn('got TERM', out)

    def test_scancel_behind_our_back(self):
        w = self.folder('scancel')
        job = self.submit('cancelled on the cluster', {
            'script': script('while true; do echo working; sleep 0.2; done'), 'cwd': w,
        })
        jid = job['id']
        self.wait_training(jid)
        sid = self.slurm_id(jid)
        CLUSTER.scancel(sid)
        job = self.jobd.wait_status(jid, FINISHED, timeout=15)
        self.assertEqual(job['status'], 'cancelled', job)
        self.assertEqual(job['cancelled_by'], 'Slurm')
        self.assertIn('Slurm job %d was cancelled on the cluster (scancel, or Slurm itself), not from this service'
                      % sid, self.messages(jid, 'warning'))

    def test_two_jobs_that_each_ask_for_every_cpu(self):
        w = self.folder('cpus')
        release = os.path.join(w, 'release')
        # It holds the CPUs until the test has seen the second one wait.
        first = self.submit('takes every CPU', {
            'script': script('while [ ! -e %s ]; do echo working; sleep 0.1; done' % release),
            'cwd': w, 'cpus': slurm_cluster.CPUS,
        })
        self.wait_training(first['id'])
        second = self.submit('waits for them', {
            'script': script('echo second; sleep 1'), 'cwd': w, 'cpus': slurm_cluster.CPUS,
        })
        sid = self.slurm_id(second['id'])

        def waiting():
            job = self.jobd.job(second['id'])
            return job if job['status_detail'] == 'Waiting in Slurm: Resources' else None
        job = self.jobd.wait_for(waiting, timeout=10, what="the second job to wait for Slurm's resources")
        self.assertEqual(job['status'], 'provisioning')
        self.assertIsNone(job['queue_position'])
        self.assertEqual(job['cost'], 0)
        self.assertIsNone(job['started_at'])
        self.assertEqual(CLUSTER.job_fields(sid)['Reason'], 'Resources')
        self.assertIn('Waiting in Slurm: Resources', self.messages(second['id']))

        # The queue shows both beside the slots, not in them, nor queued.
        queue = self.jobd.queue()
        self.assertEqual([s['id'] for s in queue['slots']['running']], [self.sim['id']])
        self.assertEqual(queue['slots']['used'], 1)
        self.assertEqual(queue['queued'], [])
        elsewhere = {e['id']: e for e in queue['elsewhere']}
        self.assertEqual(elsewhere[second['id']]['status_detail'], 'Waiting in Slurm: Resources')
        self.assertEqual(elsewhere[second['id']]['provider'], 'slurm')
        self.assertEqual(elsewhere[first['id']]['status'], 'training')
        self.assertEqual(self.jobd.job(second['id'])['status'], 'provisioning')

        open(release, 'w').close()
        job = self.jobd.wait_status(second['id'], ('training',) + FINISHED, timeout=20)
        first_job = self.jobd.job(first['id'])
        self.assertEqual(first_job['status'], 'completed', first_job)
        self.assertIsNone(self.jobd.job(second['id'])['status_detail'])
        job = self.jobd.wait_status(second['id'], FINISHED, timeout=15)
        self.assertEqual(job['status'], 'completed', job)
        # Its cost ran from Slurm's start, after the first one ended.
        self.assertGreaterEqual(parse_time(job['started_at']) + 1, parse_time(first_job['finished_at']) - 1)
        self.assertAlmostTime(job['started_at'], CLUSTER.job_fields(sid)['StartTime'])

    def test_restart_while_a_slurm_job_runs(self):
        w = self.folder('restart')
        runs = self.submit('runs through the restarts', {
            'argv': [PYTHON, '-u', TINY_LORA, '--steps', '600', '--sleep', '0.015', '--no-report',
                     '--print-hf-logs'],
            'cwd': w,
        }, total_steps=600, epochs=2)
        deaf = self.submit('being cancelled when the service stops', {
            'script': script("trap 'echo got TERM' TERM", 'echo ready', 'while true; do sleep 0.2; done'), 'cwd': w,
        })
        for job in (runs, deaf):
            self.wait_training(job['id'])
        self.wait_output(deaf['id'], 'ready')
        runs_sid, deaf_sid = self.slurm_id(runs['id']), self.slurm_id(deaf['id'])
        before = self.jobd.job(runs['id'])

        # A cancel under way (SIGTERM sent, the grace period running) when
        # the service stops: the restart ends it, and Slurm's cancel goes.
        def cancel():
            try:
                self.jobd.cancel(deaf['id'])
            except OSError:
                pass   # the service stopped under the request
        thread = threading.Thread(target=cancel)
        thread.start()
        self.jobd.wait_for(lambda: self.jobd.job(deaf['id'])['status'] == 'cancelling', timeout=5,
                           what='the cancel')
        self.jobd.restart_with(lambda: thread.join(20))
        self.jobd.wait_for(lambda: 'watching Slurm job %d again' % runs_sid in self.jobd.stderr_text(),
                           timeout=5, what='the re-attach')
        job = self.jobd.wait_status(deaf['id'], FINISHED, timeout=5)
        self.assertEqual(job['status'], 'cancelled', job)
        try:
            self.jobd.wait_for(lambda: CLUSTER.job_state(deaf_sid) == 'CANCELLED', timeout=10,
                               what='Slurm to cancel the job')
        except AssertionError as e:
            raise AssertionError('%s; Slurm: %r; service: %s' % (e, CLUSTER.job_fields(deaf_sid),
                                                                self.jobd.stderr_text(all_runs=True)[-3000:]))

        # A job that ends while the service is stopped is judged by Slurm.
        ends = self.submit('ends while the service is down', {
            'script': script('echo started', 'sleep 1', 'echo "RuntimeError: CUDA out of memory"', 'exit 3'),
            'cwd': w,
        })
        self.wait_training(ends['id'])
        ends_sid = self.slurm_id(ends['id'])

        def down():
            deadline = time.monotonic() + 15
            while CLUSTER.job_state(ends_sid) != 'FAILED' and time.monotonic() < deadline:
                time.sleep(0.1)
        self.jobd.restart_with(down)
        job = self.jobd.wait_status(ends['id'], FINISHED, timeout=15)
        self.assertEqual(job['status'], 'failed', job)
        self.assertIn('ended FAILED (NonZeroExitCode), exit code 3', job['error'])
        self.assertIn('CUDA out of memory', job['error'])
        self.assertIn('watching Slurm job %d again' % ends_sid, self.jobd.stderr_text())

        job = self.jobd.wait_status(runs['id'], FINISHED, timeout=20)
        self.assertEqual(job['status'], 'completed', job)
        self.assertEqual(job['started_at'], before['started_at'])
        self.assertEqual(job['current_step'], 600)
        self.assertEqual([s['status'] for s in job['stages']], ['completed'] * 4)
        self.assertEqual(CLUSTER.job_state(runs_sid), 'COMPLETED')

    def test_slurmrestd_stopped_and_started_again(self):
        w = self.folder('outage')
        job = self.submit('outlives an outage', {
            'script': script('for i in $(seq 1 16); do echo "step $i/16"; sleep 0.25; done'), 'cwd': w,
        }, total_steps=16)
        jid = job['id']
        self.wait_training(jid)
        CLUSTER.stop_rest()
        try:
            self.jobd.wait_for(lambda: [m for m in self.messages(jid, 'warning') if m.startswith('Cannot reach Slurm')],
                               timeout=10, what='the warning')
            time.sleep(1.5)
            # One warning, and the job keeps its state.
            self.assertEqual(len([m for m in self.messages(jid, 'warning') if m.startswith('Cannot reach Slurm')]), 1)
            self.assertEqual(self.jobd.job(jid)['status'], 'training')
        finally:
            CLUSTER.start_rest()
        job = self.jobd.wait_status(jid, FINISHED, timeout=25)
        self.assertEqual(job['status'], 'completed', job)
        self.assertTrue([m for m in self.messages(jid) if m.startswith('slurmrestd answers again')])

    def test_z_expired_token_then_renewed(self):
        w = self.folder('token')
        # A token that has expired when the job comes: slurmctld takes a
        # token until the second after its "exp".
        CLUSTER.write_token(self.token_file, lifespan=1)
        time.sleep(2.2)
        try:
            job = self.submit('waits for a token', {'script': script('echo ran'), 'cwd': w})
            jid = job['id']
            errors = self.jobd.wait_for(lambda: self.messages(jid, 'error'), timeout=10, what='the error event')
            self.assertEqual(len(errors), 1, errors)
            self.assertIn("Slurm refused the service's token: it expired at", errors[0])
            self.assertIn('write the token to %s' % self.token_file, errors[0])
            time.sleep(1)
            self.assertEqual(self.jobd.job(jid)['status'], 'provisioning')
            self.assertEqual(len(self.messages(jid, 'error')), 1)
        finally:
            # Renewed: the service reads the file again.
            self.__class__.token = CLUSTER.write_token(self.token_file)
        job = self.jobd.wait_status(jid, FINISHED, timeout=15)
        self.assertEqual(job['status'], 'completed', job)
        self.assertIn('Slurm accepts the renewed token', self.messages(jid))
        everything = json.dumps(self.jobd.all_events(jid))
        self.assertNotIn(self.token, everything)


if __name__ == '__main__':
    program = unittest.main(verbosity=2, exit=False)
    result = program.result
    if not result.wasSuccessful():
        sys.exit(1)
    # Nothing ran because Slurm cannot run here: meson's SKIP.
    if result.testsRun == 0 and result.skipped:
        sys.exit(77)
