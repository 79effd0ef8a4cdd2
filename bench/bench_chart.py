#!/usr/bin/env python3
# bench_chart.py: the loss chart's redraw after new data, against matplotlib
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs bench-chart (1,000,000 training and 10,000 validation points in a
# 1000x600 window) with GSK's cairo renderer and with its GL renderer, and
# draws the same kind of data at the same size with matplotlib's Agg
# backend (python3-matplotlib from Debian; its default path simplification
# on, as a user would have it): one point appended, then a full redraw.
# Our figure is bench-chart's "window frame, new data" median (layout,
# snapshot, rendering of the whole window; what a new metrics answer
# costs); "plot snapshot + render, new data" is printed beside it. Three
# runs of each, medians; the speed-up is matplotlib's time over ours.
#
# Under Xvfb the GL renderer runs on Mesa's software rasteriser (llvmpipe),
# not a GPU: its figure says what a machine without one gets.
#
#   meson test -C _build --benchmark chart -v
#   BENCH_CHART=_build/bench/bench-chart python3 bench/bench_chart.py

import math
import os
import re
import subprocess
import time

import benchlib
from benchlib import log

WIDTH, HEIGHT, POINTS = 1000, 600, 1000000
FRAME_RE = re.compile(r'^\s*(window frame, new data|plot snapshot \+ render, new data)\s+mean\s+\S+ ms\s+median\s+(\S+) ms',
                      re.M)


def run_ours(tool, env, renderer):
    out = subprocess.run([tool, '--points', str(POINTS), '--frames', '60'],
                         env=dict(env, GSK_RENDERER=renderer), check=True,
                         capture_output=True, text=True, timeout=300).stdout
    found = dict(FRAME_RE.findall(out))
    renderer_line = out.splitlines()[0]
    if renderer not in renderer_line:
        raise RuntimeError('bench-chart did not use %s: %s' % (renderer, renderer_line))
    return float(found['window frame, new data']), float(found['plot snapshot + render, new data'])


def run_matplotlib(draws=8):
    import matplotlib
    matplotlib.use('Agg')
    import numpy
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    rng = numpy.random.default_rng(7)
    steps = numpy.arange(1, POINTS + 1, dtype=numpy.float64)
    base = 0.3 + 1.5 * numpy.exp(-steps / (POINTS / 8.0))
    train = base * (1.0 + rng.uniform(-0.08, 0.08, POINTS))
    train[POINTS * 2 // 3] = 3.1
    val_steps = steps[99::100]
    val = train[99::100] * 1.05

    fig = Figure(figsize=(WIDTH / 100.0, HEIGHT / 100.0), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    (line,) = ax.plot(steps, train, linewidth=1)
    ax.plot(val_steps, val, linewidth=1.5)
    ax.grid(True, alpha=0.3)
    canvas.draw()

    times = []
    x, y = steps, train
    for i in range(draws):
        # New data: one more step, as after a poll.
        x = numpy.append(x, x[-1] + 1)
        y = numpy.append(y, 0.3)
        start = time.perf_counter()
        line.set_data(x, y)
        ax.relim()
        ax.autoscale_view()
        canvas.draw()
        times.append((time.perf_counter() - start) * 1000.0)
    return benchlib.median(times), matplotlib.__version__


def main():
    tool = os.environ.get('BENCH_CHART') or os.path.join(benchlib.BENCH_DIR, '..', '_build', 'bench', 'bench-chart')
    display = benchlib.Display()
    try:
        env = display.env()
        cairo_frame, cairo_plot, gl_frame, gl_plot, mpl = [], [], [], [], []
        version = '?'
        for run in range(benchlib.RUNS):
            frame, plot = run_ours(tool, env, 'cairo')
            cairo_frame.append(frame)
            cairo_plot.append(plot)
            try:
                frame, plot = run_ours(tool, env, 'gl')
                gl_frame.append(frame)
                gl_plot.append(plot)
            except (subprocess.CalledProcessError, RuntimeError, KeyError) as e:
                log('the GL renderer could not be measured: %s' % e)
            try:
                ms, version = run_matplotlib()
                mpl.append(ms)
            except ImportError as e:
                log('no matplotlib (python3-matplotlib): %s' % e)
            log('run %d: cairo frame %.2f ms (plot %.2f), gl frame %s ms (plot %s), matplotlib %s ms'
                % (run + 1, cairo_frame[-1], cairo_plot[-1],
                   '%.2f' % gl_frame[-1] if gl_frame else '-', '%.2f' % gl_plot[-1] if gl_plot else '-',
                   '%.1f' % mpl[-1] if mpl else '-'))

        ref = mpl if mpl else None
        label = 'matplotlib %s Agg' % version
        benchlib.result('chart redraw, new data, cairo', cairo_frame, 'ms', ref, label, goal='>= 30x', speedup=True)
        benchlib.result('chart plot only, new data, cairo', cairo_plot, 'ms', ref, label, speedup=True)
        if gl_frame:
            benchlib.result('chart redraw, new data, gl', gl_frame, 'ms', ref, label, goal='>= 30x', speedup=True)
            benchlib.result('chart plot only, new data, gl', gl_plot, 'ms', ref, label, speedup=True)
            benchlib.result('chart redraw, gl vs cairo', gl_frame, 'ms', cairo_frame, 'cairo',
                            goal='ratio <= 1')
        return 0
    finally:
        display.close()


if __name__ == '__main__':
    raise SystemExit(main())
