"""Resources in the JSON API: create, read, update, delete, the review workflow."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import jsonify, request
from flask_babel import gettext as _

from library import policy
from library.accounts.auth import current_actor
from library.errors import PermissionDenied
from library.resources import files, review
from library.resources import service as resources
from library.resources.schemas import (
    FilesUpload,
    ResourceHistory,
    ResourceOut,
    ResourcePatch,
    ResourceUpload,
    ReviewQueue,
    ReviewQueueQuery,
    TransitionBody,
)
from library.resources.serialise import resource_json
from library.web.api import api, signed_in, utc_time
from library.web.openapi import operation
from library.web.uploads import incoming_files

TAGS = ("resources",)


def uploader_first(view: Callable) -> Callable:
    """Refuse an anonymous upload before its form is read: "sign in first", not "fix the title"."""

    @functools.wraps(view)  # keeps the operation's declaration (`openapi`)
    def checked(**kwargs):
        if current_actor() is None:
            raise PermissionDenied(_("请先登录再上传"))
        return view(**kwargs)

    return checked


@api.post("/resources")
@uploader_first
@operation("上传成果 (upload an output)", upload=ResourceUpload, response=ResourceOut, status=201,
           errors=(413, 415, 507), tags=TAGS,
           description="multipart/form-data：元数据字段加一个或多个 file。文件按内容判断类型；"
                       "publish=true 只对主持人、联系该工作室的研训员和管理员有效，submit=true 提交审核，否则为草稿。")
def create_resource(body: ResourceUpload):
    resource = resources.create_resource(current_actor(), body, incoming_files(request.files.getlist("file")))
    return jsonify(resource_json(resource)), 201


@api.get("/resources/<int:resource_id>")
@operation("读取成果 (read an output)", response=ResourceOut, auth="optional", errors=(404,), tags=TAGS)
def get_resource(resource_id: int):
    return jsonify(resource_json(resources.get_resource(current_actor(), resource_id)))


@api.post("/resources/<int:resource_id>/<any(submit, publish, return, withdraw):action>")
@operation("审核流程：提交、发布、退回、撤回 (a workflow step)", body=TransitionBody, response=ResourceOut,
           errors=(404, 409), tags=TAGS, description="退回（return）须写明原因 comment。")
def transition_resource(resource_id: int, action: str, body: TransitionBody):
    return jsonify(resource_json(review.transition(signed_in(), resource_id, action, body.comment)))


@api.patch("/resources/<int:resource_id>")
@operation("修改成果信息 (change the metadata)", body=ResourcePatch, response=ResourceOut, errors=(404,),
           tags=TAGS, description="只修改给出的字段；工作室不能修改。")
def update_resource(resource_id: int, body: ResourcePatch):
    return jsonify(resource_json(review.update_resource(signed_in(), resource_id, body)))


@api.delete("/resources/<int:resource_id>")
@operation("删除成果 (delete an output)", status=204, errors=(404,), tags=TAGS)
def delete_resource(resource_id: int):
    review.delete_resource(signed_in(), resource_id)
    return "", 204


FILE_CHECKS = "文件与上传时一样按内容判断类型、受大小限制，并生成缩略图、预览和全文。只有能修改这个成果的人可以操作。"


@api.post("/resources/<int:resource_id>/files")
@operation("添加文件 (add files)", upload=FilesUpload, response=ResourceOut, status=201,
           errors=(404, 413, 415, 507), tags=TAGS, description="multipart/form-data：一个或多个 file。" + FILE_CHECKS)
def add_files(resource_id: int, body: FilesUpload):
    files.add_files(signed_in(), resource_id, incoming_files(request.files.getlist("file")))
    return jsonify(resource_json(resources.get_resource(current_actor(), resource_id))), 201


@api.put("/resources/<int:resource_id>/files/<int:file_id>")
@operation("替换文件 (replace a file)", upload=FilesUpload, response=ResourceOut, errors=(404, 413, 415, 507),
           tags=TAGS, description="multipart/form-data：一个 file。新文件存好后才删除旧文件及其缩略图；"
                                  "新文件有新的 id。" + FILE_CHECKS)
def replace_file(resource_id: int, file_id: int, body: FilesUpload):
    files.replace_file(signed_in(), resource_id, file_id, incoming_files(request.files.getlist("file")))
    return jsonify(resource_json(resources.get_resource(current_actor(), resource_id)))


@api.delete("/resources/<int:resource_id>/files/<int:file_id>")
@operation("删除文件 (remove a file)", status=204, errors=(404, 409), tags=TAGS,
           description="成果的最后一个文件不能删除（409），可以替换。只有能修改这个成果的人可以操作。")
def remove_file(resource_id: int, file_id: int):
    files.remove_file(signed_in(), resource_id, file_id)
    return "", 204


@api.get("/resources/<int:resource_id>/history")
@operation("成果的审核记录 (the workflow history)", response=ResourceHistory, auth="optional", errors=(404,),
           tags=TAGS, description="意见和操作人只对作者和审核人可见。")
def resource_history(resource_id: int):
    actor = current_actor()
    resource = resources.get_resource(actor, resource_id)
    # Reviewers' comments and names are for the author and the reviewers, not every reader.
    private = policy.can_read_review_notes(actor, resource)
    return jsonify(events=[
        {"action": e.action, "from": e.from_status, "to": e.to_status,
         "comment": e.comment if private else "",
         "by": (e.actor.username if e.actor else None) if private else None,
         "at": utc_time(e.created_at)}
        for e in review.history(resource)
    ])


API_QUEUE_PAGE = 100


@api.get("/review-queue")
@operation("待审核的成果 (the review queue)", query=ReviewQueueQuery, response=ReviewQueue, tags=TAGS,
           description=f"每页 {API_QUEUE_PAGE} 条（page 翻页，total 为总数），最早提交的在前。")
def review_queue(query: ReviewQueueQuery):
    listing = review.queue_page(signed_in(), query.page, API_QUEUE_PAGE)
    return jsonify(items=[resource_json(r) for r in listing.items], page=listing.page, per_page=listing.per_page,
                   total=listing.total)
