"""Domain errors to HTTP: an HTML page or a JSON body, by what the client accepts."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from library.errors import DomainError, PermissionDenied
from storage import ObjectNotFound, StorageError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """API paths and clients that prefer JSON get JSON errors."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str, *, fields=None, details=None, hint=None, target=None):
    """One error in the form the client understands (a page also says what to do next: `hint`)."""
    if wants_json():
        body: dict = {"code": code, "message": message}
        if fields:
            body["fields"] = fields
        if details:
            body["details"] = details
        return jsonify(error=body), status
    return render_template("error.html", status=status, code=code, message=message, fields=fields or {},
                           hint=hint, target=target or {}), status


HTTP_MESSAGES = {
    400: ("bad_request", _l("请求有误，请返回上一页检查后重试。")),
    401: ("unauthenticated", _l("请先登录。")),
    403: ("forbidden", _l("您没有权限进行这个操作。")),
    404: ("not_found", _l("没有找到这个页面。请检查网址，或从首页重新查找。")),
    405: ("method_not_allowed", _l("不支持这种请求方式。")),
    500: ("internal_error", _l("服务器出了点问题，请稍后再试；如果一直出现，请联系管理员。")),
}


def _domain_error(exc: DomainError):
    if isinstance(exc, PermissionDenied):
        from library.accounts.auth import current_actor
        from library.audit import service as audit

        audit.record_now("permission.denied", current_actor(), "path", request.path[:64],
                         method=request.method, reason=exc.message)
    return error_response(exc.status, exc.code, exc.message, fields=exc.fields, details=exc.details,
                          hint=exc.hint, target=exc.target)


def _too_large(exc: RequestEntityTooLarge):
    from flask import current_app

    limit = current_app.config["MAX_UPLOAD_MB"]
    return error_response(413, "too_large", _("文件太大：单次上传不能超过 %(mb)s MB。", mb=limit))


def _csrf_error(exc: CSRFError):
    return error_response(400, "csrf", _("页面已过期或来源不明，请刷新页面后重新提交。"))


def _http_error(exc: HTTPException):
    code, message = HTTP_MESSAGES.get(exc.code or 500, ("error", exc.description or ""))
    return error_response(exc.code or 500, code, str(message))


def _storage_unavailable(exc: StorageError):
    """The object store failed or timed out (a short timeout: see storage.s3.REQUEST_TIMEOUTS)."""
    if isinstance(exc, ObjectNotFound):
        log.error("a stored object is missing: %s (run flask storage-check)", exc)
        return error_response(404, "file_missing", _("这个文件暂时找不到，请联系管理员。"))
    log.warning("storage unavailable: %s", exc)
    session = g.get("db_session")
    if session is not None:
        session.rollback()
    response = error_response(503, "storage_unavailable",
                              _("文件存储暂时无法访问，请稍后再试；页面的其他内容不受影响。"))
    response[0].headers["Retry-After"] = "30"
    return response


def _os_error(exc: OSError):
    """A full disk while storing an upload (or anything else): 507 with the reason; any other
    OSError is unexpected."""
    from library.web.uploads import insufficient_storage, is_disk_full

    if not is_disk_full(exc):
        return _unexpected(exc)
    log.error("no room on disk: %s", exc)
    session = g.get("db_session")
    if session is not None:
        session.rollback()
    refusal = insufficient_storage()
    return error_response(refusal.status, refusal.code, refusal.message)


def _unexpected(exc: Exception):
    log.exception("unhandled error")
    session = g.get("db_session")
    if session is not None:
        session.rollback()
    code, message = HTTP_MESSAGES[500]
    return error_response(500, code, str(message))


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(StorageError, _storage_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OSError, _os_error)
    app.register_error_handler(Exception, _unexpected)
