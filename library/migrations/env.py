"""Alembic environment: runs on the app's connection, or on LIBRARY_DATABASE_URL from the alembic CLI."""

import os

from alembic import context
from sqlalchemy import create_engine

import library.tables  # noqa: F401  (every domain's tables on Base.metadata)
from library.db import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("LIBRARY_DATABASE_URL")
    if not url:
        raise SystemExit("Set LIBRARY_DATABASE_URL to run alembic from the command line")
    with create_engine(url).connect() as conn:
        _run(conn)
