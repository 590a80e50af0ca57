"""The textbook tree in the JSON API."""

from __future__ import annotations

from flask import jsonify

from library.accounts.auth import current_actor
from library.textbooks import service as textbooks
from library.textbooks.schemas import TextbookQuery, TextbookTree
from library.web.api import api
from library.web.openapi import operation


@api.get("/textbooks")
@operation("教材目录 (the textbook tree of a subject and stage)", query=TextbookQuery, response=TextbookTree,
           auth="optional", errors=(404,), tags=("textbooks",),
           description="版本 → 册 → 单元 → 课，每层为调用者可见的成果数。")
def textbook_tree(query: TextbookQuery):
    return jsonify(textbooks.tree(current_actor(), query.subject, query.stage).as_json())
