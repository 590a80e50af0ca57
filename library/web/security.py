"""Browser protections: cookie flags and the security headers of every response.

- the session and "remember me" cookies are HttpOnly and SameSite=Lax, and Secure when the site is
  served over HTTPS (LIBRARY_SECURE_COOKIES, by default on when LIBRARY_BASE_URL is https://);
- every HTML page carries a strict Content-Security-Policy: scripts, styles, fonts and frames from
  the site itself only (no inline script, style attribute or on* handler anywhere in templates/),
  images also as data: URIs (Pico's icons), nothing may frame the page (frame-ancestors 'none');
  with presigned S3 downloads the bucket's origin is allowed for images, media and frames;
- every response: X-Frame-Options: DENY, X-Content-Type-Options: nosniff, Referrer-Policy:
  same-origin. The one exception to DENY is a file opened inline (?inline=1), which the resource
  page itself shows in a frame (the PDF preview): SAMEORIGIN there, and it is a file, not a page.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

# Endpoints whose ?inline=1 answer the resource page frames (the PDF preview).
FRAMED_INLINE = frozenset({"files.download", "files.loan_download"})


def content_security_policy(extra_origins: tuple[str, ...] = ()) -> str:
    """The CSP of every HTML page; `extra_origins` (the S3 endpoint) may serve images, media, frames."""
    extra = "".join(f" {origin}" for origin in extra_origins)
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data:{extra}",
        f"media-src 'self'{extra}",
        f"frame-src 'self'{extra}",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def _download_origins(app: Flask) -> tuple[str, ...]:
    """The origin browsers fetch presigned S3 URLs from, when downloads are redirected there."""
    from storage import S3Storage

    storage = app.extensions.get("storage")
    if not isinstance(storage, S3Storage) or not app.config.get("PRESIGNED_DOWNLOADS"):
        return ()
    endpoint = urlsplit(str(storage.presign_client.meta.endpoint_url or ""))
    return (f"{endpoint.scheme}://{endpoint.netloc}",) if endpoint.scheme and endpoint.netloc else ()


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    framed = request.endpoint in FRAMED_INLINE and request.args.get("inline") == "1"
    headers.setdefault("X-Frame-Options", "SAMEORIGIN" if framed else "DENY")
    if response.mimetype == "text/html":
        policy = current_app.extensions.get("csp")
        if policy is None:
            policy = current_app.extensions["csp"] = content_security_policy(_download_origins(current_app))
        headers.setdefault("Content-Security-Policy", policy)
    return response


def init_app(app: Flask) -> None:
    """Cookie flags and the headers above (after the storage is set up: its origin goes into the CSP)."""
    cfg = app.config
    # Flask declares SESSION_COOKIE_SAMESITE (None), so a setdefault would never apply.
    if not cfg.get("SESSION_COOKIE_SAMESITE"):
        cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    if not cfg.get("REMEMBER_COOKIE_SAMESITE"):
        cfg["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_COOKIE_HTTPONLY"] = cfg["REMEMBER_COOKIE_HTTPONLY"] = True
    # Flask-Login's default is a year; a remembered sign-in lasts 30 days (its session row too).
    cfg.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=30))
    cfg["SESSION_COOKIE_SECURE"] = cfg["REMEMBER_COOKIE_SECURE"] = bool(cfg["SECURE_COOKIES"])
    app.after_request(_headers)
