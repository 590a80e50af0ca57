"""The command line: accounts, studios, tokens, manifest import, demo."""

import csv
from datetime import timedelta

from openpyxl import Workbook
from sqlalchemy import select

from library.accounts import service as accounts
from library.accounts.models import User
from library.db import get_session
from library.lending.models import Loan
from library.resources.models import Resource
from library.stats import figures as stats
from library.studios import service as studios
from library.studios.models import Membership, Studio
from tests.support.app import county_today, run_jobs


def test_users_studios_members_and_tokens(app, runner):
    result = runner.invoke(args=["users", "create", "admin", "--role", "admin", "--password-stdin"],
                           input="a long password\n")
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["users", "create", "wangli", "--role", "teacher"]).exit_code == 0
    result = runner.invoke(args=["studios", "create", "wang-math", "--name", "王丽数学名师工作室",
                                 "--subject", "math", "--stage", "primary", "--host", "wangli"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["users", "create", "chen", "--role", "teacher"]).exit_code == 0
    assert runner.invoke(args=["studios", "add-member", "wang-math", "chen", "--role", "trainee"]).exit_code == 0
    result = runner.invoke(args=["tokens", "create", "chen"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    with app.app_context():
        session = get_session()
        studio = session.scalar(select(Studio).where(Studio.slug == "wang-math"))
        roles = {m.user.username: m.role for m in session.scalars(select(Membership))}
        assert roles == {"wangli": "host", "chen": "trainee"}
        assert studio.subject_code == "math"
        assert accounts.user_for_token(token).username == "chen"
        assert accounts.authenticate("admin", "a long password").role == "admin"
        assert session.scalar(select(User.password_hash).where(User.username == "admin")) != "a long password"


def test_cli_errors_are_clear(runner):
    result = runner.invoke(args=["studios", "create", "x y", "--name", "n", "--subject", "alchemy", "--stage", "primary"])
    assert result.exit_code != 0 and "未知的学科代码" in result.output
    result = runner.invoke(args=["studios", "add-member", "nope", "nobody", "--role", "host"])
    assert result.exit_code != 0 and "没有找到工作室" in result.output
    assert runner.invoke(args=["users", "create", "u", "--role", "emperor"]).exit_code != 0


def _manifest_rows(sample_dir, folder):
    import shutil

    (folder / "files").mkdir()
    for name in ("光合作用.pdf", "教学设计.docx", "作业.pdf", "课堂实录.mp4"):
        shutil.copy(sample_dir / name, folder / "files" / name)
    header = ["title", "kind", "subject", "stage", "studio", "authors", "keywords", "year", "award_level", "files"]
    rows = [
        ["光合作用实验", "paper", "biology", "senior", "wang-math", "王丽", "实验、光合作用", "2023", "", "files/光合作用.pdf"],
        ["分数与录像", "award_case", "math", "primary", "wang-math", "王丽，陈静", "分数", "2024", "provincial",
         "files/教学设计.docx; files/课堂实录.mp4"],
        ["伪装的文件", "paper", "math", "primary", "wang-math", "", "", "2024", "", "files/作业.pdf"],
        ["缺文件", "paper", "math", "primary", "wang-math", "", "", "2024", "", "files/missing.pdf"],
        ["越界路径", "paper", "math", "primary", "wang-math", "", "", "2024", "", "../../etc/passwd"],
        ["未知工作室", "paper", "math", "primary", "nope", "", "", "2024", "", "files/光合作用.pdf"],
    ]
    return header, rows


def _assert_import(app, result):
    assert result.exit_code == 1, result.output  # a row was refused
    assert "2 imported, 4 refused" in result.output
    assert "line 4: 伪装的文件" in result.output and "不是允许的类型" in result.output
    assert "line 5: 缺文件" in result.output and "找不到文件" in result.output
    assert "line 6: 越界路径" in result.output
    assert "line 7: 未知工作室" in result.output and "没有这个工作室" in result.output
    with app.app_context():
        rows = {r.title: r for r in get_session().scalars(select(Resource))}
        assert set(rows) == {"光合作用实验", "分数与录像"}
        assert rows["分数与录像"].authors == ["王丽", "陈静"]
        assert [f.original_name for f in rows["分数与录像"].files] == ["教学设计.docx", "课堂实录.mp4"]
    assert len(list(app.extensions["storage"].iter_keys("originals/"))) == 3
    client = app.test_client()
    assert client.get("/api/v1/search", query_string={"q": "胡萝卜素"}).json["total"] == 0  # not yet derived
    assert run_jobs(app).done == 3  # what the worker beside the server does
    assert client.get("/api/v1/search", query_string={"q": "胡萝卜素"}).json["total"] == 1


def test_import_csv_manifest_as_excel_saves_it(app, runner, sample_dir, tmp_path):
    accounts_result = runner.invoke(args=["users", "create", "admin", "--role", "admin"])
    assert accounts_result.exit_code == 0
    runner.invoke(args=["studios", "create", "wang-math", "--name", "王丽数学名师工作室", "--subject", "math", "--stage", "primary"])
    folder = tmp_path / "manifest"
    folder.mkdir()
    header, rows = _manifest_rows(sample_dir, folder)
    with open(folder / "清单.csv", "w", newline="", encoding="utf-8-sig") as fh:  # Excel writes a BOM
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    _assert_import(app, runner.invoke(args=["import", str(folder / "清单.csv")]))


def test_import_xlsx_manifest(app, runner, sample_dir, tmp_path):
    runner.invoke(args=["users", "create", "admin", "--role", "admin"])
    runner.invoke(args=["studios", "create", "wang-math", "--name", "王丽数学名师工作室", "--subject", "math", "--stage", "primary"])
    folder = tmp_path / "manifest"
    folder.mkdir()
    header, rows = _manifest_rows(sample_dir, folder)
    wb = Workbook()
    wb.active.append(header)
    for row in rows:
        wb.active.append([int(v) if v.isdigit() else v for v in row])
    wb.save(folder / "清单.xlsx")
    _assert_import(app, runner.invoke(args=["import", str(folder / "清单.xlsx")]))


def test_demo_data_is_realistic_and_idempotent(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        titles = get_session().scalars(select(Resource.title)).all()
    assert len(titles) == len(set(titles)) == 7
    # `make run` runs the worker once after the demo: the demo files are derived then.
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    client = app.test_client()
    assert client.get("/api/v1/search", query_string={"q": "读后续写"}).json["total"] >= 1
    assert client.get("/api/v1/search", query_string={"q": "层析液"}).json["total"] == 1  # inside a DOCX
    # A weak school is helped: an agreement in force, a loan granted under it with feedback, a training.
    with app.app_context():
        admin = accounts.get_user("admin")
        studio = studios.get_studio("wang-math")
        this_year = stats.studio_year(admin, studio, county_today().year).as_json()
        assert this_year["loans"] == this_year["loans_under_agreements"] == 1
        assert [s["name"] for s in this_year["schools"]] == ["城关镇第二小学"]
        trained_on = county_today() - timedelta(days=20)
        assert stats.studio_year(admin, studio, trained_on.year).as_json()["participants"] == 86
        loan = get_session().scalars(select(Loan)).one()
        assert loan.status == "active" and loan.feedback[0].rating == 5


def test_schools_school_accounts_and_coordinators(app, runner):
    result = runner.invoke(args=["schools", "create", "希望小学", "--weak", "--subjects", "math,chinese"])
    assert result.exit_code == 0, result.output
    refused = runner.invoke(args=["users", "create", "xw", "--role", "school"])
    assert refused.exit_code != 0 and "学校账号必须指定所属学校" in refused.output
    assert runner.invoke(args=["users", "create", "xw", "--role", "school", "--school", "希望小学"]).exit_code == 0
    assert runner.invoke(args=["users", "create", "yxy", "--role", "coordinator"]).exit_code == 0
    runner.invoke(args=["studios", "create", "wang-math", "--name", "王丽数学名师工作室", "--subject", "math", "--stage", "primary"])
    assert runner.invoke(args=["studios", "add-coordinator", "wang-math", "yxy"]).exit_code == 0
    assert runner.invoke(args=["studios", "add-coordinator", "wang-math", "xw"]).exit_code != 0  # not a coordinator
    result = runner.invoke(args=["users", "set-password", "xw"], input="school password\n")
    assert result.exit_code == 0
    with app.app_context():
        user = accounts.get_user("xw")
        assert user.school.name == "希望小学" and user.school.is_weak and user.school.weak_subjects == ["math", "chinese"]
        assert accounts.authenticate("xw", "school password") is not None
        assert [u.username for u in get_session().scalar(select(Studio)).coordinators] == ["yxy"]
