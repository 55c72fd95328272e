"""``runstore doctor``: integrity checks, and a quarantine for what cannot be read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from runstore.ports.health import Finding

__all__ = ["DoctorReport", "quarantine_path"]


@dataclass(slots=True)
class DoctorReport:
    """What a check found; healthy when nothing was found.

    ``blobs_checked`` counts the blobs read to the end and checked against their sha256
    (0 when the store did not open, which is then one of the findings).
    """

    url: str
    findings: list[Finding] = field(default_factory=list)
    repaired: bool = False
    blobs_checked: int = 0

    @property
    def healthy(self) -> bool:
        return not self.findings


def quarantine_path(root: Path, damaged: Path) -> Path:
    """Where a damaged file goes: ``<root>/quarantine/<relative path>`` (never overwriting)."""
    try:
        relative = damaged.resolve().relative_to(root.resolve())
    except ValueError:
        relative = Path(damaged.name)
    target = root / "quarantine" / relative
    n = 1
    while target.exists():
        target = target.with_name(f"{relative.name}.{n}")
        n += 1
    return target
