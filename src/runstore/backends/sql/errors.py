"""Translate driver errors into runstore errors at one boundary, by code not message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from runstore.errors import (
    AlreadyExists,
    BackendUnavailable,
    Conflict,
    InvalidInput,
    RunstoreError,
)

__all__ = ["is_unique_violation", "translating"]

_UNIQUE_SQLSTATE = {"23505"}
_FK_SQLSTATE = {"23503"}
_RETRY_SQLSTATE = {"40001", "40P01"}
_MYSQL_UNIQUE = {1062, 1586}
_MYSQL_FK = {1451, 1452}
_MYSQL_RETRY = {1213, 1205}
_MYSQL_GONE = {2002, 2003, 2006, 2013, 1045, 1049}


def _code(orig: BaseException | None) -> object:
    if orig is None:
        return None
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):  # PyMySQL: (errno, message)
        return args[0]
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        return sqlstate
    name = getattr(orig, "sqlite_errorname", None)
    if name:
        return name
    return type(orig).__name__


def is_unique_violation(exc: sa_exc.IntegrityError) -> bool:
    """True when ``exc`` is a duplicate-key error (as opposed to a foreign key or NOT NULL)."""
    code = _code(exc.orig)
    if code in _UNIQUE_SQLSTATE or code in _MYSQL_UNIQUE:
        return True
    if code in {"SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE"}:
        return True
    # DuckDB reports every constraint as ConstraintException; its message is the only tell.
    return code == "ConstraintException" and "duplicate key" in str(exc.orig).lower()


@contextmanager
def translating(url: str, *, entity: str = "record",
                driver_errors: type[Exception] | None = None) -> Iterator[None]:
    """Re-raise SQLAlchemy and driver exceptions as ``RunstoreError`` subclasses.

    ``driver_errors`` is the driver's base exception class (its DB-API ``Error``), for
    blocks that run statements straight on the driver (bulk paths, prepared statements):
    those exceptions are then translated alike."""
    try:
        yield
    except RunstoreError:
        raise
    except sa_exc.SQLAlchemyError as exc:
        raise _runstore_error(exc, url, entity) from exc
    except Exception as exc:
        if driver_errors is None or not isinstance(exc, driver_errors):
            raise
        wrapped = sa_exc.DBAPIError.instance(None, None, exc, driver_errors)
        raise _runstore_error(wrapped, url, entity) from exc


def _runstore_error(exc: sa_exc.SQLAlchemyError, url: str, entity: str) -> RunstoreError:
    if isinstance(exc, sa_exc.IntegrityError):
        if is_unique_violation(exc):
            return AlreadyExists(entity, url, f"{entity} already exists ({exc.orig})")
        code = _code(exc.orig)
        if code in _FK_SQLSTATE or code in _MYSQL_FK or code == "SQLITE_CONSTRAINT_FOREIGNKEY":
            return InvalidInput(f"{entity} refers to a record that does not exist")
        return InvalidInput(f"{entity} violates a constraint: {exc.orig}")
    if isinstance(exc, sa_exc.DBAPIError):
        code = _code(exc.orig)
        if code in _RETRY_SQLSTATE or code in _MYSQL_RETRY:
            return Conflict(f"concurrent update of {entity}; retry ({exc.orig})")
        if exc.connection_invalidated or code in _MYSQL_GONE or \
                isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
            return BackendUnavailable(url, f"{type(exc.orig).__name__}: {exc.orig}")
        return RunstoreError(f"{url}: database error: {exc.orig}")
    return RunstoreError(f"{url}: {exc}")
