"""Slots per platform in the config's time zone; no two posts of a platform in one slot."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from ledger_fakes import make_run

from postgen import runfile, schedule
from postgen.config import ConfigError, parse_config
from postgen.models import PostState

ALL = [(p, f) for p in ("linkedin", "x", "reddit") for f in ("hormozi", "garyvee", "naval", "storytelling", "aida")]


def config(**schedule_settings):
    return parse_config({"schedule": schedule_settings})


def times(run, platform):
    return [p.scheduled_at for p in run.posts if p.platform == platform]


def test_slots_in_the_config_time_zone_in_framework_order(tmp_path):
    # Created Monday 2026-11-02 07:00 UTC = 08:00 in Paris (CET, UTC+1).
    path = make_run(tmp_path / "other", ALL)
    run = runfile.load(path)
    cfg = config(timezone="Europe/Paris", slots={"linkedin": ["08:30"], "x": ["09:00", "17:00"], "reddit": ["tue 15:00", "fri 15:00"]},
                 framework_order=["naval", "aida", "hormozi", "garyvee", "storytelling"])
    schedule.assign(run, cfg, runs_dir=tmp_path / "runs")
    paris = ZoneInfo("Europe/Paris")
    li = {p.framework: p.scheduled_at for p in run.posts if p.platform == "linkedin"}
    assert li["naval"] == datetime(2026, 11, 2, 8, 30, tzinfo=paris)  # same morning, first in order
    assert li["aida"] == datetime(2026, 11, 3, 8, 30, tzinfo=paris)
    assert li["storytelling"] == datetime(2026, 11, 6, 8, 30, tzinfo=paris)
    x = sorted(times(run, "x"))
    assert [t.strftime("%a %H:%M") for t in x] == ["Mon 09:00", "Mon 17:00", "Tue 09:00", "Tue 17:00", "Wed 09:00"]
    reddit = sorted(times(run, "reddit"))
    assert [t.strftime("%a %d %H:%M") for t in reddit] == ["Tue 03 15:00", "Fri 06 15:00", "Tue 10 15:00", "Fri 13 15:00", "Tue 17 15:00"]
    assert all(t.tzinfo is not None for p in ("linkedin", "x", "reddit") for t in times(run, p))


def test_starts_after_creation_time(tmp_path):
    created = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)  # exactly at the 09:00 slot: take the next
    path = make_run(tmp_path / "other", [("x", "hormozi")], created=created)
    run = runfile.load(path)
    schedule.assign(run, config(slots={"x": ["09:00", "17:00"]}), runs_dir=tmp_path / "runs")
    assert run.posts[0].scheduled_at == datetime(2026, 11, 2, 17, 0, tzinfo=ZoneInfo("UTC"))


def test_slots_taken_by_earlier_runs_are_skipped(tmp_path):
    runs = tmp_path / "runs"
    cfg = config(slots={"x": ["09:00"], "linkedin": ["08:30"]})
    first_path = make_run(runs, [("x", "hormozi"), ("x", "naval"), ("linkedin", "aida")], video_id="first000001")
    first = runfile.load(first_path)
    schedule.assign(first, cfg, runs_dir=runs)
    runfile.save(first_path, first)
    second_path = make_run(tmp_path / "new", [("x", "hormozi"), ("linkedin", "aida")], video_id="second00002")
    second = runfile.load(second_path)
    schedule.assign(second, cfg, runs_dir=runs)
    taken = {p.scheduled_at for p in first.posts if p.platform == "x"}
    assert second.post("x-hormozi").scheduled_at not in taken
    assert second.post("x-hormozi").scheduled_at == datetime(2026, 11, 4, 9, 0, tzinfo=ZoneInfo("UTC"))
    assert second.post("linkedin-aida").scheduled_at == datetime(2026, 11, 3, 8, 30, tzinfo=ZoneInfo("UTC"))


def test_failed_published_and_already_scheduled_posts(tmp_path):
    path = make_run(tmp_path / "other", [("x", "hormozi"), ("x", "naval"), ("x", "aida")])
    run = runfile.load(path)
    run.post("x-hormozi").state = PostState.failed
    fixed = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    run.post("x-naval").scheduled_at = fixed
    schedule.assign(run, config(slots={"x": ["09:00"]}), runs_dir=tmp_path / "runs")
    assert run.post("x-hormozi").scheduled_at is None
    assert run.post("x-naval").scheduled_at == fixed  # kept
    assert run.post("x-aida").scheduled_at == datetime(2026, 11, 3, 9, 0, tzinfo=ZoneInfo("UTC"))  # not on top of naval


def test_platform_without_slots_is_left_unscheduled_with_a_warning(tmp_path):
    path = make_run(tmp_path / "other", [("reddit", "hormozi")])
    run = runfile.load(path)
    schedule.assign(run, config(slots={"x": ["09:00"]}), runs_dir=tmp_path / "runs")
    assert run.posts[0].scheduled_at is None
    assert any("no schedule slots for reddit" in w for w in run.warnings)


def test_dst_change_keeps_wall_clock_time(tmp_path):
    # New York leaves DST on 2026-11-01: 09:00 local is 13:00 UTC before, 14:00 UTC after.
    created = datetime(2026, 10, 31, 12, 0, tzinfo=timezone.utc)
    path = make_run(tmp_path / "other", [("x", f) for f in ("hormozi", "naval", "aida")], created=created)
    run = runfile.load(path)
    schedule.assign(run, config(timezone="America/New_York", slots={"x": ["09:00"]}), runs_dir=tmp_path / "runs")
    utc = [p.scheduled_at.astimezone(timezone.utc).hour for p in run.posts]
    assert utc == [13, 14, 14]  # 31 October 09:00 EDT, then 1 and 2 November 09:00 EST
    local = [p.scheduled_at.astimezone(ZoneInfo("America/New_York")).hour for p in run.posts]
    assert local == [9, 9, 9]


def test_schedule_survives_the_run_file_round_trip(tmp_path):
    path = make_run(tmp_path / "other", [("linkedin", "hormozi")])
    run = runfile.load(path)
    schedule.assign(run, config(timezone="Asia/Tokyo", slots={"linkedin": ["08:30"]}), runs_dir=tmp_path / "runs")
    runfile.save(path, run)
    again = runfile.load(path).posts[0].scheduled_at
    assert again == run.posts[0].scheduled_at and again.utcoffset().total_seconds() == 9 * 3600


@pytest.mark.parametrize("slot", ["9am", "25:00", "mon", "funday 09:00", "12:61"])
def test_bad_slots_are_config_errors(slot):
    with pytest.raises(ConfigError, match="schedule.slots"):
        config(slots={"x": [slot]})


def test_parse_slot():
    assert schedule.parse_slot("Tue 15:00") == schedule.Slot(1, datetime(2000, 1, 1, 15, 0).time())
    assert schedule.parse_slot("8:05") == schedule.Slot(None, datetime(2000, 1, 1, 8, 5).time())


from hypothesis import given, settings, strategies as st  # noqa: E402

ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe", "Asia/Kolkata")
slot_text = st.builds(
    lambda day, h, m: (f"{day} " if day else "") + f"{h:02d}:{m:02d}",
    st.sampled_from([None, *schedule.WEEKDAYS]), st.integers(0, 23), st.sampled_from([0, 15, 30, 45]),
)


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    slots=st.lists(slot_text, min_size=1, max_size=3),
    created=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    n=st.integers(1, 5),
)
def test_property_slots_are_distinct_future_and_on_the_wall_clock(tmp_path_factory, zone, slots, created, n):
    from postgen.models import Post, Run, Video

    created = created.replace(tzinfo=timezone.utc, microsecond=0)
    run = Run(id="r", created=created, video=Video(id="v", url="u", title="t"),
              posts=[Post(id=f"x-f{i}", platform="x", framework=f"f{i}", state=PostState.ready) for i in range(n)])
    schedule.assign(run, config(timezone=zone, slots={"x": slots}), runs_dir=tmp_path_factory.mktemp("runs"))
    when = [p.scheduled_at for p in run.posts]
    assert all(w is not None and w > created for w in when)
    assert len({w.astimezone(timezone.utc) for w in when}) == n  # one post per slot
    tz = ZoneInfo(zone)
    parsed = [schedule.parse_slot(t) for t in slots]
    for w in when:  # each time is one of the slots on its local day (a DST-skipped wall time moves forward)
        day = w.astimezone(tz).date()
        candidates = {
            datetime.combine(d, s.at, tzinfo=tz).astimezone(timezone.utc)
            for d in (day, day - timedelta(days=1)) for s in parsed if s.weekday in (None, d.weekday())
        }
        assert w.astimezone(timezone.utc) in candidates
    assert when == sorted(when)  # frameworks in order take the slots in order
