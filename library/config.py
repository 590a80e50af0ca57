"""Configuration: embedded defaults, then LIBRARY_* environment variables, then test overrides."""

from __future__ import annotations

import os
import secrets
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(RuntimeError):
    """Raised at start when a setting is wrong; the message names the variable to fix."""


DEFAULTS: dict[str, Any] = {
    "DATA_DIR": None,  # default: the Flask instance folder (./instance)
    "DATABASE_URL": None,  # default: sqlite:///DATA_DIR/library.db
    "STORAGE_URL": None,  # default: file:///DATA_DIR/storage
    "INDEX_DIR": None,  # default: DATA_DIR/index
    "SECRET_KEY": None,  # default: generated once and kept in DATA_DIR/secret_key
    "MAX_UPLOAD_MB": 4096,
    # "inline": each web process applies the change log right after its own commits (embedded default);
    # "worker": only `flask worker` writes the index (production with several processes).
    "INDEX_MODE": "inline",
    "PRESIGNED_DOWNLOADS": True,  # S3: redirect downloads to short-lived presigned URLs
    "PRESIGN_SECONDS": 300,
    "S3_PUBLIC_URL": None,  # the S3 endpoint as browsers reach it, when it differs from AWS_ENDPOINT_URL
    "PER_PAGE": 20,
    "PROXY_COUNT": 0,  # reverse proxies in front (nginx: 1) whose X-Forwarded-For may be trusted
    # Session and "remember me" cookies only over HTTPS; unset: on when BASE_URL is https://.
    "SECURE_COOKIES": None,
    # E-mail copies of notifications: smtp://, smtp+starttls:// or smtps://[user:pass@]host[:port]; unset = none.
    "SMTP_URL": None,
    "MAIL_FROM": "studio-library@localhost",
    "BASE_URL": None,  # how people reach the site, e.g. https://library.example.cn (links in e-mails)
    # Each derivation (thumbnail, poster, text) runs in a child process under these limits.
    "DERIVE_CPU_SECONDS": 20,
    "DERIVE_WALL_SECONDS": 30,
    "DERIVE_MEMORY_MB": 1024,  # address space of the child, and of its ffmpeg
    # Page images of DOCX and PPTX (library/resources/previews.py): LibreOffice's `soffice`, looked up
    # on PATH ("" turns them off: the text stays the preview), converts at most PREVIEW_MAX_PAGES
    # pages, within PREVIEW_OFFICE_SECONDS (CPU and wall) and PREVIEW_MEMORY_MB of address space.
    "SOFFICE": "soffice",
    "PREVIEW_MAX_PAGES": 30,
    "PREVIEW_OFFICE_SECONDS": 120,
    "PREVIEW_MEMORY_MB": 2048,
    # The job queue (library/jobs): a failed attempt waits BACKOFF · 2^(n-1) seconds (at most
    # BACKOFF_MAX) before the next; a claimed job is taken again by another worker LEASE seconds after
    # its worker stopped answering (longer than the slowest derivation, a long video).
    "JOBS_BACKOFF_SECONDS": 30,
    "JOBS_BACKOFF_MAX_SECONDS": 3600,
    "JOBS_LEASE_SECONDS": 900,
}


def load_config(app, overrides: dict[str, Any] | None = None) -> None:
    """Fill app.config from defaults, the environment and overrides, then validate and derive paths."""
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("LIBRARY")
    if overrides:
        app.config.update(overrides)
    cfg = app.config

    data_dir = Path(cfg["DATA_DIR"] or app.instance_path).expanduser()
    if not data_dir.is_absolute():
        data_dir = Path.cwd() / data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "tmp").mkdir(exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"LIBRARY_DATA_DIR: cannot create {data_dir}: {exc.strerror}") from exc
    if not os.access(data_dir, os.W_OK):
        raise ConfigError(f"LIBRARY_DATA_DIR: {data_dir} is not writable")
    cfg["DATA_DIR"] = str(data_dir)
    cfg["SPOOL_DIR"] = str(data_dir / "tmp")
    # With S3, uploads are staged here (the spool's filesystem: renamed in) until moved to the bucket.
    cfg["STAGING_DIR"] = str(data_dir / "staging")

    cfg["DATABASE_URL"] = str(cfg["DATABASE_URL"] or f"sqlite:///{data_dir / 'library.db'}")
    try:
        make_url(cfg["DATABASE_URL"])
    except ArgumentError as exc:
        raise ConfigError(
            f"LIBRARY_DATABASE_URL: not a SQLAlchemy URL ({cfg['DATABASE_URL']!r}); "
            "expected e.g. sqlite:////abs/library.db or postgresql+psycopg://user@host/db"
        ) from exc

    cfg["STORAGE_URL"] = str(cfg["STORAGE_URL"] or (data_dir / "storage").as_uri())
    cfg["INDEX_DIR"] = str(Path(cfg["INDEX_DIR"] or data_dir / "index").resolve())

    try:
        max_mb = int(cfg["MAX_UPLOAD_MB"])
    except (TypeError, ValueError):
        max_mb = 0
    if max_mb <= 0:
        raise ConfigError(f"LIBRARY_MAX_UPLOAD_MB: must be a positive number of MB, got {cfg['MAX_UPLOAD_MB']!r}")
    cfg["MAX_UPLOAD_MB"] = max_mb
    cfg["MAX_CONTENT_LENGTH"] = max_mb * 1024 * 1024

    for name, least in (("DERIVE_CPU_SECONDS", 1), ("DERIVE_WALL_SECONDS", 1), ("DERIVE_MEMORY_MB", 128),
                        ("PREVIEW_MAX_PAGES", 0), ("PREVIEW_OFFICE_SECONDS", 1), ("PREVIEW_MEMORY_MB", 256)):
        try:
            value = int(cfg[name])
        except (TypeError, ValueError):
            value = 0
        if value < least:
            raise ConfigError(f"LIBRARY_{name}: must be a whole number of at least {least}, got {cfg[name]!r}")
        cfg[name] = value

    if cfg["INDEX_MODE"] not in ("inline", "worker"):
        raise ConfigError(f"LIBRARY_INDEX_MODE: must be 'inline' or 'worker', got {cfg['INDEX_MODE']!r}")

    for name in ("JOBS_BACKOFF_SECONDS", "JOBS_BACKOFF_MAX_SECONDS", "JOBS_LEASE_SECONDS"):
        try:
            cfg[name] = float(cfg[name])
        except (TypeError, ValueError):
            cfg[name] = -1.0
        if cfg[name] < 0 or (name == "JOBS_LEASE_SECONDS" and cfg[name] == 0):
            raise ConfigError(f"LIBRARY_{name}: must be a positive number of seconds")

    _check_mail(cfg)
    cfg["SECURE_COOKIES"] = _secure_cookies(cfg)

    if not cfg["SECRET_KEY"]:
        cfg["SECRET_KEY"] = _persistent_secret(data_dir / "secret_key")
    app.secret_key = cfg["SECRET_KEY"]


def _check_mail(cfg) -> None:
    """E-mail is optional; when LIBRARY_SMTP_URL is set it must parse, and mail needs a sender and
    absolute links (the worker and cron send outside any request)."""
    from library.notifications.mail import SmtpServer

    if not cfg["SMTP_URL"]:
        cfg["SMTP_URL"] = None
        return
    try:
        SmtpServer.from_url(str(cfg["SMTP_URL"]))
    except ValueError as exc:
        raise ConfigError(f"LIBRARY_SMTP_URL: {exc}; expected e.g. smtp://host:25, "
                          "smtp+starttls://user:password@host:587 or smtps://user:password@host:465") from exc
    sender = parseaddr(str(cfg["MAIL_FROM"] or ""))[1]  # a local name such as ...@localhost is allowed
    if sender.count("@") != 1 or not all(sender.split("@")) or any(c.isspace() for c in sender):
        raise ConfigError(f"LIBRARY_MAIL_FROM: not an e-mail address ({cfg['MAIL_FROM']!r}); "
                          "expected e.g. studio-library@example.cn or 名师工作室资源库 <studio-library@example.cn>")
    base = urlsplit(str(cfg["BASE_URL"] or ""))
    if base.scheme not in ("http", "https") or not base.netloc:
        raise ConfigError("LIBRARY_BASE_URL: required with LIBRARY_SMTP_URL: the address people open the "
                          f"library at, e.g. https://library.example.cn (got {cfg['BASE_URL']!r})")
    cfg["BASE_URL"] = str(cfg["BASE_URL"]).rstrip("/")


def _secure_cookies(cfg) -> bool:
    """LIBRARY_SECURE_COOKIES as a yes/no; unset, whether the site is served over HTTPS (BASE_URL)."""
    value = cfg["SECURE_COOKIES"]
    if value is None or value == "":
        return str(cfg["BASE_URL"] or "").lower().startswith("https://")
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"LIBRARY_SECURE_COOKIES: must be true or false, got {value!r}")


def _persistent_secret(path: Path) -> str:
    """Read the instance's secret key, creating it once so sessions survive restarts."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
