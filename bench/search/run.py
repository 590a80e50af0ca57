"""Search benchmark (`python -m bench.search [--docs N | --large] [--write]`), ratios printed.

Every phase runs in a fresh process (spawned), so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from bench.search import corpus

OUT = Path(__file__).resolve().parent.parent / "out" / "search"
BENCHMARKS = Path(__file__).resolve().parents[2] / "BENCHMARKS.md"
BUILD_PROCS = 2


def _peak_mib(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def _size_mib(path: Path) -> float:
    files = [path] if path.is_file() else list(path.rglob("*"))
    return sum(p.stat().st_size for p in files if p.is_file()) / 2**20


def _jieba(work: Path) -> None:
    from search_index import configure_jieba

    configure_jieba(work / "jieba")


# ------------------------------------------------------------------ phases (child processes)


def whoosh_build(work: str, docs: int, body: bool) -> dict:
    """Rebuild a generation from the generated corpus; time, size, peak memory."""
    from search_index import SearchIndex

    _jieba(Path(work))
    home = Path(work) / ("index" if body else "index-meta")
    shutil.rmtree(home, ignore_errors=True)
    index = SearchIndex(home)
    start = time.perf_counter()
    index.rebuild(corpus.generate(docs, body=body), applied_seq=0, procs=BUILD_PROCS)
    seconds = time.perf_counter() - start
    count = index.doc_count()
    index.close()
    live = home / (home / "CURRENT").read_text().strip()
    return {
        "docs": count,
        "seconds": seconds,
        "docs_per_s": count / seconds,
        "mib": _size_mib(live),
        "peak_mib": max(_peak_mib(), _peak_mib(children=True)),
    }


def whoosh_queries(work: str, queries: list, facets: bool, suggesting: list | None = None) -> dict:
    """Cold start (open + first query), then every query on the long-lived searcher; then the
    queries that answer with suggestions (fallback to any word, typos), after the hand-written
    examples among them as their warm-up (the first reads the spelling vocabularies)."""
    from search_index import Audience, SearchIndex

    _jieba(Path(work))
    audience = Audience(visibilities=frozenset({"public", "internal", "lendable"}))
    start = time.perf_counter()
    index = SearchIndex(Path(work) / "index")
    kind, text, filters = queries[0]
    index.search(text, filters=filters, audience=audience, facets=facets)
    cold = time.perf_counter() - start
    for _, text, filters in queries[:20]:
        index.search(text, filters=filters, audience=audience, facets=facets)
    times, totals, kinds = [], [], []
    for kind, text, filters in queries:
        begin = time.perf_counter()
        result = index.search(text, filters=filters, audience=audience, facets=facets)
        times.append(time.perf_counter() - begin)
        totals.append(result.total)
        kinds.append(kind)
    found: dict = {"cold_s": cold, "times": times, "totals": totals, "kinds": kinds}
    if suggesting:
        warm = len(corpus.SUGGESTION_EXAMPLES)
        for _, text, filters in suggesting[:warm]:
            index.search(text, filters=filters, audience=audience, facets=facets)
        answers = []
        for kind, text, filters in suggesting:
            begin = time.perf_counter()
            result = index.search(text, filters=filters, audience=audience, facets=facets)
            answers.append((kind, time.perf_counter() - begin, result.match, result.total,
                            result.did_you_mean, len(result.related)))  # fmt: skip
        found["suggesting"] = answers
    index.close()
    found["peak_mib"] = _peak_mib()
    return found


def fts5_build(work: str, docs: int) -> dict:
    from bench.search import fts5

    _jieba(Path(work))
    path = Path(work) / "fts5.db"
    path.unlink(missing_ok=True)
    start = time.perf_counter()
    count = fts5.build(path, corpus.generate(docs))
    seconds = time.perf_counter() - start
    return {"docs": count, "seconds": seconds, "docs_per_s": count / seconds,
            "mib": _size_mib(path), "peak_mib": _peak_mib()}  # fmt: skip


def fts5_queries(work: str, queries: list, facets: bool) -> dict:
    from bench.search import fts5

    _jieba(Path(work))
    start = time.perf_counter()
    searcher = fts5.Searcher(Path(work) / "fts5.db")
    kind, text, filters = queries[0]
    searcher.search(text, filters, facets=facets)
    cold = time.perf_counter() - start
    searcher.close()
    times, totals = fts5.run_queries(Path(work) / "fts5.db", queries, facets=facets)
    return {"cold_s": cold, "times": times, "totals": totals, "peak_mib": _peak_mib()}


def tantivy_build(work: str, docs: int) -> dict:
    from bench.search import tantivy_engine

    _jieba(Path(work))
    path = Path(work) / "tantivy"
    shutil.rmtree(path, ignore_errors=True)
    start = time.perf_counter()
    count = tantivy_engine.build(path, corpus.generate(docs))
    seconds = time.perf_counter() - start
    return {"docs": count, "seconds": seconds, "docs_per_s": count / seconds,
            "mib": _size_mib(path), "peak_mib": _peak_mib()}  # fmt: skip


def tantivy_queries(work: str, queries: list, facets: bool) -> dict:
    from bench.search import tantivy_engine

    _jieba(Path(work))
    start = time.perf_counter()
    searcher = tantivy_engine.Searcher(Path(work) / "tantivy")
    kind, text, filters = queries[0]
    searcher.search(text, filters, facets=facets)
    cold = time.perf_counter() - start
    times, totals = tantivy_engine.run_queries(Path(work) / "tantivy", queries, facets=facets)
    return {"cold_s": cold, "times": times, "totals": totals, "peak_mib": _peak_mib()}


def _in_child(function, *args):
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


# ------------------------------------------------------------------ report


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _row(name: str, build: dict, plain: dict, faceted: dict) -> str:
    return (
        f"| {name} | {build['docs_per_s']:,.0f} | {build['seconds']:.1f} s | {build['mib']:.0f} | "
        f"{build['peak_mib']:.0f} | {_ms(plain['times'], 0.5):.1f} | {_ms(plain['times'], 0.95):.1f} | "
        f"{_ms(faceted['times'], 0.5):.1f} | {_ms(faceted['times'], 0.95):.1f} | "
        f"{1000 * plain['cold_s']:.0f} ms | {max(plain['peak_mib'], faceted['peak_mib']):.0f} |"
    )


def report(docs: int, results: dict, queries: list) -> str:
    w, f, meta = results["whoosh"], results["fts5"], results["whoosh_meta"]
    t = results["tantivy"]
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())  # fmt: skip
    kinds = sorted(set(w["plain"]["kinds"]))
    by_kind = []
    for kind in kinds:
        picked = [
            t for t, k in zip(w["plain"]["times"], w["plain"]["kinds"], strict=True) if k == kind
        ]
        by_kind.append(f"{kind} {_ms(picked, 0.5):.0f}/{_ms(picked, 0.95):.0f}")
    same = sum(a == b for a, b in zip(w["plain"]["totals"], f["plain"]["totals"], strict=True))
    empty_w = sum(t == 0 for t in w["plain"]["totals"])
    empty_f = sum(t == 0 for t in f["plain"]["totals"])
    tratio = lambda key, q: _ms(w[key]["times"], q) / max(_ms(t[key]["times"], q), 1e-6)  # noqa: E731
    agree = sum(a == b for a, b in zip(f["plain"]["totals"], t["plain"]["totals"], strict=True))
    ratio = lambda key, q: _ms(w[key]["times"], q) / max(_ms(f[key]["times"], q), 1e-6)  # noqa: E731
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} CPUs "
        f"({cpu}), Python {platform.python_version()}, by `.venv/bin/python -m bench.search "
        f"--docs {docs} --write`. Load average (1/5/15 min) at the start "
        f"{'/'.join(f'{x:.1f}' for x in results['load'][0])}, at the end "
        f"{'/'.join(f'{x:.1f}' for x in results['load'][1])}: above 2 means other work shared "
        "the 2 cores during the run, and every figure (both engines) is slower than on an idle "
        "machine.",
        "",
        f"Corpus: {docs:,} generated resources (`bench/search/corpus.py`, seed {corpus.SEED}; "
        "titles, keywords, abstracts of 60–150 characters, body text of 200–2,000, ~860 on "
        f"average); {len(queries)} queries (70 single words, 40 two words, 20 phrases, 30 with a "
        "subject filter, 20 single characters, 20 pinyin), searched as a signed-in teacher, "
        "20 per page with the exact total. Facets: counts for subject, stage, kind, studio, "
        "year and award level. Times are per query on a warm, long-lived searcher after 20 "
        "warm-up queries; cold start = open the index and answer the first query in a fresh process.",
        "",
        "| engine | index docs/s | full reindex | index MiB | build peak RSS MiB | p50 ms | "
        "p95 ms | facets p50 ms | facets p95 ms | cold start | query peak RSS MiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        _row(
            f"Whoosh index (jieba + n-grams + pinyin, {BUILD_PROCS} processes), queries "
            "evaluated over its postings with numpy (`search_index.engine`)",
            w["build"],
            w["plain"],
            w["faceted"],
        ),  # fmt: skip
        _row(
            "SQLite FTS5 over jieba-segmented text (baseline)", f["build"], f["plain"], f["faceted"]
        ),
        _row("tantivy over jieba-segmented text (baseline)", t["build"], t["plain"], t["faceted"]),
        "",
        f"- Metadata only (no body text), Whoosh, {BUILD_PROCS} processes: "
        f"{meta['docs_per_s']:,.0f} resources/s ({meta['seconds']:.1f} s for {meta['docs']:,}).",
        f"- Ratios Whoosh / FTS5: p50 {ratio('plain', 0.5):.1f}×, p95 {ratio('plain', 0.95):.1f}×, "
        f"facets p50 {ratio('faceted', 0.5):.1f}×, facets p95 {ratio('faceted', 0.95):.1f}×; "
        f"indexing speed {w['build']['docs_per_s'] / f['build']['docs_per_s']:.2f}×; "
        f"index size {w['build']['mib'] / f['build']['mib']:.1f}×.",
        f"- Ratios Whoosh / tantivy: p50 {tratio('plain', 0.5):.0f}×, p95 "
        f"{tratio('plain', 0.95):.0f}×, facets p50 {tratio('faceted', 0.5):.0f}×, facets p95 "
        f"{tratio('faceted', 0.95):.0f}×; indexing speed "
        f"{w['build']['docs_per_s'] / t['build']['docs_per_s']:.2f}×. The baselines agree with "
        f"each other on {agree}/{len(queries)} totals.",
        f"- Whoosh p50/p95 ms by query kind: {', '.join(by_kind)}.",
        f"- Same totals on {same}/{len(queries)} queries; queries finding nothing: Whoosh "
        f"{empty_w}, FTS5 {empty_f} (the baselines have no pinyin, n-grams, synonyms, "
        "compound splitting or any-word fallback, so they find less; Whoosh's totals include "
        "those extra matches, which also cost it time).",
    ]
    lines += suggestion_lines(w)
    return "\n".join(lines)


def suggestion_lines(w: dict) -> list[str]:
    """Whoosh's fallback and typo queries (`corpus.suggestion_queries`), plain and faceted."""
    from search_index.search import SUGGEST_BUDGET_S

    if "suggesting" not in w.get("plain", {}):
        return []
    parts = []
    for kind in ("fallback", "typo"):
        figures = []
        for key in ("plain", "faceted"):
            picked = [a for a in w[key]["suggesting"] if a[0] == kind]
            took = [a[1] for a in picked]
            figures.append(f"{_ms(took, 0.5):.1f}/{_ms(took, 0.95):.1f}")
        picked = [a for a in w["plain"]["suggesting"] if a[0] == kind]
        anyword = sum(a[2] == "any" for a in picked)
        corrected = sum(a[4] is not None for a in picked)
        related = sum(a[5] > 0 for a in picked)
        parts.append(
            f"{kind} ({len(picked)} queries) p50/p95 {figures[0]} ms, with facets {figures[1]} "
            f"ms ({anyword} answered with any word, {corrected} with a \"did you mean\", "
            f"{related} with related terms)"
        )
    return [
        "- Queries that need suggestions (`corpus.suggestion_queries`: topics of two subjects, "
        "a topic with one wrong character or misspelt pinyin, and hand-written examples), Whoosh: "
        + "; ".join(parts)
        + f". Suggestions stop {1000 * SUGGEST_BUDGET_S:.0f} ms after they start "
        "(`search_index.search.SUGGEST_BUDGET_S`)."
    ]


def write_section(text: str, docs: int) -> None:
    """Replace the generated block of BENCHMARKS.md's ## Search section (adding it if missing)."""
    begin = f"<!-- bench.search {docs}: begin (generated; edit outside these markers) -->"
    end = f"<!-- bench.search {docs}: end -->"
    content = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    block = f"{begin}\n\n{text}\n\n{end}"
    if begin in content and end in content:  # this corpus size's block: replace it
        head, rest = content.split(begin, 1)
        content = head + block + rest.split(end, 1)[1]
    elif "## Search" in content:  # another size's block exists: add this one after it
        content = content.rstrip("\n") + "\n\n" + block + "\n"
    else:
        content = content.rstrip("\n") + "\n\n## Search\n\n" + block + "\n"
    BENCHMARKS.write_text(content, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--docs", type=int, default=10_000, help="corpus size (default 10,000)")
    parser.add_argument("--large", action="store_true", help="100,000 resources")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--write", action="store_true", help="write the figures into BENCHMARKS.md")
    args = parser.parse_args(argv)
    docs = 100_000 if args.large else args.docs
    work = OUT / str(docs)
    work.mkdir(parents=True, exist_ok=True)
    queries = corpus.queries(args.queries)
    results: dict = {"whoosh": {}, "fts5": {}, "tantivy": {}}
    load_before = os.getloadavg()
    print(f"building Whoosh ({docs:,} resources, {BUILD_PROCS} processes)…", flush=True)
    results["whoosh"]["build"] = _in_child(whoosh_build, str(work), docs, True)
    print(f"  {results['whoosh']['build']}", flush=True)
    results["whoosh_meta"] = _in_child(whoosh_build, str(work), docs, False)
    print(f"  metadata only: {results['whoosh_meta']}", flush=True)
    print("building FTS5…", flush=True)
    results["fts5"]["build"] = _in_child(fts5_build, str(work), docs)
    print(f"  {results['fts5']['build']}", flush=True)
    print("building tantivy…", flush=True)
    results["tantivy"]["build"] = _in_child(tantivy_build, str(work), docs)
    print(f"  {results['tantivy']['build']}", flush=True)
    engines = (("whoosh", whoosh_queries), ("fts5", fts5_queries), ("tantivy", tantivy_queries))
    suggesting = corpus.suggestion_queries()
    for name, function in engines:
        for key, facets in (("plain", False), ("faceted", True)):
            print(f"querying {name} ({key})…", flush=True)
            extra = (suggesting,) if name == "whoosh" else ()
            results[name][key] = _in_child(function, str(work), queries, facets, *extra)
    results["load"] = (load_before, os.getloadavg())
    text = report(docs, results, queries)
    print()
    print(text)
    (work / "results.json").write_text(json.dumps(results, default=str), encoding="utf-8")
    if args.write:
        write_section(text, docs)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
