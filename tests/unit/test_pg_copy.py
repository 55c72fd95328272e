"""PostgreSQL bulk inserts: binary COPY where every column type allows it, else text."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from runstore.backends.sql.dialects.pg_copy import _binary_types, copy_rows
from runstore.backends.sql.schema.types import JsonText, UtcDateTime

table = sa.Table(
    "copy_probe", sa.MetaData(),
    sa.Column("id", sa.String(16), primary_key=True), sa.Column("n", sa.SmallInteger),
    sa.Column("big", sa.BigInteger), sa.Column("body", JsonText),
    sa.Column("at", UtcDateTime), sa.Column("ok", sa.Boolean), sa.Column("x", sa.Float),
    sa.Column("amount", sa.Numeric(10, 2)))
BINARY = ("id", "n", "big", "body", "at", "ok", "x")
WHEN = datetime(2024, 5, 1, 12, 34, 56, 789012, tzinfo=UTC)


def test_copy_writes_binary_or_text_rows_that_read_back_the_same(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        assert _binary_types(engine.dialect, table, BINARY) is not None
        assert _binary_types(engine.dialect, table, (*BINARY, "amount")) is None  # text
        with engine.begin() as conn:
            table.create(conn)
            copy_rows(conn, table, BINARY, [("a", 7, 2**40, '{"é": "☃"}', WHEN, True, 0.5),
                                            ("b", None, None, "", None, None, None)])
            copy_rows(conn, table, (*BINARY, "amount"),
                      [("c", -1, 1, "{}", WHEN, False, -2.25, Decimal("3.10"))])
            found = conn.execute(sa.select(table).order_by(table.c.id)).all()
            table.drop(conn)
    finally:
        engine.dispose()
    assert [tuple(row) for row in found] == [
        ("a", 7, 2**40, '{"é": "☃"}', WHEN, True, 0.5, None),
        ("b", None, None, "", None, None, None, None),
        ("c", -1, 1, "{}", WHEN, False, -2.25, Decimal("3.10"))]
