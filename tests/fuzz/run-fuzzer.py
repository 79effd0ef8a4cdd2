#!/usr/bin/python3
# run-fuzzer.py: runs one libFuzzer target for a while; fails on any finding
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   run-fuzzer.py FUZZER [--seconds N] [--work DIR] [--dict FILE] CORPUS_DIR...
#
# libFuzzer adds the inputs it finds to the first corpus directory, so that
# is DIR/corpus (in the build directory), never the seed corpus in the
# source tree, which is only read. A crash, leak, timeout or out-of-memory
# is written to DIR/artifacts/ and makes the run fail; copy it into
# tests/fuzz/regressions/TARGET/ once fixed.

import argparse
import os
import re
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('fuzzer')
    parser.add_argument('corpus', nargs='+')
    parser.add_argument('--seconds', type=int, default=30)
    parser.add_argument('--work', required=True)
    parser.add_argument('--dict')
    parser.add_argument('--jobs', type=int, default=1)
    args, extra = parser.parse_known_args()

    corpus = os.path.join(args.work, 'corpus')
    artifacts = os.path.join(args.work, 'artifacts')
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)

    command = [
        args.fuzzer,
        '-max_total_time=%d' % args.seconds,
        '-timeout=10',
        '-rss_limit_mb=2048',
        '-max_len=65536',
        '-print_final_stats=1',
        '-artifact_prefix=' + artifacts + '/',
    ]
    if args.dict:
        command.append('-dict=' + args.dict)
    command += extra
    command += [corpus] + [d for d in args.corpus if os.path.isdir(d)]

    before = set(os.listdir(artifacts))
    print(' '.join(command), flush=True)
    proc = subprocess.run(command, stderr=subprocess.PIPE, text=True, errors='replace')
    sys.stderr.write(proc.stderr)

    runs = re.findall(r'stat::number_of_executed_units:\s*(\d+)', proc.stderr)
    found = sorted(set(os.listdir(artifacts)) - before)
    print('%s: %s executions in %d s, exit status %d, new artifacts: %s'
          % (os.path.basename(args.fuzzer), runs[-1] if runs else '?', args.seconds,
             proc.returncode, ', '.join(found) or 'none'))
    if proc.returncode != 0:
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
