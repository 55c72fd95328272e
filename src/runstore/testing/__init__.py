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
from runstore.testing.contracts.concurrency import ConcurrencyContract
from runstore.testing.contracts.locks import LocksContract
from runstore.testing.contracts.reopen import ReopenContract
from runstore.testing.contracts.transactions import TransactionsContract
from runstore.testing.contracts.workflows import WorkflowsContract
from runstore.testing.fixtures import unique_id

__all__ = [
    "ConcurrencyContract",
    "LocksContract",
    "ReopenContract",
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
):
    """Every contract. Override ``store_url`` (a fixture returning a fresh store's URL)."""
