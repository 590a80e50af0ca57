"""Lending in sight (issue 19, part 6): a school's loan state on the resource page instead of the
form again, the 可借阅 filter of search for school accounts, an agreement's covered outputs, and a
sentence on how access works for everyone else."""

from __future__ import annotations

import re
from datetime import date, timedelta

from library.db import get_session
from library.lending.models import Loan
from tests.support.app import bearer, county_today, login
from tests.support.lending import active_agreement, borrow


def _zh(day: date) -> str:
    """A day as the Chinese pages write it (babel's long date)."""
    return f"{day.year}年{day.month}月{day.day}日"


def _page(client, rid: int) -> str:
    response = client.get(f"/resources/{rid}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _has_form(html: str) -> bool:
    return 'name="purpose"' in html


def _set_due(app, loan_id: int, due: date) -> None:
    with app.app_context():
        get_session().get(Loan, loan_id).due_on = due
        get_session().commit()


def test_the_resource_page_shows_each_loan_state_and_the_form_only_when_asking_makes_sense(app, client, lend):
    host = bearer(lend.world.host_token)
    login(client, "xiwang")
    html = _page(client, lend.lendable)
    assert _has_form(html) and "申请借阅</button>" in html and "提交后由工作室主持人审批" in html
    assert "loan-state" not in html

    # 申请中: no second form (the one open loan would refuse it anyway).
    loan_id = borrow(client, lend.school_token, lend.lendable).json["id"]
    html = _page(client, lend.lendable)
    assert "申请中" in html and "loan-requested" in html and not _has_form(html)
    assert f'href="/loans#loan-{loan_id}"' in html

    # 已拒绝, with the studio's reason; asking again makes sense.
    assert client.post(f"/api/v1/loans/{loan_id}/decline", json={"reason": "请写明用于哪个年级"},
                       headers=host).status_code == 200
    html = _page(client, lend.lendable)
    assert "已拒绝" in html and "理由：请写明用于哪个年级" in html
    assert _has_form(html) and "再次申请借阅</button>" in html

    # 借阅中 至 <date>: the files open, no form.
    loan_id = borrow(client, lend.school_token, lend.lendable, purpose="三年级数学组备课").json["id"]
    assert client.post(f"/api/v1/loans/{loan_id}/approve", headers=host).status_code == 200
    due = county_today() + timedelta(days=30)
    html = _page(client, lend.lendable)
    assert f"借阅中，至 {_zh(due)}" in html and not _has_form(html)
    assert "/files/" in html and " download>下载</a>" in html

    # 已到期 (past its due date, before any sweep): the files close, a new request makes sense.
    _set_due(app, loan_id, county_today() - timedelta(days=1))
    html = _page(client, lend.lendable)
    assert "已到期" in html and _zh(county_today() - timedelta(days=1)) in html
    assert _has_form(html) and "再次申请借阅</button>" in html and " download>下载</a>" not in html

    # 已归还 after giving it back early.
    loan_id = borrow(client, lend.school_token, lend.lendable, purpose="再用一次").json["id"]
    assert client.post(f"/api/v1/loans/{loan_id}/approve", headers=host).status_code == 200
    assert client.post(f"/api/v1/loans/{loan_id}/return", headers=bearer(lend.school_token)).status_code == 200
    html = _page(client, lend.lendable)
    assert "已归还" in html and _has_form(html)


def test_under_an_agreement_the_form_says_it_is_granted_at_once(app, client, lend):
    agreement = active_agreement(client, lend)
    login(client, "xiwang")
    html = _page(client, lend.lendable)
    assert "帮扶协议覆盖这个成果：提交后立即生效" in html and "按协议借阅</button>" in html
    assert f'href="/agreements/{agreement["id"]}"' in html
    # Another studio's output is not covered: asked for, and approved by that studio.
    other = _page(client, lend.other_studio_lendable)
    assert "提交后由工作室主持人审批" in other and "按协议借阅" not in other


def test_others_read_how_access_works(app, client, lend):
    login(client, "zhangsan")  # a teacher of no studio
    html = _page(client, lend.lendable)
    assert 'id="access"' in html and "如何获取文件" in html
    assert "只对王丽数学名师工作室的成员，和正在借阅它的帮扶学校开放" in html
    assert "主持人：王丽" in html and 'href="/studios/wang-math"' in html
    assert 'href="#access">如何获取文件</a>' in html  # beside each file, instead of a download
    assert not _has_form(html) and 'id="borrow"' not in html
    assert "文件只对工作室成员或借阅学校开放" not in html
    # A member opens the files: nothing to explain.
    member = app.test_client()
    login(member, "chenjing")
    html = _page(member, lend.lendable)
    assert 'id="access"' not in html and " download>下载</a>" in html


def _titles(html: str) -> set[str]:
    return set(re.findall(r'<a href="/resources/\d+"[^>]*>([^<]+)</a>', html))


def test_search_offers_schools_the_lendable_filter(app, client, lend):
    teacher = app.test_client()
    login(teacher, "zhangsan")
    page = teacher.get("/search?q=").get_data(as_text=True)
    assert "facet-lending" not in page  # teachers do not borrow

    login(client, "xiwang")
    page = client.get("/search?q=").get_data(as_text=True)
    facet = re.search(r'<section class="facet-lending">.*?</section>', page, re.S).group(0)
    assert 'href="/search?q=&amp;visibility=lendable"' in facet or 'href="/search?visibility=lendable' in facet
    assert re.search(r'可借阅</a> <span class="count">3</span>', facet)
    assert "分数的意义教学设计" in _titles(page) and "内部教研记录" in _titles(page)

    filtered = client.get("/search?q=&visibility=lendable").get_data(as_text=True)
    assert _titles(filtered) >= {"分数的意义教学设计", "分数的初步认识课堂实录", "群文阅读课例"}
    assert "内部教研记录" not in _titles(filtered)
    assert "可借阅 ✕" in filtered  # on, and can be taken off
    assert "共 3 项成果" in filtered
    # Combined with other filters, and the same through the API.
    found = client.get("/api/v1/search?visibility=lendable&kind=lesson_video", headers=bearer(lend.school_token)).json
    assert [h["id"] for h in found["hits"]] == [lend.lendable_video]
    assert client.get("/api/v1/search", headers=bearer(lend.school_token)).json["facets"]["visibility"]["lendable"] == 3
    # Never wider than the audience: a teacher filtering by visibility=studio sees nothing of wang-math's studio-only.
    assert teacher.get("/api/v1/search?visibility=studio").json["total"] == 0


def _covered_section(html: str) -> str:
    return re.search(r'<section aria-labelledby="h-coverage".*?</section>', html, re.S).group(0)


def test_an_agreement_lists_the_outputs_it_covers(app, client, lend):
    everything = active_agreement(client, lend)
    videos = active_agreement(client, lend, scope={"type": "filter", "kinds": ["lesson_video"]})
    login(client, "xiwang")

    section = _covered_section(client.get(f"/agreements/{everything['id']}").get_data(as_text=True))
    assert "共 2 项已发布的可借阅成果" in section
    assert f'href="/resources/{lend.lendable}"' in section and f'href="/resources/{lend.lendable_video}"' in section
    assert "群文阅读课例" not in section and "内部教研记录" not in section and "工作室内部资料" not in section
    assert "论文文章 1" in section and "录课视频 1" in section
    search = re.search(r'href="(/search\?[^"]+)">在搜索中查看全部覆盖的成果', section).group(1).replace("&amp;", "&")
    assert _titles(client.get(search).get_data(as_text=True)) == {"分数的意义教学设计", "分数的初步认识课堂实录"}

    section = _covered_section(client.get(f"/agreements/{videos['id']}").get_data(as_text=True))
    assert "共 1 项" in section and "分数的初步认识课堂实录" in section and "分数的意义教学设计" not in section
    search = re.search(r'href="(/search\?[^"]+)">', section).group(1).replace("&amp;", "&")
    assert "kind=lesson_video" in search
    assert _titles(client.get(search).get_data(as_text=True)) == {"分数的初步认识课堂实录"}


def test_a_listed_scope_is_shown_whole_and_says_what_cannot_be_borrowed(app, client, lend):
    # A list may only name lendable outputs; one of them is later made internal.
    listed = active_agreement(client, lend, scope=[lend.lendable, lend.lendable_video])
    host = bearer(lend.world.host_token)
    assert client.patch(f"/api/v1/resources/{lend.lendable_video}", json={"visibility": "internal"},
                        headers=host).status_code == 200
    login(client, "xiwang")
    section = _covered_section(client.get(f"/agreements/{listed['id']}").get_data(as_text=True))
    assert "共 1 项" in section and "分数的意义教学设计" in section and "分数的初步认识课堂实录" not in section
    assert "另有 1 项列入的成果暂未发布或不再可借阅" in section
    assert "在搜索中查看" not in section  # search has no filter by id: the list is all here
