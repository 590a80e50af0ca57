"""Studio Library (名师工作室资源库): the Flask application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from library.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["ConfigError", "create_app"]


class RowIdConverter(IntegerConverter):
    """`<int:…>` in a route names a row or a year: past the INTEGER range it names nothing — a 404,
    rather than reaching the database driver (a 500). Not a converter `max`: a rule refused by its
    converter lets another rule with the same path answer 405 for a method it lacks."""

    def to_python(self, value: str) -> int:
        from werkzeug.exceptions import NotFound

        from library.db import MAX_ID

        number = super().to_python(value)
        if not 0 <= number <= MAX_ID:
            raise NotFound()
        return number


class ReadableJSONProvider(DefaultJSONProvider):
    """JSON with Chinese left readable in API responses (not \\u escapes)."""

    ensure_ascii = False


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: config → database → storage → search → i18n → auth → views → CLI."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    load_config(app, overrides)
    app.url_map.converters["int"] = RowIdConverter
    app.json = ReadableJSONProvider(app)

    from library import cli, db, extensions, i18n, tables  # noqa: F401  (tables: every model mapped)
    from library.accounts import auth
    from library.search import changes  # noqa: F401  (writes the change log on every flush)
    from library.notifications import mail
    from library.web import errors, guard, security, uploads, visitor

    app.request_class = uploads.SpoolingRequest
    if int(app.config["PROXY_COUNT"] or 0) > 0:
        # Sign-in throttling and the audit log need the visitor's address, not the proxy's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]  # Flask's documented way
    db.init_app(app)
    visitor.init_app(app)  # first: the audit log knows the address before any check can refuse
    extensions.init_storage(app)
    extensions.init_search(app)
    mail.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    uploads.init_app(app)
    guard.init_app(app)
    security.init_app(app)

    register_blueprints(app)
    auth.csrf.exempt(api_blueprint())
    cli.init_app(app)
    return app


def api_blueprint():
    """The JSON API's blueprint with every domain's routes on it."""
    # Each domain's api module adds its routes to the blueprint when first imported.
    from library.assessment import api as _assessment  # noqa: F401
    from library.lending import api as _lending  # noqa: F401
    from library.notifications import api as _notifications  # noqa: F401
    from library.resources import api as _resources  # noqa: F401
    from library.search import api as _search  # noqa: F401
    from library.stats import api as _stats  # noqa: F401
    from library.studios import api as _studios  # noqa: F401
    from library.shelf import api as _shelf  # noqa: F401
    from library.textbooks import api as _textbooks  # noqa: F401
    from library.web import lookup as _lookup  # noqa: F401
    from library.web import openapi as _openapi  # noqa: F401  (the contract: /openapi.json, /docs)
    from library.web.api import api

    return api


def register_blueprints(app: Flask) -> None:
    """Every domain's pages, then the JSON API under /api/v1."""
    from library.accounts import views as accounts
    from library.admin import views as admin
    from library.assessment import views as assessment
    from library.lending import views as lending
    from library.notifications import views as notifications
    from library.resources import file_views, review_views, upload_views
    from library.resources import views as resources
    from library.search import views as search
    from library.stats import views as stats
    from library.studios import views as studios
    from library.shelf import share_views
    from library.shelf import views as shelf
    from library.textbooks import views as textbooks

    for module in (resources, search, studios, textbooks, shelf, share_views, accounts, upload_views, file_views, review_views, admin,
                   stats, assessment, lending, notifications):
        app.register_blueprint(module.bp)
    app.register_blueprint(api_blueprint(), url_prefix="/api/v1")
