"""The search index under trouble, through the app: a damaged generation fails `flask
index-check`, searches keep answering, the worker rebuilds it; a web request waits at most a
moment for a writer lock another process holds."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from library.search import indexing
from search_index.generations import Generations
from tests.support.app import build_world, run_jobs, upload


def _live(home: Path) -> Path:
    return home / (home / "CURRENT").read_text().strip()


def _search(client, q: str):
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def test_a_damaged_index_is_reported_answered_around_and_rebuilt(app, sample_dir) -> None:
    client = app.test_client()
    world = build_world(app)
    upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="光合作用的探究")
    upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="分数的意义")
    run_jobs(app)  # the files' text reaches the index
    home = Path(app.config["INDEX_DIR"])
    index = app.extensions["search_index"]
    assert index.compact()  # the generation before is kept: the fallback
    runner = app.test_cli_runner()
    assert runner.invoke(args=["index-check"]).exit_code == 0
    before = [_search(client, q) for q in ("胡萝卜素", "分数", "")]
    damaged = _live(home)
    stored = sorted(damaged.glob("MAIN_*._stored.col"))[0]
    stored.write_bytes(b"\x8f" * stored.stat().st_size)  # every hit reads it

    check = runner.invoke(args=["index-check"])
    assert check.exit_code == 1
    assert "damaged: " + damaged.name in check.output
    assert "missing from index: none" in check.output  # the previous generation answers
    assert [_search(client, q) for q in ("胡萝卜素", "分数", "")] == before

    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert _live(home) != damaged
    assert runner.invoke(args=["index-check"]).exit_code == 0
    assert [_search(client, q) for q in ("胡萝卜素", "分数", "")] == before


def test_a_damaged_index_with_nothing_to_fall_back_on_is_a_clear_503(app, sample_dir) -> None:
    client = app.test_client()
    world = build_world(app)
    upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="光合作用的探究")
    for stored in _live(Path(app.config["INDEX_DIR"])).glob("MAIN_*._stored.col"):
        stored.write_bytes(b"\x8f" * stored.stat().st_size)
    response = client.get("/api/v1/search", query_string={"q": "光合作用"})
    assert response.status_code == 503
    page = client.get("/search", query_string={"q": "光合作用"}, headers={"Accept-Language": "zh"})
    assert page.status_code == 503 and "搜索索引正在修复" in page.get_data(as_text=True)
    # The next change's sync rebuilds it.
    upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="叶绿体的结构")
    assert _search(client, "")["total"] == 2
    assert app.test_cli_runner().invoke(args=["index-check"]).exit_code == 0


def _hold_writer_lock(home: str, held, release) -> None:
    with Generations(Path(home)).writer_lock():
        held.set()
        release.wait(60)


def test_after_commit_waits_at_most_briefly_for_a_busy_writer(app, sample_dir) -> None:
    client = app.test_client()
    world = build_world(app)
    context = multiprocessing.get_context("spawn")
    held, release = context.Event(), context.Event()
    holder = context.Process(
        target=_hold_writer_lock, args=(app.config["INDEX_DIR"], held, release)
    )
    holder.start()
    try:
        assert held.wait(30)
        response = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="等锁的课例")
        assert response.status_code == 201, response.get_data(as_text=True)
        with app.app_context():
            started = time.monotonic()
            indexing.after_commit()
            waited = time.monotonic() - started
        assert 1.0 <= waited < 2.0
        assert _search(client, "等锁")["total"] == 0  # still in the log
        check = app.test_cli_runner().invoke(args=["index-check"])
        assert check.exit_code == 1 and "missing from index: [1]" in check.output
    finally:
        release.set()
        holder.join(30)
    with app.app_context():
        assert indexing.sync() is not None
    assert _search(client, "等锁")["total"] == 1
    assert app.test_cli_runner().invoke(args=["index-check"]).exit_code == 0
