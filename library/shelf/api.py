"""The shelf in the JSON API: favourites and recently viewed."""

from __future__ import annotations

from datetime import datetime

from flask import jsonify
from flask_babel import gettext as _

from library.errors import NotFound
from library.resources.models import Resource
from library.resources.serialise import resource_url
from library.shelf import service as shelf
from library.shelf.schemas import FavouriteBody, FavouriteOut, ShelfList
from library.web.api import api, signed_in, utc_time
from library.web.openapi import operation


def item_json(row: Resource, at: datetime) -> dict:
    return {"id": row.id, "title": row.title, "kind": row.kind, "subject": row.subject_code,
            "stage": row.stage_code, "studio": row.studio.slug, "url": resource_url(row), "at": utc_time(at)}


@api.get("/me/favourites")
@operation("我的收藏 (my favourites)", response=ShelfList, tags=("shelf",),
           description="新收藏的在前；已不可见的成果不列出。")
def list_favourites():
    return jsonify(items=[item_json(r, f.created_at) for r, f in shelf.favourites(signed_in())])


@api.post("/me/favourites")
@operation("收藏成果 (keep a resource)", body=FavouriteBody, response=FavouriteOut, status=201, errors=(404,),
           tags=("shelf",),
           description="重复收藏不报错。")
def add_favourite(body: FavouriteBody):
    shelf.add(signed_in(), body.resource_id)
    return jsonify(resource_id=body.resource_id, favourite=True), 201


@api.delete("/me/favourites/<int:resource_id>")
@operation("取消收藏 (take a resource off the shelf)", response=FavouriteOut, errors=(404,), tags=("shelf",),
           description="不在收藏中时回答 404。")
def remove_favourite(resource_id: int):
    if not shelf.remove(signed_in(), resource_id):
        raise NotFound(_("这个成果不在您的收藏中"))
    return jsonify(resource_id=resource_id, favourite=False)


@api.get("/me/history")
@operation("最近浏览 (recently viewed)", response=ShelfList, tags=("shelf",),
           description="最近打开过的成果页，最后浏览的在前，每个成果一次，最多 30 个。")
def list_history():
    return jsonify(items=[item_json(r, seen) for r, seen in shelf.history(signed_in())])
