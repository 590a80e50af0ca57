"""The benchmarks' generated library stays importable: every row bench.library writes passes the
manifest schema, so a change to the schema cannot silently turn a benchmark into a refusal count."""

from __future__ import annotations

from collections import Counter

from bench.library import FIELDS, _rows
from library.resources import importer


def test_generated_manifest_rows_pass_the_manifest_schema(app):
    assert set(FIELDS) == set(importer.FIELDS)
    kinds: Counter[str] = Counter()
    with app.test_request_context():
        for row, _subject, _body in _rows(300, seed=20261125):
            parsed = importer.parse_row({**row, "files": "files/a.pdf"})
            assert parsed.title == row["title"].strip()
            kinds[parsed.kind] += 1
    # The generator covers every kind the pages list, so no page is measured empty.
    assert len(kinds) >= 4, kinds
