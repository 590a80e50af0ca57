"""The search page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from library.accounts.auth import current_actor
from library.search import service as search
from library.search.schemas import SearchQuery
from library.studios import service as studios
from library.validation import parse

bp = Blueprint("search", __name__)


@bp.get("/search")
def search_page():
    result = search.search(current_actor(), parse(SearchQuery, request.args))
    return render_template("search.html", result=result, studio_names=studios.studio_names(),
                           subjects={s.code: s for s in studios.subject_list()})
