"""Every role × action × visibility × status against one written-out expected matrix.

Each (role, resource) pair is tried on every HTML route and API endpoint that reads or changes a
resource; a mutation that succeeds is undone in the database before the next check, so every check
starts from the same state. The bar: no unexpected allow, and no unexpected refusal either.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select, update

from library.accounts import service as accounts
from library.accounts.models import School, User
from library.db import get_session
from library.resources.models import Resource, ResourceFile
from library.studios import service as studios
from library.studios.models import Studio
from tests.support.app import PASSWORD, bearer, county_today, csrf_token, login, make_app

VISIBILITIES = ("public", "internal", "studio", "lendable")
STATUSES = ("draft", "submitted", "published", "returned", "withdrawn")
ROLES = ("anonymous", "admin", "coordinator", "coordinator_other", "host", "uploader", "trainee",
         "teacher", "school", "school_loan")
ALL = {(v, s) for v in VISIBILITIES for s in STATUSES}


def cells(spec: str) -> set[tuple[str, str]]:
    """'public,internal:published' → {(public, published), (internal, published)}; '*:*' → all."""
    if not spec:
        return set()
    out = set()
    for part in spec.split(" "):
        vis, _, sts = part.partition(":")
        vs = VISIBILITIES if vis == "*" else vis.split(",")
        ss = STATUSES if sts == "*" else sts.split(",")
        out |= {(v, s) for v in vs for s in ss}
    return out


# ---- The expected matrix, written out (not derived from library.policy). -------------------------
# "coordinator" liaises with the studio; "coordinator_other" does not. "uploader" is a studio member
# who uploaded every resource; "trainee" is another member of the same studio.
VIEW = {
    "anonymous": cells("public:published"),
    "admin": ALL, "coordinator": ALL, "host": ALL, "uploader": ALL,
    "trainee": cells("*:published"),
    "coordinator_other": cells("public,internal,lendable:published"),
    "teacher": cells("public,internal,lendable:published"),
    "school": cells("public,internal,lendable:published"),
    "school_loan": cells("public,internal,lendable:published"),
}
DOWNLOAD = {
    "anonymous": cells("public:published"),
    "admin": ALL, "coordinator": ALL, "host": ALL, "uploader": ALL,
    "trainee": cells("*:published"),
    "coordinator_other": cells("public,internal:published"),
    "teacher": cells("public,internal:published"),
    "school": cells("public,internal:published"),  # lendable files wait for loans (issue 6)
    # "school_loan" holds an active loan of every lendable resource: only published ones open.
    "school_loan": cells("public,internal,lendable:published"),
}
EDIT = {  # also DELETE
    "admin": ALL, "coordinator": ALL, "host": ALL,
    "uploader": cells("*:draft,returned"),
}
WORKFLOW = {  # action → role → cells where it succeeds
    "submit": {r: cells("*:draft,returned,withdrawn") for r in ("admin", "coordinator", "host", "uploader")},
    "publish": {r: cells("*:draft,submitted,returned,withdrawn") for r in ("admin", "coordinator", "host")},
    "return": {r: cells("*:submitted") for r in ("admin", "coordinator", "host")},
    "withdraw": {r: cells("*:published") for r in ("admin", "coordinator", "host", "uploader")},
}
# The QR code of the page (issue 19, part 8): public outputs only, whoever asks.
SHARE = {role: cells("public:published") for role in ROLES}
# Search shows published resources only, to those who may view them.
SEARCH = {role: {c for c in VIEW[role] if c[1] == "published"} for role in ROLES}


def allowed(table: dict, role: str, cell: tuple[str, str]) -> bool:
    return cell in table.get(role, set())


@pytest.fixture(scope="module")
def matrix_app(tmp_path_factory, sample_dir):
    """One app with every role and one resource per (visibility, status); indexing by the worker."""
    app = make_app(tmp_path_factory.mktemp("matrix"), INDEX_MODE="worker")
    client = app.test_client()
    with app.app_context():
        session = get_session()
        session.add(School(name="希望小学", is_weak=True))
        session.add(School(name="向阳中学", is_weak=True))
        session.commit()
        users = {
            "admin": accounts.create_user("admin", "admin", PASSWORD),
            "coordinator": accounts.create_user("coordinator", "coordinator", PASSWORD),
            "coordinator_other": accounts.create_user("coordinator_other", "coordinator", PASSWORD),
            "host": accounts.create_user("host", "teacher", PASSWORD),
            "uploader": accounts.create_user("uploader", "teacher", PASSWORD),
            "trainee": accounts.create_user("trainee", "teacher", PASSWORD),
            "teacher": accounts.create_user("teacher", "teacher", PASSWORD),
            "school": accounts.create_user("school", "school", PASSWORD, school="希望小学"),
            "school_loan": accounts.create_user("school_loan", "school", PASSWORD, school="向阳中学"),
        }
        studio = studios.create_studio("wang-math", "王丽数学名师工作室", "math", "primary")
        studios.create_studio("other", "其他工作室", "chinese", "junior")
        studios.add_member(studio, users["host"], "host")
        studios.add_member(studio, users["uploader"], "member")
        studios.add_member(studio, users["trainee"], "trainee")
        studios.set_coordinators(studio, [users["coordinator"]])
        tokens = {role: accounts.create_token(u) for role, u in users.items()}
        uploader_id = users["uploader"].id
    resources = {}
    for visibility, status in itertools.product(VISIBILITIES, STATUSES):
        title = f"矩阵{visibility}{status}课例"
        with open(sample_dir / "光合作用.pdf", "rb") as pdf, open(sample_dir / "校园植物.png", "rb") as png:
            response = client.post("/api/v1/resources", headers=bearer(tokens["admin"]), data={
                "title": title, "kind": "paper", "subject": "math", "stage": "primary", "studio": "wang-math",
                "visibility": visibility, "publish": "true", "file": [(pdf, "光合作用.pdf"), (png, "校园植物.png")]})
        assert response.status_code == 201, response.json
        resources[(visibility, status)] = response.json["id"]
    with app.app_context():
        session = get_session()
        for (_visibility, status), rid in resources.items():
            session.execute(update(Resource).where(Resource.id == rid).values(status=status, uploader_id=uploader_id))
        session.commit()
    assert app.test_cli_runner().invoke(args=["worker", "--once"]).exit_code == 0
    yield app, tokens, resources
    app.extensions["db_engine"].dispose()


def _reset(app, rid: int, status: str, title: str) -> None:
    with app.app_context():
        session = get_session()
        session.execute(update(Resource).where(Resource.id == rid).values(status=status, title=title))
        session.commit()


def _recreate(app, resources, cell, uploader: str) -> None:
    """Put back a deleted resource as it was (same file row content), under a new id."""
    visibility, status = cell
    with app.app_context():
        session = get_session()
        first = session.scalar(select(ResourceFile.resource_id).limit(1))
        templates = session.scalars(select(ResourceFile).where(ResourceFile.resource_id == first)
                                    .order_by(ResourceFile.position)).all()
        uploader_id = session.scalar(select(User.id).where(User.username == uploader))
        studio_id = session.scalar(select(Studio.id).where(Studio.slug == "wang-math"))
        row = Resource(title=f"矩阵{visibility}{status}课例", kind="paper", subject_code="math", stage_code="primary",
                       studio_id=studio_id, visibility=visibility, status=status, uploader_id=uploader_id,
                       files=[ResourceFile(original_name=t.original_name, content_type=t.content_type, size=t.size,
                                           sha256=t.sha256, storage_key=t.storage_key, text=t.text,
                                           thumbnail_key=t.thumbnail_key, position=t.position)
                              for t in templates])
        session.add(row)
        session.commit()
        resources[cell] = row.id


def _file_ids(app, rid: int) -> list[int]:
    """The PDF's and the picture's file ids."""
    with app.app_context():
        return get_session().scalars(select(ResourceFile.id).where(ResourceFile.resource_id == rid)
                                     .order_by(ResourceFile.position)).all()


def _lend_every_lendable(app, resources) -> None:
    """Active loans (due in 30 days) of every lendable resource to the school_loan account's school."""
    from datetime import timedelta

    from library.lending.models import Loan

    with app.app_context():
        session = get_session()
        user = session.scalar(select(User).where(User.username == "school_loan"))
        for cell, rid in resources.items():
            if cell[0] == "lendable":
                studio_id = session.scalar(select(Resource.studio_id).where(Resource.id == rid))
                session.add(Loan(resource_id=rid, studio_id=studio_id, school_id=user.school_id, requester_id=user.id,
                                 purpose="matrix", status="active", due_on=county_today() + timedelta(days=30)))
        session.commit()


def _status(app, rid: int) -> str | None:
    with app.app_context():
        return get_session().scalar(select(Resource.status).where(Resource.id == rid))


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(matrix_app, role):
    app, tokens, resources = matrix_app
    api = app.test_client()
    headers = bearer(tokens[role]) if role != "anonymous" else {}
    web = app.test_client()
    if role != "anonymous":
        assert login(web, role).status_code == 302
    form_token = csrf_token(web, "/login")
    if role == "school_loan":
        _lend_every_lendable(app, resources)
    unexpected: list[str] = []
    checks = 0

    def expect(name: str, ok: bool, should: bool) -> None:
        nonlocal checks
        checks += 1
        if ok != should:
            unexpected.append(f"{role} {name}: {'allowed' if ok else 'refused'}, expected {'allowed' if should else 'refused'}")

    for cell in sorted(resources):
        visibility, status = cell
        title = f"矩阵{visibility}{status}课例"
        rid = resources[cell]
        label = f"{visibility}/{status}"
        # Reading.
        expect(f"GET page {label}", web.get(f"/resources/{rid}").status_code == 200, allowed(VIEW, role, cell))
        expect(f"GET api {label}", api.get(f"/api/v1/resources/{rid}", headers=headers).status_code == 200,
               allowed(VIEW, role, cell))
        expect(f"GET history {label}",
               api.get(f"/api/v1/resources/{rid}/history", headers=headers).status_code == 200,
               allowed(VIEW, role, cell))
        expect(f"GET qr {label}", web.get(f"/resources/{rid}/qr.svg").status_code == 200, allowed(SHARE, role, cell))
        fid, picture = _file_ids(app, rid)
        page_dl = web.get(f"/files/{fid}/download", headers={"Range": "bytes=0-9"})
        page_dl.close()  # release the stored file the streamed body holds open
        expect(f"download page {label}", page_dl.status_code in (200, 206), allowed(DOWNLOAD, role, cell))
        api_dl = api.get(f"/files/{fid}/download", headers={**headers, "Range": "bytes=0-9"})
        api_dl.close()
        expect(f"download api {label}", api_dl.status_code in (200, 206), allowed(DOWNLOAD, role, cell))
        thumbnail = api.get(f"/files/{picture}/thumbnail", headers=headers)
        expect(f"thumbnail {label}", thumbnail.status_code == 200, allowed(VIEW, role, cell))
        expect(f"GET edit {label}", web.get(f"/resources/{rid}/edit").status_code == 200, allowed(EDIT, role, cell))
        # Editing through the API and the form.
        patched = api.patch(f"/api/v1/resources/{rid}", headers=headers, json={"title": "改过的标题"})
        expect(f"PATCH api {label}", patched.status_code == 200, allowed(EDIT, role, cell))
        _reset(app, rid, status, title)
        web.post(f"/resources/{rid}/edit", data={"csrf_token": form_token, "title": "表单改过的标题"})
        with app.app_context():
            changed = get_session().scalar(select(Resource.title).where(Resource.id == rid)) == "表单改过的标题"
        expect(f"POST edit {label}", changed, allowed(EDIT, role, cell))
        _reset(app, rid, status, title)
        # The workflow, through the API and the buttons.
        for action, table in WORKFLOW.items():
            response = api.post(f"/api/v1/resources/{rid}/{action}", headers=headers, json={"comment": "请补充教学反思"})
            expect(f"API {action} {label}", response.status_code == 200, allowed(table, role, cell))
            if response.status_code != 200:
                assert response.status_code in (401, 403, 404, 409), (role, action, label, response.status_code)
            _reset(app, rid, status, title)
            web.post(f"/resources/{rid}/workflow/{action}", data={"csrf_token": form_token, "comment": "请补充"})
            expect(f"button {action} {label}", _status(app, rid) != status, allowed(table, role, cell))
            _reset(app, rid, status, title)
        # Deleting, through the API and the button (recreated after a success).
        response = api.delete(f"/api/v1/resources/{rid}", headers=headers)
        expect(f"DELETE api {label}", response.status_code == 204, allowed(EDIT, role, cell))
        if response.status_code == 204:
            _recreate(app, resources, cell, "uploader")
            rid = resources[cell]
        web.post(f"/resources/{rid}/delete", data={"csrf_token": form_token})
        deleted = _status(app, rid) is None
        expect(f"button delete {label}", deleted, allowed(EDIT, role, cell))
        if deleted:
            _recreate(app, resources, cell, "uploader")

    # Search: titles and snippets of resources the role may not see never appear.
    assert app.test_cli_runner().invoke(args=["worker", "--once"]).exit_code == 0
    found = api.get("/api/v1/search", headers=headers, query_string={"q": "矩阵", "per_page": 100}).json
    titles = {hit["title"] for hit in found["hits"]}
    html = web.get("/search", query_string={"q": "矩阵", "per_page": 100}).get_data(as_text=True)
    for cell in resources:
        title = f"矩阵{cell[0]}{cell[1]}课例"
        expect(f"search api {cell}", title in titles, allowed(SEARCH, role, cell))
        # Highlighting splits titles with <mark>: look for the link, and for the unsplit title text too.
        shown = f'/resources/{resources[cell]}"' in html or title in html
        expect(f"search page {cell}", shown, allowed(SEARCH, role, cell))
    assert found["total"] == len(SEARCH[role])

    assert not unexpected, f"{len(unexpected)} of {checks} checks differ:\n" + "\n".join(unexpected)
    # 20 resources × (7 reads + 2 edits + 8 workflow + 2 deletes) + 40 searches
    assert checks == 20 * 20 + 40
