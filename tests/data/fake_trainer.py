#!/usr/bin/python3
# fake_trainer.py: prints what a Hugging Face Trainer prints, quickly
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# For the local provider's tests (test_local.py): a tqdm bar on stderr
# redrawn with \r, loss dicts and eval dicts on stdout written the way
# tqdm.write() does (clear the bar, print, redraw), a shorter evaluation
# bar, noise, and the end-of-run summary. Standard library only.

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time
import traceback

BAR_WIDTH = 10


def bar(n, total, rate='95.12it/s'):
    frac = n / total
    filled = int(frac * BAR_WIDTH)
    drawn = '█' * filled + ('▏' if filled < BAR_WIDTH else '')
    return '%3d%%|%-10s| %d/%d [00:%02d<00:%02d, %s]' % (
        int(frac * 100), drawn[:BAR_WIDTH], n, total, n % 60, (total - n) % 60, rate)


class Screen:
    """What tqdm does on a file that is not a terminal."""

    def __init__(self):
        self.line = ''

    def draw(self, text):
        sys.stderr.write('\r' + text)
        sys.stderr.flush()
        self.line = text

    def write(self, text):
        # tqdm.write(): clear the bar, print the message, draw the bar again.
        if self.line:
            sys.stderr.write('\r' + ' ' * len(self.line) + '\r')
            sys.stderr.flush()
        sys.stdout.write(text + '\n')
        sys.stdout.flush()
        if self.line:
            self.draw(self.line)

    def close(self):
        if self.line:
            sys.stderr.write('\n')
            sys.stderr.flush()
        self.line = ''


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--steps', type=int, default=200)
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--log-every', type=int, default=20)
    p.add_argument('--eval-every', type=int, default=100)
    p.add_argument('--sleep', type=float, default=0.0, help='seconds per step')
    p.add_argument('--exit', type=int, default=0, help='fail with this status and a traceback')
    p.add_argument('--env-file', help='write the environment the trainer sees here, as JSON')
    p.add_argument('--pid-file', help='write "trainer grandchild" pids here')
    p.add_argument('--grandchild', action='store_true', help='start a long-lived child process')
    p.add_argument('--ignore-term', action='store_true', help='ignore SIGTERM, like a stuck process')
    p.add_argument('--wait-file', help='before step --wait-at, wait until this file exists')
    p.add_argument('--wait-at', type=int, help='the step to wait before (default: the last)')
    p.add_argument('--noise-kb', type=int, default=0, help='print this much chatter first')
    args = p.parse_args()

    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    if args.env_file:
        seen = {k: os.environ.get(k) for k in ('LORA_JOB_ID', 'LORA_WEBHOOK_URL',
                                                'LORA_WEBHOOK_SECRET', 'LORA_EXIT_FILE',
                                                'FOO', 'PYTHONUNBUFFERED')}
        seen['cwd'] = os.getcwd()
        seen['pgid'] = os.getpgid(0)
        seen['sid'] = os.getsid(0)
        with open(args.env_file + '.tmp', 'w') as f:
            json.dump(seen, f)
        os.rename(args.env_file + '.tmp', args.env_file)

    child = None
    if args.grandchild:
        child = subprocess.Popen(['/bin/sleep', '1000'])
    if args.pid_file:
        with open(args.pid_file + '.tmp', 'w') as f:
            f.write('%d %d\n' % (os.getpid(), child.pid if child else 0))
        os.rename(args.pid_file + '.tmp', args.pid_file)

    print('The following columns in the training set don\'t have a corresponding argument: text.',
          file=sys.stderr)
    for i in range(args.noise_kb * 1024 // 64):
        print('Loading shard %05d: %s' % (i, '.' * 44), flush=True)
    print('***** Running training *****', flush=True)
    print('  Num examples = 1,600', flush=True)
    print('  Total optimization steps = %d' % args.steps, flush=True)

    screen = Screen()
    steps_per_epoch = args.steps / args.epochs
    screen.draw(bar(0, args.steps, '?it/s'))

    for step in range(1, args.steps + 1):
        if args.wait_file and step == (args.wait_at or args.steps):
            while not os.path.exists(args.wait_file):
                time.sleep(0.05)
        if args.sleep:
            time.sleep(args.sleep)
        screen.draw(bar(step, args.steps))
        epoch = round(step / steps_per_epoch, 2)

        if args.exit and step == args.steps // 2:
            try:
                raise ValueError('loss exploded at step %d' % step)
            except ValueError:
                screen.close()
                traceback.print_exc()
                sys.stderr.flush()
                return args.exit

        if step % args.log_every == 0:
            loss = 2.0 * math.exp(-3.0 * step / args.steps) + 0.1
            lr = 2e-4 * (1 - step / args.steps)
            screen.write(str({'loss': round(loss, 4), 'grad_norm': 1.25,
                              'learning_rate': lr, 'epoch': epoch}))

        if step % args.eval_every == 0:
            for i in range(1, 6):
                screen.draw(bar(i, 5, '40.0it/s'))
            screen.draw(bar(step, args.steps))
            eval_loss = 2.0 * math.exp(-3.0 * step / args.steps) + 0.15
            screen.write(str({'eval_loss': round(eval_loss, 4), 'eval_runtime': 0.12,
                              'eval_samples_per_second': 416.7, 'epoch': epoch}))

    screen.write(str({'train_runtime': 1.5, 'train_samples_per_second': 1066.7,
                      'train_loss': 0.61, 'epoch': float(args.epochs)}))
    screen.close()
    print('Saving model checkpoint to /tmp/out', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
