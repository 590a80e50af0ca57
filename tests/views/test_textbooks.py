"""Textbook positions end to end: the fields in the API and forms, the guesser in `flask import`,
the tree with counts under visibility, the page, 我的教材, and query understanding in search."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import select

from library.db import get_session
from library.resources.models import Resource
from library.textbooks.models import Edition
from tests.support.app import bearer, csrf_token, login, run_jobs, upload


@pytest.fixture
def pdf(sample_dir):
    return sample_dir / "光合作用.pdf"


def test_the_fields_round_trip_through_the_api(client, world, pdf):
    body = upload(client, world.host_token, [pdf], title="测量", grade="三年级", edition="人教版", volume="上册",
                  unit="第三单元 测量", lesson="《测量》").json
    assert (body["grade"], body["edition"], body["volume"], body["unit"], body["unit_number"], body["lesson"]) == (
        "p3", "pep", "upper", "第三单元 测量", 3, "测量")
    assert body["textbook_guessed"] is False
    # Codes are taken as they are; PATCH changes one field and keeps the rest.
    changed = client.patch(f"/api/v1/resources/{body['id']}", json={"volume": "lower", "unit": "4"},
                           headers=bearer(world.host_token)).json
    assert (changed["grade"], changed["volume"], changed["unit"], changed["unit_number"]) == ("p3", "lower", "第四单元", 4)


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"grade": "十三年级"}, "grade", "不认识的年级"),
    ({"grade": "j1"}, "grade", "不属于所选学段"),  # a junior grade on a primary resource
    ({"volume": "中册"}, "volume", "不认识的册次"),
    ({"edition": "火星版"}, "edition", "不认识的教材版本"),
])
def test_a_wrong_position_is_refused_by_field(client, world, pdf, fields, field, words):
    response = upload(client, world.host_token, [pdf], **fields)
    assert response.status_code == 400
    assert words in response.json["error"]["fields"][field]
    with client.application.app_context():
        assert get_session().scalar(select(Resource.id)) is None  # nothing left behind


def test_import_guesses_the_position_from_the_title_and_marks_it(app, world, runner, tmp_path, pdf):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "a.pdf").write_bytes(pdf.read_bytes())
    manifest = tmp_path / "m" / "manifest.csv"
    with manifest.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, ["title", "kind", "subject", "stage", "studio", "grade", "files"])
        writer.writeheader()
        writer.writerow({"title": "《分数的初步认识》（人教版三年级上册）", "kind": "lesson_video", "subject": "math",
                         "stage": "primary", "studio": "wang-math", "files": "a.pdf"})
        writer.writerow({"title": "分数的意义", "kind": "excellent_case", "subject": "math", "stage": "primary",
                         "studio": "wang-math", "grade": "五年级", "files": "a.pdf"})
        writer.writerow({"title": "大单元教学的实践研究", "kind": "paper", "subject": "math", "stage": "primary",
                         "studio": "wang-math", "files": "a.pdf"})
    result = runner.invoke(args=["import", str(manifest), "--as", "wangli"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = {r.title: r for r in get_session().scalars(select(Resource))}
        guessed = rows["《分数的初步认识》（人教版三年级上册）"]
        assert (guessed.edition_code, guessed.grade, guessed.volume, guessed.lesson) == ("pep", "p3", "upper", "分数的初步认识")
        assert guessed.textbook_guessed
        given = rows["分数的意义"]  # the manifest gave a grade: nothing is guessed
        assert (given.grade, given.edition_code, given.textbook_guessed) == ("p5", None, False)
        none = rows["大单元教学的实践研究"]
        assert (none.grade, none.edition_code, none.textbook_guessed) == ("", None, False)
    # An edit confirms the guess.
    client = app.test_client()
    changed = client.patch(f"/api/v1/resources/{guessed.id}", json={"unit": "第一单元"},
                           headers=bearer(world.host_token)).json
    assert changed["textbook_guessed"] is False and changed["edition"] == "pep"


def _placed(client, world, pdf, **fields):
    data = {"edition": "pep", "grade": "p3", "volume": "upper", **fields}
    response = upload(client, world.host_token, [pdf], **data)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_the_tree_counts_what_the_caller_may_see(client, world, pdf):
    _placed(client, world, pdf, unit="第三单元 测量", lesson="毫米和分米")
    _placed(client, world, pdf, unit="第三单元 测量", lesson="千米的认识")
    _placed(client, world, pdf, unit="第三单元", lesson="千米的认识", kind="lesson_video")
    _placed(client, world, pdf, unit="第一单元 时、分、秒", grade="p3", volume="upper")
    _placed(client, world, pdf, edition="", grade="p4", volume="lower", unit="2")
    _placed(client, world, pdf, unit="第五单元", visibility="studio")  # members only
    upload(client, world.host_token, [pdf], title="未标注的论文")  # no position
    anonymous = client.get("/api/v1/textbooks", query_string={"subject": "math", "stage": "primary"}).json
    assert (anonymous["total"], anonymous["placed"], anonymous["unplaced"]) == (6, 5, 1)
    pep, none = anonymous["editions"]
    assert (pep["key"], pep["name"], pep["count"]) == ("pep", "人教版", 4)
    assert (none["key"], none["count"]) == ("none", 1)
    book = pep["books"][0]
    assert (book["key"], book["name"], book["count"]) == ("p3.upper", "三年级上册", 4)
    assert [(u["key"], u["name"], u["count"]) for u in book["units"]] == [
        ("1", "第一单元 时、分、秒", 1), ("3", "第三单元 测量", 3)]
    assert [(lesson["name"], lesson["count"]) for lesson in book["units"][1]["lessons"]] == [
        ("千米的认识", 2), ("毫米和分米", 1)]
    member = client.get("/api/v1/textbooks", query_string={"subject": "math", "stage": "primary"},
                        headers=bearer(world.member_token)).json
    assert member["editions"][0]["count"] == 5  # the studio-only one too
    assert client.get("/api/v1/textbooks", query_string={"subject": "nope", "stage": "primary"}).status_code == 404
    assert client.get("/api/v1/textbooks", query_string={"subject": "math"}).status_code == 400


def test_the_page_lists_a_unit_with_lesson_videos_first(client, world, pdf):
    _placed(client, world, pdf, title="测量 教学设计", unit="第三单元 测量", lesson="毫米和分米")
    _placed(client, world, pdf, title="测量 课堂实录", unit="第三单元 测量", lesson="千米的认识", kind="lesson_video")
    html = client.get("/textbooks/math/primary").get_data(as_text=True)
    assert "人教版" in html and "三年级上册" in html
    page = client.get("/textbooks/math/primary?edition=pep&book=p3.upper&unit=3").get_data(as_text=True)
    assert "第三单元 测量" in page and page.index("测量 课堂实录") < page.index("测量 教学设计")
    # What a visitor types in the query string never breaks the page.
    for junk in ("edition=%00", "book=..", "unit=abc", "page=0", "lesson=" + "长" * 300):
        assert client.get(f"/textbooks/math/primary?{junk}").status_code in (200, 400)
    assert client.get("/textbooks/nope/primary").status_code == 404


def test_pinning_a_textbook_opens_the_home_page_on_it(client, world, pdf):
    _placed(client, world, pdf, unit="第三单元 测量", lesson="毫米和分米")
    login(client, "zhangsan")
    token = csrf_token(client, "/textbooks/math/primary")
    response = client.post("/textbooks/pin", data={"csrf_token": token, "subject": "math", "stage": "primary",
                                                   "edition": "pep", "grade": "p3", "next": "/"})
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert 'id="h-my-textbook"' in home and "人教版" in home and "第三单元 测量" in home
    refused = client.post("/textbooks/pin", data={"csrf_token": token, "subject": "math", "stage": "primary",
                                                  "edition": "火星版", "grade": "p3"})
    assert refused.status_code == 302  # flashed, nothing changed
    assert "未知的教材版本：火星版" in client.get("/").get_data(as_text=True)
    client.post("/textbooks/pin", data={"csrf_token": token, "action": "unpin"})
    assert 'id="h-my-textbook"' not in client.get("/").get_data(as_text=True)


def test_search_understands_and_shows_the_chips(client, world, pdf):
    rid = _placed(client, world, pdf, title="《测量》课堂实录", kind="lesson_video", unit="第三单元 测量")
    upload(client, world.host_token, [pdf], title="长度测量的研究", stage="primary")
    body = client.get("/api/v1/search", query_string={"q": "人教版三年级 测量"}).json
    assert body["understood"] == [{"word": "人教版", "field": "edition", "value": "pep"},
                                  {"word": "三年级", "field": "grade", "value": "p3"}]
    assert [h["id"] for h in body["hits"]] == [rid]
    html = client.get("/search", query_string={"q": "人教版三年级 测量"}).get_data(as_text=True)
    assert "已按 教材版本：人教版 筛选" in html and "已按 年级：三年级 筛选" in html
    # The chip's ✕ searches the word as text instead: quoted.
    assert "q=%22%E4%BA%BA%E6%95%99%E7%89%88%22" in html
    literal = client.get("/api/v1/search", query_string={"q": '"人教版"三年级 测量'}).json
    assert [u["field"] for u in literal["understood"]] == ["grade"]


def test_editions_are_seeded_and_editable(app):
    with app.app_context():
        names = dict(get_session().execute(select(Edition.code, Edition.name_zh)).all())
        assert names["pep"] == "人教版" and names["tongbian"] == "统编版" and len(names) >= 25


def test_existing_free_text_grades_become_codes(app, client, world, pdf):
    """Migration 0013 turns the grades typed before it into codes; one that is no grade is emptied."""
    from alembic import command
    from sqlalchemy import text

    from library.cli import alembic_config
    from library.db import get_engine

    ids = [upload(client, world.host_token, [pdf], title=f"r{i}").json["id"] for i in range(3)]
    with app.app_context():
        config = alembic_config()
        with get_engine().begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0012")
            for rid, typed in zip(ids, ("三年级", "初二", "三年级组"), strict=True):
                connection.execute(text("UPDATE resources SET grade = :g WHERE id = :id"), {"g": typed, "id": rid})
            command.upgrade(config, "head")
        grades = dict(get_session().execute(select(Resource.id, Resource.grade)).all())
    assert [grades[rid] for rid in ids] == ["p3", "j2", ""]


def test_an_admin_adds_an_edition_and_search_understands_it(app, client, world, pdf):
    login(client, "admin")
    token = csrf_token(client, "/admin/editions")
    response = client.post("/admin/editions", data={"csrf_token": token, "code": "xiaoben", "name_zh": "校本版",
                                                    "aliases": "校本教材、本校版", "subjects": ["math"],
                                                    "stages": ["primary"]})
    assert response.status_code == 302
    page = client.get("/admin/editions").get_data(as_text=True)
    assert "校本版" in page and "校本教材、本校版" in page
    rid = upload(client, world.host_token, [pdf], title="分数墙", edition="本校版").json["id"]
    body = client.get("/api/v1/search", query_string={"q": "本校版 分数"}).json
    assert [h["id"] for h in body["hits"]] == [rid]
    assert {"word": "本校版", "field": "edition", "value": "xiaoben"} in body["understood"]
    # An alias taken by another edition is refused, naming it.
    client.post("/admin/editions", data={"csrf_token": token, "code": "other", "name_zh": "别的版", "aliases": "人教版"})
    assert "“人教版”已是另一个版本（pep）的名称或别名" in client.get("/admin/editions").get_data(as_text=True)
    client.get("/logout")


def test_existing_resources_get_their_positions_guessed_by_a_command(app, client, world, pdf, runner):
    placed = upload(client, world.host_token, [pdf], title="人教版三年级上册第三单元《测量》教学设计").json["id"]
    plain = upload(client, world.host_token, [pdf], title="小学数学作业设计的实践研究").json["id"]
    dry = runner.invoke(args=["textbooks", "guess"])
    assert dry.exit_code == 0 and "1 of 2 resources without a position: would be written" in dry.output
    assert f"{placed}\t人教版三年级上册第三单元《测量》教学设计\t→ 人教版 三年级上册 第三单元 《测量》" in dry.output
    assert client.get(f"/api/v1/resources/{placed}", headers=bearer(world.host_token)).json["edition"] is None
    applied = runner.invoke(args=["textbooks", "guess", "--apply"])
    assert applied.exit_code == 0 and "1 of 2 resources without a position: written" in applied.output
    body = client.get(f"/api/v1/resources/{placed}", headers=bearer(world.host_token)).json
    assert (body["edition"], body["grade"], body["volume"], body["unit_number"], body["lesson"],
            body["textbook_guessed"]) == ("pep", "p3", "upper", 3, "测量", True)
    assert client.get(f"/api/v1/resources/{plain}", headers=bearer(world.host_token)).json["edition"] is None
    # The index has the position: the tree counts it and a search understands it.
    run_jobs(app)
    tree = client.get("/api/v1/textbooks", query_string={"subject": "math", "stage": "primary"}).json
    assert tree["placed"] == 1
    assert [h["id"] for h in client.get("/api/v1/search", query_string={"q": "人教版 测量"}).json["hits"]] == [placed]
    assert runner.invoke(args=["textbooks", "guess"]).output.startswith("0 of 1")
