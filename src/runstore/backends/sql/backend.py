"""The SQL backend: one SQLAlchemy Core implementation for SQLite, PostgreSQL, MySQL
and DuckDB. Dialect differences live in ``dialects/``."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Self

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc

from runstore.backends._shared.conversations import artifacts_of
from runstore.backends._shared.options import ResultOptions, split_options
from runstore.backends._shared.results import ResultCodec
from runstore.backends.sql import health, migrate
from runstore.backends.sql.artifacts import open_artifacts
from runstore.backends.sql.dialects import DialectSupport, support_for
from runstore.backends.sql.dialects.sqlite import READ_ONLY, SqliteSupport
from runstore.backends.sql.driver import Prepared, SqliteConnections
from runstore.backends.sql.errors import translating
from runstore.backends.sql.repositories.conversations import SqlConversationRepository
from runstore.backends.sql.repositories.logs import SqlLogRepository
from runstore.backends.sql.repositories.metrics import SqlMetricsRepository
from runstore.backends.sql.repositories.results import (
    SqlDefinitionRepository,
    SqlResultRepository,
)
from runstore.backends.sql.repositories.runs import SqlRunRepository
from runstore.backends.sql.repositories.workflows import SqlWorkflowRepository
from runstore.backends.sql.schema import metadata
from runstore.errors import BackendUnavailable, InvalidInput, RunstoreError, UnsupportedOperation
from runstore.models.common import coerce
from runstore.ports.health import Finding
from runstore.ports.store import BackendInfo, Capabilities
from runstore.registry.url import StoreURL

__all__ = ["SqlBackend"]

class EngineOptions(BaseModel):
    """Options a SQL store accepts from ``runstore.open(url, **options)`` or the YAML config."""

    model_config = ConfigDict(extra="forbid")

    pool_size: int | None = Field(default=None, ge=1)
    max_overflow: int | None = Field(default=None, ge=0)
    pool_timeout: float | None = Field(default=None, gt=0)
    pool_recycle: int | None = None
    echo: bool | None = None


def _build_engine(url: StoreURL, raw: dict[str, object]) -> tuple[sa.Engine, DialectSupport]:
    _, raw, url = split_options(url, raw)  # results and artifacts options are not the engine's
    options = coerce(EngineOptions, raw, what=f"options for {url}").model_dump(exclude_none=True)
    support = support_for(url)
    try:
        sa_url = sa.make_url(url.render(hide_password=False))
    except sa_exc.ArgumentError as exc:
        raise InvalidInput(f"invalid database URL {url}: {exc}") from exc
    sa_url, dialect_options = support.split_options(support.driver_url(sa_url))
    support.prepare_database(sa_url)
    engine_kwargs = {**support.engine_options(sa_url, dialect_options), **options}
    if engine_kwargs.get("poolclass") is not None:
        for key in ("pool_size", "max_overflow", "pool_timeout"):
            engine_kwargs.pop(key, None)
    try:
        engine = sa.create_engine(sa_url, **engine_kwargs)
    except (ImportError, sa_exc.NoSuchModuleError) as exc:
        extra = {"postgresql": "postgres", "mysql": "mysql", "duckdb": "duckdb"}.get(support.name)
        hint = f"; install it with: pip install 'runstore[{extra}]'" if extra else ""
        raise BackendUnavailable(url.render(), f"driver not installed ({exc}){hint}") from exc
    support.configure(engine, dialect_options)
    return engine, support


class SqlBackend:
    """``sqlite:///``, ``postgresql://``, ``mysql+pymysql://`` and ``duckdb:///`` stores.

    Each thread gets its own connection; inside ``transaction()`` every repository call
    of that thread joins the same database transaction.
    """

    schemes: ClassVar[tuple[str, ...]] = (
        "sqlite", "postgresql", "postgres", "mysql", "mariadb", "duckdb",
    )

    def __init__(self, url: StoreURL, engine: sa.Engine, support: DialectSupport,
                 results: ResultOptions | None = None) -> None:
        self._url = url
        self.url_text = url.render()  # for error messages, rendered once (password masked)
        self.engine = engine
        self.support = support
        # The driver's DB-API base exception: bulk paths and prepared statements run on
        # the driver itself, so its exceptions are translated like SQLAlchemy's.
        self.driver_errors: type[Exception] = engine.dialect.loaded_dbapi.Error
        self.capabilities = Capabilities(
            transactions=True,
            savepoints=support.savepoints,
            multi_process=support.multi_process,
            durable=support.durable,
        )
        self._local = threading.local()
        database = engine.url.database
        # On a SQLite file, each thread keeps a connection for reads and one for writes
        # outside transaction() blocks (see driver.py).
        self.readers: SqliteConnections | None = None
        self.writers: SqliteConnections | None = None
        if isinstance(support, SqliteSupport) and database not in {None, "", ":memory:"}:
            assert database is not None
            self.readers = SqliteConnections(database, self.url_text, support.setup_reader)
            self.writers = SqliteConnections(database, self.url_text, support.setup_writer)
        self.serial: AbstractContextManager[object] | threading.RLock = (
            threading.RLock() if support.serialize else contextlib.nullcontext()
        )
        self.workflows = SqlWorkflowRepository(self)
        self.runs = SqlRunRepository(self)
        self.conversations = SqlConversationRepository(self, artifacts_of(self))
        self.logs = SqlLogRepository(self)
        self.metrics = SqlMetricsRepository(self)
        results = results or ResultOptions()
        self.artifacts = open_artifacts(results, support.name, engine.url, durable=support.durable)
        self.results = SqlResultRepository(
            self, ResultCodec(results, self.artifacts, verify_inline=False))
        self.definitions = SqlDefinitionRepository(self)

    @classmethod
    def open(cls, url: StoreURL, /, **options: object) -> Self:
        """Connect, then create the schema in an empty database or check its revision."""
        engine, support = _build_engine(url, dict(options))
        backend = cls(url, engine, support, split_options(url, options)[0])
        try:
            with backend.lock("runstore.schema"), backend.connect() as conn:
                migrate.ensure_schema(conn, url.render())
        except BaseException:
            engine.dispose()
            raise
        return backend

    @classmethod
    def upgrade(cls, url: StoreURL, /, **options: object) -> tuple[str | None, str]:
        """Apply pending migrations in place; returns the (from, to) revisions."""
        engine, support = _build_engine(url, dict(options))
        backend = cls(url, engine, support)
        try:
            with backend.lock("runstore.schema"), backend.connect() as conn:
                return migrate.upgrade(conn)
        finally:
            engine.dispose()

    @classmethod
    def check(cls, url: StoreURL, /, *, repair: bool = False) -> list[Finding]:
        """SQLite page and foreign-key checks, schema revision, and per-row content hashes.

        With ``repair``, a damaged SQLite file is moved to quarantine and rebuilt from
        every row that can still be read; the findings say what was lost.
        """
        engine, support = _build_engine(url, {})
        database = engine.url.database
        engine.dispose()
        findings: list[Finding] = []
        if support.name == "sqlite" and database not in {None, "", ":memory:"}:
            assert database is not None
            path = Path(database).expanduser()
            if not path.exists():
                raise BackendUnavailable(url.render(), "no such database file")
            findings = health.check_sqlite_file(path)
            if findings:
                return health.salvage_sqlite(path) + findings[1:] if repair else findings
        try:
            with cls.open(url) as backend, backend.connect(write=False) as conn:
                findings.extend(health.check_rows(conn))
        except RunstoreError as exc:
            findings.append(Finding(url.render(), f"cannot be opened: {exc}"))
        return findings

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def url(self) -> StoreURL:
        return self._url

    @property
    def dialect(self) -> str:
        return self.support.name

    @property
    def current(self) -> sa.Connection | None:
        """The connection of this thread's open transaction, if any."""
        conn: sa.Connection | None = getattr(self._local, "conn", None)
        return conn

    @property
    def in_transaction(self) -> bool:
        """True inside this thread's ``transaction()`` block (or a repository call)."""
        return self.current is not None

    @contextmanager
    def connect(self, *, write: bool = True) -> Iterator[sa.Connection]:
        """The calling thread's connection, inside a transaction.

        Joins the thread's open ``transaction()`` if any; otherwise begins one that
        commits when the block ends. ``write=False`` lets SQLite readers run alongside
        a writer.
        """
        current = self.current
        if current is not None:
            with self.translating():
                yield current
            return
        with self.serial, self.translating(), self.engine.connect() as conn:
            if not write:
                conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                # Nested connect() calls of this thread join this transaction instead of
                # opening a second connection (which would wait on the first's write lock).
                self._local.conn = conn
                try:
                    yield conn
                finally:
                    self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        current = self.current
        if current is not None:
            if not self.support.savepoints:
                raise UnsupportedOperation(
                    f"{self._url}: {self.support.name} has no savepoints, so transactions "
                    "cannot be nested"
                )
            with self.translating(), current.begin_nested():
                yield
            return
        with self.serial, self.translating(), self.engine.connect() as conn, conn.begin():
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None

    def translating(self) -> AbstractContextManager[None]:
        """Exceptions of SQLAlchemy and of the driver inside the block as runstore's."""
        return translating(self.url_text, driver_errors=self.driver_errors)

    def lock(self, name: str, timeout: float | None = None) -> AbstractContextManager[None]:
        return _translated(self.translating, self.support.lock(self.engine, name, timeout))

    def info(self) -> BackendInfo:
        with self.connect(write=False) as conn:
            revision = migrate.current_revision(conn)
            counts = {
                table.name: int(conn.execute(sa.select(sa.func.count()).select_from(table))
                                .scalar_one())
                for table in metadata.sorted_tables
            }
        return BackendInfo(backend=self.support.name, url=self.url_text,
                           schema_version=revision, counts=counts)

    def prepare(self, statement: sa.ClauseElement) -> Prepared:
        """``statement`` compiled once for this database (see ``driver.fetch``)."""
        return Prepared(statement, self.engine.dialect)

    def bind_time(self, value: datetime) -> object:
        """A UTC instant as the driver takes it for a ``UtcDateTime`` column."""
        return self.support.bind_time(value)

    def close(self) -> None:
        for threads in (self.readers, self.writers):
            if threads is not None:
                threads.close()
        self.artifacts.close()
        self.engine.dispose()


@contextmanager
def _translated(translating: Callable[[], AbstractContextManager[None]],
                inner: AbstractContextManager[None]) -> Iterator[None]:
    """``inner`` with its own entering and leaving translated (not the block's errors)."""
    with translating():
        inner.__enter__()
    try:
        yield
    except BaseException as exc:
        with translating():
            inner.__exit__(type(exc), exc, exc.__traceback__)
        raise
    with translating():
        inner.__exit__(None, None, None)
