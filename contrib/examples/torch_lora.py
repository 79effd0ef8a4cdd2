#!/usr/bin/env python3
# torch_lora.py: a real LoRA fine-tune in PyTorch, on CPU, in seconds
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Needs PyTorch (Debian 12: python3-torch, 1.13, CPU) and, for the tqdm
# modes, tqdm (python3-tqdm). No download, no GPU.

"""Fine-tune a small transformer language model with LoRA adapters.

A character-level transformer (token and position embeddings, pre-norm
blocks of causal multi-head self-attention and an MLP) first learns a text
Debian ships, /usr/share/common-licenses/GPL-3, for ``--base-steps`` steps:
it stands in for a pretrained checkpoint. Then every weight of it is
frozen and each attention projection (query, key, value, output) gets a
rank-r LoRA adapter, ``W x + (alpha / r) · B A x``, ``B`` starting at zero,
so the adapted model starts as the base. Only the adapters are trained,
for ``--steps`` steps, on another text, /usr/share/common-licenses/Apache-2.0
(its last tenth held out for the validation loss). The training loss falls
as the adapters learn the new text.

What it prints is chosen with ``--print``:

``plain`` (default)
    a line now and then (``step 20/120  loss 2.134``).
``tqdm-kohya``
    what kohya-ss sd-scripts' train_network.py prints: a tqdm bar
    described "steps" with the moving average of the loss as its postfix
    (``steps:  42%|████▏     | 50/120 [00:02<00:03, 21.5it/s, avr_loss=2.13]``),
    a "validation steps" bar with ``val_avg_loss``, and "epoch N/M" lines.
``hf``
    what a Hugging Face Trainer prints: a "Map" bar while the text is cut
    into examples, a bar without description, and its log dicts
    (``{'loss': 2.134, 'grad_norm': 0.91, 'learning_rate': 0.008, 'epoch': 0.42}``,
    ``{'eval_loss': 2.2, …}``, and the closing ``{'train_runtime': …}``).

With ``--report`` it also reports its stages, metrics and checkpoints to
lora-jobd through contrib/lora_reporter.py (it needs LORA_WEBHOOK_URL and
LORA_WEBHOOK_SECRET, which the service's ``local`` provider sets).
Without it, the service reads what it prints. SIGTERM (a cancel) stops it
at the end of the step.

    python3 contrib/examples/torch_lora.py --steps 120 --print tqdm-kohya
"""

import argparse
import math
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

LICENSES = '/usr/share/common-licenses'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--steps', type=int, default=60, help='LoRA training steps (default 60)')
    p.add_argument('--base-steps', type=int, default=60,
                   help='steps that train the base model before it is frozen (default 60)')
    p.add_argument('--base-text', default=os.path.join(LICENSES, 'GPL-3'))
    p.add_argument('--text', default=os.path.join(LICENSES, 'Apache-2.0'),
                   help='what the adapters learn (default: the Apache License 2.0)')
    p.add_argument('--rank', type=int, default=8, help='r, the adapters\' rank (default 8)')
    p.add_argument('--alpha', type=float, default=16.0, help='LoRA alpha (default 16)')
    p.add_argument('--lr', type=float, default=1e-2, help='peak learning rate of the adapters (default 0.01)')
    p.add_argument('--base-lr', type=float, default=2e-2)
    p.add_argument('--base-cache', metavar='FILE',
                   help='load the base model from FILE if it is there, else train it and save it there')
    p.add_argument('--dim', type=int, default=32, help='model width (default 32)')
    p.add_argument('--layers', type=int, default=2)
    p.add_argument('--heads', type=int, default=4)
    p.add_argument('--block', type=int, default=32, help='context length (default 32)')
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--epochs', type=int, default=2,
                   help='how many epochs the steps are said to be (for the logs; default 2)')
    p.add_argument('--log-every', type=int, default=10)
    p.add_argument('--eval-every', type=int, default=20)
    p.add_argument('--checkpoint-every', type=int, default=0, help='a checkpoint every N steps (0: none)')
    p.add_argument('--sleep', type=float, default=0.0, help='seconds to sleep after each step')
    p.add_argument('--threads', type=int, default=1, help='CPU threads for PyTorch (default 1)')
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--output-dir', help='save the adapters (adapter.pt) and checkpoints here')
    p.add_argument('--print', dest='print_mode', default='plain', choices=('plain', 'tqdm-kohya', 'hf'))
    p.add_argument('--report', action='store_true', help='report to lora-jobd with contrib/lora_reporter.py')
    p.add_argument('--report-interval', type=float, default=0.5)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()

    stop = {'signal': None}

    def on_sigterm(signum, frame):
        stop['signal'] = signum

    signal.signal(signal.SIGTERM, on_sigterm)

    if args.report:
        from lora_reporter import Reporter
        reporter = Reporter(flush_interval=args.report_interval)
    else:
        reporter = None

    def report(method, *a, **kw):
        if reporter is not None:
            getattr(reporter, method)(*a, **kw)

    try:
        code = train(args, report, stop, started, reporter)
    except BaseException as exc:
        if isinstance(exc, SystemExit) and exc.code in (None, 0):
            raise
        import traceback
        text = '%s: %s' % (type(exc).__name__, exc)
        report('error', text, exception=type(exc).__name__, traceback=traceback.format_exc()[-8000:])
        report('status', 'failed', error=text)
        if reporter is not None:
            reporter.close(timeout=10.0)
        raise
    if reporter is not None:
        reporter.close(timeout=15.0)
    return code


def train(args, report, stop, started, reporter):
    import torch
    from torch import nn
    from torch.nn import functional as F

    torch.set_num_threads(max(1, args.threads))
    torch.manual_seed(args.seed)
    kohya = args.print_mode == 'tqdm-kohya'
    hf = args.print_mode == 'hf'
    if kohya or hf:
        from tqdm import tqdm
        # Both trainers draw their bars on stderr; the logs go to stdout.
        write = tqdm.write
    else:
        def write(text):
            print(text, flush=True)

    # -- Preprocessing: the texts, as bytes, cut into examples -----------------
    report('stage', 'preprocessing', 'active', substatus='Reading %s and %s' % (args.base_text, args.text))
    if kohya:
        write('Loading dataset config from %s' % args.text)
    with open(args.base_text, 'rb') as f:
        base_data = torch.tensor(list(f.read()), dtype=torch.long)
    with open(args.text, 'rb') as f:
        data = torch.tensor(list(f.read()), dtype=torch.long)
    split = int(len(data) * 0.9)
    train_data, val_data = data[:split], data[split:]
    block = args.block
    n_examples = (len(train_data) - 1) // block
    if hf:
        # datasets' map() while the text is tokenized and grouped.
        for _ in tqdm(range(n_examples), desc='Map', unit=' examples'):
            pass

    def batch(source, generator=None):
        idx = torch.randint(len(source) - block - 1, (args.batch_size,), generator=generator)
        x = torch.stack([source[i:i + block] for i in idx])
        y = torch.stack([source[i + 1:i + block + 1] for i in idx])
        return x, y

    # -- Model loading: the base model, trained in place of a checkpoint -------
    cached = args.base_cache is not None and os.path.exists(args.base_cache)
    if cached:
        report('stage', 'model_loading', 'active', substatus='Loading the base model from %s' % args.base_cache)
    else:
        report('stage', 'model_loading', 'active',
               substatus='Training the base model on %s for %d steps' % (os.path.basename(args.base_text),
                                                                          args.base_steps))
    write('loading model: a %d-layer, %d-wide transformer%s'
          % (args.layers, args.dim, '' if cached else ', trained %d steps on %s in place of a checkpoint'
             % (args.base_steps, os.path.basename(args.base_text))))

    class LoRALinear(nn.Module):
        """A frozen linear layer plus (alpha / r) · B A."""

        def __init__(self, base, rank, alpha):
            super().__init__()
            self.base = base
            self.scale = alpha / rank
            self.lora_a = nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
            self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))

        def forward(self, x):
            return self.base(x) + (x @ self.lora_a.t() @ self.lora_b.t()) * self.scale

    class Attention(nn.Module):
        def __init__(self, dim, heads):
            super().__init__()
            self.heads = heads
            self.q = nn.Linear(dim, dim)
            self.k = nn.Linear(dim, dim)
            self.v = nn.Linear(dim, dim)
            self.o = nn.Linear(dim, dim)

        def forward(self, x):
            b, t, c = x.shape
            h = self.heads

            def split_heads(z):
                return z.view(b, t, h, c // h).transpose(1, 2)

            q, k, v = split_heads(self.q(x)), split_heads(self.k(x)), split_heads(self.v(x))
            att = (q @ k.transpose(-2, -1)) / math.sqrt(c // h)
            mask = torch.ones(t, t, dtype=torch.bool).tril()
            att = att.masked_fill(~mask, float('-inf')).softmax(dim=-1)
            return self.o((att @ v).transpose(1, 2).reshape(b, t, c))

    class Block(nn.Module):
        def __init__(self, dim, heads):
            super().__init__()
            self.ln1 = nn.LayerNorm(dim)
            self.attn = Attention(dim, heads)
            self.ln2 = nn.LayerNorm(dim)
            self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class TinyLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(256, args.dim)
            self.pos = nn.Embedding(block, args.dim)
            self.blocks = nn.ModuleList([Block(args.dim, args.heads) for _ in range(args.layers)])
            self.ln = nn.LayerNorm(args.dim)
            self.head = nn.Linear(args.dim, 256)

        def forward(self, x, targets):
            h = self.tok(x) + self.pos(torch.arange(x.shape[1]))
            for blk in self.blocks:
                h = blk(h)
            logits = self.head(self.ln(h))
            return F.cross_entropy(logits.view(-1, 256), targets.view(-1))

    model = TinyLM()
    if cached:
        model.load_state_dict(torch.load(args.base_cache))
    else:
        base_opt = torch.optim.AdamW(model.parameters(), lr=args.base_lr)
        for _ in range(args.base_steps):
            x, y = batch(base_data)
            loss = model(x, y)
            base_opt.zero_grad(set_to_none=True)
            loss.backward()
            base_opt.step()
            if stop['signal'] is not None:
                write('stopped while the base model trained (SIGTERM)')
                return 0
        if args.base_cache:
            # Renamed into place: runs sharing the cache never read half of it.
            partial = '%s.%d' % (args.base_cache, os.getpid())
            torch.save(model.state_dict(), partial)
            os.replace(partial, args.base_cache)
    with torch.no_grad():
        base_loss = sum(model(*batch(base_data)).item() for _ in range(2)) / 2

    # Frozen, then adapted: LoRA on every attention projection.
    for p in model.parameters():
        p.requires_grad_(False)
    for blk in model.blocks:
        for name in ('q', 'k', 'v', 'o'):
            setattr(blk.attn, name, LoRALinear(getattr(blk.attn, name), args.rank, args.alpha))
    adapters = [p for p in model.parameters() if p.requires_grad]
    n_adapter = sum(p.numel() for p in adapters)
    n_total = sum(p.numel() for p in model.parameters())
    write('base model: loss %.3f on %s; LoRA rank %d on %d attention projections: '
          '%d trainable parameters of %d (%.1f%%)'
          % (base_loss, os.path.basename(args.base_text), args.rank, 4 * args.layers,
             n_adapter, n_total, 100.0 * n_adapter / n_total))

    optimizer = torch.optim.AdamW(adapters, lr=args.lr, weight_decay=0.0)
    warmup = max(1, args.steps // 20)

    def lr_at(step):
        """Linear warm-up over 5 % of the steps, then cosine to a tenth."""
        if step <= warmup:
            return args.lr * step / warmup
        progress = (step - warmup) / max(1, args.steps - warmup)
        return args.lr * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress)))

    val_gen = torch.Generator().manual_seed(args.seed + 1)
    val_batches = [batch(val_data, val_gen) for _ in range(4)]

    def validate():
        with torch.no_grad():
            return sum(model(x, y).item() for x, y in val_batches) / len(val_batches)

    steps_per_epoch = args.steps / max(1, args.epochs)

    # -- Training: only the adapters --------------------------------------------
    report('status', 'training')
    report('stage', 'training', 'active')
    if kohya:
        write('running training')
        write('  num epochs: %d' % args.epochs)
        write('  total optimization steps: %d' % args.steps)
        bar = tqdm(range(args.steps), smoothing=0, desc='steps')
        recent = []
    elif hf:
        bar = tqdm(total=args.steps)
    else:
        bar = None

    losses = []
    step = 0
    epoch_shown = 0
    stopped_by = None
    train_started = time.monotonic()
    for step in range(1, args.steps + 1):
        epoch = step / steps_per_epoch
        if kohya and math.ceil(epoch) > epoch_shown:
            epoch_shown = math.ceil(epoch)
            write('\nepoch %d/%d' % (epoch_shown, args.epochs))
        lr = lr_at(step)
        for group in optimizer.param_groups:
            group['lr'] = lr
        x, y = batch(train_data)
        loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(adapters, 1.0).item()
        optimizer.step()
        value = loss.item()
        losses.append(value)
        # What a Hugging Face Trainer logs: the mean since the last log.
        logged = sum(losses[-args.log_every:]) / len(losses[-args.log_every:])

        evaluate = step % args.eval_every == 0 or step == args.steps
        val_loss = validate() if evaluate else None

        if kohya:
            # train_network.py: bar.update(1), then set_postfix(avr_loss=…)
            recent = (recent + [value])[-10:]
            bar.update(1)
            bar.set_postfix(avr_loss=sum(recent) / len(recent))
            if val_loss is not None:
                vbar = tqdm(range(len(val_batches)), smoothing=0, desc='validation steps', leave=False)
                seen = []
                with torch.no_grad():
                    for vx, vy in val_batches:
                        seen.append(model(vx, vy).item())
                        vbar.update(1)
                        vbar.set_postfix({'val_avg_loss': sum(seen) / len(seen)})
                vbar.close()
        elif hf:
            bar.update(1)
            if step % args.log_every == 0 or step == args.steps:
                write(str({'loss': round(logged, 4), 'grad_norm': round(grad_norm, 4),
                           'learning_rate': lr, 'epoch': round(epoch, 2)}))
            if val_loss is not None:
                write(str({'eval_loss': round(val_loss, 4), 'eval_runtime': 0.01,
                           'eval_samples_per_second': 400.0, 'epoch': round(epoch, 2)}))
        elif step % args.log_every == 0 or step == args.steps or step == 1:
            write('step %d/%d  loss %.4f%s  lr %.3g' % (
                step, args.steps, logged, '  val_loss %.4f' % val_loss if val_loss is not None else '', lr))

        if step % args.log_every == 0 or step == args.steps or step == 1 or val_loss is not None:
            report('metrics', step, epoch=epoch, train_loss=logged, val_loss=val_loss, learning_rate=lr)

        if args.checkpoint_every and step % args.checkpoint_every == 0 and step < args.steps:
            path = None
            if args.output_dir:
                path = os.path.join(args.output_dir, 'checkpoint-%d' % step)
                os.makedirs(path, exist_ok=True)
                torch.save({n: p for n, p in model.named_parameters() if p.requires_grad},
                           os.path.join(path, 'adapter.pt'))
            report('checkpoint', step, path=path)

        if reporter is not None and reporter.stopped:
            stopped_by = 'the service (%s)' % (reporter.stop_reason or 'job finished')
            break
        if stop['signal'] is not None:
            stopped_by = 'SIGTERM'
            break
        if args.sleep > 0:
            time.sleep(args.sleep)

    if bar is not None:
        bar.close()
    if stopped_by:
        write('stopped at step %d by %s' % (step, stopped_by))
        return 0

    # -- Finalization: the adapters ---------------------------------------------
    report('stage', 'training', 'completed')
    report('stage', 'finalization', 'active', substatus='Saving the adapters')
    if args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)
        torch.save({n: p for n, p in model.named_parameters() if p.requires_grad},
                   os.path.join(args.output_dir, 'adapter.pt'))
    first = sum(losses[:10]) / len(losses[:10])
    last = sum(losses[-10:]) / len(losses[-10:])
    if hf:
        runtime = time.monotonic() - train_started
        write(str({'train_runtime': round(runtime, 3), 'train_samples_per_second': round(
            args.steps * args.batch_size / runtime, 3), 'train_loss': round(sum(losses) / len(losses), 4),
            'epoch': float(args.epochs)}))
    elif kohya:
        write('model saved.')
    report('stage', 'finalization', 'completed')
    report('status', 'completed', message='LoRA fitted: loss %.3f -> %.3f' % (first, last))
    write('done: %d steps in %.1fs, train loss %.3f -> %.3f, val loss %.3f'
          % (step, time.monotonic() - started, first, last, validate()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
