#!/usr/bin/python3
# test_local.py: the local provider, against the real lora-jobd
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Jobs run tests/data/fake_trainer.py, which prints what a Hugging Face
# Trainer prints; the service must turn that into metrics and a final
# status, stop the whole process group on cancel, and pick a run up again
# after a restart.

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from jobd import JobdTestCase, TESTS_DIR, binary_path, daemon_env, default_local_user  # noqa: E402

TRAINER = os.path.join(TESTS_DIR, 'data', 'fake_trainer.py')
PYTHON = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
GRACE_MS = 2000

# The daemon inherits this: a short grace period between SIGTERM and SIGKILL.
os.environ['LORA_LOCAL_GRACE_MS'] = str(GRACE_MS)

CLEAR_REASON = ('The training process ended while the service was stopped; '
                'its exit status is unknown')


def trainer_argv(*args):
    return [PYTHON, '-u', TRAINER] + [str(a) for a in args]


def process_gone(pid):
    """True once @pid has ended (a zombie waiting for its parent counts)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return data.rsplit(')', 1)[1].split()[0] in ('Z', 'X')


def read_json_file(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return None


class LocalCase(JobdTestCase):
    ENABLE_LOCAL = True

    def setUp(self):
        super().setUp()
        tmp = tempfile.TemporaryDirectory(prefix='lora-local-test-')
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name

    def path(self, name):
        return os.path.join(self.tmp, name)

    def create_local(self, argv, cwd=None, env=None, steps=200, **fields):
        config = {'argv': argv}
        if cwd is not None:
            config['cwd'] = cwd
        if env is not None:
            config['env'] = env
        job, secret = self.jobd.create_job(provider='local', config=config,
                                           total_steps=steps, epochs=2, **fields)
        return job['id'], secret

    def job_folder(self, job_id):
        return os.path.join(os.path.dirname(self.jobd.db), 'local', str(job_id))

    def series(self, job_id, name):
        s = self.jobd.metrics(job_id)['series'][name]
        return list(zip(s['step'], s['value']))

    def wait_points(self, job_id, name, count, timeout=15.0):
        return self.jobd.wait_for(lambda: len(self.series(job_id, name)) >= count, timeout,
                                  what='%d %s points of job %d' % (count, name, job_id))

    def messages(self, job_id):
        return [e['message'] for e in self.jobd.all_events(job_id)]

    def wait_file(self, path, timeout=15.0):
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                raise AssertionError('%s did not appear' % path)
            time.sleep(0.02)

    def wait_content(self, path, timeout=15.0):
        """Waits until @path holds something: the exit-status file exists
        from the start, empty until the command ends."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with open(path) as f:
                    if f.read().strip():
                        return
            except FileNotFoundError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError('%s stayed empty' % path)
            time.sleep(0.02)

    def wait_gone(self, pid, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not process_gone(pid):
            if time.monotonic() > deadline:
                raise AssertionError('process %d is still running' % pid)
            time.sleep(0.02)

    def kill_leftovers(self, *pids):
        for pid in pids:
            if pid and not process_gone(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


class LocalRunTest(LocalCase):
    def test_completed_run_reports_parsed_metrics(self):
        env_file = self.path('env.json')
        job_id, secret = self.create_local(
            trainer_argv('--steps', 200, '--log-every', 20, '--eval-every', 100,
                         '--env-file', env_file),
            cwd=self.tmp, env={'FOO': 'bar baz'})

        job = self.jobd.wait_status(job_id, 'completed')
        self.assertEqual(job['current_step'], 200)
        self.assertEqual(job['progress'], 100.0)
        self.assertIsNone(job['error'])

        # One train_loss point per loss dict, at the step of the bar.
        train = self.series(job_id, 'train_loss')
        self.assertEqual([s for s, _ in train], list(range(20, 201, 20)))
        self.assertAlmostEqual(train[0][1], 1.5816)
        self.assertLess(train[-1][1], train[0][1])
        # Eval dicts, even though an evaluation bar (5 steps) ran between.
        self.assertEqual([s for s, _ in self.series(job_id, 'val_loss')], [100, 200])
        lr = self.series(job_id, 'learning_rate')
        self.assertEqual(len(lr), 10)
        self.assertAlmostEqual(lr[0][1], 0.00018)
        if shutil.which('nvidia-smi') is None:
            self.assertEqual(self.series(job_id, 'gpu_util'), [])
        self.assertEqual(self.jobd.metrics(job_id)['latest']['epoch'], 2.0)

        messages = self.messages(job_id)
        self.assertEqual(messages.count('Training started'), 1)
        self.assertIn('Training completed', messages)
        self.assertIn('Step 20: loss=1.582, lr=0.00018', messages)
        # The end-of-run summary carries no step of its own: not a metric.
        self.assertFalse([m for m in messages if 'train_runtime' in m])

        # What the child saw: the job's webhook, its secret, the config.
        seen = read_json_file(env_file)
        self.assertEqual(seen['LORA_JOB_ID'], str(job_id))
        self.assertEqual(seen['LORA_WEBHOOK_URL'],
                         '%s/api/training/jobs/%d/webhook' % (self.jobd.url, job_id))
        self.assertEqual(seen['LORA_WEBHOOK_SECRET'], secret)
        self.assertEqual(seen['FOO'], 'bar baz')
        self.assertEqual(seen['PYTHONUNBUFFERED'], '1')
        self.assertEqual(os.path.realpath(seen['cwd']), os.path.realpath(self.tmp))
        # A session and process group of its own, not the service's.
        self.assertEqual(seen['pgid'], seen['sid'])
        self.assertNotEqual(seen['pgid'], os.getpgid(self.jobd.proc.pid))

        folder = self.job_folder(job_id)
        with open(os.path.join(folder, 'exit-status')) as f:
            self.assertEqual(f.read().strip(), '0')
        with open(os.path.join(folder, 'output.log'), 'rb') as f:
            self.assertIn(b"{'loss': 1.5816", f.read())

    def test_failed_run_reports_the_traceback(self):
        job_id, _ = self.create_local(trainer_argv('--steps', 200, '--exit', 3))

        job = self.jobd.wait_status(job_id, 'failed')
        error = job['error']
        self.assertIn('Traceback (most recent call last):', error)
        self.assertTrue(error.endswith('ValueError: loss exploded at step 100'), error[-200:])
        self.assertLessEqual(len(error), 2000)
        # The bar's last counter is the step the job ended at.
        self.assertEqual(job['current_step'], 100)
        # It died before the log of step 100.
        self.assertEqual([s for s, _ in self.series(job_id, 'train_loss')], [20, 40, 60, 80])

        messages = self.messages(job_id)
        self.assertIn('The training process exited with status 3', messages)
        self.assertIn('Job failed at step 100. Final cost: $0.00', messages)
        with open(os.path.join(self.job_folder(job_id), 'exit-status')) as f:
            self.assertEqual(f.read().strip(), '3')

    def test_long_output_is_cut_to_its_end(self):
        script = self.path('noisy.sh')
        with open(script, 'w') as f:
            f.write('#!/bin/sh\nfor i in $(seq 1 300); do echo "line $i: $(printf "%080d" 0)"; done\n'
                    'echo "RuntimeError: CUDA out of memory" >&2\nexit 1\n')
        os.chmod(script, 0o755)
        job_id, _ = self.create_local([script])

        error = self.jobd.wait_status(job_id, 'failed')['error']
        self.assertLessEqual(len(error), 2000)
        self.assertTrue(error.endswith('RuntimeError: CUDA out of memory'))
        self.assertTrue(error.startswith('line '), error[:100])
        self.assertNotIn('line 200:', error)

    def test_missing_program_fails_with_the_shell_message(self):
        job_id, _ = self.create_local(['/nonexistent/train.py', '--lr', '2e-4'])
        job = self.jobd.wait_status(job_id, 'failed')
        self.assertIn('/nonexistent/train.py', job['error'])
        self.assertIn('The training process exited with status 127', self.messages(job_id))

    def test_config_is_validated(self):
        bad = [
            (None, '“argv” is required'),
            ({}, '“argv” is required'),
            ({'argv': None}, '“argv” is required'),
            ({'argv': 'python3 train.py'}, '“argv” must be an array of strings'),
            ({'argv': []}, '“argv” must not be empty'),
            ({'argv': ['python3', 7]}, 'item 1 is not a string'),
            ({'argv': [['python3']]}, 'item 0 is not a string'),
            ({'argv': ['']}, 'must start with the program to run'),
            ({'argv': ['true'], 'cwd': 5}, '“cwd” must be a string'),
            ({'argv': ['true'], 'cwd': 'relative/dir'}, '“cwd” must be an absolute path'),
            ({'argv': ['true'], 'cwd': '/nonexistent/dir'}, '“cwd” must be an existing directory'),
            ({'argv': ['true'], 'cwd': TRAINER}, '“cwd” must be an existing directory'),
            ({'argv': ['true'], 'env': ['A=1']}, '“env” must be an object of strings'),
            ({'argv': ['true'], 'env': {'A': 1}}, '“A” is not a string'),
            ({'argv': ['true'], 'env': {'A': None}}, '“A” is not a string'),
            ({'argv': ['true'], 'env': {'A=B': 'x'}}, 'invalid variable name “A=B”'),
            ({'argv': ['true'], 'env': {'': 'x'}}, 'invalid variable name'),
            ({'argv': ['true'], 'env': {'LORA_WEBHOOK_SECRET': 'x'}}, 'must not set LORA_WEBHOOK_SECRET'),
            ({'argv': ['true'], 'shell': True}, 'unknown key “shell”'),
        ]
        before = self.jobd.list_jobs('?per_page=1')['counts']['all']
        for config, wanted in bad:
            with self.subTest(config=config):
                fields = self.jobd.job_fields(provider='local')
                if config is not None:
                    fields['config'] = config
                r = self.jobd.post('/api/training/jobs', fields)
                error = self.assertError(r, 400, 'bad_request')
                self.assertIn('“config” is not valid for the local provider', error['message'])
                self.assertIn(wanted, error['message'])

        self.assertEqual(self.jobd.list_jobs('?per_page=1')['counts']['all'], before)

    def test_cancel_stops_the_whole_group(self):
        pid_file = self.path('pids')
        job_id, _ = self.create_local(trainer_argv('--steps', 100000, '--sleep', 0.005,
                                                   '--grandchild', '--pid-file', pid_file),
                                      steps=100000)
        self.wait_file(pid_file)
        with open(pid_file) as f:
            trainer, grandchild = (int(x) for x in f.read().split())
        self.addCleanup(self.kill_leftovers, trainer, grandchild)
        self.jobd.wait_status(job_id, 'training')
        self.assertFalse(process_gone(grandchild))

        started = time.monotonic()
        r = self.jobd.cancel(job_id)
        self.assertEqual(r.status, 200, r)
        job = self.jobd.wait_status(job_id, 'cancelled', timeout=10)
        # SIGTERM was enough: no wait for the grace period.
        self.assertLess(time.monotonic() - started, GRACE_MS / 1000.0)
        self.assertEqual(job['cancel_reason'], 'testing')
        self.wait_gone(trainer, timeout=2)
        self.wait_gone(grandchild, timeout=2)
        # The end of a cancelled process is not reported as a failure.
        messages = self.messages(job_id)
        self.assertFalse([m for m in messages if 'exited with status' in m or 'killed by signal' in m])

    def test_cancel_kills_what_ignores_sigterm(self):
        pid_file = self.path('pids')
        job_id, _ = self.create_local(trainer_argv('--steps', 100000, '--sleep', 0.005,
                                                   '--ignore-term', '--grandchild',
                                                   '--pid-file', pid_file),
                                      steps=100000)
        self.wait_file(pid_file)
        with open(pid_file) as f:
            trainer, grandchild = (int(x) for x in f.read().split())
        self.addCleanup(self.kill_leftovers, trainer, grandchild)
        self.jobd.wait_status(job_id, 'training')

        started = time.monotonic()
        r = self.jobd.cancel(job_id)
        self.assertEqual(r.status, 200, r)
        self.jobd.wait_status(job_id, 'cancelled', timeout=10)
        self.assertGreaterEqual(time.monotonic() - started, GRACE_MS / 1000.0 * 0.9)
        self.wait_gone(trainer, timeout=2)
        self.wait_gone(grandchild, timeout=2)


class LocalOutputTest(LocalCase):
    """What the service reads from a run that only prints: stages, named
    formats, a job's own patterns, and the provider list."""

    def script(self, name, text):
        path = self.path(name)
        with open(path, 'w') as f:
            f.write(text)
        return [PYTHON, '-u', path]

    def stages(self, job):
        return {s['name']: s for s in job['stages']}

    def test_providers_are_listed(self):
        r = self.jobd.get('/api/providers')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {'providers': [
            {'name': 'external', 'enabled': True},
            {'name': 'local', 'enabled': True},
            {'name': 'simulator', 'enabled': True},
        ]})
        self.assertEqual(self.jobd.get('/api/providers', token=None).status, 401)
        self.assertEqual(self.jobd.post('/api/providers', {}).status, 405)

    def test_stages_of_a_completed_run(self):
        job_id, _ = self.create_local(trainer_argv('--steps', 200, '--sleep', 0.002))
        job = self.jobd.wait_status(job_id, 'completed')
        stages = self.stages(job)
        self.assertEqual([s['status'] for s in job['stages']], ['completed'] * 4, job['stages'])
        starts = [s['started_at'] for s in job['stages']]
        self.assertEqual(starts, sorted(starts))
        self.assertLessEqual(stages['finalization']['finished_at'], job['finished_at'])
        messages = self.messages(job_id)
        for wanted in ('Preprocessing started', 'Model Loading started', 'Training started',
                       'Finalization started', 'Finalization completed', 'Training completed'):
            self.assertEqual(messages.count(wanted), 1, (wanted, messages))

    def test_stages_of_a_failed_run(self):
        job_id, _ = self.create_local(trainer_argv('--steps', 200, '--exit', 3))
        job = self.jobd.wait_status(job_id, 'failed')
        self.assertEqual([s['status'] for s in job['stages']],
                         ['completed', 'completed', 'failed', 'pending'], job['stages'])
        self.assertTrue(self.stages(job)['training']['error'].endswith('loss exploded at step 100'))

    def test_loading_lines_start_model_loading(self):
        argv = self.script('load.py', r"""
import sys, time
print('Loading dataset config from dataset.toml')
sys.stderr.write('Map: 100%|##########| 242/242 [00:00<00:00, 3912.55 examples/s]\n')
time.sleep(0.7)
sys.stderr.write('Loading checkpoint shards:  50%|#####     | 1/2 [00:01<00:01,  1.52s/it]\n')
time.sleep(0.7)
for i in range(0, 11):
    sys.stderr.write('\rsteps: %3d%%|          | %d/10 [00:01<00:01,  8.50it/s, avr_loss=%.3g]' % (i * 10, i, 2.5 - i / 10))
    time.sleep(0.05)
sys.stderr.write('\n')
time.sleep(0.7)
print('model saved.')
""")
        job_id, _ = self.create_local(argv, steps=10)
        job = self.jobd.wait_status(job_id, 'completed')
        stages = self.stages(job)
        self.assertEqual([s['status'] for s in job['stages']], ['completed'] * 4)
        self.assertEqual(stages['model_loading']['substatus'],
                         'Loading checkpoint shards:  50%|#####     | 1/2 [00:01<00:01,  1.52s/it]')
        # Each took the time the script spent in it (the times are seconds).
        self.assertGreaterEqual(stages['model_loading']['started_at'], stages['preprocessing']['started_at'])
        self.assertGreaterEqual(stages['training']['started_at'], stages['model_loading']['started_at'])
        self.assertEqual([s for s, _ in self.series(job_id, 'train_loss')][-1], 10)
        self.assertEqual(job['current_step'], 10)
        self.assertEqual(job['progress'], 100.0)

    def test_named_format_and_own_patterns(self):
        argv = self.script('custom.py', r"""
print("{'loss': 9.0, 'epoch': 1.0}")
print('iter 0: loss 4.0000, time 10.00ms, mfu -100.00%')
print('iter 10: loss 3.0000, time 10.00ms, mfu 1.00%')
print('[eval] at 10 loss=2.5')
print('iter 20: loss 2.0000, time 10.00ms, mfu 1.00%')
""")
        job, _ = self.jobd.create_job(provider='local', total_steps=20, epochs=1, config={
            'argv': argv, 'log_format': 'nanogpt',
            'log_patterns': [r'^\[eval\] at (?<step>\d+) loss=(?<val_loss>\S+)$']})
        job = self.jobd.wait_status(job['id'], 'completed')
        # The dict is not nanoGPT's: it is not read.
        self.assertEqual(self.series(job['id'], 'train_loss'), [(0, 4.0), (10, 3.0), (20, 2.0)])
        self.assertEqual(self.series(job['id'], 'val_loss'), [(10, 2.5)])

    def test_log_config_is_validated(self):
        bad = [
            ({'log_format': 'kohya'}, '“log_format” must be one of auto, huggingface, tqdm'),
            ({'log_format': 'none'}, 'give at least one pattern'),
            ({'log_patterns': 'loss=(?<loss>.*)'}, '“log_patterns” must be an array'),
            ({'log_patterns': ['(?<loss>[0-9']},
             '“log_patterns” item 0, “(?<loss>[0-9”, is not a regular expression GRegex takes: '
             'Error while compiling regular expression ‘(?<loss>[0-9’ at char 12: missing terminating ] '
             'for character class'),
            ({'log_patterns': ['loss=([0-9.]+)']}, 'has none of the named groups step, total, epoch, loss'),
        ]
        for extra, wanted in bad:
            with self.subTest(config=extra):
                config = {'argv': ['true']}
                config.update(extra)
                r = self.jobd.post('/api/training/jobs', self.jobd.job_fields(provider='local', config=config))
                error = self.assertError(r, 400, 'bad_request')
                self.assertIn('“config” is not valid for the local provider', error['message'])
                self.assertIn(wanted, error['message'])

    def test_a_log_started_over_is_read_again(self):
        # A trainer that empties its own output (as a requeued batch job's
        # is): what it prints next is read from the top of the file.
        argv = self.script('truncate.py', r"""
import os, time
for step in range(1, 6):
    print({'loss': 2.0 - step / 10, 'step': step}, flush=True)
time.sleep(1.2)
os.ftruncate(1, 0)
for step in range(6, 11):
    print({'loss': 2.0 - step / 10, 'step': step}, flush=True)
""")
        job_id, _ = self.create_local(argv, steps=10)
        job = self.jobd.wait_status(job_id, 'completed')
        self.assertEqual([s for s, _ in self.series(job_id, 'train_loss')], list(range(1, 11)))
        self.assertEqual(job['current_step'], 10)

    def test_catastrophic_pattern_does_not_stall_the_service(self):
        # (a+)+$ against a line of a's that ends in b backtracks for ever.
        argv = self.script('evil.py', r"""
import sys, time
line = 'a' * 3999 + 'b'
for i in range(40):
    print(line)
    sys.stderr.write('\r%3d%%|          | %d/40 [00:01<00:01,  8.50it/s]' % (i * 100 // 40, i + 1))
    time.sleep(0.05)
sys.stderr.write('\n')
""")
        job, _ = self.jobd.create_job(provider='local', total_steps=40, epochs=1, config={
            'argv': argv, 'log_patterns': ['^(?<loss>(a+)+)$']})
        worst = 0.0
        deadline = time.monotonic() + 30
        while self.jobd.job(job['id'])['status'] not in ('completed', 'failed'):
            started = time.monotonic()
            r = self.jobd.request('GET', '/api/health', token=None)
            worst = max(worst, time.monotonic() - started)
            self.assertEqual(r.status, 200)
            self.assertLess(time.monotonic(), deadline)
        self.assertLess(worst, 1.0)
        job = self.jobd.job(job['id'])
        self.assertEqual(job['status'], 'completed')
        self.assertEqual(job['current_step'], 40)
        warnings = [e['message'] for e in self.jobd.all_events(job['id'], 'warning')]
        self.assertEqual(len(warnings), 1, warnings)
        self.assertIn('The log pattern “^(?<loss>(a+)+)$” was turned off', warnings[0])
        self.assertIn('backtracking limit reached', warnings[0])


class LocalRestartTest(LocalCase):
    PER_TEST = True

    def provider_state(self, job_id):
        text = self.jobd.sql('SELECT provider_state FROM jobs WHERE id = ?', (job_id,))[0][0]
        return json.loads(text) if text else None

    def test_reattaches_to_running_children(self):
        go = self.path('go')
        # 24 KiB of chatter first, so that the service resumes in the middle
        # of the log, with more than its 16 KiB of context behind it.
        ok_id, _ = self.create_local(trainer_argv('--steps', 100, '--log-every', 10, '--eval-every', 50,
                                                  '--noise-kb', 24, '--wait-file', go),
                                     steps=100)
        fail_id, _ = self.create_local(trainer_argv('--steps', 100, '--log-every', 10, '--exit', 3,
                                                    '--noise-kb', 24, '--wait-file', go, '--wait-at', 50),
                                       steps=100)
        # They wait: one before its last step, with 9 loss dicts printed;
        # the other before step 50, where it fails, with 4.
        self.wait_points(ok_id, 'train_loss', 9)
        self.wait_points(fail_id, 'train_loss', 4)
        states = {}
        for job_id in (ok_id, fail_id):
            states[job_id] = self.jobd.wait_for(
                lambda: (lambda st: st if st and st['offset'] > 24 * 1024 else None)(self.provider_state(job_id)),
                timeout=10, what='job %d to save its offset' % job_id)
            self.assertEqual(states[job_id]['pid'], states[job_id]['pgid'])
            self.assertEqual(states[job_id]['folder'], self.job_folder(job_id))

        self.assertEqual(self.jobd.restart(), 0)
        for job_id in (ok_id, fail_id):
            self.assertFalse(process_gone(states[job_id]['pid']), 'the child must outlive the service')
            self.assertEqual(self.jobd.job(job_id)['status'], 'training')

        with open(go, 'w'):
            pass
        job = self.jobd.wait_status(ok_id, 'completed')
        self.assertEqual(job['current_step'], 100)
        self.assertEqual([s for s, _ in self.series(ok_id, 'train_loss')], list(range(10, 101, 10)))
        self.assertEqual([s for s, _ in self.series(ok_id, 'val_loss')], [50, 100])

        # Lines read again after the restart were duplicates, not new events.
        messages = self.messages(ok_id)
        self.assertEqual(messages.count('Training started'), 1)
        for step in range(10, 101, 10):
            self.assertEqual(len([m for m in messages if m.startswith('Step %d: loss=' % step)]), 1, step)

        # The error's context reaches back before the restart: the loss
        # lines printed then, and between two of them one line for all the
        # redraws of the bar, as a terminal would show it.
        error = self.jobd.wait_status(fail_id, 'failed')['error']
        self.assertTrue(error.endswith('ValueError: loss exploded at step 50'), error[-200:])
        self.assertIn("{'loss': ", error)
        self.assertIn('***** Running training *****', error)
        self.assertLessEqual(error.count('/100 ['), 5, error)

    def test_children_that_ended_while_the_service_was_stopped(self):
        go_ok, go_fail = self.path('go-ok'), self.path('go-fail')
        killed_pids = self.path('killed-pids')
        ok_id, _ = self.create_local(trainer_argv('--steps', 100, '--log-every', 10,
                                                  '--wait-file', go_ok), steps=100)
        fail_id, _ = self.create_local(trainer_argv('--steps', 100, '--log-every', 10, '--exit', 3,
                                                    '--wait-file', go_fail, '--wait-at', 50),
                                       steps=100)
        killed_id, _ = self.create_local(trainer_argv('--steps', 100, '--log-every', 10,
                                                      '--wait-file', self.path('never'),
                                                      '--pid-file', killed_pids), steps=100)
        for job_id in (ok_id, fail_id, killed_id):
            self.wait_points(job_id, 'train_loss', 4)
        self.wait_file(killed_pids)
        with open(killed_pids) as f:
            killed_trainer = int(f.read().split()[0])

        self.assertEqual(self.jobd.stop(), 0)

        # Two end on their own and leave their exit status; the third is
        # killed whole, wrapper included, so it leaves none.
        for go in (go_ok, go_fail):
            with open(go, 'w'):
                pass
        os.killpg(os.getpgid(killed_trainer), signal.SIGKILL)
        self.wait_content(os.path.join(self.job_folder(ok_id), 'exit-status'))
        self.wait_content(os.path.join(self.job_folder(fail_id), 'exit-status'))
        self.wait_gone(killed_trainer)
        time.sleep(0.1)   # the exit status is written, then the wrapper ends

        self.jobd.start()
        job = self.jobd.wait_status(ok_id, 'completed')
        self.assertEqual(job['current_step'], 100)
        self.assertEqual(len(self.series(ok_id, 'train_loss')), 10)

        job = self.jobd.wait_status(fail_id, 'failed')
        self.assertTrue(job['error'].endswith('ValueError: loss exploded at step 50'), job['error'][-200:])
        self.assertIn('The training process exited with status 3', self.messages(fail_id))

        job = self.jobd.wait_status(killed_id, 'failed')
        self.assertEqual(job['error'], CLEAR_REASON)


# What a child reports about itself, as one JSON line on stdout: its
# environment, every descriptor it holds beyond 0-2, who it runs as, where,
# and what opening each file named by its arguments gave.
PROBE = r'''
import json, os, sys
fds = []
for fd in range(3, 1024):
    try:
        os.fstat(fd)
    except OSError:
        continue
    fds.append([fd, os.readlink('/proc/self/fd/%d' % fd)])
opened = {}
for path in sys.argv[1:]:
    try:
        open(path, 'rb').close()
        opened[path] = 'ok'
    except OSError as e:
        opened[path] = type(e).__name__
print('PROBE ' + json.dumps({
    'env': dict(os.environ), 'fds': fds, 'stdin': os.readlink('/proc/self/fd/0'),
    'uid': os.getuid(), 'euid': os.geteuid(), 'gid': os.getgid(), 'groups': sorted(os.getgroups()),
    'cwd': os.getcwd(), 'opened': opened}))
'''


def read_probe(folder):
    with open(os.path.join(folder, 'output.log')) as f:
        for line in f:
            if line.startswith('PROBE '):
                return json.loads(line[len('PROBE '):])
    return None


class LocalDisabledTest(JobdTestCase):
    """A service started without --enable-local."""

    def test_local_job_is_refused_and_says_how_to_enable_it(self):
        before = self.jobd.list_jobs('?per_page=1')['counts']['all']
        # A good config and a bad one: either way the provider is off.
        for config in ({'argv': ['/bin/true']}, {'argv': []}, None):
            with self.subTest(config=config):
                fields = self.jobd.job_fields(provider='local')
                if config is not None:
                    fields['config'] = config
                error = self.assertError(self.jobd.post('/api/training/jobs', fields), 400, 'bad_request')
                self.assertEqual(error['message'],
                                 'The local provider is disabled on this service: a local job runs any '
                                 'command on the service’s machine. To allow local jobs, start lora-jobd '
                                 'with --enable-local')
        self.assertEqual(self.jobd.list_jobs('?per_page=1')['counts']['all'], before)
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(self.jobd.db), 'local')))

    def test_local_is_listed_as_disabled(self):
        r = self.jobd.get('/api/providers')
        self.assertEqual(r.status, 200, r)
        self.assertIn({'name': 'local', 'enabled': False}, r.json['providers'])
        self.assertIn({'name': 'simulator', 'enabled': True}, r.json['providers'])

    def test_other_providers_still_work(self):
        job, _ = self.jobd.create_external()
        self.assertEqual(job['status'], 'provisioning')
        self.jobd.cancel(job['id'])


class LocalOptionsTest(unittest.TestCase):
    """What lora-jobd says about its options, before it listens."""

    def run_jobd(self, *args, prefix=()):
        tmp = tempfile.TemporaryDirectory(prefix='lora-local-options-')
        self.addCleanup(tmp.cleanup)
        os.chmod(tmp.name, 0o777)
        return subprocess.run(list(prefix) + [binary_path(), '--listen', '127.0.0.1:0',
                                              '--db', os.path.join(tmp.name, 'jobs.db')] + list(args),
                              capture_output=True, env=daemon_env(), timeout=20,
                              stdin=subprocess.DEVNULL)

    def assertRefused(self, result, wanted):
        self.assertEqual(result.returncode, 2, result)
        self.assertEqual(result.stdout, b'', 'it must not listen')
        self.assertIn(wanted, result.stderr.decode('utf-8'))

    def test_help_lists_the_options(self):
        result = subprocess.run([binary_path(), '--help'], capture_output=True, env=daemon_env(), timeout=20)
        self.assertEqual(result.returncode, 0)
        out = result.stdout.decode('utf-8')
        self.assertIn('--enable-local', out)
        self.assertIn('anyone with a token may then run any command on this machine', out)
        self.assertIn('--local-user=NAME', out)

    @unittest.skipUnless(os.geteuid() == 0, 'needs a service running as root')
    def test_root_needs_a_local_user(self):
        self.assertRefused(self.run_jobd('--enable-local'),
                           'The service runs as root, so local jobs would run as root too. '
                           'Pass --local-user NAME')

    def test_unknown_local_user(self):
        self.assertRefused(self.run_jobd('--enable-local', '--local-user', 'no-such-user-lora'),
                           'There is no user “no-such-user-lora” to run local jobs as')

    def test_local_user_needs_enable_local(self):
        self.assertRefused(self.run_jobd('--local-user', 'nobody'),
                           '--local-user is for the local provider: add --enable-local')

    def test_another_user_needs_root(self):
        # A service that is not root asks for root; as root, the service
        # is made to run as nobody for this.
        prefix = ()
        if os.geteuid() == 0:
            if not shutil.which('setpriv'):
                self.skipTest('needs setpriv to run the service as another user than root')
            prefix = ('setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups')
        self.assertRefused(self.run_jobd('--enable-local', '--local-user', 'root', prefix=prefix),
                           'Local jobs cannot run as “root”: switching to another user needs a '
                           'service that runs as root')


class LocalEnvironmentTest(LocalCase):
    """The service's own environment holds secrets; a child gets none of it."""

    EXTRA_ENV = {'RUNPOD_API_KEY': 'rp-secret-key', 'LORA_TOKEN': 'lora-secret-token',
                 'SECRET_X': 'x-secret', 'SLURM_JOB_TOKEN': 'slurm-secret',
                 'LANG': 'C.UTF-8', 'HOME': '/tmp'}

    def test_child_gets_a_clean_environment_and_no_descriptors(self):
        other_id, other_secret = self.create_local(['/bin/sleep', '0'])
        job_id, secret = self.create_local([PYTHON, '-c', PROBE, self.jobd.db],
                                           env={'FOO': 'bar', 'HF_HOME': '/srv/hf'})
        self.jobd.wait_status(job_id, 'completed')
        seen = read_probe(self.job_folder(job_id))
        self.assertIsNotNone(seen)

        user = self.jobd.local_user or default_local_user()
        self.assertEqual(seen['env'], {
            'PATH': os.environ['PATH'],
            'HOME': pwd.getpwnam(user).pw_dir if user else '/tmp',
            'LANG': 'C.UTF-8',
            'PYTHONUNBUFFERED': '1',
            'FOO': 'bar',
            'HF_HOME': '/srv/hf',
            'LORA_JOB_ID': str(job_id),
            'LORA_WEBHOOK_URL': '%s/api/training/jobs/%d/webhook' % (self.jobd.url, job_id),
            'LORA_WEBHOOK_SECRET': secret,
        })
        values = ' '.join(seen['env'].values())
        self.assertNotIn(other_secret, values)
        self.assertNotIn(os.path.basename(self.jobd.db), values)

        # Only 0-2: not the database, the listening socket, the exit-status
        # file the wrapper writes, or anything else of the service's.
        self.assertEqual(seen['fds'], [])
        self.assertEqual(seen['stdin'], '/dev/null')
        self.wait_content(os.path.join(self.job_folder(job_id), 'exit-status'))

    def test_job_env_may_set_path_home_lang(self):
        job_id, _ = self.create_local([PYTHON, '-c', PROBE, '/nonexistent'],
                                      env={'PATH': '/usr/bin:/bin', 'HOME': '/srv', 'LANG': 'C',
                                           'PYTHONUNBUFFERED': '0'})
        self.jobd.wait_status(job_id, 'completed')
        env = read_probe(self.job_folder(job_id))['env']
        self.assertEqual((env['PATH'], env['HOME'], env['LANG'], env['PYTHONUNBUFFERED']),
                         ('/usr/bin:/bin', '/srv', 'C', '0'))


@unittest.skipUnless(os.geteuid() == 0, 'running jobs as another user needs a service running as root')
class LocalUserTest(LocalCase):
    """--local-user nobody, from a service running as root."""

    LOCAL_USER = 'nobody'
    PER_TEST = True

    def setUp(self):
        super().setUp()
        self.nobody = pwd.getpwnam('nobody')
        # A folder the child can see into, for the file it waits for.
        os.chmod(self.tmp, 0o755)

    def test_runs_as_nobody_and_cannot_read_the_database(self):
        # The database is its owner's only, whatever the umask said, and
        # sqlite's -wal file with it. Its folder is open here, so that only
        # the file's own mode keeps the child out.
        os.chmod(os.path.dirname(self.jobd.db), 0o755)
        for path in (self.jobd.db, self.jobd.db + '-wal'):
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600, path)

        earlier_id, _ = self.create_local(['/bin/echo', 'an earlier job'])
        self.jobd.wait_status(earlier_id, 'completed')
        secrets = [self.jobd.db, self.jobd.db + '-wal',
                   '/proc/%d/environ' % self.jobd.proc.pid,
                   os.path.join(self.job_folder(earlier_id), 'output.log')]
        job_id, secret = self.create_local([PYTHON, '-c', PROBE] + secrets)
        self.jobd.wait_status(job_id, 'completed')
        seen = read_probe(self.job_folder(job_id))
        self.assertEqual((seen['uid'], seen['euid'], seen['gid']),
                         (self.nobody.pw_uid, self.nobody.pw_uid, self.nobody.pw_gid))
        self.assertEqual(seen['groups'],
                         sorted(set(os.getgrouplist('nobody', self.nobody.pw_gid))))
        # Not the database, nor the service's environment, nor another
        # job's output.
        self.assertEqual(seen['opened'], {path: 'PermissionError' for path in secrets})
        self.assertEqual(seen['env']['HOME'], self.nobody.pw_dir)
        # nobody's home does not exist: the root of the file system.
        self.assertEqual(seen['cwd'], self.nobody.pw_dir if os.path.isdir(self.nobody.pw_dir) else '/')
        self.assertEqual(seen['env']['LORA_WEBHOOK_SECRET'], secret)
        self.assertEqual(seen['fds'], [])

        # What the service wrote for it is still the service's.
        folder = self.job_folder(job_id)
        for name in ('output.log', 'exit-status'):
            st = os.stat(os.path.join(folder, name))
            self.assertEqual((st.st_uid, st.st_mode & 0o777), (0, 0o600), name)
        with open(os.path.join(folder, 'exit-status')) as f:
            self.assertEqual(f.read().strip(), '0')

    def test_reattaches_to_a_child_of_another_user_and_cancels_it(self):
        go = self.path('go')
        wait = 'echo started; while [ ! -e "$1" ]; do sleep 0.05; done; echo done'
        done_id, _ = self.create_local(['/bin/sh', '-c', wait, 'sh', go])
        cancel_id, _ = self.create_local(['/bin/sh', '-c', wait, 'sh', self.path('never')])
        for job_id in (done_id, cancel_id):
            self.jobd.wait_status(job_id, 'training')
        state = json.loads(self.jobd.sql('SELECT provider_state FROM jobs WHERE id = ?', (done_id,))[0][0])
        with open('/proc/%d/status' % state['pid']) as f:
            uids = [line.split()[1:] for line in f if line.startswith('Uid:')][0]
        self.assertEqual(uids, [str(self.nobody.pw_uid)] * 4)
        # What the service reads to know its child again after a restart:
        # root may read the environment of nobody's process.
        with open('/proc/%d/environ' % state['pid'], 'rb') as f:
            self.assertIn(b'LORA_JOB_ID=%d' % done_id, f.read().split(b'\0'))
        # The wrapper holds its output and its exit-status file (where the
        # shell likes, while a command runs), nothing else.
        fd_dir = '/proc/%d/fd' % state['pid']
        fds = {int(fd): os.readlink(os.path.join(fd_dir, fd)) for fd in os.listdir(fd_dir)}
        log = os.path.join(self.job_folder(done_id), 'output.log')
        self.assertEqual({fd: fds.pop(fd, None) for fd in (0, 1, 2)}, {0: '/dev/null', 1: log, 2: log})
        self.assertEqual(list(fds.values()), [os.path.join(self.job_folder(done_id), 'exit-status')])

        self.assertEqual(self.jobd.restart(), 0)
        # A child the service could not recognise would be failed within a
        # tick (half a second) of the start.
        time.sleep(1.5)
        for job_id in (done_id, cancel_id):
            self.assertEqual(self.jobd.job(job_id)['status'], 'training')

        with open(go, 'w'):
            pass
        self.assertIsNone(self.jobd.wait_status(done_id, 'completed')['error'])

        r = self.jobd.cancel(cancel_id)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json['status'], 'cancelled')
        pgid = json.loads(self.jobd.sql('SELECT provider_state FROM jobs WHERE id = ?', (cancel_id,))[0][0])['pgid']
        self.wait_gone(pgid, timeout=2)


class LocalDisabledRestartTest(LocalCase):
    """Jobs of the local provider in the database of a service restarted
    without --enable-local."""

    PER_TEST = True
    SLOTS = 1

    def test_running_job_is_watched_and_queued_one_fails(self):
        go = self.path('go')
        os.chmod(self.tmp, 0o755)
        wait = 'echo started; while [ ! -e "$1" ]; do sleep 0.05; done; echo done'
        running_id, _ = self.create_local(['/bin/sh', '-c', wait, 'sh', go])
        queued_id, _ = self.create_local(['/bin/sh', '-c', 'echo must not run'])
        self.jobd.wait_status(running_id, 'training')
        self.assertEqual(self.jobd.job(queued_id)['status'], 'queued')

        def disable():
            self.jobd.enable_local = False
        self.assertEqual(self.jobd.restart_with(disable), 0)

        error = self.assertError(self.jobd.post('/api/training/jobs', self.jobd.job_fields(
            provider='local', config={'argv': ['/bin/true']})), 400, 'bad_request')
        self.assertIn('start lora-jobd with --enable-local', error['message'])

        # Its process still runs: watched to its end, holding its slot.
        time.sleep(1.5)
        self.assertEqual(self.jobd.job(running_id)['status'], 'training')
        self.assertEqual(self.jobd.job(queued_id)['status'], 'queued')
        self.assertIn('Job %d’s local process (process group ' % running_id, self.jobd.stderr_text())
        self.assertIn('is still running, although the local provider is disabled; '
                      'it is watched until it ends', self.jobd.stderr_text())

        with open(go, 'w'):
            pass
        job = self.jobd.wait_status(running_id, 'completed')
        self.assertIsNone(job['error'])

        # The queued one never ran anything.
        job = self.jobd.wait_status(queued_id, 'failed')
        self.assertEqual(job['error'], 'The local provider is disabled on this service; '
                                       'start lora-jobd with --enable-local to run local jobs')
        self.assertFalse(os.path.exists(self.job_folder(queued_id)))

    def test_job_that_ended_while_stopped_is_reported(self):
        go = self.path('go')
        os.chmod(self.tmp, 0o755)
        wait = 'echo started; while [ ! -e "$1" ]; do sleep 0.05; done; echo failing; exit 4'
        job_id, _ = self.create_local(['/bin/sh', '-c', wait, 'sh', go])
        self.jobd.wait_status(job_id, 'training')
        self.assertEqual(self.jobd.stop(), 0)
        with open(go, 'w'):
            pass
        self.wait_content(os.path.join(self.job_folder(job_id), 'exit-status'))
        self.jobd.enable_local = False
        self.jobd.start()

        job = self.jobd.wait_status(job_id, 'failed')
        self.assertEqual(job['error'], 'started\nfailing')
        self.assertIn('The training process exited with status 4', self.messages(job_id))


class LocalGpuTest(LocalCase):
    """A fake nvidia-smi first in PATH answers for two GPUs."""

    @classmethod
    def _new_jobd(cls):
        cls.bin_dir = tempfile.mkdtemp(prefix='lora-fake-smi-')
        script = os.path.join(cls.bin_dir, 'nvidia-smi')
        with open(script, 'w') as f:
            f.write('#!/bin/sh\necho "$@" >> "%s/calls"\necho 87\necho 91\n' % cls.bin_dir)
        os.chmod(script, 0o755)

        saved = os.environ['PATH']
        os.environ['PATH'] = cls.bin_dir + os.pathsep + saved
        try:
            return super()._new_jobd()
        finally:
            os.environ['PATH'] = saved

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.bin_dir, ignore_errors=True)

    def test_gpu_utilisation_is_polled(self):
        # A little slower, so that the first reading is in before the first dict.
        job_id, _ = self.create_local(trainer_argv('--steps', 100, '--log-every', 10,
                                                   '--sleep', 0.005),
                                      env={'CUDA_VISIBLE_DEVICES': '0,1'}, steps=100)
        self.jobd.wait_status(job_id, 'completed')

        gpu = self.series(job_id, 'gpu_util')
        self.assertTrue(gpu, 'no gpu_util points')
        self.assertTrue(all(v == 89.0 for _, v in gpu), gpu)
        self.assertEqual(self.jobd.metrics(job_id)['latest']['gpu_util'], 89.0)

        with open(os.path.join(self.bin_dir, 'calls')) as f:
            call = f.readline().split()
        self.assertEqual(call, ['--query-gpu=utilization.gpu', '--format=csv,noheader,nounits', '--id=0,1'])


if __name__ == '__main__':
    unittest.main(verbosity=2)
