"""The health port: what ``runstore doctor`` asks of a backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from runstore.registry.url import StoreURL

__all__ = ["Checkable", "Finding"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by a health check.

    ``location`` names the file, table or blob; ``lost`` says which records cannot be
    read any more; ``action`` says what ``--repair`` did about it (empty if nothing).
    """

    location: str
    problem: str
    lost: str = ""
    action: str = ""


class Checkable(Protocol):
    """A backend class that can check (and repair) the store at a URL without opening it
    normally, because a damaged store may not open at all."""

    schemes: ClassVar[tuple[str, ...]]

    @classmethod
    def check(cls, url: StoreURL, /, *, repair: bool = False) -> list[Finding]: ...
