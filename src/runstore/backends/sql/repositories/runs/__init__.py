"""The runs repository on SQL, one module per concern."""

from __future__ import annotations

from runstore.backends.sql.repositories.runs.attempts import SqlAttemptOperations
from runstore.backends.sql.repositories.runs.claims import SqlClaimOperations
from runstore.backends.sql.repositories.runs.runs import SqlRunOperations
from runstore.backends.sql.repositories.runs.tasks import SqlTaskOperations
from runstore.backends.sql.repositories.runs.transfer import SqlRunTransfer

__all__ = ["SqlRunRepository"]


class SqlRunRepository(SqlRunOperations, SqlTaskOperations, SqlAttemptOperations,
                       SqlClaimOperations, SqlRunTransfer):
    """Runs, tasks, attempts and claims in the ``runs``, ``tasks``, ``task_dependencies``
    and ``attempts`` tables (see ``schema/runs.py``)."""
