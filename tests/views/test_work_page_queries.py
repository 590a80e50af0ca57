"""Issue 15: the signed-in work pages (review queue, loans, agreements, notifications, dashboard, city
overview, assessment and their API) run as many SQL statements on a library of 3 outputs as on one
of 30 — so no page loads a row per output, loan or notice (an N+1) — and stay under a stated bound.
The statements are counted on the engine (before_cursor_execute) over a real SQLite file, as a
signed-in host, a liaison coordinator, an admin and a school ask for each page."""

from __future__ import annotations

import pytest

from tests.support.app import login, make_app
from tests.support.work import PAGES, build_work, grow, statements

# Sign-in session and user (2), the page's own queries, the header's unread badge: no page needs more.
BOUND = 16


@pytest.fixture(scope="module")
def work(tmp_path_factory, migrated_sqlite):
    app = make_app(tmp_path_factory.mktemp("work"), migrated_sqlite)
    library = build_work(app)
    clients = {}
    for who in library.tokens:
        clients[who] = app.test_client()
        assert login(clients[who], who).status_code == 302
    yield app, library, clients
    app.extensions["db_engine"].dispose()


def _count(app, library, clients) -> dict[tuple[str, str], int]:
    counts = {}
    for who, path in PAGES:
        headers = {"Authorization": f"Bearer {library.tokens[who]}"} if path.startswith("/api/") else {}
        assert clients[who].get(path, headers=headers).status_code == 200, (who, path)  # warm (vocabularies …)
        with statements(app) as seen:
            response = clients[who].get(path, headers=headers)
        assert response.status_code == 200, (who, path)
        counts[(who, path)] = len(seen)
    return counts


def test_each_work_page_runs_as_many_statements_at_3_as_at_30_outputs(work):
    app, library, clients = work
    grow(app, library, 3)
    small = _count(app, library, clients)
    grow(app, library, 30)
    large = _count(app, library, clients)
    grown = {page: (small[page], large[page]) for page in small if small[page] != large[page]}
    assert not grown, f"statements grow with the library (3 → 30 outputs): {grown}"
    over = {page: n for page, n in large.items() if n > BOUND}
    assert not over, f"more than {BOUND} statements: {over}"


def test_the_lists_are_pages_not_the_whole_library(work):
    app, library, clients = work
    grow(app, library, max(library.size, 30))
    grow(app, library, 80)  # more submitted outputs and loans than a page shows
    queue = clients["admin"].get("/review").get_data(as_text=True)
    assert queue.count('class="card review-item"') == 20 and 'rel="next"' in queue
    second = clients["admin"].get("/review?page=2").get_data(as_text=True)
    assert 'class="card review-item"' in second and 'rel="prev"' in second
    requests = clients["admin"].get("/loans/requests").get_data(as_text=True)
    assert requests.count('class="card loan"') == 20
    # Requests first: every pending one comes before the first decided one, across pages.
    states = []
    for page in range(1, 6):
        html = clients["admin"].get(f"/loans/requests?page={page}").get_data(as_text=True)
        states += ["requested" if 'action="/loans/' in chunk and '/approve"' in chunk else "other"
                   for chunk in html.split('class="card loan"')[1:]]
    assert "requested" in states and states == sorted(states, key=lambda s: s != "requested")
    mine = clients["school"].get("/loans").get_data(as_text=True)
    assert mine.count('class="card loan"') == 20 and 'rel="next"' in mine
    # The API's loan list too: a page of 100 and the total.
    grow(app, library, 260)
    headers = {"Authorization": f"Bearer {library.tokens['admin']}"}
    first = clients["admin"].get("/api/v1/loans", headers=headers).json
    assert (len(first["loans"]), first["page"], first["per_page"]) == (100, 1, 100) and first["total"] > 100
    rest = [clients["admin"].get(f"/api/v1/loans?page={n}", headers=headers).json["loans"] for n in range(2, 5)]
    ids = [loan["id"] for loan in first["loans"]] + [loan["id"] for page in rest for loan in page]
    assert len(ids) == len(set(ids)) == first["total"]  # every loan once, across the pages
    assert clients["admin"].get("/api/v1/loans?page=0", headers=headers).status_code == 400
