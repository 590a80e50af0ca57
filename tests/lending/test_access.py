"""A school never reads what it has not borrowed: studio-only outputs, other studios' lendable ones,
other schools' loans, or anything lendable on the strength of an agreement alone."""

from __future__ import annotations

from tests.support.app import bearer
from tests.support.lending import active_agreement, borrow


def _status(client, url, token):
    response = client.get(url, headers={**bearer(token), "Range": "bytes=0-9"})
    response.close()
    return response.status_code


def _file_ids(client, admin_token, resource_id):
    return [f["id"] for f in client.get(f"/api/v1/resources/{resource_id}", headers=bearer(admin_token)).json["files"]]


def test_agreement_alone_opens_no_files_and_a_loan_opens_only_its_resource(client, lend):
    active_agreement(client, lend)  # covers every lendable output of wang-math
    files = {rid: _file_ids(client, lend.world.admin_token, rid)
             for rid in (lend.lendable, lend.lendable_video, lend.internal, lend.studio_only, lend.other_studio_lendable)}
    for rid in (lend.lendable, lend.lendable_video, lend.other_studio_lendable):
        assert _status(client, f"/files/{files[rid][0]}/download", lend.school_token) == 403
    borrow(client, lend.school_token, lend.lendable)
    assert _status(client, f"/files/{files[lend.lendable][0]}/download", lend.school_token) in (200, 206)
    # The loan opens that resource only.
    assert _status(client, f"/files/{files[lend.lendable_video][0]}/download", lend.school_token) == 403
    assert _status(client, f"/files/{files[lend.other_studio_lendable][0]}/download", lend.school_token) == 403
    # A studio-only output stays invisible, loan or agreement notwithstanding.
    assert client.get(f"/api/v1/resources/{lend.studio_only}", headers=bearer(lend.school_token)).status_code == 404
    assert _status(client, f"/files/{files[lend.studio_only][0]}/download", lend.school_token) == 404
    assert client.get(f"/resources/{lend.studio_only}", headers=bearer(lend.school_token)).status_code == 404
    # The other school has no loan: nothing opens for it, and it cannot see this school's loan.
    assert _status(client, f"/files/{files[lend.lendable][0]}/download", lend.other_school_token) == 403
    other_view = client.get(f"/api/v1/resources/{lend.lendable}", headers=bearer(lend.other_school_token)).json
    assert all("/files/loan/" not in f["download_url"] for f in other_view["files"])
    loans = client.get("/api/v1/loans", headers=bearer(lend.other_school_token)).json["loans"]
    assert loans == []


def test_another_schools_loan_and_link_are_not_this_schools(client, lend):
    active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    assert client.get(f"/api/v1/loans/{loan['id']}", headers=bearer(lend.other_school_token)).status_code == 404
    assert client.get(f"/api/v1/loans/{loan['id']}/kit", headers=bearer(lend.other_school_token)).status_code == 404
    for action in ("renew", "return", "feedback"):
        response = client.post(f"/api/v1/loans/{loan['id']}/{action}", json={"lessons": 1, "rating": 5},
                               headers=bearer(lend.other_school_token))
        assert response.status_code == 404
    # The teacher and the other studio's host see nothing of it either.
    assert client.get(f"/api/v1/loans/{loan['id']}", headers=bearer(lend.world.teacher_token)).status_code == 404
    # The lending studio's member downloads as before (members read lendable files).
    assert _status(client, f"/files/{loan['files'][0]['id']}/download", lend.world.member_token) in (200, 206)


def test_lendable_thumbnails_are_catalogue_but_files_are_not(client, lend):
    files = client.get(f"/api/v1/resources/{lend.lendable}", headers=bearer(lend.world.admin_token)).json["files"]
    picture = files[1]
    assert client.get(f"/files/{picture['id']}/thumbnail", headers=bearer(lend.school_token)).status_code == 200
    assert _status(client, f"/files/{picture['id']}/download", lend.school_token) == 403
    assert _status(client, f"/files/{picture['id']}/download?inline=1", lend.school_token) == 403
