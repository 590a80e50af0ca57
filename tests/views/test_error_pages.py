"""Error pages that say what to do for the case at hand (issue 19, part 2): an admin page is for the
bureau's admins (nothing about borrowing), a hidden output says how access works without telling
whether it exists, a lendable output's file points to borrowing."""

from __future__ import annotations

import re

from tests.support.app import bearer, login
from tests.support.lending import build_lending


def _next_steps(html: str) -> str:
    return re.search(r'<ul class="next-steps">.*?</ul>\s*<p class="actions">.*?</p>', html, re.S).group(0)


def test_an_admin_page_is_for_the_bureaus_admins(client, world):
    login(client, "zhangsan")
    response = client.get("/admin/users")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert '<p class="lead">此页面仅限教育局管理员</p>' in html
    steps = _next_steps(html)
    assert 'href="/">回到首页</a>' in steps
    assert "借阅" not in steps and "帮扶协议" not in steps and "主持人" not in steps
    # The JSON answer is unchanged: code and message, nothing for a page.
    refused = client.get("/admin/users", headers={"Accept": "application/json"})
    assert refused.status_code == 403 and refused.json == {"error": {"code": "forbidden", "message": "此页面仅限教育局管理员"}}


def test_a_refusal_elsewhere_does_not_suggest_borrowing(client, world):
    login(client, "zhangsan")
    response = client.get("/review")  # the review queue: hosts, coordinators, admins
    assert response.status_code == 403
    steps = _next_steps(response.get_data(as_text=True))
    assert "借阅" not in steps and "帮扶协议" not in steps
    assert "请联系工作室主持人或教育局管理员" in steps


def test_a_hidden_output_says_how_access_works_and_not_whether_it_exists(client, world, sample_dir):
    from tests.support.app import upload

    studio_only = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="工作室资料",
                         visibility="studio").json["id"]
    hidden = client.get(f"/resources/{studio_only}")
    missing = client.get("/resources/999999")
    assert hidden.status_code == missing.status_code == 404
    html = hidden.get_data(as_text=True)
    assert "没有找到这个成果" in html
    steps = _next_steps(html)
    assert "有的成果只对所属工作室开放：工作室成员登录后可以查看；其他老师请联系工作室主持人。" in steps
    assert "帮扶学校用学校账号登录后可以在成果页申请借阅" in steps
    assert f'href="/login?next=/resources/{studio_only}' in steps  # signed out: sign in and come back
    # The same page, word for word, as for an id that does not exist.
    def section(page: str) -> str:
        body = re.search(r'<section class="error-page".*?</section>', page, re.S).group(0)
        return re.sub(r"/resources/\d+", "/resources/ID", body)

    assert section(html) == section(missing.get_data(as_text=True))
    # Signed in (a teacher of no studio): the same explanation, no sign-in button.
    login(client, "zhangsan")
    steps = _next_steps(client.get(f"/resources/{studio_only}").get_data(as_text=True))
    assert "有的成果只对所属工作室开放" in steps and "/login" not in steps


def _file_id(client, token, rid) -> int:
    return client.get(f"/api/v1/resources/{rid}", headers=bearer(token)).json["files"][0]["id"]


def test_a_lendable_outputs_file_points_to_borrowing(app, client, sample_dir):
    lend = build_lending(app, client, sample_dir)
    fid = _file_id(client, lend.world.host_token, lend.lendable)
    login(client, "zhangsan")  # a teacher outside the studio
    response = client.get(f"/files/{fid}/download")
    assert response.status_code == 403
    steps = _next_steps(response.get_data(as_text=True))
    assert "这个成果的文件只对所属工作室的成员，和正在借阅它的帮扶学校开放。" in steps
    assert f'href="/resources/{lend.lendable}#access">回到成果页</a>' in steps

    school = app.test_client()
    login(school, "xiwang")
    response = school.get(f"/files/{fid}/download")
    assert response.status_code == 403
    steps = _next_steps(response.get_data(as_text=True))
    assert "在成果页填写借阅用途提交申请" in steps
    assert f'href="/resources/{lend.lendable}#borrow">回到成果页</a>' in steps
