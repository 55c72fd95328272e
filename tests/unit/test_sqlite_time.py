"""SQLite's time text is what SQLAlchemy's SQLite DATETIME writes and reads back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from runstore.backends.sql.dialects.sqlite import sqlite_time


@pytest.mark.parametrize("value", [
    datetime(1, 1, 1, tzinfo=UTC), datetime(999, 2, 3, 4, 5, 6, 7, tzinfo=UTC),
    datetime(2024, 5, 1, 12, tzinfo=UTC), datetime(2024, 5, 1, 12, 0, 0, 500, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)])
def test_sqlite_time_is_sqlalchemys_text(value: datetime) -> None:
    dialect = sa.create_engine("sqlite://").dialect
    bind = sa.DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert bind is not None
    assert sqlite_time(value) == bind(value.replace(tzinfo=None))
    assert sqlite_time(value) == value.isoformat(" ", "microseconds")[:26]
