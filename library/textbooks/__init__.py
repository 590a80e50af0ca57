"""textbooks: where a resource sits in a textbook (edition, grade, volume, unit, lesson), the
edition vocabulary, browsing by textbook and a teacher's pinned textbook."""
