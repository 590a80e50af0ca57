"""Issue 14, resources: every bad metadata value is a 400 naming its field, on SQLite and PostgreSQL.

`year=²` passed str.isdigit() and failed int() (a 500 on upload and PATCH, and it aborted
`flask import` for every later row); NUL reached PostgreSQL (a 500) and control characters reached
the exports; `{"comment": null}` was stored as the text "None" and passed "a return needs a reason"."""

from __future__ import annotations

import csv
import shutil
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from library.db import get_session
from library.errors import InvalidInput
from library.resources import importer
from library.resources.models import AWARD_LEVELS, KINDS, PROJECT_STATUSES, VISIBILITIES, Resource, ResourceEvent
from tests.support.app import bearer, build_world, csrf_token, login, make_app, upload

BAD_YEARS = ["²", "①", "２０２４"]  # str.isdigit() says yes to each; int() refuses two, reads the third


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def library(request, tmp_path, migrated_sqlite):
    """An app and its world on the embedded SQLite file and on a real PostgreSQL."""
    if request.param == "sqlite":
        app = make_app(tmp_path / "instance", migrated_sqlite)
    else:
        app = make_app(tmp_path / "instance", DATABASE_URL=request.getfixturevalue("pg_url"))
    yield app, app.test_client(), build_world(app)
    app.extensions["db_engine"].dispose()


def _titles(app) -> list[str]:
    with app.app_context():
        return list(get_session().scalars(select(Resource.title).order_by(Resource.id)))


def _error_fields(response) -> set[str]:
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True)[:300])
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input" and error["message"]
    return set(error["fields"])


@pytest.mark.parametrize("year", BAD_YEARS)
def test_a_year_that_is_no_ascii_number_is_a_400_naming_year(library, sample_dir, year):
    app, client, world = library
    assert _error_fields(upload(client, world.host_token, [sample_dir / "光合作用.pdf"], year=year)) == {"year"}
    created = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], year="2024").json
    patched = client.patch(f"/api/v1/resources/{created['id']}", headers=bearer(world.host_token), json={"year": year})
    assert _error_fields(patched) == {"year"}
    as_form = client.patch(f"/api/v1/resources/{created['id']}", headers=bearer(world.host_token), data={"year": year})
    assert _error_fields(as_form) == {"year"}
    assert client.get(f"/api/v1/resources/{created['id']}").json["year"] == 2024
    # A JSON number and ASCII digits with spaces are years.
    for good in (2023, " 2022 "):
        response = client.patch(f"/api/v1/resources/{created['id']}", headers=bearer(world.host_token),
                                json={"year": good})
        assert response.status_code == 200 and response.json["year"] == int(good)


def test_nul_in_an_abstract_is_refused_like_everywhere(library, sample_dir):
    """NUL is refused before any view runs (library/web/guard.py), even where a multi-line field
    would drop other control characters."""
    app, client, world = library
    refused = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], abstract="第一段\x00\n第二段")
    assert _error_fields(refused) == {"abstract"}
    assert _titles(app) == []  # nothing was stored


@pytest.mark.parametrize("bad", ["\x01", "\x7f", "\u0085"])
def test_control_characters_in_a_title_are_a_400_and_in_an_abstract_are_removed(library, sample_dir, bad):
    app, client, world = library
    refused = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title=f"论文{bad}标题")
    assert _error_fields(refused) == {"title"}
    for field in ("award_name", "publication", "authors", "keywords", "grade"):
        assert _error_fields(upload(client, world.host_token, [sample_dir / "光合作用.pdf"],
                                    **{field: f"甲{bad}乙"})) == {field}
    body = upload(client, world.host_token, [sample_dir / "光合作用.pdf"],
                  abstract=f"第一段{bad}\n第二段").json
    assert body["abstract"] == "第一段\n第二段"
    patched = client.patch(f"/api/v1/resources/{body['id']}", headers=bearer(world.host_token),
                           json={"title": f"改{bad}过", "abstract": "x"})
    assert _error_fields(patched) == {"title"}
    patched = client.patch(f"/api/v1/resources/{body['id']}", headers=bearer(world.host_token),
                           json={"abstract": f"摘{bad}要"})
    assert patched.status_code == 200 and patched.json["abstract"] == "摘要"
    assert _titles(app) == ["分数的初步认识"]


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x1b"])
def test_control_characters_in_a_file_name_are_removed(library, sample_dir, tmp_path, bad):
    app, client, world = library
    with open(sample_dir / "光合作用.pdf", "rb") as fh:
        response = client.post("/api/v1/resources", headers=bearer(world.host_token), content_type="multipart/form-data",
                               data={"title": "文件名", "kind": "paper", "subject": "math", "stage": "primary",
                                     "studio": "wang-math", "publish": "true",
                                     "file": (fh, f"光合{bad}作用.pdf")})
    assert response.status_code == 201, response.json
    assert response.json["files"][0]["name"] == "光合作用.pdf"
    download = client.get(response.json["files"][0]["download_url"])
    assert download.status_code in (200, 302)
    assert bad not in download.headers.get("Content-Disposition", "")
    download.close()


def test_too_long_text_is_a_400_not_cut(library, sample_dir):
    app, client, world = library
    response = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="长" * 301)
    assert _error_fields(response) == {"title"}
    assert response.json["error"]["fields"]["title"] == "不能超过 300 个字"


def test_a_return_needs_a_reason_and_null_is_none(library, sample_dir):
    app, client, world = library
    rid = upload(client, world.member_token, [sample_dir / "光合作用.pdf"], publish="", submit="true").json["id"]
    for body in ({"comment": None}, {"comment": "   "}, {"comment": "\x00\x01"}, {}):
        response = client.post(f"/api/v1/resources/{rid}/return", headers=bearer(world.host_token), json=body)
        assert _error_fields(response) == {"comment"}, body
    assert client.post(f"/api/v1/resources/{rid}/return", headers=bearer(world.host_token),
                       json={"comment": ["a list"]}).status_code == 400
    published = client.post(f"/api/v1/resources/{rid}/publish", headers=bearer(world.host_token),
                            json={"comment": None})
    assert published.status_code == 200 and published.json["status"] == "published"
    with app.app_context():
        comments = list(get_session().scalars(select(ResourceEvent.comment).where(ResourceEvent.resource_id == rid)))
    assert comments == ["", ""]  # the upload, the publishing: no "None"


def test_patch_changes_only_what_it_gives_and_keeps_the_whole_valid(app, client, world, sample_dir):
    created = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], authors="王丽、陈静",
                     abstract="简介", year="2023").json
    rid = created["id"]
    patched = client.patch(f"/api/v1/resources/{rid}", headers=bearer(world.host_token), json={"grade": "三年级"})
    assert patched.status_code == 200
    after = patched.json
    assert after["grade"] == "p3"  # what teachers write, kept as its code
    assert {k: v for k, v in after.items() if k != "grade"} == {k: v for k, v in created.items() if k != "grade"}
    # An award case needs its level, whether the kind changes now or was set before.
    refused = client.patch(f"/api/v1/resources/{rid}", headers=bearer(world.host_token), json={"kind": "award_case"})
    assert _error_fields(refused) == {"award_level"}
    ok = client.patch(f"/api/v1/resources/{rid}", headers=bearer(world.host_token),
                      json={"kind": "award_case", "award_level": "county", "year": None})
    assert ok.status_code == 200 and ok.json["award_level"] == "county" and ok.json["year"] is None
    for body, field in (({"title": None}, "title"), ({"title": ""}, "title"), ({"kind": "poem"}, "kind"),
                        ({"visibility": "secret"}, "visibility"), ({"subject": "alchemy"}, "subject"),
                        ({"award_level": "galactic"}, "award_level"), ({"authors": [{"x": 1}]}, "authors")):
        response = client.patch(f"/api/v1/resources/{rid}", headers=bearer(world.host_token), json=body)
        assert _error_fields(response) == {field}, body
    # The studio cannot change (it is not an editable field): ignored.
    moved = client.patch(f"/api/v1/resources/{rid}", headers=bearer(world.host_token), json={"studio": "li-chinese"})
    assert moved.status_code == 200 and moved.json["studio"] == "wang-math"


def test_the_html_forms_refuse_bad_years_and_control_characters(app, client, world, sample_dir):
    rid = upload(client, world.host_token, [sample_dir / "光合作用.pdf"]).json["id"]
    login(client, "wangli")
    token = csrf_token(client, "/upload")
    with open(sample_dir / "光合作用.pdf", "rb") as fh:
        page = client.post("/upload", content_type="multipart/form-data", data={
            "csrf_token": token, "title": "标\x01题", "kind": "paper", "subject": "math", "stage": "primary",
            "studio": "wang-math", "year": "²", "intent": "publish", "file": (fh, "光合作用.pdf")})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "请修改后重新提交" in html and "应为数字（0–9）" in html and "不能包含控制字符" in html
    token = csrf_token(client, f"/resources/{rid}/edit")
    edit = client.post(f"/resources/{rid}/edit", data={"csrf_token": token, "year": "①"})
    assert edit.status_code == 400 and "应为数字（0–9）" in edit.get_data(as_text=True)
    # A return from the button without a reason is refused; an unknown step is no page at all.
    client.post(f"/resources/{rid}/workflow/withdraw", data={"csrf_token": token})
    client.post(f"/resources/{rid}/workflow/submit", data={"csrf_token": token})
    client.post(f"/resources/{rid}/workflow/return", data={"csrf_token": token, "comment": "\x01"})
    with app.app_context():
        assert get_session().get(Resource, rid).status == "submitted"
    assert client.post(f"/resources/{rid}/workflow/bogus", data={"csrf_token": token}).status_code == 404


# ---- flask import -------------------------------------------------------------------------------

HEADER = ["title", "kind", "subject", "stage", "studio", "authors", "year", "award_level", "status", "files"]


def _manifest(folder, sample_dir, rows):
    (folder / "files").mkdir(parents=True)
    shutil.copy(sample_dir / "光合作用.pdf", folder / "files" / "光合作用.pdf")
    with open(folder / "清单.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return folder / "清单.csv"


def _row(title, **changes):
    row = dict(zip(HEADER, [title, "paper", "math", "primary", "wang-math", "王丽", "2024", "", "", "files/光合作用.pdf"],
                   strict=True))
    return [changes.get(k, v) for k, v in row.items()]


def test_a_bad_manifest_row_is_reported_and_the_later_rows_still_import(app, runner, world, sample_dir, tmp_path):
    path = _manifest(tmp_path / "m", sample_dir, [
        _row("第一行"),
        _row("上标年份", year="²"),
        _row("圈号年份", year="①"),
        _row("标题\x00含空字符"),
        _row("未知类型", kind="poem"),
        _row("获奖无级别", kind="award_case"),
        _row("未知状态", status="archived"),
        _row("最后一行", status="submitted"),
    ])
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1, result.output  # rows were refused
    assert "2 imported, 6 refused" in result.output
    lines = result.output.splitlines()

    def refused(line: int) -> str:
        return next(text for text in lines if text.startswith(f"refused   line {line}:"))

    assert "年份" in refused(3) and "应为数字（0–9）" in refused(3)
    assert "年份" in refused(4) and "应为数字（0–9）" in refused(4)
    assert "标题" in refused(5) and "控制字符" in refused(5) and "\x00" not in result.output
    assert "成果类型" in refused(6) and "只能是以下之一" in refused(6)
    assert "获奖课例请选择获奖级别" in refused(7)
    assert "状态" in refused(8)
    with app.app_context():
        rows = {r.title: r.status for r in get_session().scalars(select(Resource))}
    assert rows == {"第一行": "published", "最后一行": "submitted"}


def test_an_xlsx_manifest_keeps_numbers_and_refuses_what_is_no_text(app, runner, world, sample_dir, tmp_path):
    from datetime import datetime

    from openpyxl import Workbook

    folder = tmp_path / "x"
    (folder / "files").mkdir(parents=True)
    shutil.copy(sample_dir / "光合作用.pdf", folder / "files" / "光合作用.pdf")
    wb = Workbook()
    wb.active.append(HEADER)
    wb.active.append(["数字年份", "paper", "math", "primary", "wang-math", "王丽", 2024, None, None, "files/光合作用.pdf"])
    wb.active.append(["小数年份", "paper", "math", "primary", "wang-math", "王丽", 2024.5, None, None, "files/光合作用.pdf"])
    wb.active.append([datetime(2024, 5, 3), "paper", "math", "primary", "wang-math", "", 2024, None, None,
                      "files/光合作用.pdf"])
    wb.active.append(["最后", "paper", "math", "primary", "wang-math", "", 2023.0, None, None, "files/光合作用.pdf"])
    wb.save(folder / "清单.xlsx")
    result = runner.invoke(args=["import", str(folder / "清单.xlsx")])
    assert result.exit_code == 1, result.output  # rows were refused
    assert "2 imported, 2 refused" in result.output
    assert "line 3: 小数年份" in result.output and "line 4:" in result.output
    with app.app_context():
        years = {r.title: r.year for r in get_session().scalars(select(Resource))}
    assert years == {"数字年份": 2024, "最后": 2023}


# ---- the row parser, by property ----------------------------------------------------------------

CELL = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "²", "①", "２０２４", "\x00", "论文\x01标题", "award_case", "published", "是", "a;b;;"]),
)


@pytest.fixture
def context(app):
    with app.test_request_context():
        yield


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.dictionaries(st.sampled_from(importer.FIELDS), CELL, max_size=len(importer.FIELDS)))
def test_any_manifest_row_is_parsed_or_refused_with_invalid_input(context, row):
    try:
        parsed = importer.parse_row(row)
    except InvalidInput as exc:
        assert exc.fields and exc.message.startswith("请修改后重新提交")
        return
    upload = parsed.upload()  # a parsed row is always a valid upload
    assert upload.title and upload.kind in KINDS and upload.visibility in VISIBILITIES
    for text in (upload.title, upload.grade, upload.award_name, *upload.authors, *upload.keywords, *parsed.files):
        assert not any(unicodedata.category(c) == "Cc" for c in text)


WORD = st.text(alphabet=st.sampled_from("分数光合作用课例教学abcXYZ0123"), min_size=1, max_size=12)
CODE = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz-"), min_size=1, max_size=20)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=WORD, kind=st.sampled_from(KINDS), subject=CODE, stage=CODE, studio=CODE,
       authors=st.lists(WORD, max_size=5, unique=True), keywords=st.lists(WORD, max_size=5, unique=True),
       year=st.one_of(st.none(), st.integers(1980, 2025)), award_level=st.sampled_from(AWARD_LEVELS),
       project_status=st.one_of(st.none(), st.sampled_from(PROJECT_STATUSES)),
       visibility=st.sampled_from(VISIBILITIES), status=st.sampled_from(["published", "submitted", "draft"]),
       files=st.lists(WORD.map(lambda w: f"files/{w}.pdf"), min_size=1, max_size=3), as_number=st.booleans())
def test_a_valid_manifest_row_round_trips(context, title, kind, subject, stage, studio, authors, keywords, year,
                                          award_level, project_status, visibility, status, files, as_number):
    row = {"title": f" {title} ", "kind": kind, "subject": subject, "stage": stage, "studio": studio,
           "authors": "、".join(authors), "keywords": "，".join(keywords),
           "year": "" if year is None else (year if as_number else str(year)), "award_level": award_level,
           "project_status": project_status or "", "visibility": visibility, "status": status,
           "files": "; ".join(files)}
    parsed = importer.parse_row(row)
    assert (parsed.title, parsed.kind, parsed.subject, parsed.stage, parsed.studio) == (title, kind, subject, stage, studio)
    assert parsed.authors == authors and parsed.keywords == keywords and parsed.year == year
    assert parsed.award_level == award_level and parsed.project_status == project_status
    assert parsed.visibility == visibility and parsed.status == status and parsed.files == files
    upload = parsed.upload()
    assert upload.publish is (status == "published") and upload.submit is (status == "submitted")
    assert importer.parse_row({**row, **{k: str(v) for k, v in row.items()}}) == parsed


def test_an_id_past_the_integer_range_is_a_404_for_every_method(client, world):
    """The converter's `max` made werkzeug answer 405 (undocumented) for PATCH and DELETE."""
    from tests.support.app import bearer

    huge = "/api/v1/resources/99999999999999999999"
    for method in ("get", "patch", "delete"):
        response = getattr(client, method)(huge, headers=bearer(world.admin_token), json={})
        assert response.status_code == 404, (method, response.status_code)
    assert client.post(f"{huge}/publish", headers=bearer(world.admin_token)).status_code == 404
