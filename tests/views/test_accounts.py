"""Sign-in throttling, password change, tokens, CSRF and the admin pages."""

from sqlalchemy import select

from library.audit.models import AuditEntry
from library.db import get_session
from tests.support.app import PASSWORD, bearer, build_world, csrf_token, login


def _actions(app):
    with app.app_context():
        return [e.action for e in get_session().scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_sign_in_is_throttled_after_repeated_failures(app):
    client = app.test_client()
    build_world(app)
    for _ in range(5):
        assert login(client, "chenjing", "wrong password").status_code == 401
    throttled = login(client, "chenjing")  # even the right password waits now
    assert throttled.status_code == 429
    assert "15 分钟" in throttled.get_data(as_text=True)
    assert login(client, "wangli").status_code == 302  # other accounts are not affected
    actions = _actions(app)
    assert actions.count("login.failure") == 5 and "login.throttled" in actions and "login.success" in actions


def test_password_change(app):
    client = app.test_client()
    build_world(app)
    login(client, "chenjing")
    token = csrf_token(client, "/account")
    wrong = client.post("/account", data={"csrf_token": token, "action": "password",
                                          "current_password": "nope", "new_password": "a new password"})
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    client.post("/account", data={"csrf_token": token, "action": "password",
                                  "current_password": PASSWORD, "new_password": "a new password"})
    client.post("/logout", data={"csrf_token": token})
    assert login(client, "chenjing").status_code == 401
    assert login(client, "chenjing", "a new password").status_code == 302
    assert "password.change" in _actions(app)


def test_tokens_created_and_revoked_from_the_account_page(app):
    client = app.test_client()
    build_world(app)
    login(client, "chenjing")
    token = csrf_token(client, "/account")
    page = client.post("/account", data={"csrf_token": token, "action": "create_token", "name": "批量上传"})
    html = page.get_data(as_text=True)
    api_token = html.split('<code class="token">')[1].split("</code>")[0]
    assert client.get("/api/v1/studios", headers=bearer(api_token)).status_code == 200
    with app.app_context():
        from library.accounts.models import ApiToken

        row = get_session().scalar(select(ApiToken).where(ApiToken.name == "批量上传"))
        assert row.token_hash != api_token and api_token not in row.token_hash
    client.post("/account", data={"csrf_token": token, "action": "revoke_token", "token_id": row.id})
    refused = client.get("/api/v1/studios", headers=bearer(api_token))
    assert refused.status_code == 401 and refused.json["error"]["code"] == "unauthenticated"
    assert {"token.create", "token.revoke"} <= set(_actions(app))


def test_forms_refuse_a_missing_csrf_token(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    login(client, "wangli")
    for path in ("/account", "/upload", "/admin/users", "/resources/1/delete"):
        assert client.post(path, data={"action": "password"}).status_code == 400
    # The API uses bearer tokens instead: no CSRF token needed, and a session cookie alone is not enough.
    assert client.post("/api/v1/resources/1/publish").status_code in (401, 404)
    assert world


def test_admin_pages_are_for_admins(app):
    client = app.test_client()
    build_world(app)
    login(client, "wangli")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/studios/wang-math").status_code == 200  # the host manages members
    assert client.get("/admin/studios/li-chinese").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, "admin")
    for path in ("/admin/users", "/admin/schools", "/admin/studios", "/admin/subjects", "/admin/audit", "/review"):
        assert client.get(path).status_code == 200, path
    token = csrf_token(client, "/admin/users")
    client.post("/admin/schools", data={"csrf_token": token, "name": "希望小学", "weak": "1", "subjects": ["math"]})
    client.post("/admin/users", data={"csrf_token": token, "action": "create", "username": "xiwang",
                                      "role": "school", "school": "希望小学", "password": "school password"})
    client.post("/admin/subjects", data={"csrf_token": token, "code": "calligraphy", "name_zh": "书法", "name_en": "Calligraphy"})
    assert "书法" in client.get("/api/v1/subjects").get_data(as_text=True)
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert "新建学校" in audit_page and "新建用户" in audit_page and "保存学科" in audit_page
    assert "school.create" not in audit_page.split("<tbody>")[1]


def test_a_password_change_signs_out_other_sessions(app):
    build_world(app)
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "chenjing")
    login(phone, "chenjing")
    assert phone.get("/account").status_code == 200
    token = csrf_token(laptop, "/account")
    laptop.post("/account", data={"csrf_token": token, "action": "password",
                                  "current_password": PASSWORD, "new_password": "a new password"})
    assert phone.get("/account").status_code == 302  # back to the sign-in page


def test_hosts_manage_members_but_not_hosts(app):
    from library.accounts import service as accounts
    from library.studios import service as studios

    client = app.test_client()
    build_world(app)
    with app.app_context():
        co_host = accounts.create_user("cohost", "teacher", PASSWORD)
        studios.add_member(studios.get_studio("wang-math"), co_host, "host")
        accounts.create_user("newbie", "teacher", PASSWORD)
        co_host_id = co_host.id
    login(client, "wangli")
    token = csrf_token(client, "/account")
    page = "/admin/studios/wang-math"
    assert client.post(page, data={"csrf_token": token, "action": "add", "username": "newbie",
                                   "role": "trainee"}).status_code == 302
    assert client.post(page, data={"csrf_token": token, "action": "add", "username": "cohost",
                                   "role": "trainee"}).status_code == 403
    assert client.post(page, data={"csrf_token": token, "action": "remove",
                                   "user_id": co_host_id}).status_code == 403
    assert client.post(page, data={"csrf_token": token, "action": "add", "username": "newbie",
                                   "role": "host"}).status_code == 403
    with app.app_context():
        roles = {m.user.username: m.role for m in studios.get_studio("wang-math").memberships}
    assert roles["cohost"] == "host" and roles["newbie"] == "trainee"
    assert _actions(app).count("permission.denied") == 3


def test_open_redirects_are_refused(app):
    client = app.test_client()
    build_world(app)
    token = csrf_token(client, "/login")
    for target in ("//evil.example", "/\t/evil.example", "https://evil.example", "/\\evil.example"):
        response = client.post("/login", query_string={"next": target},
                               data={"csrf_token": token, "username": "wangli", "password": PASSWORD})
        assert response.headers["Location"] == "/", target
        client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
