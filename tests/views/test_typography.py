"""Chinese typography (issue 19, part 7): 、 between list items, one pair of 《》, county times to the
minute, English plurals and no full-width colon in English."""

from __future__ import annotations

import datetime as dt

from flask import render_template
from sqlalchemy import update

from library.db import get_session
from library.i18n import book_title, join_names, list_separator, local_datetime
from library.resources.models import Resource
from tests.support.app import login, run_jobs, upload


def test_the_helpers_in_each_language(app):
    moment = dt.datetime(2026, 12, 2, 4, 42, 36)  # stored as naive UTC
    with app.test_request_context("/"):
        assert list_separator() == "、" and join_names(["王丽", "陈静"]) == "王丽、陈静"
        assert local_datetime(moment) == "2026年12月2日 12:42"
        assert local_datetime("2026-12-02T04:42:36Z") == "2026年12月2日 12:42"
        assert book_title("分数的意义") == "《分数的意义》" and book_title("《分数的意义》") == "《分数的意义》"
        assert book_title("《分数的意义》课堂实录") == "“《分数的意义》课堂实录”"
    with app.test_request_context("/?lang=en"):
        assert join_names(["Wang Li", "Chen Jing"]) == "Wang Li, Chen Jing"
        assert local_datetime(moment).replace("\u202f", " ") == "December 2, 2026, 12:42 PM"
        assert book_title("《背影》") == "“背影”"


def test_the_borrow_kit_says_when_in_county_time(app):
    with app.test_request_context("/"):
        html = render_template("lending/kit_index.html", items=[], stamp={
            "generated_at": "2026-12-02T04:42:36Z", "school": "希望小学"})
    assert "生成时间：2026年12月2日 12:42" in html and "UTC" not in html and "T04:42" not in html


def test_titles_with_marks_are_not_marked_twice_and_counts_read_in_english(app, client, world, sample_dir):
    rid = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="《分数的意义》",
                 keywords="分数，直观模型", lesson="《分数的意义》").json["id"]
    run_jobs(app)
    with app.app_context():
        get_session().execute(update(Resource).where(Resource.id == rid).values(download_count=1))
        get_session().commit()
    page = client.get(f"/resources/{rid}").get_data(as_text=True)
    assert "《《" not in page and "》》" not in page
    assert "1 次下载" in page
    english = client.get(f"/resources/{rid}?lang=en").get_data(as_text=True)
    assert "1 download" in english and "1 downloads" not in english
    with app.app_context():
        get_session().execute(update(Resource).where(Resource.id == rid).values(download_count=2))
        get_session().commit()
    assert "2 downloads" in client.get(f"/resources/{rid}?lang=en").get_data(as_text=True)
    snippet = client.get("/search?q=直观模型").get_data(as_text=True).split('class="snippet"')[1].split("</p>")[0]
    assert ">分数, <mark" in snippet  # the page is still in English (the cookie)
    found = client.get("/search?q=直观模型&lang=zh_CN").get_data(as_text=True)
    snippet = found.split('class="snippet"')[1].split("</p>")[0]
    assert ">分数、<mark" in snippet and ", " not in snippet


def test_english_pages_have_no_full_width_colon(app, client, world):
    login(client, "admin")
    for path in ("/admin/audit?lang=en", "/account?lang=en"):
        body = client.get(path).get_data(as_text=True).split("<main")[1]
        assert "：" not in body, path
