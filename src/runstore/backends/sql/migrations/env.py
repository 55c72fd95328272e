"""Alembic environment: one for every dialect; runstore passes the connection in."""

from __future__ import annotations

from alembic import context

from runstore.backends.sql.schema import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("runstore migrations run through 'runstore upgrade URL'")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
