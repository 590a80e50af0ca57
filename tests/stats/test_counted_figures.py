"""The city table and the scores page count a year's outputs in SQL (gather(rows=False)) instead of
listing them: every figure and every score must equal the listed path's (the API's and the exports'),
on a library with outputs of every kind, with and without a year of their own."""

from __future__ import annotations

import pytest

from library.assessment import scores
from library.stats import figures
from tests.support.app import make_app
from tests.support.work import YEAR, build_work, grow


@pytest.fixture(scope="module")
def counted_app(tmp_path_factory, migrated_sqlite):
    app = make_app(tmp_path_factory.mktemp("counted"), migrated_sqlite)
    grow(app, build_work(app), 40)
    yield app
    app.extensions["db_engine"].dispose()


def test_counted_figures_equal_the_listed_ones(counted_app):
    with counted_app.app_context():
        listed = figures.all_studios(YEAR)
        counted = figures.all_studios(YEAR, rows=False)
        assert sum(row.outputs for row in listed) > 20  # outputs of the year, dated and undated
        assert [row.summary() for row in counted] == [row.summary() for row in listed]
        assert all(not row.resources for row in counted)
        with pytest.raises(ValueError):
            counted[0].as_json()
        assert figures.all_studios(YEAR - 1, rows=False)[0].outputs == 0


def test_counted_scores_equal_the_listed_ones(counted_app):
    with counted_app.app_context():
        listed = scores.evaluate(YEAR)
        counted = scores.evaluate(YEAR, rows=False)

        def table(rows):
            return [(r.figures.studio.slug, r.total, [(s.indicator.code, s.count, s.raw, s.score) for s in r.scores])
                    for r in rows]

        assert table(counted) == table(listed)
        assert any(total for _slug, total, _scores in table(listed))
        with pytest.raises(ValueError):
            scores.assessment_json(YEAR, counted)
