"""The pages' forms are well formed: no <form> where HTML does not allow one (inside a table row),
one CSRF field in every form that posts, and every input a form attribute names has its form."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.support.app import login

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
