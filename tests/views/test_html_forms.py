"""The pages' forms are well formed: no <form> where HTML does not allow one (inside a table row),
one CSRF field in every form that posts, and every input a form attribute names has its form.
Their fields (partials/forms.html): a refused form marks each field with a problem (aria-invalid,
aria-describedby naming the element that holds the message), every aria-describedby on a page names
an element that is there, ids are unique, and the macros escape what they are given."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.support.app import PASSWORD, csrf_token, login, upload

PAGES = {
    "admin": ["/admin/users", "/admin/subjects", "/admin/schools", "/admin/studios", "/admin/studios/wang-math",
              "/admin/audit", "/admin/jobs", "/account", "/upload", "/assessment/indicators", "/agreements/new",
              "/studios/wang-math/activities", "/notifications"],
    "wangli": ["/account", "/upload", "/review", "/admin/studios/wang-math", "/studios/wang-math/activities"],
}


class FormShape(HTMLParser):
    """Collects the forms of a page, where each one opens, and the inputs that name a form."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.misplaced: list[str] = []
        self.forms: dict[str, dict] = {}
        self.current: dict | None = None
        self.form_refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if self.stack and self.stack[-1] in ("tr", "tbody", "thead", "table"):
                self.misplaced.append(f"<form> inside <{self.stack[-1]}>")
            self.current = {"method": (a.get("method") or "get").lower(), "csrf": 0}
            self.forms[a.get("id") or f"#{len(self.forms)}"] = self.current
        if tag == "input" and a.get("name") == "csrf_token" and self.current is not None:
            self.current["csrf"] += 1
        if tag in ("input", "select", "textarea", "button") and a.get("form"):
            self.form_refs.append(a["form"])
        if tag not in ("input", "br", "img", "meta", "link", "hr", "source", "wbr"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass


def shape_of(html: str) -> FormShape:
    parser = FormShape()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("user", sorted(PAGES))
def test_forms_are_well_formed(app, client, world, user):
    login(client, user)
    for path in PAGES[user]:
        response = client.get(path)
        assert response.status_code == 200, path
        shape = shape_of(response.get_data(as_text=True))
        assert not shape.misplaced, (path, shape.misplaced)
        for name, form in shape.forms.items():
            if form["method"] == "post":
                assert form["csrf"] == 1, (path, name, form)
        assert set(shape.form_refs) <= set(shape.forms), (path, set(shape.form_refs) - set(shape.forms))


def test_the_check_sees_a_form_in_a_row():
    shape = shape_of('<table><tbody><tr><form method="post"><td></td></form></tr></tbody></table>')
    assert shape.misplaced == ["<form> inside <tr>"]
    assert shape.forms["#0"]["csrf"] == 0


# ---------------------------------------------------------------- fields and their errors

VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr", "area", "base", "col", "embed", "track"}


class Described(HTMLParser):
    """Every element's id (with the text inside it) and every control, to follow aria-describedby."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.text: dict[str, str] = {}
        self.controls: list[tuple[str, dict]] = []
        self.described: list[tuple[str, dict]] = []
        self.open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if a.get("id"):
            self.ids.append(a["id"])
            self.text.setdefault(a["id"], "")
        if tag in ("input", "select", "textarea"):
            self.controls.append((tag, a))
        if "aria-describedby" in a:
            self.described.append((tag, a))
        if tag not in VOID:
            self.open.append((tag, a.get("id")))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.open.pop()

    def handle_endtag(self, tag):
        if any(t == tag for t, _ in self.open):
            while self.open and self.open.pop()[0] != tag:
                pass

    def handle_data(self, data):
        for _tag, element_id in self.open:
            if element_id:
                self.text[element_id] += data

    def control(self, name: str) -> dict:
        found = [a for _tag, a in self.controls if a.get("name") == name]
        assert len(found) >= 1, f"no control named {name}"
        return found[0]

    def description(self, name: str) -> str:
        """The text of what the control named `name` is described by (it must be there)."""
        attrs = self.control(name)
        refs = attrs.get("aria-describedby", "").split()
        assert refs, (name, attrs)
        for ref in refs:
            assert ref in self.text, (name, ref)
        return " ".join(self.text[ref].strip() for ref in refs)


def described(html: str) -> Described:
    parser = Described()
    parser.feed(html)
    return parser


def assert_descriptions_resolve(html: str, where: str) -> None:
    page = described(html)
    duplicates = {i for i in page.ids if page.ids.count(i) > 1}
    assert not duplicates, (where, duplicates)
    for tag, attrs in page.described:
        for ref in attrs["aria-describedby"].split():
            assert ref in page.text, (where, tag, attrs.get("name"), ref)
    for _tag, attrs in page.controls:
        if attrs.get("aria-invalid") == "true":
            assert attrs.get("aria-describedby"), (where, attrs)


def assert_marked(page: Described, name: str, message: str) -> None:
    attrs = page.control(name)
    assert attrs.get("aria-invalid") == "true", (name, attrs)
    assert message in page.description(name), (name, page.description(name))


@pytest.mark.parametrize("user", sorted(PAGES))
def test_every_describedby_points_at_an_element(app, client, world, user):
    login(client, user)
    for path in PAGES[user]:
        assert_descriptions_resolve(client.get(path).get_data(as_text=True), path)


def test_describedby_on_the_lending_and_review_pages(app, client, sample_dir):
    from tests.support.lending import borrow, build_lending

    lend = build_lending(app, client, sample_dir)
    assert borrow(client, lend.other_school_token, lend.lendable).status_code == 201
    pages = {"wangli": ["/loans/requests", f"/resources/{lend.lendable}", f"/resources/{lend.lendable}/edit", "/review"],
             "xiangyang": ["/loans", f"/resources/{lend.lendable_video}"]}
    for user, paths in pages.items():
        signed_in = app.test_client()
        login(signed_in, user)
        for path in paths:
            response = signed_in.get(path)
            assert response.status_code == 200, (user, path)
            assert_descriptions_resolve(response.get_data(as_text=True), path)


def test_an_invalid_upload_marks_its_fields(app, client, world):
    login(client, "wangli")
    token = csrf_token(client, "/upload")
    response = client.post("/upload", data={"csrf_token": token, "title": "", "kind": "award_case", "studio": "wang-math",
                                            "year": "19", "abstract": "<b>简介</b>"},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert_descriptions_resolve(html, "/upload (refused)")
    page = described(html)
    assert_marked(page, "title", "请填写标题")
    assert_marked(page, "subject", "请选择学科")
    assert_marked(page, "year", "年份应为 1980 至")
    assert_marked(page, "award_level", "获奖课例请选择获奖级别")
    # The page's script fills these in from a JSON answer: their ids are "<name>-error".
    assert page.control("title")["aria-describedby"] == "title-error"
    assert page.text["file-error"] == "" and "file-error" in page.ids
    # What was typed is shown again, escaped; fields without a problem are not marked.
    assert page.control("year")["value"] == "19" and "&lt;b&gt;简介&lt;/b&gt;</textarea>" in html
    assert "aria-invalid" not in page.control("grade") and "aria-invalid" not in page.control("kind")
    assert page.control("kind").get("id") == "f-kind" and 'value="award_case" selected' in html


def test_an_invalid_agreement_marks_its_fields(app, client, sample_dir):
    from tests.support.lending import build_lending

    build_lending(app, client, sample_dir)
    login(client, "wangli")
    token = csrf_token(client, "/agreements/new")
    response = client.post("/agreements/new", data={
        "csrf_token": token, "studio": "wang-math", "school": "", "subjects": ["nope"], "scope": "list",
        "resource_ids": "x", "starts_on": "2026-03-01", "ends_on": "2026-02-01", "frequency_count": "0",
        "frequency_period": "month", "outcomes": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert_descriptions_resolve(html, "/agreements/new (refused)")
    page = described(html)
    assert_marked(page, "school", "请填写此项")
    assert_marked(page, "ends_on", "结束日期不能早于开始日期")
    assert_marked(page, "frequency_count", "频次应为")  # the view reports it as "frequency"
    assert_marked(page, "outcomes", "请填写此项")
    assert_marked(page, "resource_titles", "应为数字")  # the picker's box shows the ids' problem
    assert "aria-invalid" not in page.control("starts_on") and page.control("starts_on")["value"] == "2026-03-01"
    # What only the database knows (the subject codes) is checked once the form is well formed.
    response = client.post("/agreements/new", data={
        "csrf_token": token, "studio": "wang-math", "school": "希望小学", "subjects": ["nope"], "scope": "all",
        "starts_on": "2026-03-01", "ends_on": "2026-04-01", "frequency_count": "2", "frequency_period": "month",
        "outcomes": "提高均分"})
    assert response.status_code == 400
    page = described(response.get_data(as_text=True))
    assert_marked(page, "subjects", "未知的学科代码：nope")  # each box of the group points at the group's error


def test_refused_edit_and_account_forms_mark_their_fields(app, client, world, sample_dir):
    login(client, "wangli")
    token = csrf_token(client, "/account")
    html = client.post("/account", data={"csrf_token": token, "action": "email", "email": "wang li@"}).get_data(as_text=True)
    assert_descriptions_resolve(html, "/account (email)")
    page = described(html)
    assert_marked(page, "email", "邮箱地址格式不正确")
    assert page.control("email")["value"] == "wang li@"
    html = client.post("/account", data={"csrf_token": token, "action": "password", "current_password": PASSWORD,
                                         "new_password": "short"}).get_data(as_text=True)
    assert_marked(described(html), "new_password", "太短")
    assert "short" not in html  # a password is never shown again

    created = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="分数的初步认识")
    assert created.status_code == 201, created.json
    resource_id = created.json["id"]
    response = client.post(f"/resources/{resource_id}/edit", data={
        "csrf_token": token, "title": "", "kind": "paper", "subject": "math", "stage": "primary", "year": "3"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert_descriptions_resolve(html, "edit (refused)")
    page = described(html)
    assert_marked(page, "title", "请填写标题")
    assert_marked(page, "year", "年份应为 1980 至")
    assert "aria-invalid" not in page.control("kind") and 'value="paper" selected' in html


def test_the_field_macros_escape_what_they_are_given(app):
    source = ('{% from "partials/forms.html" import field, choices, check with context %}'
              '{{ field("title", "标题", required=true, placeholder=tricky, maxlength=5, multiple=true, hidden=false, hint="提示") }}'
              '{{ field("abstract", "简介", type="textarea", rows=2) }}'
              '{{ choices("kind", "类型", [("a", "甲"), ("b", "乙", {"data_x": tricky})], blank="—") }}'
              '{{ check("on", "启用", true) }}')
    with app.test_request_context():
        html = app.jinja_env.from_string(source).render(
            tricky='"><script>x</script>', errors={"abstract": "<太长>"}, form={"title": 'a"b', "abstract": "</textarea>", "kind": "b"})
    page = described(html)
    title = page.control("title")
    assert title["value"] == 'a"b' and title["placeholder"] == '"><script>x</script>' and "<script>" not in html
    assert title["maxlength"] == "5" and "multiple" in title and "hidden" not in title and "required" in title
    assert page.description("title") == "提示" and "aria-invalid" not in title
    assert '<label>标题 *<input id="f-title"' in html
    assert_marked(page, "abstract", "<太长>")
    assert "&lt;/textarea&gt;</textarea>" in html
    assert '<option value="b" selected data-x="&#34;&gt;&lt;script&gt;x&lt;/script&gt;">乙</option>' in html
    assert '<option value="">—</option>' in html
    assert '<label class="check"><input type="checkbox" name="on" value="1" checked> 启用</label>' in html
