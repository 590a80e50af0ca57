"""A generation built by an older analysis says so, stays outdated until rebuilt."""

from __future__ import annotations

from whoosh.index import open_dir

from search_index import SearchIndex
from search_index.schema import meta_fields
from tests.search_index.search_corpus import ChangeLog, small_corpus


def test_an_old_generation_is_outdated_until_a_rebuild(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    assert not index.outdated()
    live = index.home / (index.home / "CURRENT").read_text().strip()
    writer = open_dir(str(live)).writer()
    writer.update_document(**meta_fields(0, schema_version=1))
    writer.commit()
    assert index.outdated()
    changelog.put_all(small_corpus())
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    assert index.outdated()  # applying changes never stamps the new version on old analysis
    index.rebuild(changelog.resources.values(), changelog.last_seq)
    assert not index.outdated()
    assert index.doc_count() == 8
