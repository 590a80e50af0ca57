"""API endpoints of the review workflow, editing and deleting."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from library import policy
from library.api import api
from library.api.serialise import resource_json
from library.auth import current_actor
from library.services import review
from library.services.errors import InvalidInput, Unauthenticated


def _form() -> dict:
    data = request.get_json(silent=True)
    if data is None:
        return request.form.to_dict()
    if not isinstance(data, dict) or any(isinstance(v, (dict, list)) for v in data.values()):
        raise InvalidInput(_("请求体应是一个 JSON 对象，值为文字或数字"))
    return data


def _signed_in():
    actor = current_actor()
    if actor is None:
        raise Unauthenticated(_("请使用 Authorization: Bearer 令牌"))
    return actor


@api.post("/resources/<int:resource_id>/<any(submit, publish, return, withdraw):action>")
def transition(resource_id: int, action: str):
    resource = review.transition(_signed_in(), resource_id, action, str(_form().get("comment", "")))
    return jsonify(resource_json(resource))


@api.patch("/resources/<int:resource_id>")
def update(resource_id: int):
    return jsonify(resource_json(review.update_resource(_signed_in(), resource_id, _form())))


@api.delete("/resources/<int:resource_id>")
def delete(resource_id: int):
    review.delete_resource(_signed_in(), resource_id)
    return "", 204


@api.get("/resources/<int:resource_id>/history")
def history(resource_id: int):
    from library.services.resources import get_resource

    actor = current_actor()
    resource = get_resource(actor, resource_id)
    # Reviewers' comments and names are for the author and the reviewers, not every reader.
    private = policy.can_edit(actor, resource) or (actor is not None and resource.uploader_id == actor.id)
    return jsonify(events=[
        {"action": e.action, "from": e.from_status, "to": e.to_status,
         "comment": e.comment if private else "",
         "by": (e.actor.username if e.actor else None) if private else None,
         "at": e.created_at.isoformat() + "Z"}
        for e in review.history(resource)
    ])


@api.get("/review-queue")
def queue():
    return jsonify(items=[resource_json(r) for r in review.review_queue(_signed_in())])
