"""No raw codes or English separators where a person reads (issue 19, part 7, in part)."""

from __future__ import annotations

from library.accounts import schools
from tests.support.app import login, upload


def test_the_schools_page_names_the_weak_subjects(app, client, world):
    with app.app_context():
        schools.create_school("城关镇第二小学", weak=True, subjects=["math", "chinese"], stages=["primary"])
    login(client, "admin")
    page = client.get("/admin/schools").get_data(as_text=True)
    assert "数学、语文" in page or "语文、数学" in page
    assert ">math<" not in page and "math, chinese" not in page


def test_the_edit_page_lists_authors_and_keywords_with_the_chinese_mark(client, world, sample_dir):
    rid = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], authors="王丽、陈静",
                 keywords="分数，直观模型", publish="").json["id"]
    login(client, "wangli")
    page = client.get(f"/resources/{rid}/edit").get_data(as_text=True)
    assert 'value="王丽、陈静"' in page and 'value="分数、直观模型"' in page
