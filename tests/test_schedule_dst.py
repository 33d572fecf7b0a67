"""DST: the fire instants PostgreSQL computes (queue.fire_times / queue.next_fire) equal an
independent reference built on Python's zoneinfo under the same documented rules, for daily
06:00, 02:30 and 01:30 in 12 zones over 2026-2030; and a few non-daily expressions.

The rules (functions/queue/cron.sql): a local time that occurs twice fires at its first
occurrence; a local time that does not exist fires at the first instant after the gap."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
import pytest
import tzdata

from claw.cluster import TZDATA_MARK

from conftest import Database

ZONES = [
    "America/New_York", "Europe/London", "Australia/Sydney", "Australia/Lord_Howe",
    "Asia/Riyadh", "America/Santiago", "Africa/Cairo", "Pacific/Chatham",
    "America/Los_Angeles", "Europe/Berlin", "Pacific/Auckland", "America/Havana",
]
DAILY = {"0 6 * * *": time(6, 0), "30 2 * * *": time(2, 30), "30 1 * * *": time(1, 30)}
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
END = datetime(2031, 1, 1, tzinfo=timezone.utc)
UTC = timezone.utc


def local_to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """The documented rules, with zoneinfo: of the readings of a naive local time (fold 0
    and 1) that round-trip, the earliest; if none does (a gap), the transition instant."""
    valid = []
    for fold in (0, 1):
        instant = local.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == local:
            valid.append(instant)
    if valid:
        return min(valid)
    # gap: the first second whose local time is past `local`
    lo = local.replace(tzinfo=zone, fold=0).astimezone(UTC) - timedelta(hours=3)
    hi = lo + timedelta(hours=6)
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    while lo_s < hi_s:
        mid = (lo_s + hi_s) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) > local:
            hi_s = mid
        else:
            lo_s = mid + 1
    return datetime.fromtimestamp(lo_s, UTC)


def reference_daily(zone_name: str, at: time) -> list[datetime]:
    zone = ZoneInfo(zone_name)
    out: list[datetime] = []
    day = date(2025, 12, 30)
    while day <= date(2031, 1, 2):
        instant = local_to_utc(datetime.combine(day, at), zone)
        if START <= instant < END and (not out or instant > out[-1]):
            out.append(instant)
        day += timedelta(days=1)
    return out


@pytest.fixture(scope="module")
def conn(cluster: object) -> psycopg.Connection[object]:
    from conftest import create_database, drop_database
    db: Database = create_database(cluster)  # type: ignore[arg-type]
    c = db.connect()
    yield c
    c.close()
    drop_database(db)


@pytest.mark.parametrize("zone", ZONES)
def test_daily_fires_match_zoneinfo(conn: psycopg.Connection[object], zone: str) -> None:
    for cron, at in DAILY.items():
        row = conn.execute("SELECT array_agg(f ORDER BY f) FROM queue.fire_times(%s, %s, %s, %s) f",
                           (cron, zone, START, END)).fetchone()
        assert row is not None
        ours: list[datetime] = row[0]
        ref = reference_daily(zone, at)
        assert len(ours) == len(ref), (cron, zone, len(ours), len(ref))
        diffs = [(o, r) for o, r in zip(ours, ref) if o != r]
        assert not diffs, (cron, zone, diffs[:5])
        # once per local day
        days = [f.astimezone(ZoneInfo(zone)).date() for f in ours]
        assert len(set(days)) == len(days), (cron, zone)


def test_the_documented_examples(conn: psycopg.Connection[object]) -> None:
    def fires(cron: str, zone: str, start: str, end: str) -> list[str]:
        row = conn.execute("SELECT array_agg(to_char(f AT TIME ZONE 'UTC', 'MM-DD HH24:MI') ORDER BY f) "
                           "FROM queue.fire_times(%s, %s, %s, %s) f", (cron, zone, start, end)).fetchone()
        return list(row[0] or []) if row else []

    # New York spring forward: 02:30 does not exist; fires once at 03:00 EDT = 07:00 UTC
    assert fires("30 2 * * *", "America/New_York", "2026-03-07Z", "2026-03-10Z") == [
        "03-07 07:30", "03-08 07:00", "03-09 06:30"]
    # New York fall back: 01:30 happens twice; fires once, at the first (EDT, 05:30 UTC)
    assert fires("30 1 * * *", "America/New_York", "2026-10-31Z", "2026-11-03Z") == [
        "10-31 05:30", "11-01 05:30", "11-02 06:30"]
    # London fall back, every 30 minutes: the repeated hour's slots fire once
    assert fires("*/30 * * * *", "Europe/London", "2026-10-25 00:00Z", "2026-10-25 03:00Z") == [
        "10-25 00:00", "10-25 00:30", "10-25 02:00", "10-25 02:30"]
    # London spring forward: 01:00-01:59 does not exist; all its slots collapse onto 01:00 UTC
    assert fires("*/30 * * * *", "Europe/London", "2026-03-29 00:00Z", "2026-03-29 02:00Z") == [
        "03-29 00:00", "03-29 00:30", "03-29 01:00", "03-29 01:30"]
    # Lord Howe: a 30-minute shift; 02:00 does not exist on 2026-10-04, 02:30 LHDT = 15:30 UTC
    assert fires("0 2 * * *", "Australia/Lord_Howe", "2026-10-02Z", "2026-10-05Z") == [
        "10-02 15:30", "10-03 15:30", "10-04 15:00"]
    # Vixie: with both day fields restricted, either matches (the 13th, and Fridays)
    assert fires("0 0 13 * 5", "UTC", "2026-11-01Z", "2026-12-01Z") == [
        "11-06 00:00", "11-13 00:00", "11-20 00:00", "11-27 00:00"]
    assert fires("0 9 * * mon-fri", "Australia/Sydney", "2026-11-20Z", "2026-11-25Z") == [
        "11-22 22:00", "11-23 22:00", "11-24 22:00"]
    assert fires("0 0 1 */6 *", "UTC", "2026-01-01Z", "2027-01-01Z") == ["01-01 00:00", "07-01 00:00"]
    row = conn.execute("SELECT queue.next_fire('0 0 30 2 *', 'UTC', now())").fetchone()
    assert row == (None,), "February 30th never fires"


@pytest.mark.parametrize("cron,detail", [
    ("0 6 * *", "has 4 fields"), ("61 * * * *", "minute field"), ("0 24 * * *", "hour field"),
    ("0 6 0 * *", "day-of-month field"), ("0 6 * 13 *", "month field"),
    ("0 6 * * funday", "day-of-week field"), ("*/0 * * * *", "minute field"),
    ("5-1 * * * *", "minute field"), ("a b c d e", "minute field"), ("", "has 0 fields"),
])
def test_bad_expressions_are_cl422(conn: psycopg.Connection[object], cron: str, detail: str) -> None:
    with pytest.raises(psycopg.Error) as err:
        conn.execute("SELECT queue.parse_cron(%s)", (cron,))
    assert err.value.sqlstate == "CL422"
    assert detail in (err.value.diag.message_detail or ""), err.value.diag.message_detail


def test_the_server_applies_the_same_tz_rules_as_zoneinfo(conn: psycopg.Connection[object]) -> None:
    """PostgreSQL's tz database is the pinned tzdata package's (claw.cluster.sync_tzdata), the
    one zoneinfo reads here (tests/conftest.py): for every zone both know, the UTC offset the
    server applies equals zoneinfo's, weekly over 2026-2035. The wheel's own copy, older, put
    ten zones (Winnipeg, Havana, Inuvik...) an hour off from November 2026. Names the server
    reads as abbreviations are refused as tenant zones (tests/sql/21_queue_cron.sql)."""
    assert TZDATA_MARK.read_text().strip() == tzdata.IANA_VERSION
    names = [r[0] for r in conn.execute(
        "SELECT name FROM pg_timezone_names WHERE name !~ '^(posix|right)/' "
        "AND name NOT IN (SELECT abbrev FROM pg_timezone_abbrevs) ORDER BY name")]
    instants = [datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(days=7 * i) for i in range(522)]
    compared, wrong = 0, []
    for name in names:
        try:
            zone = ZoneInfo(name)
        except ZoneInfoNotFoundError:
            continue
        row = conn.execute(
            "SELECT array_agg(extract(epoch FROM (t AT TIME ZONE %s) - (t AT TIME ZONE 'UTC'))::int "
            "ORDER BY t) FROM unnest(%s::timestamptz[]) AS t", (name, instants)).fetchone()
        assert row is not None
        ours = row[0]
        ref = [int(t.astimezone(zone).utcoffset().total_seconds()) for t in instants]  # type: ignore[union-attr]
        compared += 1
        wrong += [(name, t.date(), o, r) for t, o, r in zip(instants, ours, ref) if o != r][:1]
    assert compared > 500
    assert not wrong, wrong[:10]


def test_a_stored_abbreviation_zone_gets_the_iana_zone_it_named(db: Database) -> None:
    """Migration 0027, run as `claw migrate` runs it (claw_owner, under forced RLS): a
    schedule stored in 'CET' before queue.check_time_zone refused it fired at 06:00 +01:00
    all year (AT TIME ZONE reads CET as an abbreviation); it becomes Europe/Brussels (what
    IANA's CET links to) and keeps its slot, 06:00 local: 04:00 UTC in summer. A schedule
    resumed after a pause keeps its next slot too (none of its paused slots becomes due). A
    budget window zone ('WET') becomes Europe/Lisbon. Another tenant's rows change in the
    same run."""
    from conftest import ROOT, seed_tenants
    tenants = seed_tenants(db, names=("a", "b"), extra_principals=0)
    a, b = tenants["a"], tenants["b"]
    with db.connect() as conn, conn.transaction():
        for t, zone in ((a, "CET"), (b, "WET")):
            conn.execute("SELECT internal.set_context(%s, NULL, '{owner}')", (t.tenant_id,))
            conn.execute("INSERT INTO llm.settings (tenant_id, time_zone) VALUES (%s, %s)",
                         (t.tenant_id, zone))
        conn.execute("SELECT internal.set_context(%s, NULL, '{owner}')", (a.tenant_id,))
        conn.execute("INSERT INTO queue.schedules (tenant_id, name, cron, time_zone, queue, kind, "
                     "next_fire_at, last_fired_at, created_at) VALUES "
                     "(%(t)s, 'daily', '0 6 * * *', 'CET', 'reports', 'daily', "
                     "'2026-07-02 05:00+00', '2026-07-01 05:00:01+00', '2026-06-01 00:00+00'), "
                     "(%(t)s, 'resumed', '0 6 * * *', 'CET', 'reports', 'daily', "
                     "'2026-07-20 05:00+00', '2026-07-01 05:00:01+00', '2026-06-01 00:00+00')",
                     {"t": a.tenant_id})
        conn.execute("SELECT internal.clear_context()")
        conn.execute("SET LOCAL ROLE claw_owner")
        conn.execute((ROOT / "migrations" / "0027_time_zone_abbreviations.sql").read_text())
        conn.execute("RESET ROLE")
        rows = conn.execute("SELECT name, time_zone, next_fire_at FROM queue.schedules "
                            "ORDER BY name").fetchall()
        assert rows == [("daily", "Europe/Brussels", datetime(2026, 7, 2, 4, tzinfo=timezone.utc)),
                        ("resumed", "Europe/Brussels",
                         datetime(2026, 7, 20, 4, tzinfo=timezone.utc))]
        assert conn.execute("SELECT time_zone FROM llm.settings ORDER BY time_zone").fetchall() \
            == [("Europe/Brussels",), ("Europe/Lisbon",)]
        # the tables force RLS again, and the zones it names pass the check
        assert conn.execute("SELECT bool_and(relforcerowsecurity) FROM pg_class WHERE oid IN "
                            "('queue.schedules'::regclass, 'llm.settings'::regclass)").fetchone() \
            == (True,)
        conn.execute("SELECT queue.check_time_zone('Europe/Brussels')")
