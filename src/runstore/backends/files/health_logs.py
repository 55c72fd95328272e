"""``runstore doctor`` on log events: JSON Lines files with a torn last line (a writer
killed mid-append) or lines that do not parse.

Readers already skip such lines with a warning; the doctor names the file and the line,
and ``repair`` keeps the good lines: the damaged file goes under ``ROOT/quarantine/``
and a file of the good lines replaces it atomically, under the run's log lock so no
append is lost meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from runstore.backends.files.atomic import fsync_dir
from runstore.backends.files.health import keep_a_copy
from runstore.backends.files.layout import FileLayout
from runstore.backends.files.logs import _parse
from runstore.ports.health import Finding

__all__ = ["check_log_events"]


@dataclass(slots=True)
class _Scan:
    lines: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)


def check_log_events(layout: FileLayout, *, repair: bool) -> list[Finding]:
    """One finding per damaged ``logs/events/<run_id>.jsonl`` file."""
    folder = layout.root / "logs" / "events"
    findings: list[Finding] = []
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        scan = _scan(path)
        if not scan.bad:
            continue
        action = ""
        if repair:
            with layout.lock(f"log:{path.stem}"):
                scan = _scan(path)  # again, now that no append can run
                if scan.bad:
                    action = _rewrite(layout, path, scan)
        if scan.bad:
            findings.append(_finding(path, scan, action))
    return findings


def _finding(path: Path, scan: _Scan, action: str) -> Finding:
    line, problem = scan.bad[0]
    if len(scan.bad) > 1:
        problem += f"; {len(scan.bad) - 1} more bad lines"
    return Finding(f"{path}:{line}", problem,
                   lost=f"{len(scan.bad)} of {scan.lines} lines of the log events of run "
                        f"{path.stem!r}", action=action)


def _lines(path: Path) -> Iterator[tuple[int, bytes, str | None]]:
    """Each line of ``path`` with its number and, when it is damaged, what is wrong."""
    with open(path, "rb") as handle, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for number, line in enumerate(handle, start=1):
            if not line.endswith(b"\n"):
                yield number, line, f"torn last line {number} (an interrupted append)"
            elif _parse(line, path, number) is None:
                message = str(caught[-1].message) if caught else ""
                reason = message[message.find("("):] if "(" in message else ""
                yield number, line, f"line {number} does not parse {reason}".rstrip()
            else:
                yield number, line, None
            caught.clear()


def _scan(path: Path) -> _Scan:
    scan = _Scan()
    for number, _, problem in _lines(path):
        scan.lines = number
        if problem is not None:
            scan.bad.append((number, problem))
    return scan


def _rewrite(layout: FileLayout, path: Path, scan: _Scan) -> str:
    """Replace ``path`` by its good lines, streamed; the damaged file goes to quarantine."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            for _, line, problem in _lines(path):
                if problem is None:
                    handle.write(line)
            handle.flush()
            if layout.durable:
                os.fsync(handle.fileno())
        target = keep_a_copy(layout, path)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if layout.durable:
        fsync_dir(path.parent)
    kept = scan.lines - len(scan.bad)
    return f"moved to {target}; rewrote the {kept} good lines"
