"""Searching: the index answers with ids, the database with the rows, in rank order."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from library import policy
from library.accounts.models import User
from library.db import get_session
from library.errors import Unavailable
from library.resources.catalogue import card_options
from library.resources.models import Resource
from library.search.schemas import SearchQuery
from library.search.vocabulary import vocabulary
from search_index import SearchIndexDamaged, Understood
from search_index.analysis import fold

FACETS = ("subject", "stage", "grade", "edition", "kind", "studio", "year", "award_level")


@dataclass
class SearchPage:
    """One page of results: rows in rank order with their highlights, and facet counts."""

    query: str
    filters: dict[str, list[str]]
    sort: str
    page: int
    per_page: int
    total: int
    hits: list[tuple[Resource, dict[str, str]]] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    # "all": every word matched; "any": nothing had all of them, these match some (say so).
    match: str = "all"
    did_you_mean: str | None = None  # a corrected query that finds something, when nothing did
    related: list[str] = field(default_factory=list)  # nearby terms that occur in the library
    understood: list[Understood] = field(default_factory=list)  # words taken as filters
    # Matches per visibility (within what the actor sees): the 可借阅 count a school is offered;
    # kept out of `facets`, whose every field the page lists as codes to pick.
    visibility: dict[str, int] = field(default_factory=dict)
    offers_lendable: bool = False  # the actor borrows (a school account): offer the 可借阅 filter

    @property
    def lendable(self) -> int:
        """How many matches a school may borrow (published, lendable), other filters applied."""
        return self.visibility.get("lendable", 0)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def as_text(self, word: str) -> str:
        """The query with an understood word quoted, so the search takes it as text, not as a
        filter (the ✕ of its chip)."""
        folded = fold(self.query)  # character for character: offsets are the typed text's
        at = folded.lower().find(word.lower())
        if at < 0:
            return self.query
        return f'{self.query[:at]} "{self.query[at:at + len(word)]}" {self.query[at + len(word):]}'.strip()


def search(actor: User | None, asked: SearchQuery) -> SearchPage:
    """Run a search for the actor with the request's q, filters, sort and page."""
    query, filters, sort, page = asked.q, asked.filters(), asked.sort, asked.page
    per_page = asked.per_page or current_app.config["PER_PAGE"]
    index = current_app.extensions["search_index"]
    try:
        result = index.search(
            query, filters=filters, audience=policy.audience(actor), page=page, per_page=per_page, sort=sort,
            vocabulary=vocabulary(),
        )
    except SearchIndexDamaged as error:
        # Only when no earlier generation is kept to answer from; the next sync rebuilds it.
        raise Unavailable(_("搜索索引正在修复，请稍后再试。")) from error
    ids = [hit.id for hit in result.hits]
    rows = {r.id: r for r in get_session().scalars(
        select(Resource).where(Resource.id.in_(ids)).options(*card_options())).unique()}
    hits = [
        (rows[hit.id], hit.highlights)
        for hit in result.hits
        # The index may lag a deletion by a moment; the database has the last word on visibility.
        if hit.id in rows and policy.can_view(actor, rows[hit.id])
    ]
    facets = dict(result.facets)
    visibility = facets.pop("visibility", {})
    return SearchPage(
        query,
        filters,
        sort,
        page,
        per_page,
        result.total,
        hits,
        facets,
        match=result.match,
        did_you_mean=result.did_you_mean,
        related=list(result.related),
        understood=list(result.understood),
        visibility=visibility,
        offers_lendable=policy.borrows(actor),
    )
