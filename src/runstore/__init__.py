"""runstore: one typed storage layer for workflow, pipeline and agent runtimes.

>>> import runstore
>>> with runstore.open("memory://") as store:
...     wf = store.workflows.store("etl", {"steps": ["extract", "load"]})
...     wf.version
1
"""

from runstore.errors import (
    AlreadyExists,
    BackendUnavailable,
    Conflict,
    CorruptRecord,
    Immutable,
    InvalidInput,
    LockTimeout,
    NotFound,
    RunstoreError,
    SchemaMismatch,
    UnsupportedOperation,
)
from runstore.models import JsonObject, JsonValue, Page, Workflow
from runstore.ports.store import BackendInfo, Capabilities
from runstore.registry.backends import register_backend
from runstore.registry.config import StoreConfig
from runstore.registry.lifecycle import gc, prune
from runstore.registry.open import doctor, open, open_config, upgrade
from runstore.registry.url import StoreURL
from runstore.services.materialize import MaterializationStore
from runstore.services.retention import RetentionPolicy
from runstore.services.transfer import copy, verify
from runstore.store import Store

__version__ = "0.1.0"

__all__ = [
    "AlreadyExists",
    "BackendInfo",
    "BackendUnavailable",
    "Capabilities",
    "Conflict",
    "CorruptRecord",
    "Immutable",
    "InvalidInput",
    "JsonObject",
    "JsonValue",
    "LockTimeout",
    "MaterializationStore",
    "NotFound",
    "Page",
    "RetentionPolicy",
    "RunstoreError",
    "SchemaMismatch",
    "Store",
    "StoreConfig",
    "StoreURL",
    "UnsupportedOperation",
    "Workflow",
    "__version__",
    "copy",
    "doctor",
    "gc",
    "open",
    "open_config",
    "prune",
    "register_backend",
    "upgrade",
    "verify",
]
