"""Full-text search over the library's resources: Whoosh, jieba analysis, change-log indexer."""

from search_index.analysis import chinese_analyzer, configure_jieba
from search_index.documents import Audience, Change, Hit, ResourceDocument, SearchResult, Understood
from search_index.index import SearchIndex, SearchIndexBusy, SearchIndexDamaged
from search_index.understanding import Vocabulary

__all__ = [
    "Audience",
    "Change",
    "Hit",
    "ResourceDocument",
    "SearchIndex",
    "SearchIndexBusy",
    "SearchIndexDamaged",
    "SearchResult",
    "Understood",
    "Vocabulary",
    "chinese_analyzer",
    "configure_jieba",
]
