#!/usr/bin/env python3
"""How close `safemigrate check` is to its parse floor, and how it compares with squawk.

On the same files (every migration.sql under the corpus):
  - CPU (user + system, from wait4) of the floor (build/sm_parse_floor: split with the scanner,
    parse each statement, one thread) and of `safemigrate check -j 1 --format json`, run in
    interleaved pairs; prints the medians and the ratio check/floor;
  - wall time of `safemigrate check --format json` with its default threads and of squawk (the
    native binary of npm's squawk-cli, every file on one command line, --reporter json), run in
    interleaved pairs; prints the medians and the median of the pairs' ratios squawk/check;
  - peak RSS (ru_maxrss) of each.
Outputs go to /dev/null. The machine is shared: compare numbers from one run only.

  python3 bench/floor.py [--runs N] [--corpus DIR] [--safemigrate BIN] [--floor BIN] [--squawk BIN]

squawk is looked up in bench/tools (installed by bench/run.sh: npm squawk-cli 2.66.0); without it
the squawk half is skipped and says so.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd):
    """Runs cmd with its output discarded; returns (wall s, cpu s, peak RSS KiB, exit code)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, p.returncode


def series(cmds, runs, ok_codes):
    """Runs the commands in turn, `runs` rounds (after one warm-up round); per command a list of
    (wall, cpu, rss)."""
    out = {name: [] for name in cmds}
    for r in range(runs + 1):
        for name, cmd in cmds.items():
            wall, cpu, rss, code = run(cmd)
            if code not in ok_codes[name]:
                sys.exit(f"floor.py: {name} exited with {code}: {' '.join(cmd[:4])} …")
            if r > 0:
                out[name].append((wall, cpu, rss))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus", "prisma"))
    ap.add_argument("--safemigrate", default=os.path.join(ROOT, "build", "safemigrate"))
    ap.add_argument("--floor", default=os.path.join(ROOT, "build", "sm_parse_floor"))
    ap.add_argument("--squawk",
                    default=os.path.join(ROOT, "bench", "tools", "node_modules", "@squawk-cli", "linux-x64", "bin",
                                         "squawk"))
    a = ap.parse_args()
    for what, path in (("safemigrate", a.safemigrate), ("floor", a.floor)):
        if not os.access(path, os.X_OK):
            sys.exit(f"floor.py: {what} binary {path} not found; build it: "
                     f"cmake --build build --target safemigrate sm_parse_floor")
    if not os.path.isdir(a.corpus):
        sys.exit(f"floor.py: corpus {a.corpus} not found (../shared beside the repository, or --corpus DIR)")
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(a.corpus) for f in fs if f == "migration.sql")
    nbytes = sum(os.path.getsize(f) for f in files)
    print(f"corpus: {a.corpus}: {len(files)} migration.sql files, {nbytes} bytes; {a.runs} interleaved runs each")

    # 1. CPU: floor against check -j 1.
    cpu = series({"floor": [a.floor, a.corpus],
                  "check -j 1": [a.safemigrate, "check", "-q", "-j", "1", "--format", "json", a.corpus]},
                 a.runs, {"floor": {0}, "check -j 1": {0, 1}})
    med = {n: statistics.median(c for _, c, _ in v) for n, v in cpu.items()}
    pair = statistics.median(c2 / c1 for (_, c1, _), (_, c2, _) in zip(cpu["floor"], cpu["check -j 1"]))
    print("\n| command | median CPU s | min CPU s | max CPU s | peak RSS MB |")
    print("|---|---:|---:|---:|---:|")
    for n, v in cpu.items():
        cs = [c for _, c, _ in v]
        print(f"| {n} | {med[n]:.3f} | {min(cs):.3f} | {max(cs):.3f} | {max(r for *_, r in v) / 1024:.1f} |")
    print(f"\ncheck -j 1 / floor, CPU: {med['check -j 1'] / med['floor']:.2f} (ratio of medians), "
          f"{pair:.2f} (median of the pairs' ratios)")

    # 2. Wall: check with default threads against squawk.
    if not os.access(a.squawk, os.X_OK):
        print(f"\nsquawk: not found at {a.squawk} (bench/run.sh installs it); skipped")
        return
    wall = series({"check": [a.safemigrate, "check", "-q", "--format", "json", a.corpus],
                   "squawk": [a.squawk, "--reporter", "json", *files]},
                  a.runs, {"check": {0, 1}, "squawk": {0, 1}})
    print(f"\n| command (nproc {os.cpu_count()}) | median wall s | min wall s | max wall s | median CPU s | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for n, v in wall.items():
        ws = [w for w, _, _ in v]
        print(f"| {n} | {statistics.median(ws):.3f} | {min(ws):.3f} | {max(ws):.3f} | "
              f"{statistics.median(c for _, c, _ in v):.3f} | {max(r for *_, r in v) / 1024:.1f} |")
    ratio = statistics.median(s / c for (c, _, _), (s, _, _) in zip(wall["check"], wall["squawk"]))
    print(f"\nsquawk / check, wall: {ratio:.2f} (median of the pairs' ratios; above 1: check is faster)")


if __name__ == "__main__":
    main()
