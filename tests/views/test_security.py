"""Browser protections: cookie flags, security headers and the CSP, and sign-in sessions that end
on the server (a copied cookie is worth nothing after signing out)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from library.accounts import service as accounts
from library.db import get_session
from tests.support.app import PASSWORD, build_world, csrf_token, login, make_app, upload

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _set_cookies(response) -> dict[str, str]:
    """Each Set-Cookie of a response by cookie name."""
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def _copy_cookie(source, target, name: str) -> None:
    cookie = source.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    target.set_cookie(name, cookie.value)


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


# ---------------------------------------------------------------- cookies

def test_session_and_remember_cookies_are_samesite_lax_and_httponly(app):
    build_world(app)
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "username": "chenjing",
                                           "password": PASSWORD, "remember": "1"})
    assert response.status_code == 302
    cookies = _set_cookies(response)
    for name in ("session", "remember_token"):
        assert "SameSite=Lax" in cookies[name] and "HttpOnly" in cookies[name], cookies[name]
        assert "Secure" not in cookies[name]  # served over plain HTTP here


def test_cookies_are_secure_when_the_site_is_served_over_https(tmp_path, migrated_sqlite):
    for overrides, secure in (({"BASE_URL": "https://library.example.cn"}, True),
                              ({"SECURE_COOKIES": True}, True),
                              ({"BASE_URL": "https://library.example.cn", "SECURE_COOKIES": "false"}, False)):
        app = make_app(tmp_path / str(len(list(tmp_path.iterdir()))), migrated_sqlite, **overrides)
        try:
            build_world(app)
            client = app.test_client()
            response = login(client, "chenjing")
            assert ("Secure" in _set_cookies(response)["session"]) is secure, overrides
        finally:
            app.extensions["db_engine"].dispose()


# ---------------------------------------------------------------- headers

CSP = ("default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
       "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'")


def _assert_protected(response, path: str) -> None:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert headers.get("Referrer-Policy") == "same-origin", path
    assert headers.get("X-Frame-Options") == "DENY", path


def test_every_response_carries_the_security_headers_and_pages_a_strict_csp(app, sample_dir):
    world = build_world(app)
    client = app.test_client()
    resource_id = upload(client, world.host_token, [sample_dir / "光合作用.pdf"]).json["id"]
    login(client, "wangli")
    for path in ("/", "/login", f"/resources/{resource_id}", "/upload", "/account", "/no-such-page"):
        response = client.get(path)
        assert response.mimetype == "text/html", path
        _assert_protected(response, path)
        policy = [d.strip() for d in response.headers["Content-Security-Policy"].split(";")]
        assert set(CSP) <= set(policy), (path, policy)
        assert not any("unsafe" in d for d in policy), policy
    for path in ("/api/v1/studios", "/static/app.css", "/static/js/upload.js", "/api/v1/nothing"):
        response = client.get(path)
        _assert_protected(response, path)
        response.close()


def test_the_pdf_preview_may_be_framed_by_the_site_itself_only(app, sample_dir):
    world = build_world(app)
    client = app.test_client()
    file_id = upload(client, world.host_token, [sample_dir / "光合作用.pdf"]).json["files"][0]["id"]
    inline = client.get(f"/files/{file_id}/download?inline=1")
    assert inline.status_code == 200 and inline.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert inline.headers["X-Content-Type-Options"] == "nosniff"
    inline.close()
    download = client.get(f"/files/{file_id}/download")
    assert download.headers["X-Frame-Options"] == "DENY"
    download.close()


def test_templates_have_no_inline_script_style_or_event_handler():
    """What the CSP would refuse: an inline <script> (JSON data is not run), a style attribute or
    element, an on* handler, a javascript: URL. kit_index.html is the offline borrow kit's page,
    opened from a ZIP on a school's computer, never served by the app."""
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path.name == "kit_index.html":
            continue
        html = path.read_text()
        for match in re.finditer(r"<script\b([^>]*)>", html):
            attrs = match.group(1)
            if "src=" not in attrs and 'type="application/json"' not in attrs:
                offenders.append(f"{path.name}: inline script")
        if re.search(r"\sstyle\s*=", html) or "<style" in html:
            offenders.append(f"{path.name}: inline style")
        if re.search(r"\son[a-z]+\s*=", html):
            offenders.append(f"{path.name}: inline event handler")
        if "javascript:" in html:
            offenders.append(f"{path.name}: javascript: URL")
    assert not offenders, offenders


# ---------------------------------------------------------------- sessions that end

def test_signing_out_ends_the_session_for_a_copy_of_its_cookie(app):
    build_world(app)
    laptop, thief = app.test_client(), app.test_client()
    login(laptop, "chenjing")
    _copy_cookie(laptop, thief, "session")
    assert _signed_in(thief)
    laptop.post("/logout", data={"csrf_token": csrf_token(laptop, "/account")})
    assert not _signed_in(laptop)
    assert not _signed_in(thief)  # the copied cookie is still signed, but its session has ended


def test_signing_out_ends_the_remember_me_cookie_too(app):
    build_world(app)
    laptop, thief = app.test_client(), app.test_client()
    token = csrf_token(laptop, "/login")
    laptop.post("/login", data={"csrf_token": token, "username": "chenjing", "password": PASSWORD, "remember": "1"})
    _copy_cookie(laptop, thief, "remember_token")  # the browser was closed: only this cookie is left
    assert _signed_in(thief)
    laptop.post("/logout", data={"csrf_token": csrf_token(laptop, "/account")})
    fresh = app.test_client()
    _copy_cookie(thief, fresh, "remember_token")
    assert not _signed_in(fresh)


def test_the_server_keeps_only_a_hash_of_the_session_token(app):
    import hashlib

    from library.accounts.models import SignInSession

    build_world(app)
    client = app.test_client()
    login(client, "chenjing")
    with app.test_request_context(), app.test_client() as probe:
        _copy_cookie(client, probe, "session")
        probe.get("/account")
        from flask import session

        token = session["_user_id"]
    with app.app_context():
        hashes = list(get_session().scalars(select(SignInSession.token_hash)))
    assert token.startswith("s1.") and len(token) > 40
    assert hashes == [hashlib.sha256(token.encode()).hexdigest()] and token not in hashes


def test_a_password_change_keeps_this_session_and_ends_the_others(app):
    build_world(app)
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "chenjing")
    login(phone, "chenjing")
    token = csrf_token(laptop, "/account")
    page = laptop.post("/account", data={"csrf_token": token, "action": "password",
                                         "current_password": PASSWORD, "new_password": "a new password"})
    assert "密码已修改" in page.get_data(as_text=True)
    assert _signed_in(laptop)  # the one who changed it stays signed in
    assert not _signed_in(phone)


def test_an_admin_turning_an_account_off_ends_its_sessions_for_good(app):
    build_world(app)
    phone = app.test_client()
    login(phone, "chenjing")
    with app.app_context():
        user, admin = accounts.get_user("chenjing"), accounts.get_user("admin")
        accounts.update_user(user, role=user.role, active=False, actor=admin)
    assert not _signed_in(phone)
    with app.app_context():
        user, admin = accounts.get_user("chenjing"), accounts.get_user("admin")
        accounts.update_user(user, role=user.role, active=True, actor=admin)
    assert not _signed_in(phone)  # turning it on again does not bring the old session back
    assert login(phone, "chenjing").status_code == 302 and _signed_in(phone)
    with app.app_context():  # a password set by an admin ends every session of the user too
        accounts.set_password(accounts.get_user("chenjing"), "set by the admin", accounts.get_user("admin"))
    assert not _signed_in(phone)
