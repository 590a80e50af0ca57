"""The audit log in plain words (issue 19, part 5): every action the code base records has a label,
objects are named, details are labelled values, and the filter is a choice of labels."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import select

import library
from library import policy
from library.audit import actions
from library.audit import service as audit
from library.audit.models import AuditEntry
from library.db import get_session
from tests.support.app import bearer, csrf_token, login, upload

RECORDERS = {"record", "record_now", "entry"}


def _recorded_codes() -> set[str]:
    """Every action code written by a call to audit.record / record_now / entry in library/, read from
    the syntax tree (an f-string "resource.{action}" stands for each workflow transition)."""
    codes: set[str] = set()
    for path in Path(library.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in RECORDERS and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit" and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                codes.add(first.value)
            elif isinstance(first, ast.JoinedStr) and ast.unparse(first) == "f'resource.{action}'":
                codes.update(f"resource.{action}" for action in policy.TRANSITIONS)
            else:
                pytest.fail(f"{path}:{node.lineno}: an audit action that is not a plain code: {ast.unparse(first)}")
    return codes


def test_every_action_the_code_records_has_a_label():
    codes = _recorded_codes()
    assert {"login.success", "login.failure", "resource.publish", "resource.return", "loan.request"} <= codes
    missing = sorted(code for code in codes if not actions.is_known(code))
    assert not missing, missing
    for code in codes:
        assert actions.action_label(code) != code and "." not in actions.action_label(code)


def test_an_unknown_action_is_refused_when_written_and_readable_when_read(app):
    with app.app_context(), pytest.raises(ValueError, match="unknown audit action"):
        audit.entry("resource.teleport")
    with app.test_request_context("/"):
        assert actions.action_label("resource.teleport") == "其他操作"


def test_the_log_reads_in_words(app, client, world, sample_dir):
    rid = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="《分数的意义》",
                 publish="").json["id"]
    login(client, "admin")
    assert client.post(f"/api/v1/resources/{rid}/publish", headers=bearer(world.admin_token)).status_code == 200
    with app.app_context():
        session = get_session()
        session.add(AuditEntry(action="old.thing", target_type="user", target_id="zz"))  # from an older version
        session.commit()
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "resource.publish")) is not None
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "登录成功" in page and "login.success" not in page.split("<select")[0] + page.split("</select>")[1]
    assert "用户 管理员" in page and "user admin" not in page
    assert "发布成果" in page and "成果《分数的意义》" in page and "《《" not in page
    assert "其他操作" in page and "old.thing" not in page
    assert "{&#34;" not in page and '{"' not in page  # no raw JSON
    # The filter offers the labels, with the code as the value.
    assert '<option value="login.failure">登录失败</option>' in page
    assert "登录失败" not in client.get("/admin/audit?action=resource.publish").get_data(as_text=True).split("</select>")[1]
    english = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Signed in" in english and "：" not in english.split("<tbody>")[1]


def test_details_are_labelled_values(app, client, world):
    login(client, "admin")
    token = csrf_token(client, "/admin/studios/wang-math")
    client.post("/admin/studios/wang-math", data={"csrf_token": token, "action": "add", "username": "zhangsan",
                                                  "role": "trainee"})
    page = client.get("/admin/audit?action=membership.set").get_data(as_text=True)
    body = page.split("<tbody>")[1]
    assert "设置工作室成员" in body and "工作室 王丽数学名师工作室" in body
    assert "用户名：zhangsan" in body and "角色：学员" in body and "trainee" not in body
