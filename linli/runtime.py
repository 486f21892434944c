"""The running kit beside the operators: the dispatcher, the scheduler, the webhook server and inbound polling.

Each runs on its own thread (the webhook server with its own asyncio loop), so the terminal UI's event loop never
waits for them and they never wait for the UI. `linli serve` runs this headless; `linli` and `linli demo` run it
under the TUI.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from kit import shared_phones, template_mode, ui_words
from kit.busy import is_busy
from kit.community import community_zone
from kit.config import Settings, gateway_specs
from kit.dispatcher import Dispatcher, DispatchReport
from kit.errors import LinliError
from kit.gateway import Gateway
from kit.scheduling import InProcessScheduler
from linli.gateways import Pollers, build_gateways

log = logging.getLogger(__name__)

DISPATCH_IDLE_SECONDS = 1.0
SCHEDULER_TICK_SECONDS = 1.0
INBOX_SWEEP_SECONDS = 15.0  # how often inbound messages left 'received' are looked at again


class Runtime:
    """Start with `start()`, stop with `stop()`; `wake()` nudges the dispatcher after something was queued."""

    def __init__(
        self,
        settings: Settings,
        *,
        webhooks: bool = True,
        gateways: dict[str, Gateway] | None = None,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self.settings = settings
        shared_phones.use_settings(settings.checkin)  # what a "1" from a shared phone means (--config included)
        template_mode.use_settings(settings)  # template-only mode follows the SMS pool (--config included)
        self.gateways = gateways if gateways is not None else build_gateways(settings)
        self.scheduler = InProcessScheduler(settings)
        if settings.district.url:  # push the day's figures to the district at district.push_at, and when back online
            from linli.district_push import add_push_job

            add_push_job(self.scheduler, settings.district)
        self._stopping = threading.Event()
        self._nudge = threading.Event()
        self.dispatcher = Dispatcher(self.gateways, settings.dispatch, community_zone(), sleep=self._pause)
        self._pollers = Pollers(self.gateways, self.sweep_inbox, self._failed)
        self.last_dispatch = DispatchReport()
        self.last_error = ""
        self.server: Any = None
        if webhooks:
            self.server = self._webhook_server(host, port, own_process=gateways is None)
        self._threads: list[threading.Thread] = []

    def _webhook_server(self, host: str | None, port: int | None, own_process: bool) -> Any:
        """In a process of its own when it can be (`linli.webhook_process`): the configured gateways, on a file."""
        from linli.webhook_process import webhook_server

        return webhook_server(self.settings, self.gateways, host=host, port=port, own_process=own_process)

    @property
    def polls_inbound(self) -> bool:
        """Twilio with no public URL: inbound SMS are fetched from the REST API instead of pushed to us."""
        kinds = [spec.kind for spec in gateway_specs(self.settings, "sms")]
        return "twilio" in kinds and not self.settings.twilio.public_url

    def start(self) -> Runtime:
        if self.server is not None:
            self.server.start()
        self._spawn("linli-dispatch", self._dispatch_loop)
        self._spawn("linli-scheduler", self._schedule_loop)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._nudge.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        if self.server is not None:
            self.server.stop()

    def _pause(self, seconds: float) -> None:
        """The dispatcher's pacing pause, cut short when the runtime stops."""
        self._stopping.wait(seconds)

    def wake(self) -> None:
        """Something was queued: let the dispatcher look now instead of at its next idle tick."""
        self._nudge.set()

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _dispatch_loop(self) -> None:
        try:
            self.last_dispatch = self.dispatcher.reconcile()
        except Exception as error:
            self._failed("reconciling", error)
        while not self._stopping.is_set():
            try:
                report = self.dispatcher.step()
                self.last_dispatch = report
            except Exception as error:  # keep dispatching; the failure is logged and shown
                self._failed("dispatching", error)
                report = DispatchReport()
            if report.total == 0:
                self._nudge.wait(DISPATCH_IDLE_SECONDS)
                self._nudge.clear()

    def _schedule_loop(self) -> None:
        self.scheduler.run_now()
        seconds_to_poll = 0.0
        seconds_to_sweep = 0.0
        while not self._stopping.wait(SCHEDULER_TICK_SECONDS):
            self.scheduler.run_pending()
            if self.polls_inbound:
                seconds_to_poll -= SCHEDULER_TICK_SECONDS
                if seconds_to_poll <= 0:
                    seconds_to_poll = float(self.settings.twilio.poll_seconds)
                    self._poll()
            self._pollers.tick(SCHEDULER_TICK_SECONDS)
            seconds_to_sweep -= SCHEDULER_TICK_SECONDS
            if seconds_to_sweep <= 0:
                seconds_to_sweep = INBOX_SWEEP_SECONDS
                self.sweep_inbox()
            self._nudge.set()  # the scheduler may have queued a round or a ladder step

    def sweep_inbox(self) -> None:
        """Act on inbound messages left 'received' (the database was locked, or the kit stopped before acting on
        them). With the webhook server running its inbound worker does this, woken here; without it (polling, the
        simulator) the sweep runs on this thread. A message is acted on once even if two processes sweep."""
        if self.server is not None:
            self.server.wake()
            return
        from sms import router

        try:
            router.process_pending()
        except Exception as error:
            self._failed("processing_inbound", error)

    def _poll(self) -> None:
        from sms import router
        from sms.twilio_poll import poll_inbound

        named: dict[str, Any] = getattr(self.gateways, "named", dict)()
        gateway = next((g for g, spec in named.values() if spec.kind == "twilio"), self.gateways["sms"])
        try:
            if poll_inbound(gateway, self.settings.twilio, router.receive):
                self.sweep_inbox()
        except Exception as error:
            self._failed("polling", error)

    def _failed(self, doing: str, error: Exception, **values: object) -> None:
        """Log a failure of the work `doing` (a key of [runtime] in data/ui) in English, for the maintainer, and keep
        it in `last_error` in the reader's language, for the Today screen."""
        work = ui_words.text("en", f"runtime.{doing}", **values)
        if is_busy(error):  # another writer held the lock: nothing is lost, the next tick tries again
            log.warning("%s waits: the database is busy (%s)", work, error)
        else:
            log.exception("%s failed", work)
        why = error.message if isinstance(error, LinliError) else f"{type(error).__name__}: {error}"
        self.last_error = ui_words.say("runtime.failed", doing=ui_words.say(f"runtime.{doing}", **values), why=why)
