"""The scheduler's tick: exactly once per fire under concurrent ticks, once after downtime
(or every missed slot with catch_up), and a daily 06:00 across a DST change fires once per
local day. The calendar and DST rules themselves: tests/test_schedule_dst.py."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from conftest import Database, Tenant, seed_tenants


@pytest.fixture
def tenant(db: Database) -> Tenant:
    return seed_tenants(db, names=("a",), extra_principals=0)["a"]


def set_clock(db: Database, at: datetime) -> None:
    with db.connect() as conn:
        conn.execute("UPDATE internal.clock SET offset_by = %s::timestamptz - now()", (at,))


def create_schedule(db: Database, tenant: Tenant, cron: str, zone: str,
                    catch_up: bool = False) -> tuple[Any, datetime]:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        row = conn.execute(
            "SELECT schedule_id, next_fire_at FROM api.create_schedule(p_name => 's', "
            "p_cron => %s, p_time_zone => %s, p_queue => 'sched', p_kind => 'noop', "
            "p_catch_up => %s)", (cron, zone, catch_up)).fetchone()
    assert row is not None
    return row[0], row[1]


def tick(db: Database) -> int:
    with db.connect("claw_worker") as conn:
        row = conn.execute("SELECT api.tick_schedules()").fetchone()
    return int(row[0]) if row else 0


def fired(db: Database) -> list[tuple[datetime, int]]:
    with db.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(
            "SELECT (payload ->> 'fire_at')::timestamptz, (payload ->> 'missed')::int "
            "FROM queue.jobs WHERE queue = 'sched' ORDER BY 1").fetchall()]


def test_concurrent_ticks_fire_once(db: Database, tenant: Tenant) -> None:
    _, first = create_schedule(db, tenant, "0 6 * * *", "Australia/Sydney")
    set_clock(db, first + timedelta(seconds=1))
    counts: list[int] = []
    barrier = threading.Barrier(8)

    def ticker() -> None:
        with db.connect("claw_worker") as conn:
            barrier.wait()
            row = conn.execute("SELECT api.tick_schedules()").fetchone()
            counts.append(int(row[0]) if row else 0)

    threads = [threading.Thread(target=ticker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(counts) == 1
    assert fired(db) == [(first, 0)]
    with db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM queue.schedule_fires").fetchone() == (1,)
        # rewinding the schedule cannot make the same fire happen again
        conn.execute("UPDATE queue.schedules SET next_fire_at = %s", (first,))
    assert tick(db) == 0
    assert len(fired(db)) == 1


def test_after_downtime_fires_once(db: Database, tenant: Tenant) -> None:
    _, first = create_schedule(db, tenant, "*/10 * * * *", "UTC")
    set_clock(db, first + timedelta(minutes=65))  # slots first, +10, ..., +60: 7 due
    assert tick(db) == 1
    assert fired(db) == [(first, 6)]
    with db.connect() as conn:
        nxt = conn.execute("SELECT next_fire_at FROM queue.schedules").fetchone()
    assert nxt == (first + timedelta(minutes=70),)
    assert tick(db) == 0


def test_a_long_outage_fires_once_and_counts_at_most_a_thousand_missed_slots(
        db: Database, tenant: Tenant) -> None:
    """Two days down, an every-minute schedule (2,880 slots due). The tick counted missed
    slots one queue.next_fire each, up to 100,000, and fired the slot the count stopped at
    a second time (an 80-day outage: two jobs, one tick of 143 s); one tenant's such
    schedules could make the tick run into the worker's statement_timeout, which rolls back
    every tenant's fires, tick after tick. Now the count stops at 1,000 ("missed_more":
    true) and the schedule goes on from the first slot after now: one fire."""
    _, first = create_schedule(db, tenant, "* * * * *", "Europe/Paris")
    now = first + timedelta(days=2, seconds=30)
    set_clock(db, now)
    assert tick(db) == 1
    with db.connect() as conn:
        [(payload,)] = conn.execute("SELECT payload FROM queue.jobs WHERE queue = 'sched'"
                                    ).fetchall()
        [(nxt,)] = conn.execute("SELECT next_fire_at FROM queue.schedules").fetchall()
    assert datetime.fromisoformat(payload["fire_at"]) == first, payload
    assert (payload["missed"], payload.get("missed_more")) == (1000, True), payload
    assert nxt == now.replace(second=0) + timedelta(minutes=1)
    assert tick(db) == 0


def test_catch_up_fires_every_missed_slot(db: Database, tenant: Tenant) -> None:
    _, first = create_schedule(db, tenant, "*/10 * * * *", "UTC", catch_up=True)
    set_clock(db, first + timedelta(minutes=65))
    assert tick(db) == 7
    assert [f for f, _ in fired(db)] == [first + timedelta(minutes=10 * i) for i in range(7)]


def test_daily_0600_fires_once_per_local_day_across_dst(db: Database, tenant: Tenant) -> None:
    sydney = ZoneInfo("Australia/Sydney")
    # Sydney moves to daylight time on 2026-10-04 (02:00 -> 03:00) and back on 2027-04-04
    for start in (datetime(2026, 9, 30, 12, tzinfo=timezone.utc),
                  datetime(2027, 3, 31, 12, tzinfo=timezone.utc)):
        with db.connect() as conn:
            conn.execute("DELETE FROM queue.jobs WHERE queue = 'sched'")
            conn.execute("DELETE FROM queue.schedules")
        set_clock(db, start)
        create_schedule(db, tenant, "0 6 * * *", "Australia/Sydney")
        now = start
        for _ in range(7 * 24):  # a week in hourly ticks
            now += timedelta(hours=1)
            set_clock(db, now)
            tick(db)
        fires = [f for f, _ in fired(db)]
        assert len(fires) == 7
        local = [f.astimezone(sydney) for f in fires]
        assert all((t.hour, t.minute) == (6, 0) for t in local), local
        assert len({t.date() for t in local}) == 7


def test_bad_schedules_are_refused(db: Database, tenant: Tenant) -> None:
    # a step too large for an integer was PostgreSQL's 22003, not our CL422
    for cron, zone in (("0 6 * *", "UTC"), ("61 * * * *", "UTC"), ("0 6 * * *", "Mars/Olympus"),
                       ("*/99999999999 * * * *", "UTC"), ("0 0-23/0 * * *", "UTC")):
        with pytest.raises(psycopg.Error) as err:
            create_schedule(db, tenant, cron, zone)
        assert err.value.sqlstate == "CL422", (cron, zone)
    sid, _ = create_schedule(db, tenant, "0 6 * * *", "UTC")
    with pytest.raises(psycopg.Error) as dup:
        create_schedule(db, tenant, "0 7 * * *", "UTC")
    assert dup.value.sqlstate == "CL409"
    # neither pause nor resume: it paused the schedule before
    with pytest.raises(psycopg.Error) as null, \
            db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        conn.execute("SELECT api.set_schedule_paused(%s, NULL)", (sid,))
    assert null.value.sqlstate == "CL422"
    with db.connect() as conn:
        assert conn.execute("SELECT paused FROM queue.schedules").fetchone() == (False,)


@pytest.fixture
def tenants(db: Database) -> dict[str, Tenant]:
    return seed_tenants(db, names=("a", "b", "c"), extra_principals=0)


def create_named(db: Database, tenant: Tenant, name: str, payload: str = "{}",
                 cron: str = "0 6 * * *") -> tuple[Any, datetime]:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        row = conn.execute(
            "SELECT schedule_id, next_fire_at FROM api.create_schedule(p_name => %s, "
            "p_cron => %s, p_time_zone => 'UTC', p_queue => 'sched', p_kind => 'noop', "
            "p_payload => %s::jsonb)", (name, cron, payload)).fetchone()
    assert row is not None
    return row[0], row[1]


def payload_of_size(db: Database, size: int) -> str:
    """A JSON object whose jsonb value is exactly `size` bytes (pg_column_size)."""
    with db.connect() as conn:
        base = conn.execute("SELECT pg_column_size(jsonb_build_object('blob', repeat('x', 100000)))"
                            ).fetchone()[0]  # type: ignore[index]
        text = '{"blob": "' + "x" * (100000 + size - base) + '"}'
        assert conn.execute("SELECT pg_column_size(%s::jsonb)", (text,)).fetchone() == (size,)
    return text


def fires_by_schedule(db: Database) -> dict[Any, int]:
    with db.connect() as conn:
        return {r[0]: r[1] for r in conn.execute(
            "SELECT schedule_id, count(*) FROM queue.schedule_fires GROUP BY 1").fetchall()}


def test_a_schedule_payload_leaves_room_for_what_each_fire_adds(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """Each fire adds schedule_id, fire_at and missed to the payload; a payload just under
    the json limit would make every fire's job over it, so create_schedule keeps 1 KiB."""
    with pytest.raises(psycopg.Error) as err:
        create_named(db, tenants["a"], "big", payload_of_size(db, 262144 - 16))
    assert err.value.sqlstate == "CL422"
    assert err.value.diag.message_primary == "schedule payload too large"
    assert err.value.diag.message_detail and "1024" in err.value.diag.message_detail
    assert err.value.diag.message_hint
    sid, first = create_named(db, tenants["a"], "fits", payload_of_size(db, 262144 - 1024))
    set_clock(db, first + timedelta(seconds=1))
    assert tick(db) == 1
    assert fires_by_schedule(db) == {sid: 1}


def test_a_failing_schedule_is_paused_with_its_error_and_the_others_fire(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """One schedule whose fire fails (here a payload stored before create_schedule kept room
    for the fire's fields) no longer aborts the tick for every tenant: it fires in its own
    subtransaction, is paused with the error recorded (and a schedule.paused event), and
    the other schedules fire."""
    bad, first = create_named(db, tenants["a"], "big")
    good_a, _ = create_named(db, tenants["a"], "small")
    good_b, _ = create_named(db, tenants["b"], "other")
    with db.connect() as conn:  # the state an older create_schedule could leave
        conn.execute("UPDATE queue.schedules SET payload = %s::jsonb WHERE schedule_id = %s",
                     (payload_of_size(db, 262144 - 16), bad))
    set_clock(db, first + timedelta(seconds=1))
    assert tick(db) == 2
    assert fires_by_schedule(db) == {good_a: 1, good_b: 1}
    with db.connect() as conn:
        paused, err, nxt = conn.execute(
            "SELECT paused, last_error, next_fire_at FROM queue.schedules "
            "WHERE schedule_id = %s", (bad,)).fetchone()  # type: ignore[misc]
        events = conn.execute(
            "SELECT event_type, data -> 'last_error' ->> 'sqlstate' FROM events.outbox "
            "WHERE subject_id = %s ORDER BY xact_id, event_id", (str(bad),)).fetchall()
    assert paused is True and nxt == first
    assert err["sqlstate"] == "CL422" and "bytes" in err["detail"], err
    assert err["fire_at"] is not None and err["at"] is not None
    assert events[-1] == ("schedule.paused", "CL422")
    assert tick(db) == 0  # paused: not retried every tick
    # the tenant sees why
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenants["a"].api_key,))
        row = conn.execute("SELECT paused, last_error ->> 'sqlstate' FROM api.list_schedules() "
                           "WHERE name = 'big'").fetchone()
    assert row == (True, "CL422")


def test_concurrent_ticks_do_not_deadlock_on_tenant_cursors(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """Two ticks whose schedules name the same tenants' fair cursors in opposite
    next_fire_at orders, one of them held up by an open transaction on a cursor: neither
    waits on a cursor (a busy one leaves its schedule due for the next tick), so there is
    no deadlock, and every schedule fires exactly once."""
    a, b, c = tenants["a"], tenants["b"], tenants["c"]
    sids = {}
    for name, t in (("s1", a), ("s2", c), ("s3", b), ("s4", b), ("s5", a)):
        sids[name], _ = create_named(db, t, name)
    base = datetime.fromisoformat("2030-01-01T06:00:00+00:00")
    with db.connect() as conn:
        for i, name in enumerate(("s1", "s2", "s3", "s4", "s5")):
            conn.execute("UPDATE queue.schedules SET next_fire_at = %s WHERE schedule_id = %s",
                         (base + timedelta(seconds=i), sids[name]))
        conn.execute("INSERT INTO queue.tenant_cursors VALUES (%s, 'sched', 0) "
                     "ON CONFLICT DO NOTHING", (c.tenant_id,))
    set_clock(db, base + timedelta(minutes=1))
    blocker = db.connect(autocommit=False)
    blocker.execute("SELECT 1 FROM queue.tenant_cursors WHERE tenant_id = %s FOR UPDATE",
                    (c.tenant_id,))
    errors: list[str] = []

    def run(limit: int) -> None:
        with db.connect("claw_worker") as w:
            try:
                w.execute("SELECT api.tick_schedules(p_limit => %s)", (limit,))
            except psycopg.Error as exc:
                errors.append(f"{exc.sqlstate} {exc.diag.message_primary}")

    t1 = threading.Thread(target=run, args=(3,))  # s1 (A), s2 (C: busy), s3 (B)
    t1.start()
    time.sleep(1.0)
    t2 = threading.Thread(target=run, args=(2,))  # s4 (B), s5 (A)
    t2.start()
    time.sleep(1.0)
    blocker.rollback()
    blocker.close()
    t1.join(30)
    t2.join(30)
    assert errors == [], errors
    names = {v: k for k, v in sids.items()}
    fired_by_two = fires_by_schedule(db)
    assert "s2" not in {names[s] for s in fired_by_two}  # C's cursor was busy throughout
    assert set(fired_by_two.values()) == {1}
    assert tick(db) == 5 - len(fired_by_two)  # what was left stayed due and fires now
    assert tick(db) == 0
    assert fires_by_schedule(db) == {s: 1 for s in sids.values()}


def test_a_tenants_open_enqueue_does_not_stall_other_tenants_schedules(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """A's uncommitted enqueue into the schedule's queue holds A's fair cursor: the tick
    leaves A's due schedule for the next tick and fires B's meanwhile, without waiting."""
    a, b = tenants["a"], tenants["b"]
    sa, first = create_named(db, a, "a-daily")
    sb, _ = create_named(db, b, "b-daily")
    with db.connect() as conn:  # A's fire comes first in next_fire_at order
        conn.execute("UPDATE queue.schedules SET next_fire_at = next_fire_at - interval '1 s' "
                     "WHERE schedule_id = %s", (sa,))
    set_clock(db, first + timedelta(seconds=5))
    for first_enqueue in (True, False):  # A's cursor row: being inserted, then updated
        # (A's first enqueue into the queue commits, so the second one updates the row)
        app = db.connect("claw_runtime", autocommit=False)
        app.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        app.execute("SELECT * FROM api.enqueue_job(p_queue => 'sched', p_kind => 'noop')")
        try:
            with db.connect("claw_worker") as w:
                w.execute("SET statement_timeout = '5s'")
                started = time.monotonic()
                row = w.execute("SELECT api.tick_schedules()").fetchone()
                assert time.monotonic() - started < 2.0
        finally:
            if first_enqueue:
                app.commit()
            else:
                app.rollback()
            app.close()
        assert row == ((1,) if first_enqueue else (0,))
        assert fires_by_schedule(db) == {sb: 1}
    assert tick(db) == 1  # A's enqueue has ended: its schedule fires, once
    assert tick(db) == 0
    assert fires_by_schedule(db) == {sa: 1, sb: 1}


def test_resuming_an_active_schedule_that_is_due_does_not_skip_its_fire(
        db: Database, tenant: Tenant) -> None:
    """set_schedule_paused(false) on a schedule that is not paused changes nothing: its due
    fire (not yet ticked, e.g. the workers were down) still happens. Only a paused schedule
    that is resumed moves on to its first slot after now."""
    sid, first = create_schedule(db, tenant, "0 6 * * *", "UTC")
    set_clock(db, first + timedelta(minutes=5))
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        assert conn.execute("SELECT api.set_schedule_paused(%s, false)", (sid,)
                            ).fetchone() == (first,)
    assert tick(db) == 1
    assert fired(db) == [(first, 0)]
    # pause, a day passes, resume: the paused slot is not fired, the next one is
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        conn.execute("SELECT api.set_schedule_paused(%s, true)", (sid,))
    set_clock(db, first + timedelta(days=1, minutes=5))
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        assert conn.execute("SELECT api.set_schedule_paused(%s, false)", (sid,)
                            ).fetchone() == (first + timedelta(days=2),)
    assert tick(db) == 0
