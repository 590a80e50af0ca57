"""The translation layer's shortcuts (library.i18n): the catalogue found once per request must
still follow the page's language, a forced one (mails) and back; url_here keeps the page's path
and arguments; card dates are the county's calendar day."""

from __future__ import annotations

import datetime as dt

from flask import render_template_string
from flask_babel import force_locale

from library.i18n import KIND_LABELS, gettext, local_date, url_here


def test_gettext_follows_the_page_language_and_a_forced_one(app):
    with app.test_request_context("/?lang=en"):
        assert gettext("搜索") == "Search"
        assert str(KIND_LABELS["paper"]) == "Paper"
        assert render_template_string("{{ _('搜索') }}") == "Search"
        with force_locale("zh_CN"):
            assert gettext("搜索") == "搜索"
            assert str(KIND_LABELS["paper"]) == "论文文章"
            assert render_template_string("{{ _('搜索') }}") == "搜索"
        assert gettext("搜索") == "Search"  # back to the page's language
        assert render_template_string("{{ _('搜索') }}") == "Search"
    with app.test_request_context("/"):
        assert gettext("搜索") == "搜索"  # a new request starts from its own language
        assert gettext("%(n)s 项", n=3) == "3 项"
    with app.app_context():  # the command line: Chinese
        assert gettext("搜索") == "搜索"


def test_url_here_keeps_the_path_and_replaces_arguments(app):
    with app.test_request_context("/subjects/math?stage=primary&page=3&q=分数&q=小数&_external=1"):
        app.preprocess_request()
        assert url_here(page=None) == "/subjects/math?stage=primary&q=%E5%88%86%E6%95%B0&q=%E5%B0%8F%E6%95%B0"
        assert url_here(page=4, stage=None) == "/subjects/math?page=4&q=%E5%88%86%E6%95%B0&q=%E5%B0%8F%E6%95%B0"
        assert url_here(q=None, page=None, stage=None) == "/subjects/math"
        assert url_here(kind=["paper", "award_case"], page=None, q=None, stage=None) == \
            "/subjects/math?kind=paper&kind=award_case"


def test_card_dates_are_the_county_calendar_day(app):
    late_evening_utc = dt.datetime(2024, 5, 2, 17, 30)  # 01:30 on 3 May in Asia/Shanghai
    with app.test_request_context("/"):
        assert local_date(late_evening_utc) == "2024年5月3日"
        assert local_date(dt.date(2024, 5, 2)) == "2024年5月2日"
        assert local_date(None) == ""
    with app.test_request_context("/?lang=en"):
        assert local_date(late_evening_utc) == "May 3, 2024"
        assert local_date(late_evening_utc.replace(tzinfo=dt.UTC), "medium") == "May 3, 2024"


def test_url_here_belongs_to_its_own_request(app):
    with app.app_context():  # one app context (and g) around two requests, as in a test or a job
        with app.test_request_context("/search?q=分数&page=2"):
            assert url_here(page=None) == "/search?q=%E5%88%86%E6%95%B0"
        with app.test_request_context("/studios/?stage=junior"):
            assert url_here(stage=None) == "/studios/"
