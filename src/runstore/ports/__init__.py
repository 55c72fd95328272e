"""Ports: one typing.Protocol per repository, and the backend contract.

A third-party backend satisfies these structurally; see ``runstore.testing`` for the
conformance suite that checks it.
"""

from runstore.ports.store import Backend, BackendFactory, BackendInfo, Capabilities
from runstore.ports.workflows import WorkflowRepository

__all__ = ["Backend", "BackendFactory", "BackendInfo", "Capabilities", "WorkflowRepository"]
