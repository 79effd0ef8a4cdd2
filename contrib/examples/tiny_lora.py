#!/usr/bin/env python3
# tiny_lora.py: a small trainer that really learns, reporting to lora-jobd
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Standard library only (no numpy): it fits a low-rank adapter to a frozen
# linear layer by minibatch gradient descent, in plain Python, in a second
# or two, and reports every stage, metric and checkpoint through
# contrib/lora_reporter.py.

"""Fit a LoRA adapter to a frozen linear layer, reporting to lora-jobd.

The model is one frozen linear layer ``W0`` (d x d) plus a low-rank adapter:
``W = W0 + B·A`` with ``A`` (r x d) and ``B`` (d x r), ``B`` starting at zero as
in LoRA, so the model starts as the base layer. The data are ``y = W* x +
noise`` for a target ``W* = W0 + ΔW`` with a rank-r ``ΔW``; only ``A`` and ``B``
are trained, by minibatch gradient descent on the mean squared error,
with a linear warm-up and a cosine decay of the learning rate. The
training loss falls from about ``‖ΔW‖²/d`` towards the noise's variance.

Run it by hand (with or without a service; without LORA_WEBHOOK_URL and
LORA_WEBHOOK_SECRET it just trains)::

    python3 contrib/examples/tiny_lora.py --steps 300 --sleep 0.01

or as a job of lora-jobd's ``local`` provider (its argv), or for an
``external`` job with the three LORA_* variables set. It stops early,
exiting 0, when the service says the job was cancelled (``Reporter.stopped``)
or on SIGTERM, and sends nothing more then. ``--print-hf-logs`` also
prints the dict lines Hugging Face's Trainer prints (``{'loss': 0.52,
'learning_rate': 0.0002, 'epoch': 1.2}``), for the provider's
zero-integration log parsing.
"""

import argparse
import json
import math
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from lora_reporter import Reporter  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--steps', type=int, default=300, help='training steps (default 300)')
    p.add_argument('--lr', type=float, default=0.2, help='peak learning rate (default 0.2)')
    p.add_argument('--batch-size', type=int, default=32, help='minibatch size (default 32)')
    p.add_argument('--dim', type=int, default=16, help='d, the layer size (default 16)')
    p.add_argument('--rank', type=int, default=2, help='r, the adapter rank (default 2)')
    p.add_argument('--samples', type=int, default=256, help='training samples (default 256)')
    p.add_argument('--val-samples', type=int, default=64, help='validation samples (default 64)')
    p.add_argument('--noise', type=float, default=0.05, help='noise std of the targets')
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--log-every', type=int, default=10, help='metrics every N steps (default 10)')
    p.add_argument('--eval-every', type=int, default=50, help='val_loss every N steps (default 50)')
    p.add_argument('--checkpoint-every', type=int, default=100,
                   help='a checkpoint every N steps (default 100)')
    p.add_argument('--sleep', type=float, default=0.0,
                   help='seconds to sleep after each step, to make the run last (default 0)')
    p.add_argument('--output-dir', default=None,
                   help='write checkpoints and the final adapter (JSON) here')
    p.add_argument('--report-interval', type=float, default=2.0,
                   help='send queued events at least every N seconds (default 2)')
    p.add_argument('--no-report', action='store_true',
                   help='do not report through the webhook even if LORA_* are set '
                        '(with --print-hf-logs: zero-integration mode)')
    p.add_argument('--print-hf-logs', action='store_true',
                   help="also print Hugging Face Trainer-style lines: {'loss': ..., ...}")
    p.add_argument('--quiet', action='store_true', help='print only the summary')
    return p.parse_args(argv)


# ---------------------------------------------------------------------------
# Plain-Python linear algebra on lists of lists

def randn_matrix(rng, rows, cols, std):
    return [[rng.gauss(0.0, std) for _ in range(cols)] for _ in range(rows)]


def matvec(m, v):
    return [sum(a * b for a, b in zip(row, v)) for row in m]


def matmul(a, b):
    bt = list(zip(*b))
    return [[sum(x * y for x, y in zip(row, col)) for col in bt] for row in a]


class TinyLora:
    """y = (W0 + B·A) x with W0 frozen."""

    def __init__(self, w0, rank, rng):
        d = len(w0)
        self.w0 = w0
        self.a = randn_matrix(rng, rank, d, 1.0 / math.sqrt(d))
        self.b = [[0.0] * rank for _ in range(d)]

    def forward(self, x):
        u = matvec(self.a, x)                               # r
        base = matvec(self.w0, x)                           # d
        return [bi + sum(bk * uk for bk, uk in zip(brow, u))
                for bi, brow in zip(base, self.b)], u

    def loss(self, xs, ys):
        total = 0.0
        for x, y in zip(xs, ys):
            pred, _ = self.forward(x)
            total += sum((p - t) ** 2 for p, t in zip(pred, y))
        return total / (len(xs) * len(self.w0))

    def step(self, xs, ys, lr):
        """One gradient step on the minibatch; returns its loss (before the
        step) and the gradient's norm."""
        d, r = len(self.w0), len(self.a)
        ga = [[0.0] * d for _ in range(r)]
        gb = [[0.0] * r for _ in range(d)]
        total = 0.0
        scale = 2.0 / (len(xs) * d)
        for x, y in zip(xs, ys):
            pred, u = self.forward(x)
            e = [p - t for p, t in zip(pred, y)]
            total += sum(v * v for v in e)
            # dL/dB = e uᵀ ; dL/dA = (Bᵀ e) xᵀ
            for i in range(d):
                ei = e[i] * scale
                row = gb[i]
                for k in range(r):
                    row[k] += ei * u[k]
            v = [sum(self.b[i][k] * e[i] for i in range(d)) * scale for k in range(r)]
            for k in range(r):
                vk = v[k]
                row = ga[k]
                for j in range(d):
                    row[j] += vk * x[j]
        norm = math.sqrt(sum(g * g for row in ga for g in row) + sum(g * g for row in gb for g in row))
        for k in range(r):
            for j in range(d):
                self.a[k][j] -= lr * ga[k][j]
        for i in range(d):
            for k in range(r):
                self.b[i][k] -= lr * gb[i][k]
        return total / (len(xs) * d), norm

    def state(self):
        return {'A': self.a, 'B': self.b}


def make_data(rng, w_true, n, noise):
    d = len(w_true)
    xs = [[rng.gauss(0.0, 1.0) for _ in range(d)] for _ in range(n)]
    ys = [[v + rng.gauss(0.0, noise) for v in matvec(w_true, x)] for x in xs]
    return xs, ys


def lr_at(step, total, peak):
    """Linear warm-up over the first 5 % of the steps, then cosine to 0."""
    warmup = max(1, total // 20)
    if step <= warmup:
        return peak * step / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * 0.5 * (1.0 + math.cos(math.pi * progress))


def save(path, payload):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(payload, f)


# ---------------------------------------------------------------------------

def main(argv=None):
    args = parse_args(argv)
    out = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))

    stop = {'signal': None}

    def on_sigterm(signum, frame):
        stop['signal'] = signum

    signal.signal(signal.SIGTERM, on_sigterm)

    if args.no_report:
        reporter = Reporter(url='', secret='')
        out('--no-report: not reporting')
    else:
        reporter = Reporter(flush_interval=args.report_interval)
        if reporter.enabled:
            out('reporting to %s (run %s)' % (reporter.url, reporter.run_id))
        else:
            out('LORA_WEBHOOK_URL / LORA_WEBHOOK_SECRET not set: not reporting')

    d, r = args.dim, args.rank
    rng = random.Random(args.seed)
    try:
        # Preprocessing: the synthetic data set.
        reporter.stage('preprocessing', 'active',
                       substatus='Generating %d samples (d=%d, rank-%d target)...'
                       % (args.samples + args.val_samples, d, r))
        w0 = randn_matrix(rng, d, d, 1.0 / math.sqrt(d))
        delta = matmul(randn_matrix(rng, d, r, 1.0 / math.sqrt(r)), randn_matrix(rng, r, d, 1.0 / math.sqrt(d)))
        w_true = [[a + b for a, b in zip(ra, rb)] for ra, rb in zip(w0, delta)]
        train_x, train_y = make_data(rng, w_true, args.samples, args.noise)
        val_x, val_y = make_data(rng, w_true, args.val_samples, args.noise)

        # Model loading: the frozen base and the adapter.
        reporter.stage('model_loading', 'active',
                       substatus='Initialising the frozen %dx%d base and a rank-%d adapter...' % (d, d, r))
        model = TinyLora(w0, r, rng)
        steps_per_epoch = max(1, args.samples // args.batch_size)

        reporter.status('training')
        reporter.stage('training', 'active')
        first_loss = last_loss = None
        step = 0
        order = list(range(args.samples))
        stopped_by = None
        for step in range(1, args.steps + 1):
            if (step - 1) % steps_per_epoch == 0:
                rng.shuffle(order)
            k = ((step - 1) % steps_per_epoch) * args.batch_size
            idx = order[k:k + args.batch_size]
            lr = lr_at(step, args.steps, args.lr)
            loss, grad_norm = model.step([train_x[i] for i in idx], [train_y[i] for i in idx], lr)
            epoch = step / steps_per_epoch

            if step % args.log_every == 0 or step == args.steps or step == 1:
                val_loss = None
                if step % args.eval_every == 0 or step == args.steps:
                    val_loss = model.loss(val_x, val_y)
                first_loss = loss if first_loss is None else first_loss
                last_loss = loss
                reporter.metrics(step, epoch=epoch, train_loss=loss, val_loss=val_loss,
                                 learning_rate=lr)
                if args.print_hf_logs:
                    print({'loss': round(loss, 4), 'grad_norm': round(grad_norm, 4),
                           'learning_rate': lr, 'epoch': round(epoch, 2)}, flush=True)
                    if val_loss is not None:
                        print({'eval_loss': round(val_loss, 4), 'eval_runtime': 0.01,
                               'epoch': round(epoch, 2)}, flush=True)
                out('step %d/%d  loss %.5f%s  lr %.4g' % (
                    step, args.steps, loss,
                    '  val_loss %.5f' % val_loss if val_loss is not None else '', lr))

            if step % args.checkpoint_every == 0 and step < args.steps:
                path = None
                if args.output_dir:
                    path = os.path.join(args.output_dir, 'checkpoint-%d' % step)
                    save(os.path.join(path, 'adapter.json'), model.state())
                reporter.checkpoint(step, path=path)

            if reporter.stopped:
                stopped_by = 'the service (%s)' % (reporter.stop_reason or 'job finished')
                break
            if stop['signal'] is not None:
                stopped_by = 'SIGTERM'
                break
            if args.sleep > 0:
                time.sleep(args.sleep)

        if stopped_by:
            print('stopped at step %d by %s' % (step, stopped_by), flush=True)
            reporter.close(timeout=2.0)
            return 0

        reporter.stage('training', 'completed')
        reporter.stage('finalization', 'active', substatus='Saving the adapter...')
        path = None
        if args.output_dir:
            path = os.path.join(args.output_dir, 'adapter.json')
            save(path, model.state())
        reporter.stage('finalization', 'completed')
        reporter.status('completed', message='Adapter fitted: loss %.4g -> %.4g' % (first_loss, last_loss))
        done = reporter.close(timeout=15.0)
        print('done: %d steps, train loss %.5f -> %.5f, val loss %.5f%s' % (
            step, first_loss, last_loss, model.loss(val_x, val_y),
            '' if done or not reporter.enabled else ' (some events were not delivered)'), flush=True)
        return 0
    except BaseException as exc:
        if isinstance(exc, SystemExit) and exc.code in (None, 0):
            raise
        import traceback
        text = '%s: %s' % (type(exc).__name__, exc)
        reporter.error(text, exception=type(exc).__name__, traceback=traceback.format_exc()[-8000:])
        reporter.status('failed', error=text)
        reporter.close(timeout=10.0)
        raise


if __name__ == '__main__':
    sys.exit(main())
