"""How screens talk to the kit: thread workers that hand their results back to the UI, and one account of failures.

Every database or gateway call runs in a `@work(thread=True, exit_on_error=False, ...)` worker. A worker gives its
result to the UI with `deliver` (which drops it when a newer worker of the same group replaced this one). A worker
that fails does not crash the app: its screen's `on_worker_state_changed` (see `tui.screens.base`) hands the error
to `LinliApp.report_failure`, which shows `explain(error)` in a dialog -- the one place failures are handled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState, get_current_worker

from kit.errors import LinliError
from tui.i18n import t

log = logging.getLogger("linli.tui")


def deliver(node: DOMNode, callback: Callable[..., Any], *args: Any) -> None:
    """From a worker thread: run `callback(*args)` on the UI thread, unless this worker was cancelled."""
    if get_current_worker().is_cancelled:
        return
    node.app.call_from_thread(callback, *args)


def cancelled() -> bool:
    """True in a worker that a newer one of its group replaced: stop and deliver nothing."""
    return get_current_worker().is_cancelled


def explain(error: BaseException | None, what: str = "") -> tuple[str, str]:
    """A title and a message a volunteer understands. Kit errors say it themselves; anything else is logged with
    its traceback (for the maintainer) and shown as a plain sentence."""
    if isinstance(error, LinliError):
        return error.title, error.message
    log.error("unexpected failure in %s", what or "a worker", exc_info=error)
    return t("error.unexpected.title"), t("error.unexpected.message", what=what or "?")


def failed(worker: Worker[Any], state: WorkerState) -> bool:
    """A worker failed in a way the operator must hear about (one a newer worker replaced does not count)."""
    return state == WorkerState.ERROR and worker.error is not None and not worker.is_cancelled


def worker_purpose(worker: Worker[Any]) -> str:
    """What the worker was doing, for the failure message ("search", "save resident", ...)."""
    return (worker.name or worker.group or "").replace("_", " ").strip()
