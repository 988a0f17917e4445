#!/usr/bin/env python3
"""Where canaryd's CPU goes, per thread, in one kafka_e2e_bench throughput round.

Runs `perf record` (cpu-clock samples, so it works where hardware counters are not exposed) over
`kafka_e2e_bench --only throughput --rounds 1`, then prints for each thread of the bench process
its samples, its CPU per report, and its hottest symbols. callgrind counts instructions; this
counts time, which is what branch mispredictions and cache misses cost (the clip bounds' selection
looked cheap in callgrind and was 30% of the shard threads here).

  bench/thread_profile.py [--bench build/bench/kafka_e2e_bench] [--reports 400000]
                         [--partitions 4] [--top 12]

Needs `perf` (Debian: linux-perf). The bench also starts the broker as a child process; its
threads are listed apart. Thread names: canaryd-shardN are the shards; the consumer thread and
the bench's own threads are named after the bench; rdk:* are librdkafka's.
"""
import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", default="build/bench/kafka_e2e_bench")
    ap.add_argument("--reports", type=int, default=400000)
    ap.add_argument("--partitions", type=int, default=4,
                    help="report topic partitions (more hold more --reports in the mock broker)")
    ap.add_argument("--top", type=int, default=12, help="symbols shown per thread")
    ap.add_argument("--threads", type=int, default=8, help="threads shown")
    ap.add_argument("--freq", type=int, default=4000, help="samples per second per CPU")
    args = ap.parse_args()

    if shutil.which("perf") is None:
        print("thread_profile: perf not found (Debian: apt-get install linux-perf)", file=sys.stderr)
        return 2
    if not os.access(args.bench, os.X_OK):
        print(f"thread_profile: {args.bench} is not an executable (build it first)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        run = subprocess.run(
            ["perf", "record", "-F", str(args.freq), "-o", data, "--", args.bench, "--only",
             "throughput", "--rounds", "1", "--reports", str(args.reports),
             "--partitions", str(args.partitions)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        round_lines = [l for l in run.stdout.splitlines() if l.startswith("round ")]
        if run.returncode != 0 or not round_lines:
            print(run.stdout[-4000:], file=sys.stderr)
            print("thread_profile: the bench failed", file=sys.stderr)
            return 1
        print(round_lines[0])
        script = subprocess.run(
            ["perf", "script", "-i", data, "-F", "comm,pid,tid,ip,sym,dso"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)

    threads = collections.Counter()
    symbols = collections.defaultdict(collections.Counter)
    for line in script.stdout.splitlines():
        # "comm pid/tid ip symbol (dso)"; the symbol may contain spaces.
        parts = line.split(None, 3)
        if len(parts) < 3 or "/" not in parts[1]:
            continue
        comm = parts[0]
        pid, tid = parts[1].split("/", 1)
        rest = parts[3] if len(parts) > 3 else "[unknown]"
        key = (int(pid), int(tid), comm)
        threads[key] += 1
        symbols[key][rest.strip()[:100]] += 1

    bench_pid = None
    for (pid, tid, comm), _ in threads.most_common():
        if comm.startswith("canaryd-shard"):
            bench_pid = pid
            break
    seconds_per_sample = 1.0 / args.freq
    print(f"\nsamples at {args.freq}/s; CPU per report = samples / {args.freq} / {args.reports} "
          "(the whole run: the produce phase is in the broker's and the bench's main threads)\n")
    shown = 0
    for (pid, tid, comm), n in threads.most_common():
        if shown >= args.threads:
            break
        shown += 1
        where = "bench process" if pid == bench_pid else "other process (broker)"
        us = n * seconds_per_sample / args.reports * 1e6
        print(f"{comm:<18} tid {tid:<7} {where:<24} {n:>7} samples  {us:6.2f} us/report")
        for sym, m in symbols[(pid, tid, comm)].most_common(args.top):
            print(f"    {100.0 * m / n:5.1f}%  {sym}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
