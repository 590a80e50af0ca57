"""The borrow kit: a streamed ZIP with an offline index, the files, a stamp and checksums."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from tests.support.app import bearer
from tests.support.lending import active_agreement, borrow, build_lending, check_kit


@pytest.fixture
def kit_app(request, sample_dir):
    app = request.getfixturevalue(request.param)
    client = app.test_client()
    return app, client, build_lending(app, client, sample_dir)


@pytest.mark.parametrize("kit_app", ["app", "s3_app"], indirect=True)
def test_loan_kit_contents_and_checksums(kit_app):
    app, client, lend = kit_app
    active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    response = client.get(f"/api/v1/loans/{loan['id']}/kit", headers=bearer(lend.school_token))
    assert response.status_code == 200
    assert response.content_type == "application/zip"
    assert response.is_streamed
    assert f"borrow-kit-loan-{loan['id']}.zip" in response.headers["Content-Disposition"]
    archive = check_kit(response.get_data())
    names = archive.namelist()
    assert names[0] == "index.html" and names[-1] == "SHA256SUMS"
    originals = [n for n in names if n.startswith("files/")]
    assert [n.rsplit("/", 1)[1] for n in originals] == ["光合作用.pdf", "校园植物.png"]
    # The stored SHA-256 of each original is what the list says, and the bytes match it.
    stored = {f["name"]: f["sha256"] for f in loan["files"]}
    sums = dict(reversed(line.split("  ", 1)) for line in archive.read("SHA256SUMS").decode().splitlines())
    for name in originals:
        assert sums[name] == stored[name.rsplit("/", 1)[1]]
    stamp = json.loads(archive.read("stamp.json"))
    assert stamp["school"] == "希望小学"
    assert stamp["loans"] == [{"loan_id": loan["id"], "resource_id": lend.lendable, "title": "分数的意义教学设计",
                               "studio": "王丽数学名师工作室", "granted_at": loan["granted_at"], "due_on": loan["due_on"]}]
    index = archive.read("index.html").decode()
    year, month, day = (int(part) for part in loan["due_on"].split("-"))
    assert "分数的意义教学设计" in index and f"{year}年{month}月{day}日" in index and "thumbs/" in index
    assert "生成时间：" in index and "UTC" not in index and loan["due_on"] not in index  # county dates, not ISO
    assert "<script" not in index


def test_school_kit_holds_every_active_loan(client, lend):
    active_agreement(client, lend)
    paper = borrow(client, lend.school_token, lend.lendable).json
    video = borrow(client, lend.school_token, lend.lendable_video).json
    borrow(client, lend.school_token, lend.other_studio_lendable)  # requested only: not in the kit
    response = client.get("/api/v1/loans/kit", headers=bearer(lend.school_token))
    archive = check_kit(response.get_data())
    stamp = json.loads(archive.read("stamp.json"))
    assert sorted(item["loan_id"] for item in stamp["loans"]) == sorted([paper["id"], video["id"]])
    assert any(n.endswith("课堂实录.mp4") for n in archive.namelist())
    # Returned loans leave the kit; with none left there is nothing to pack.
    client.post(f"/api/v1/loans/{video['id']}/return", headers=bearer(lend.school_token))
    assert client.get(f"/api/v1/loans/{video['id']}/kit", headers=bearer(lend.school_token)).status_code == 409
    stamp = json.loads(zipfile.ZipFile(io.BytesIO(client.get("/api/v1/loans/kit", headers=bearer(lend.school_token))
                                                  .get_data())).read("stamp.json"))
    assert [item["loan_id"] for item in stamp["loans"]] == [paper["id"]]
    client.post(f"/api/v1/loans/{paper['id']}/return", headers=bearer(lend.school_token))
    empty = client.get("/api/v1/loans/kit", headers=bearer(lend.school_token))
    assert empty.status_code == 409 and empty.json["error"]["message"] == "贵校目前没有借阅中的成果"


def test_the_studio_side_gets_no_kit(client, lend):
    active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    assert client.get(f"/api/v1/loans/{loan['id']}/kit", headers=bearer(lend.world.host_token)).status_code == 409
    assert client.get(f"/api/v1/loans/{loan['id']}/kit").status_code == 401


def test_the_archive_is_written_as_it_is_sent(app, tmp_path):
    """A 40 MB stored object goes out in chunks no bigger than the storage's reads plus headers."""
    import os

    from library.lending import kit
    from storage import LocalStorage

    storage = LocalStorage(tmp_path / "store")
    blob = tmp_path / "big.bin"
    with open(blob, "wb") as fh:
        for _ in range(40):
            fh.write(os.urandom(1 << 20))
    digest = hashlib.sha256(blob.read_bytes()).hexdigest()
    storage.put_file(blob, "originals/big", "application/octet-stream")
    entries = [kit.Entry("index.html", data=b"<a href='files/big.bin'>x</a>", compress=True),
               kit.Entry("files/big.bin", key="originals/big", size=40 << 20, sha256=digest)]
    sizes, out = [], io.BytesIO()
    for chunk in kit.stream(entries, storage):
        sizes.append(len(chunk))
        out.write(chunk)
    assert max(sizes) <= (1 << 20) + 4096
    assert len(sizes) > 40
    check_kit(out.getvalue())
    # The ZIP64 headers a multi-GB member gets are read back correctly too.
    zip64 = b"".join(kit.stream(entries, storage, zip64_from=0))
    archive = check_kit(zip64)
    assert archive.getinfo("files/big.bin").file_size == 40 << 20
    assert b"\x01\x00" in zip64  # the ZIP64 extra field id
