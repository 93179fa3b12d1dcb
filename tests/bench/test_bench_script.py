#!/usr/bin/python3
"""scripts/bench.py prints one Markdown row per model, size, thread count and
mode, with as many cells as its header, and esdnet's time in each.

    /usr/bin/python3 tests/bench/test_bench_script.py BENCH_PY ESDNET MODEL
"""

import subprocess
import sys


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def main():
    bench_py, esdnet, model = sys.argv[1:4]
    out = subprocess.run(
        ["/usr/bin/python3", bench_py, "--esdnet", esdnet, "--model", f"tiny={model}",
         "--size", "32x24", "--size", "40x28", "--threads", "1", "--temporal", "reset",
         "--temporal", "carry", "--frames", "1", "--warmup", "0", "--no-torch", "--shares"],
        check=True, capture_output=True, text=True).stdout
    lines = out.strip().splitlines()
    head, rows = cells(lines[0]), [cells(line) for line in lines[2:]]
    assert len(rows) == 4, out
    assert [(r[1], r[3]) for r in rows] == [("32x24", "reset"), ("32x24", "carry"),
                                            ("40x28", "reset"), ("40x28", "carry")], out
    for r in rows:
        assert len(r) == len(head), f"{len(r)} cells against {len(head)} in the header:\n{out}"
        assert float(r[head.index("esdnet ms")]) > 0, out
        shares = [float(r[head.index(k)].rstrip(" %")) for k in ("spike conv", "lif")]
        assert all(0 <= s <= 100 for s in shares), out
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
