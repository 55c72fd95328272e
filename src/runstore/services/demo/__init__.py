"""``runstore demo``: a short tour that writes to a real store and reports what it did.

Each step is a function of the store returning lines that describe what happened; the
CLI runs them in order behind a progress bar. Steps are idempotent where the data is,
so running the demo twice shows what the store remembered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from runstore.services.demo.conversations import save_transcript
from runstore.services.demo.logs import record_logs_and_metrics
from runstore.services.demo.results import cache_task_results
from runstore.services.demo.runs import execute_workflow_run
from runstore.services.demo.workflows import store_workflows
from runstore.store import Store

__all__ = ["STEPS", "DemoStep"]


@dataclass(frozen=True, slots=True)
class DemoStep:
    """One step of the demo: a title, and what it does to the store."""

    title: str
    run: Callable[[Store], list[str]]


STEPS: list[DemoStep] = [
    DemoStep("Store versioned workflow definitions", store_workflows),
    DemoStep("Execute a workflow run with two workers", execute_workflow_run),
    DemoStep("Run tasks through the results cache", cache_task_results),
    DemoStep("Record execution logs and metrics", record_logs_and_metrics),
    DemoStep("Save an agent's transcript", save_transcript),
]
