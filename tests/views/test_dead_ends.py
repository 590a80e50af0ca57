"""No dead ends (issue 19, part 2, in part): a 登录可见 output asks a signed-out visitor to sign in
and returns there; 上传成果 only for those who can upload; a page past the last one says so."""

from __future__ import annotations

from tests.support.app import csrf_token, login, upload


def test_a_signed_in_only_resource_asks_to_sign_in_and_comes_back(client, world, sample_dir):
    rid = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="内部课例", visibility="internal").json["id"]
    studio_only = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="工作室资料",
                         visibility="studio").json["id"]
    response = client.get(f"/resources/{rid}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/login?next=/resources/{rid}")
    assert "这个成果登录后可见" in client.get(response.headers["Location"]).get_data(as_text=True)
    token = csrf_token(client, f"/login?next=/resources/{rid}")
    signed = client.post(f"/login?next=/resources/{rid}", data={"username": "zhangsan", "password": "correct horse battery",
                                                                "csrf_token": token})
    assert signed.status_code == 302 and signed.headers["Location"].endswith(f"/resources/{rid}")
    assert "内部课例" in client.get(f"/resources/{rid}").get_data(as_text=True)
    # Studio-only outputs stay not found, signed out or in (no hint they exist).
    assert client.get(f"/resources/{studio_only}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get(f"/resources/{studio_only}").status_code == 404
    assert client.get("/resources/999999").status_code == 404


def test_the_upload_link_is_for_those_who_can_upload(client, world):
    login(client, "zhangsan")  # a teacher of no studio
    assert "上传成果</a>" not in client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "chenjing")  # a member of wang-math
    assert "上传成果</a>" in client.get("/").get_data(as_text=True)


def test_a_search_page_past_the_last_says_so(client, world, sample_dir):
    upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="光合作用")
    page = client.get("/search?q=&page=99").get_data(as_text=True)
    assert "第 99 页没有结果：共 1 项成果，1 页。" in page and "没有找到相关成果" not in page
    empty = client.get("/search?q=不存在的词语组合xyz").get_data(as_text=True)
    assert 'href="/#h-subjects">按学科浏览</a>' in empty
