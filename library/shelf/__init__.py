"""shelf: a teacher's own shelf — favourites (收藏) and recently viewed (最近浏览)."""
