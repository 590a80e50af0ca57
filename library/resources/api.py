"""Resources in the JSON API: create, read, update, delete, the review workflow."""

from __future__ import annotations

from flask import jsonify, request

from library import policy
from library.accounts.auth import current_actor
from library.resources import review
from library.resources import service as resources
from library.resources.serialise import resource_json
from library.web.api import api, request_object, signed_in, utc_time
from library.web.uploads import incoming_files


@api.post("/resources")
def create_resource():
    resource = resources.create_resource(current_actor(), request.form, incoming_files(request.files.getlist("file")))
    return jsonify(resource_json(resource)), 201


@api.get("/resources/<int:resource_id>")
def get_resource(resource_id: int):
    return jsonify(resource_json(resources.get_resource(current_actor(), resource_id)))


@api.post("/resources/<int:resource_id>/<any(submit, publish, return, withdraw):action>")
def transition(resource_id: int, action: str):
    resource = review.transition(signed_in(), resource_id, action, str(request_object(flat=True).get("comment", "")))
    return jsonify(resource_json(resource))


@api.patch("/resources/<int:resource_id>")
def update(resource_id: int):
    return jsonify(resource_json(review.update_resource(signed_in(), resource_id, request_object(flat=True))))


@api.delete("/resources/<int:resource_id>")
def delete(resource_id: int):
    review.delete_resource(signed_in(), resource_id)
    return "", 204


@api.get("/resources/<int:resource_id>/history")
def history(resource_id: int):
    from library.resources.service import get_resource

    actor = current_actor()
    resource = get_resource(actor, resource_id)
    # Reviewers' comments and names are for the author and the reviewers, not every reader.
    private = policy.can_edit(actor, resource) or (actor is not None and resource.uploader_id == actor.id)
    return jsonify(events=[
        {"action": e.action, "from": e.from_status, "to": e.to_status,
         "comment": e.comment if private else "",
         "by": (e.actor.username if e.actor else None) if private else None,
         "at": utc_time(e.created_at)}
        for e in review.history(resource)
    ])


@api.get("/review-queue")
def queue():
    return jsonify(items=[resource_json(r) for r in review.review_queue(signed_in())])
