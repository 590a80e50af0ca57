"""Background jobs: a queue in the database that `flask worker` runs (derivation of uploads first)."""
