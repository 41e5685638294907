"""`python -m tests.bench` (`make bench`): the five benchmarks, each in its own process with a time limit
(together under 10 minutes), then a summary of every result line. Exit status 1 if one crashed or ran
out of time; a MISS is a figure to read, not a failure."""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.harness import RESULTS_ENV, ROOT

# (module, time limit in seconds): the limits add up to less than 10 minutes.
BENCHMARKS = [
    ("tests.bench.bench_inbox", 90),
    ("tests.bench.bench_fanout", 60),
    ("tests.bench.bench_read", 120),
    ("tests.bench.bench_scale", 220),
    ("tests.bench.bench_growth", 150),
]


def main() -> int:
    only = sys.argv[1:]
    failed = []
    start = time.monotonic()
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", prefix="bench-results-") as results:
        env = {**os.environ, RESULTS_ENV: results.name, "PYTHONPATH": str(ROOT)}
        for module, limit in BENCHMARKS:
            if only and not any(name in module for name in only):
                continue
            t0 = time.monotonic()
            try:
                code = subprocess.run([sys.executable, "-m", module], env=env, cwd=ROOT, timeout=limit).returncode
            except subprocess.TimeoutExpired:
                code = "timeout"
            print(f"   ({module} took {time.monotonic() - t0:.0f}s, limit {limit}s)", flush=True)
            if code != 0:
                failed.append(f"{module}: {code}")
        lines = Path(results.name).read_text(encoding="utf-8").splitlines()
    print(f"\n== Summary ({time.monotonic() - start:.0f}s)")
    for line in lines:
        r = json.loads(line)
        if r["verdict"] == "NOTE":
            print(f"NOTE  {r['bench']}: {r['figure']}")
        else:
            print(f"{r['verdict']}  {r['bench']}: ratio {r['ratio']:.2f} (target {r['target']}) -- {r['figure']}")
    for failure in failed:
        print(f"ERROR {failure}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
