"""Search benchmark: our Whoosh index against SQLite FTS5 over jieba-segmented text, same run."""
