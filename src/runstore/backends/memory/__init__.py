"""The in-memory backend."""

from runstore.backends.memory.store import MemoryBackend

__all__ = ["MemoryBackend"]
