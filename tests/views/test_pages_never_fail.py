"""Nothing typed into an address bar makes a page answer 500: every HTML page, reached with real
rows and with made-up ones, given odd query strings (huge and non-ASCII numbers, control
characters, unknown choices, repeats) by hypothesis, as a visitor, a teacher, a school, a host, a
coordinator and the admin."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.app import login
from tests.support.lending import active_agreement, borrow, build_lending

# Every name a page reads from its query string (grep -rn "request.args" library/), and a few more.
NAMES = ["page", "sort", "dir", "stage", "kind", "year", "studio", "subject", "q", "action", "lang", "next",
         "inline", "stream", "status", "per_page", "award_level", "school", "user", "edition", "book", "unit", "lesson", "grade"]

READ = ["page", "sort", "dir", "stage", "kind", "year", "studio", "action", "lang", "next", "inline", "q"]

ODD = ["", " ", "0", "-1", "1", "2", "2024", "²", "①", "２０２４", "99999999999999999999", "1e9", "1.5", "abc",
       "\x01", "\t", "分数", "%", "'", '"', "<script>", "../../etc/passwd", "//evil.example", "null", "true",
       "asc", "desc", "newest", "downloads", "title", "junior", "math", "wang-math", "\u200b", "\ufffd"]

values = st.one_of(st.sampled_from(ODD), st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8))
query_strings = st.lists(st.tuples(st.sampled_from(NAMES), values), max_size=4)


def _pages(app, known):
    """Each GET page's path, its arguments filled with a real row or a made-up one."""
    fill = {
        "resource_id": known["resource_id"] + [999999, 2147483647], "file_id": known["file_id"] + [999999],
        "loan_id": known["loan_id"] + [999999], "agreement_id": known["agreement_id"] + [999999],
        "slug": ["wang-math", "li-chinese", "no-such-studio", "分数"], "code": ["math", "chinese", "nope"],
        "year": [2026, 2024, 1900, 9999], "which": ["thumbnail", "poster"], "fmt": ["xlsx", "csv"],
        "token": ["not-a-token", "x" * 200], "subject": ["math", "nope", "分数"],
        "stage": ["primary", "senior", "nope"], "number": [1, 2, 0, 999999, 2147483648],
    }
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint.startswith(("api.", "static")):
            continue
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda m: "{" + m.group(1) + "}", rule.rule)
        path = re.sub(r"<any\([^)]*\):(\w+)>", lambda m: "{" + m.group(1) + "}", path)
        names = re.findall(r"\{(\w+)\}", path)
        pages.append((path, {name: fill[name] for name in names}))
    return pages


SETTINGS = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def test_no_page_answers_500_whatever_the_query_string(app, sample_dir):
    client = app.test_client()
    lend = build_lending(app, client, sample_dir)
    agreement = active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    resource = client.get(f"/api/v1/resources/{lend.lendable}",
                          headers={"Authorization": f"Bearer {lend.world.host_token}"}).json
    known = {"resource_id": [lend.lendable, lend.studio_only], "file_id": [f["id"] for f in resource["files"]],
             "loan_id": [loan["id"]], "agreement_id": [agreement["id"]]}
    pages = _pages(app, known)
    assert len(pages) >= 30
    clients = {"visitor": app.test_client()}
    for role, username in (("teacher", "zhangsan"), ("school", "xiwang"), ("host", "wangli"),
                           ("coordinator", "liuyan"), ("admin", "admin")):
        clients[role] = app.test_client()
        assert login(clients[role], username).status_code == 302
    seen: dict[int, int] = {}

    @SETTINGS
    @given(page=st.sampled_from(pages), role=st.sampled_from(sorted(clients)), data=st.data(),
           query=query_strings)
    def visit(page, role, data, query):
        path, fill = page
        url = path.format(**{name: data.draw(st.sampled_from(choices)) for name, choices in fill.items()})
        response = clients[role].get(url, query_string=query)
        response.close()  # a download streams its file; close it as a browser would
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, (role, url, query, response.status_code)

    # First a sweep: every page × every name a page reads × the values that broke pages before,
    # as the admin (who reaches every page); then hypothesis mixes pages, callers and values.
    for path, fill in pages:
        url = path.format(**{name: choices[0] for name, choices in fill.items()})
        for role in ("admin",):
            for name in READ:
                for value in ("99999999999999999999", "²", "\x01"):
                    response = clients[role].get(url, query_string={name: value})
                    response.close()
                    seen[response.status_code] = seen.get(response.status_code, 0) + 1
                    assert response.status_code < 500, (role, url, name, value, response.status_code)
    visit()
    print(f"\n[pages] {len(pages)} pages, statuses {dict(sorted(seen.items()))}")
