"""`flask import` at scale (issue 15): batches, one index sync a batch, refused rows leave nothing,
--dry-run writes nothing, the exit status, a streamed manifest; real SQLite, Whoosh and storage
(and PostgreSQL when LIBRARY_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from library.accounts import service as accounts
from library.db import get_session
from library.jobs.models import Job
from library.resources import importer
from library.resources.models import Resource, ResourceFile, StorageClaim
from library.search.models import ChangeLog
from tests.support.app import build_world, make_app, run_jobs

HEADER = ["title", "kind", "subject", "stage", "studio", "authors", "year", "files"]


def _pdf(sample_dir: Path, folder: Path, n: int) -> str:
    """A distinct PDF (the sample's bytes and a trailing comment naming n); its manifest path."""
    (folder / "files").mkdir(parents=True, exist_ok=True)
    path = folder / "files" / f"doc-{n}.pdf"
    path.write_bytes((sample_dir / "光合作用.pdf").read_bytes() + f"\n% copy {n}\n".encode())
    return f"files/doc-{n}.pdf"


def _row(title: str, files: str, **changes: str) -> list[str]:
    row = dict(zip(HEADER, [title, "paper", "math", "primary", "wang-math", "王丽", "2024", files], strict=True))
    return [changes.get(k, v) for k, v in {**row}.items()]


def _write(folder: Path, rows: list[list[str]]) -> Path:
    path = folder / "manifest.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _state(app) -> dict[str, int]:
    """What an import may write: rows, stored objects, index documents, jobs, claims, change log."""
    with app.app_context():
        session = get_session()
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        return {
            "resources": count(Resource),
            "files": count(ResourceFile),
            "jobs": count(Job),
            "claims": count(StorageClaim),
            "changes": count(ChangeLog),
            "objects": len(list(app.extensions["storage"].iter_keys(""))),
            "indexed": app.extensions["search_index"].doc_count(),
        }


@pytest.fixture
def manifest(app, sample_dir, tmp_path) -> Path:
    """Seven rows, batches of three in the tests: a refused row (unknown subject) in the middle of
    the second batch, one without files, and two rows sharing one content."""
    build_world(app)
    folder = tmp_path / "m"
    shared = _pdf(sample_dir, folder, 0)
    return _write(folder, [
        _row("第一行", _pdf(sample_dir, folder, 1)),
        _row("第二行", shared),
        _row("第三行", _pdf(sample_dir, folder, 3)),
        _row("第四行", shared),
        _row("未知学科", _pdf(sample_dir, folder, 5), subject="alchemy"),
        _row("没有文件", ""),
        _row("第七行", _pdf(sample_dir, folder, 7)),
    ])


def test_refused_rows_leave_nothing_and_the_others_import_in_batches(app, manifest):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", str(manifest), "--batch-size", "3"])
    assert result.exit_code == 1, result.output  # a row was refused
    lines = result.output.splitlines()
    assert [line for line in lines if line.startswith("refused")] == [
        "refused   line 6: 未知学科: 请修改后重新提交：未知的学科代码：alchemy",
        "refused   line 7: 没有文件: 清单的 files 列是空的：每行至少要填一个文件（相对于清单所在文件夹的路径）",
    ]
    assert "5 imported, 2 refused" in result.output
    assert not any(line.startswith("imported") for line in lines)  # listed only with --verbose
    with app.app_context():
        session = get_session()
        titles = set(session.scalars(select(Resource.title)))
        assert titles == {"第一行", "第二行", "第三行", "第四行", "第七行"}
        # The shared content: stored once; rows 2 and 4 are in different batches, a job each.
        derive = [j.payload for j in session.scalars(select(Job).where(Job.kind == "derive"))]
    state = _state(app)
    assert state["objects"] == 4  # originals of rows 1, 2 (= 4), 3 and 7; nothing of row 6
    assert state["claims"] == 0
    assert len(derive) == 5 and not any("twins" in p for p in derive)
    # Every imported resource is in the index after the command (one sync a batch).
    assert state["indexed"] == 5
    with app.app_context():
        assert app.extensions["search_index"].document_ids() == set(get_session().scalars(select(Resource.id)))
    client = app.test_client()
    assert client.get("/api/v1/search", query_string={"q": "第七行"}).json["total"] == 1


def test_one_batch_syncs_the_index_once_and_derives_shared_content_once(app, manifest):
    """All seven rows in one batch: one index commit (one segment), one derive job for the two
    rows sharing a content, whose result both files get."""
    index = app.extensions["search_index"]
    segments_before = index.segment_count()
    result = app.test_cli_runner().invoke(args=["import", str(manifest), "--verbose"])
    assert result.exit_code == 1
    assert "imported  line 2: #" in result.output and "imported  line 8: #" in result.output
    assert index.segment_count() == segments_before + 1
    with app.app_context():
        derive = [j.payload for j in get_session().scalars(select(Job).where(Job.kind == "derive"))]
    assert len(derive) == 4 and sum(len(p.get("twins", ())) for p in derive) == 1
    assert run_jobs(app).done == 4
    with app.app_context():
        states = {f.resource.title: (f.state, bool(f.text)) for f in get_session().scalars(select(ResourceFile))}
    assert states["第二行"] == states["第四行"] == ("ready", True)


def test_the_shared_derive_job_serves_its_twins_when_its_own_file_is_gone(app, manifest):
    from library.resources import review

    result = app.test_cli_runner().invoke(args=["import", str(manifest)])
    assert "5 imported" in result.output
    with app.app_context():
        session = get_session()
        [job] = [j for j in session.scalars(select(Job).where(Job.kind == "derive")) if "twins" in j.payload]
        first = session.get(ResourceFile, job.payload["file_id"])
        review.delete_resource(accounts.get_user("admin"), first.resource_id)
    assert run_jobs(app).done == 4
    with app.app_context():
        [twin] = [f for f in get_session().scalars(select(ResourceFile)) if f.resource.title in ("第二行", "第四行")]
        assert (twin.state, bool(twin.text)) == ("ready", True)


def test_a_background_indexer_indexes_batches_while_the_import_goes_on(app, manifest):
    """With background_index a forked child applies each committed batch; this process does not
    index until the end (its commits only log), so the index growing during the import is the
    child's work."""
    import multiprocessing
    import time

    index = app.extensions["search_index"]
    seen_during: list[int] = []

    def on_row(outcome: importer.RowOutcome) -> None:
        if outcome.title == "第三行":  # the last row of the first batch has committed
            assert [c.name for c in multiprocessing.active_children()] == ["library-bulk-indexer"]
            deadline = time.monotonic() + 30
            while index.doc_count() < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            seen_during.append(index.doc_count())

    with app.app_context():
        report = importer.import_manifest(manifest, accounts.get_user("admin"), batch_size=3, on_row=on_row,
                                          background_index=True)
    assert report.imported == 5
    assert seen_during == [3]
    assert index.doc_count() == 5 and not multiprocessing.active_children()


def test_a_large_import_into_a_smaller_library_rebuilds_the_index_once(app, manifest, monkeypatch):
    """Past REBUILD_AT rows (and no fewer than the index holds) the commits only log their changes
    and the index is rebuilt once at the end in a new generation, as `flask reindex` does: the
    measured fast path for a county moving its archive (BENCHMARKS.md, bulk import)."""
    from library.search import indexing

    monkeypatch.setattr(indexing, "REBUILD_AT", 4)
    index = app.extensions["search_index"]
    before = index._generations.current()
    counts_during: list[int] = []

    def on_row(outcome: importer.RowOutcome) -> None:
        counts_during.append(index.doc_count())

    with app.app_context():
        report = importer.import_manifest(manifest, accounts.get_user("admin"), batch_size=3, on_row=on_row,
                                          background_index=True, expected_rows=7)
        client = app.test_client()
        titles = {h["title"] for h in client.get("/api/v1/search", query_string={"q": "行"}).json["hits"]}
    assert report.imported == 5
    assert set(counts_during) == {0}  # nothing indexed while the rows were written
    assert index.doc_count() == 5 and index._generations.current() != before
    assert {"第一行", "第二行", "第三行", "第四行", "第七行"} <= {t.replace("<mark>", "").replace("</mark>", "") for t in titles}


def test_dry_run_writes_nothing(app, manifest):
    before = _state(app)
    result = app.test_cli_runner().invoke(args=["import", str(manifest), "--dry-run", "--batch-size", "3"])
    assert result.exit_code == 1, result.output  # it would refuse two rows
    assert "5 would be imported, 2 refused" in result.output and "line 6: 未知学科" in result.output
    assert _state(app) == before
    # Without the refused rows a dry run succeeds, and still writes nothing.
    rows = list(csv.reader(manifest.read_text(encoding="utf-8").splitlines()))
    clean = _write(manifest.parent, [r for r in rows[1:] if r[0] not in ("未知学科", "没有文件")])
    result = app.test_cli_runner().invoke(args=["import", str(clean), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "5 would be imported, 0 refused" in result.output
    assert _state(app) == before


def test_dry_run_checks_permission_and_content(app, manifest, sample_dir):
    """A plain teacher may not upload to the studio; a file that is no PDF is refused by its bytes."""
    (manifest.parent / "files" / "fake.pdf").write_bytes((sample_dir / "作业.pdf").read_bytes())
    path = _write(manifest.parent, [_row("伪装", "files/fake.pdf"), _row("正常", "files/doc-1.pdf")])
    result = app.test_cli_runner().invoke(args=["import", str(path), "--dry-run", "--as", "zhangsan"])
    assert result.exit_code == 1
    assert result.output.count("不是“王丽数学名师工作室”的成员") == 2
    result = app.test_cli_runner().invoke(args=["import", str(path), "--dry-run"])
    assert "line 2: 伪装: fake.pdf: 文件内容不是允许的类型" in result.output
    assert "1 would be imported, 1 refused" in result.output


def test_a_batch_failing_as_it_is_written_loses_only_the_failing_row(app, manifest, sample_dir):
    """Row 3's file disappears after it was checked, before its batch is written (the refusal of
    row 4, heard through on_row, removes it): the batch is rolled back whole — its objects
    removed, its claims released — and written one row per transaction."""
    folder = manifest.parent
    path = _write(folder, [
        _row("甲", _pdf(sample_dir, folder, 11)),
        _row("乙", _pdf(sample_dir, folder, 12)),
        _row("消失的文件", _pdf(sample_dir, folder, 13)),
        _row("未知学段", "files/doc-11.pdf", stage="nowhere"),
        _row("丁", _pdf(sample_dir, folder, 14)),
    ])

    def on_row(outcome: importer.RowOutcome) -> None:
        if outcome.title == "未知学段":
            (folder / "files" / "doc-13.pdf").unlink()

    with app.app_context():
        report = importer.import_manifest(path, accounts.get_user("admin"), on_row=on_row, batch_size=10)
    assert report.imported == 3
    assert [(line, title) for line, title, _ in report.refused] == [(5, "未知学段"), (4, "消失的文件")]
    assert "doc-13.pdf" in report.refused[1][2]
    state = _state(app)
    assert (state["resources"], state["objects"], state["claims"], state["indexed"]) == (3, 3, 0, 3)


def test_the_manifest_is_streamed(app, manifest, tmp_path):
    rows = importer.read_manifest(manifest)
    assert isinstance(rows, Iterator) and iter(rows) is rows
    assert next(rows)[0] == 2  # (line, row): line 1 is the header
    rows.close()  # a generator over the open file
    assert importer.count_rows(manifest) == 7
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(HEADER)
    wb.active.append(["一", "paper", "math", "primary", "wang-math", "", 2024, "files/doc-1.pdf"])
    wb.save(tmp_path / "m.xlsx")
    rows = importer.read_manifest(tmp_path / "m.xlsx")
    assert isinstance(rows, Iterator) and list(rows) == [(2, dict(zip(HEADER, ["一", "paper", "math", "primary",
                                                                               "wang-math", "", 2024, "files/doc-1.pdf"],
                                                                          strict=True)))]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,files\nx,y\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(bad)])
    assert result.exit_code == 1 and "清单第一行应是列名" in result.output
    bad.write_bytes("title,files\n".encode() + b"\xff\xfe broken\n")
    result = app.test_cli_runner().invoke(args=["import", str(bad)])
    assert result.exit_code == 1 and "无法读取清单 bad.csv" in result.output


def test_import_on_postgresql(pg_url, tmp_path, sample_dir):
    """Batches, a refused row in the middle, the index after the command, on PostgreSQL."""
    app = make_app(tmp_path / "pg", DATABASE_URL=pg_url)
    try:
        build_world(app)
        folder = tmp_path / "pm"
        path = _write(folder, [
            _row("一", _pdf(sample_dir, folder, 1)),
            _row("二", _pdf(sample_dir, folder, 2)),
            _row("坏", _pdf(sample_dir, folder, 3), kind="poem"),
            _row("四", _pdf(sample_dir, folder, 1)),
            _row("五", _pdf(sample_dir, folder, 5)),
        ])
        result = app.test_cli_runner().invoke(args=["import", str(path), "--batch-size", "2"])
        assert result.exit_code == 1, result.output
        assert "4 imported, 1 refused" in result.output and "refused   line 4: 坏:" in result.output
        state = _state(app)
        assert (state["resources"], state["objects"], state["claims"], state["indexed"]) == (4, 3, 0, 4)
        with app.app_context():  # the planner's figures are the imported table's, not an empty one's
            planned = dict(get_session().execute(text(
                "SELECT relname, reltuples FROM pg_class WHERE relname IN ('resources', 'resource_files')")).all())
        assert planned == {"resources": 4, "resource_files": 4}, planned
    finally:
        app.extensions["db_engine"].dispose()


def test_import_into_s3_stages_shared_content_once(s3_app, sample_dir, tmp_path):
    """With S3 the batch stages each content once and queues one move for it; the move job puts
    it into the bucket for every row that shares it."""
    build_world(s3_app)
    folder = tmp_path / "s3m"
    shared = _pdf(sample_dir, folder, 0)
    path = _write(folder, [_row("一", shared), _row("二", shared), _row("三", _pdf(sample_dir, folder, 3))])
    result = s3_app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 imported, 0 refused" in result.output
    with s3_app.app_context():
        session = get_session()
        kinds = sorted(j.kind for j in session.scalars(select(Job)))
        assert kinds == ["derive", "derive", "move", "move"]
        assert {f.location for f in session.scalars(select(ResourceFile))} == {"staged"}
    assert run_jobs(s3_app).done == 4
    with s3_app.app_context():
        files = list(get_session().scalars(select(ResourceFile)))
        assert {(f.location, f.state) for f in files} == {("stored", "ready")}
    assert len(list(s3_app.extensions["storage"].iter_keys("originals/"))) == 2
