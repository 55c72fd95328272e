"""The runstore conformance suite: every repository contract, importable by anyone.

Subclass :class:`StoreConformance` as ``Test<Name>`` and override the ``store_url``
fixture to return the URL of a fresh, empty store::

    from runstore.testing import StoreConformance

    class TestMyBackend(StoreConformance):
        @pytest.fixture
        def store_url(self, tmp_path) -> str:
            return f"mybackend://{tmp_path}"

Contracts never name a backend: every difference goes through ``store.capabilities``.
"""

from runstore.testing.base import StoreFixtures
from runstore.testing.contracts.artifacts import ArtifactsContract
from runstore.testing.contracts.attempts import AttemptsContract
from runstore.testing.contracts.claims import ClaimsContract
from runstore.testing.contracts.concurrency import ConcurrencyContract
from runstore.testing.contracts.conversations import ConversationsContract
from runstore.testing.contracts.definitions import DefinitionsContract
from runstore.testing.contracts.identifiers import IdentifiersContract
from runstore.testing.contracts.locks import LocksContract
from runstore.testing.contracts.log_queries import LogQueriesContract
from runstore.testing.contracts.logs import LogsContract
from runstore.testing.contracts.metrics import MetricsContract
from runstore.testing.contracts.reopen import ReopenContract
from runstore.testing.contracts.results import ResultsContract
from runstore.testing.contracts.runs import RunsContract
from runstore.testing.contracts.transactions import TransactionsContract
from runstore.testing.contracts.workflows import WorkflowsContract
from runstore.testing.fixtures import unique_id

__all__ = [
    "ArtifactsContract",
    "AttemptsContract",
    "ClaimsContract",
    "ConcurrencyContract",
    "ConversationsContract",
    "DefinitionsContract",
    "IdentifiersContract",
    "LocksContract",
    "LogQueriesContract",
    "LogsContract",
    "MetricsContract",
    "ReopenContract",
    "ResultsContract",
    "RunsContract",
    "StoreConformance",
    "StoreFixtures",
    "TransactionsContract",
    "WorkflowsContract",
    "unique_id",
]


class StoreConformance(
    WorkflowsContract,
    TransactionsContract,
    LocksContract,
    ConcurrencyContract,
    ReopenContract,
    RunsContract,
    AttemptsContract,
    ClaimsContract,
    ResultsContract,
    DefinitionsContract,
    ArtifactsContract,
    LogsContract,
    LogQueriesContract,
    MetricsContract,
    ConversationsContract,
    IdentifiersContract,
):
    """Every contract. Override ``store_url`` (a fixture returning a fresh store's URL)."""
