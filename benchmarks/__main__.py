"""Every benchmark in turn: ``python -m benchmarks`` (the sizes of the issues, several
minutes) or ``python -m benchmarks --quick`` (small sizes, a smoke run).

Each one prints runstore's rate next to the raw driver's, measured in the same run, so
the ratios hold on any machine; absolute rates vary with it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from benchmarks import conversations, copy, logs, results, runs

# (title, main, arguments for --quick, whether it takes --postgres)
SUITE: list[tuple[str, Callable[[list[str] | None], None], list[str], bool]] = [
    ("results cache", results.main, ["--count", "2000", "--rounds", "1"], False),
    ("run state", runs.main, ["--runs", "100"], True),
    ("logs", logs.main, ["--events", "2000", "--query-events", "4000", "--runs", "40",
                         "--stream-events", "5000", "--rounds", "1", "--repeat", "3"], True),
    ("conversations", conversations.main,
     ["--conversations", "100", "--messages", "10", "--rounds", "1"], True),
    ("copy", copy.main, ["--events", "5000", "--runs", "10"], True),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--postgres", default=None,
                        help="admin URL for scratch databases ('none' to skip PostgreSQL)")
    args = parser.parse_args(argv)
    for title, run, quick, takes_postgres in SUITE:
        print(f"\n== {title}", flush=True)
        arguments = list(quick) if args.quick else []
        if takes_postgres and args.postgres is not None:
            arguments += ["--postgres", args.postgres]
        run(arguments)


if __name__ == "__main__":
    main()
