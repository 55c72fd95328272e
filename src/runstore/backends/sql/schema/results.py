"""Tables of the results and definitions repositories.

``results`` holds one row per key: the encoded value inline (``value``) when it is at
most the store's ``inline_limit``, else the sha256 of its blob in the artifact store
(``artifact_sha256``, with ``artifact_media_type``). ``result_definitions`` holds
immutable definitions by the sha256 of their canonical JSON.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from runstore.backends.sql.schema.base import TABLE_OPTIONS, metadata
from runstore.backends.sql.schema.types import Blob, JsonText, UtcDateTime

__all__ = ["KeyText", "result_definitions", "results"]


class KeyText(sa.types.TypeDecorator[str]):
    """Text compared and sorted by code point on every dialect, case and spaces kept.

    MySQL/MariaDB collations fold case and pad spaces, so keys are VARBINARY (UTF-8)
    there; PostgreSQL uses the "C" collation; SQLite and DuckDB compare bytes already.
    """

    impl = sa.String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in {"mysql", "mariadb"}:
            return dialect.type_descriptor(mysql.VARBINARY(self.length * 4))
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.VARCHAR(self.length, collation="C"))
        return dialect.type_descriptor(sa.String(self.length))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is not None and dialect.name in {"mysql", "mariadb"}:
            return str(value).encode("utf-8")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if isinstance(value, bytes | bytearray):
            return bytes(value).decode("utf-8")
        return value  # type: ignore[no-any-return]

results = sa.Table(
    "results",
    metadata,
    sa.Column("key", KeyText(512), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("serializer", sa.String(64), nullable=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=True),
    sa.Column("value", Blob, nullable=True),
    sa.Column("artifact_sha256", sa.String(64), nullable=True),
    sa.Column("artifact_media_type", sa.String(255), nullable=True),
    sa.Column("error", JsonText, nullable=True),
    sa.Column("metadata", JsonText, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    **TABLE_OPTIONS,
)

result_definitions = sa.Table(
    "result_definitions",
    metadata,
    sa.Column("content_hash", sa.String(64), primary_key=True),
    sa.Column("definition", JsonText, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    **TABLE_OPTIONS,
)
