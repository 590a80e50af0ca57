"""The search engine of this checkout against another's, on one index, interleaved.

For a refactoring whose promise is "no slower": both engines open the same index (built once by
this checkout from the generated corpus) in their own long-lived processes, and answer the same
queries in alternating rounds (A B, then B A, …), so a noisy, shared machine slows both alike.
Reports p50/p95 per engine over every round, plain and with every facet, and the ratios.

    .venv/bin/python -m bench.search.ab --other /path/to/other/checkout [--docs 10000] [--rounds 6]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.search import corpus

ROOT = Path(__file__).resolve().parents[2]

SERVE = r"""
import json, sys, time
from pathlib import Path
from search_index import Audience, SearchIndex, configure_jieba
work = Path(sys.argv[1])
configure_jieba(work / "jieba")
queries = json.loads(Path(sys.argv[2]).read_text())
audience = Audience(visibilities=frozenset({"public", "internal", "lendable"}))
index = SearchIndex(work / "index")
for _, text, filters in queries[:20]:
    index.search(text, filters=filters, audience=audience, facets=True)
print("ready", flush=True)
for line in sys.stdin:
    facets = line.strip() == "facets"
    times = []
    for _, text, filters in queries:
        start = time.perf_counter()
        index.search(text, filters=filters, audience=audience, facets=facets)
        times.append(time.perf_counter() - start)
    print(json.dumps(times), flush=True)
"""


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", required=True, type=Path, help="the other checkout (its root)")
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)

    from search_index import SearchIndex, configure_jieba

    work = ROOT / "bench" / "out" / "ab"
    work.mkdir(parents=True, exist_ok=True)
    configure_jieba(work / "jieba")
    index = SearchIndex(work / "index")
    started = time.perf_counter()
    index.rebuild(corpus.generate(args.docs), applied_seq=0, procs=2)
    index.close()
    print(f"built {args.docs} resources in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    query_file = work / "queries.json"
    query_file.write_text(json.dumps(corpus.queries(args.queries), ensure_ascii=False))

    sides = {"this": ROOT, "other": args.other.resolve()}
    procs = {}
    for name, checkout in sides.items():
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        procs[name] = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(work), str(query_file)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=checkout, env=env,
        )
        assert procs[name].stdout is not None and procs[name].stdout.readline().strip() == "ready"
    times: dict[tuple[str, str], list[float]] = {}
    load = [os.getloadavg()[0]]
    for round_number in range(args.rounds):
        order = list(sides) if round_number % 2 == 0 else list(reversed(sides))
        for mode in ("plain", "facets"):
            for name in order:
                proc = procs[name]
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(mode + "\n")
                proc.stdin.flush()
                times.setdefault((name, mode), []).extend(json.loads(proc.stdout.readline()))
        load.append(os.getloadavg()[0])
    for proc in procs.values():
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()

    print(f"{args.docs} resources, {args.queries} queries x {args.rounds} rounds, interleaved; "
          f"1-min load average {min(load):.1f}-{max(load):.1f}")
    print("| engine | p50 ms | p95 ms | facets p50 ms | facets p95 ms |")
    print("| --- | --- | --- | --- | --- |")
    figures = {}
    for name, checkout in sides.items():
        plain, faceted = times[name, "plain"], times[name, "facets"]
        figures[name] = [_quantile(plain, 0.5), _quantile(plain, 0.95),
                         _quantile(faceted, 0.5), _quantile(faceted, 0.95)]
        print(f"| {name} ({checkout}) | " + " | ".join(f"{v:.2f}" for v in figures[name]) + " |")
    ratios = [a / b for a, b in zip(figures["this"], figures["other"], strict=True)]
    print("this / other: p50 {:.2f}x, p95 {:.2f}x, facets p50 {:.2f}x, facets p95 {:.2f}x".format(*ratios))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
