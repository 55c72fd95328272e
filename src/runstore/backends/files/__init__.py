"""The files backend."""

from runstore.backends.files.store import FileBackend

__all__ = ["FileBackend"]
