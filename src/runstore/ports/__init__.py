"""Ports: one typing.Protocol per repository, and the backend contract.

A third-party backend satisfies these structurally; see ``runstore.testing`` for the
conformance suite that checks it.
"""

from runstore.ports.artifacts import ArtifactRepository
from runstore.ports.conversations import ConversationRepository, ImportDigests
from runstore.ports.definitions import DefinitionRepository
from runstore.ports.logs import LogRepository
from runstore.ports.metrics import MetricsRepository
from runstore.ports.results import ResultRepository
from runstore.ports.runs import RunRepository
from runstore.ports.store import Backend, BackendFactory, BackendInfo, Capabilities
from runstore.ports.workflows import WorkflowRepository

__all__ = [
    "ArtifactRepository",
    "Backend",
    "BackendFactory",
    "BackendInfo",
    "Capabilities",
    "ConversationRepository",
    "DefinitionRepository",
    "ImportDigests",
    "LogRepository",
    "MetricsRepository",
    "ResultRepository",
    "RunRepository",
    "WorkflowRepository",
]
