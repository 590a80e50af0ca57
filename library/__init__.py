"""Studio Library (名师工作室资源库): the Flask application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from library.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["ConfigError", "create_app"]


class RowIdConverter(IntegerConverter):
    """`<int:…>` in a route names a row or a year: past the INTEGER range it matches nothing (404),
    rather than reaching the database driver and failing with a 500."""

    def __init__(self, map, *args, **kwargs) -> None:
        from library.db import MAX_ID

        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: config → database → storage → search → i18n → auth → views → CLI."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    load_config(app, overrides)
    app.url_map.converters["int"] = RowIdConverter
    app.json.ensure_ascii = False  # Chinese stays readable in API responses

    from library import auth, cli, db, errors, i18n, uploads
    from library.services import extensions, mail

    app.request_class = uploads.SpoolingRequest
    if int(app.config["PROXY_COUNT"] or 0) > 0:
        # Sign-in throttling and the audit log need the visitor's address, not the proxy's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    db.init_app(app)
    extensions.init_storage(app)
    extensions.init_search(app)
    mail.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    uploads.init_app(app)

    from library.api import api
    from library.views import admin, files, pages, review, upload
    from library.views import auth as auth_views
    from library.views import stats as stats_views

    app.register_blueprint(pages.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(upload.bp)
    app.register_blueprint(files.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(stats_views.bp)
    from library.views import lending as lending_views

    app.register_blueprint(lending_views.bp)
    app.register_blueprint(api, url_prefix="/api/v1")
    auth.csrf.exempt(api)

    cli.init_app(app)
    return app
