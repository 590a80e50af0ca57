"""What query understanding costs a search (issue 18): the same index, the same queries, with the
app's vocabulary and without, interleaved round by round; and queries that name a stage, a
subject, a kind or a grade (初中 物理 浮力), which understanding turns into filters.

    .venv/bin/python -m bench.search.understanding [--docs 10000] [--rounds 5] [--write]

The index is built from the generated corpus (bench/search/corpus.py, SCHEMA of this checkout) in
bench/out/understanding; the vocabulary is the one the app builds from its seeded subjects,
stages and editions (library.search.vocabulary.pairs). Reports p50/p95 in ms and the ratio."""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

from bench.search import corpus

ROOT = Path(__file__).resolve().parents[2]
MARK = "bench.search.understanding"


def understood_queries(count: int, seed: int = corpus.SEED) -> list[str]:
    """Typed the way the issue's teachers type: a stage, grade, subject or kind word beside a topic."""
    rng = random.Random(seed + 7)
    stage_words = ["小学", "初中", "高中", "七年级", "三年级", "高一"]
    kind_words = ["课堂实录", "录课视频", "优秀课例", "论文", "课题"]
    found = []
    for _ in range(count):
        code, (name, topics) = rng.choice(list(corpus.SUBJECTS.items()))
        topic = rng.choice(topics)
        found.append(rng.choice([
            f"{rng.choice(stage_words)} {name} {topic}", f"{rng.choice(kind_words)} {topic}",
            f"{rng.choice(stage_words)}{name}", f"结题 {rng.choice(kind_words)}", f"{name} {topic}",
        ]))  # fmt: skip
    return found


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="rewrite this benchmark's block of BENCHMARKS.md")
    args = parser.parse_args(argv)

    from library.search import vocabulary
    from library.studios.models import STAGES, SUBJECTS
    from library.textbooks import positions
    from search_index import Audience, SearchIndex, Vocabulary, configure_jieba

    work = ROOT / "bench" / "out" / "understanding"
    work.mkdir(parents=True, exist_ok=True)
    configure_jieba(work / "jieba")
    index = SearchIndex(work / f"index-{args.docs}")
    started = time.perf_counter()
    index.rebuild(corpus.generate(args.docs), applied_seq=0, procs=2)
    print(f"built {args.docs} resources in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    words = Vocabulary.of(vocabulary.pairs(
        [(zh, code) for code, zh, _ in STAGES], [(zh, code) for code, zh, _ in SUBJECTS],
        [(e.code, e.name, e.aliases) for e in positions.EDITION_SEED]))
    audience = Audience(visibilities=frozenset({"public", "internal", "lendable"}))
    sets = {"corpus queries": [(t, f) for _, t, f in corpus.queries(200)],
            "understood queries": [(t, {}) for t in understood_queries(100)]}
    times: dict[tuple[str, str], list[float]] = {}
    understood = 0
    for text, filters in sets["corpus queries"][:20]:
        index.search(text, filters=filters, audience=audience, vocabulary=words)
    for round_no in range(args.rounds):
        order = ("with", "without") if round_no % 2 == 0 else ("without", "with")
        for name, queries in sets.items():
            for side in order:
                bucket = times.setdefault((name, side), [])
                for text, filters in queries:
                    start = time.perf_counter()
                    result = index.search(text, filters=filters, audience=audience,
                                          vocabulary=words if side == "with" else None)
                    bucket.append(time.perf_counter() - start)
                    if side == "with" and round_no == 0 and name == "understood queries" and result.understood:
                        understood += 1
    index.close()
    load = os.getloadavg()
    lines = [
        f"<!-- {MARK} -->",
        f"### Query understanding at {args.docs:,} resources (in-process engine, `python -m bench.search.understanding`)",
        "",
        f"{args.rounds} interleaved rounds on one index; load average {load[0]:.2f} / {load[1]:.2f} at the end; "
        f"{understood} of {len(sets['understood queries'])} understood queries had a word taken as a filter.",
        "",
        "| queries | without vocabulary p50 / p95 | with vocabulary p50 / p95 | p50 ratio |",
        "| --- | --- | --- | --- |",
    ]
    for name in sets:
        without, with_ = times[name, "without"], times[name, "with"]
        lines.append(f"| {name} ({len(sets[name])}) | {_quantile(without, .5):.2f} / {_quantile(without, .95):.2f} ms | "
                     f"{_quantile(with_, .5):.2f} / {_quantile(with_, .95):.2f} ms | "
                     f"{_quantile(with_, .5) / max(_quantile(without, .5), 1e-9):.2f} |")
    lines.append(f"<!-- /{MARK} -->")
    text = "\n".join(lines)
    print(text)
    if args.write:
        path = ROOT / "BENCHMARKS.md"
        current = path.read_text(encoding="utf-8")
        start_mark, end_mark = f"<!-- {MARK} -->", f"<!-- /{MARK} -->"
        if start_mark in current:
            before, rest = current.split(start_mark, 1)
            current = before + text + rest.split(end_mark, 1)[1]
        else:
            current = current.rstrip("\n") + "\n\n" + text + "\n"
        path.write_text(current, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
