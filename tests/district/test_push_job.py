"""The scheduled push: the runtime registers it when a district is configured, and the scheduler runs it."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from datetime import datetime, timezone
from typing import Any

from kit.clock import FixedClock
from kit.config import DistrictSettings, Settings
from kit.district_models import DistrictReport
from kit.scheduling import InProcessScheduler
from linli.district_push import add_push_job
from linli.runtime import Runtime


def job_names(scheduler: InProcessScheduler) -> set[Hashable]:  # a job's tags (ours are names)
    return {tag for job in scheduler.scheduler.get_jobs() for tag in job.tags}


def test_a_failing_job_is_kept_in_last_error_and_the_others_still_run(community: Any) -> None:
    scheduler = InProcessScheduler(Settings())
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("the network is down")

    scheduler.add_job("broken", broken)
    scheduler.add_job("fine", lambda: ran.append("fine"))
    scheduler.run_now()
    assert ran == ["fine"]
    assert scheduler.last_error == "broken: RuntimeError: the network is down"


def test_the_scheduler_pushes_the_day_at_the_set_time(
    neighbourhood: Any, push_settings: DistrictSettings, fixed_clock: FixedClock
) -> None:
    scheduler = InProcessScheduler(Settings())
    add_push_job(scheduler, push_settings)
    scheduler.run_now()
    assert DistrictReport.select().count() == 0  # 09:00: not yet
    fixed_clock.set(datetime(2026, 11, 20, 13, 0, tzinfo=timezone.utc))  # 21:00 in Shanghai
    scheduler.run_now()
    assert DistrictReport.select().count() == 1
    assert scheduler.last_error == ""


def test_the_runtime_registers_the_push_only_when_a_district_is_configured(community: Any) -> None:
    assert "district-push" not in job_names(Runtime(Settings(), webhooks=False).scheduler)
    district = DistrictSettings(url="https://district.example.org", token="a-real-token")
    settings = dataclasses.replace(Settings(), district=district)
    assert "district-push" in job_names(Runtime(settings, webhooks=False).scheduler)


def test_a_mistake_in_the_district_settings_does_not_stop_the_runtime(community: Any) -> None:
    district = DistrictSettings(url="http://district.example.org", token="a-real-token")  # not https
    runtime = Runtime(dataclasses.replace(Settings(), district=district), webhooks=False)
    runtime.scheduler.run_now()
    assert runtime.scheduler.last_error.startswith("district-push: ConfigError: district.url must be")
