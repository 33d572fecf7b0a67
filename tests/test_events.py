"""The transactional outbox (events.outbox, api.read_events) with several connections: events
are written in the transaction of the change and vanish with its rollback; a reader resuming
from any position it received loses nothing and repeats nothing even when transactions commit
out of id order; a NOTIFY wakes listeners; retention tells a reader that fell behind (CL409)
instead of skipping; tenants see only their own events. (Position parsing and one-session
rules are in tests/sql/15_events.sql.)"""

from __future__ import annotations

import json
import random
import threading
import uuid
from typing import Any

import psycopg
import pytest

from conftest import Database, Tenant, seed_tenants

READ = "SELECT event_id, event_type, subject_id, data FROM api.read_events(p_after => %s, p_limit => %s)"


@pytest.fixture
def tenants(db: Database) -> dict[str, Tenant]:
    return seed_tenants(db, names=("a", "b"), extra_principals=0)


def read(db: Database, tenant: Tenant, after: str | None, limit: int = 1000) -> list[tuple[Any, ...]]:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
        return conn.execute(READ, (after, limit)).fetchall()


def per_job(rows: list[tuple[Any, ...]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(event type, job id, job entry) per job: jobs.* events carry a batch of jobs (one row
    per statement, tenant and queue), job.* events one job."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for _, etype, subject, data in rows:
        if "jobs" in data:
            out += [(etype, j["job_id"], j) for j in data["jobs"]]
        elif etype.startswith("job."):
            out.append((etype, subject, data))
    return out


def read_all(db: Database, tenant: Tenant, after: str | None, limit: int = 7) -> tuple[list[tuple[Any, ...]], str | None]:
    """Page through everything readable now, in small pages; returns the rows and the last
    position."""
    rows: list[tuple[Any, ...]] = []
    while True:
        page = read(db, tenant, after, limit)
        rows += page
        if page:
            after = page[-1][0]
        if len(page) < limit:
            return rows, after


def enqueue(conn: psycopg.Connection[Any], tenant: Tenant, kind: str, queue: str = "ev") -> str:
    """(Enqueues into one tenant's queue serialise on its fairness cursor: concurrent writers
    use a queue each.)"""
    conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))
    row = conn.execute("SELECT job_id::text FROM api.enqueue_job(p_queue => %s, p_kind => %s)",
                       (queue, kind)).fetchone()
    assert row is not None
    return str(row[0])


def test_events_commit_and_roll_back_with_the_change(db: Database, tenants: dict[str, Tenant]) -> None:
    a = tenants["a"]
    with db.connect("claw_runtime") as conn:
        with conn.transaction():
            kept = enqueue(conn, a, "kept")
        with pytest.raises(RuntimeError), conn.transaction():
            enqueue(conn, a, "rolled.back")
            raise RuntimeError("abort")
    rows = per_job(read(db, a, None))
    assert [(r[0], r[1]) for r in rows] == [("jobs.enqueued", kept)]
    assert rows[0][2]["kind"] == "kept"
    assert read(db, tenants["b"], None) == []


def test_out_of_order_commits_are_neither_lost_nor_repeated(db: Database,
                                                            tenants: dict[str, Tenant]) -> None:
    """T1 writes first (lower event id) but commits last; a reader that read after T2's commit
    must still get T1's event when it resumes, and nothing twice."""
    a = tenants["a"]
    t1 = db.connect("claw_runtime", autocommit=False)
    t2 = db.connect("claw_runtime", autocommit=False)
    try:
        enqueue(t1, a, "first.written", "ev1")
        enqueue(t2, a, "second.written", "ev2")
        t2.commit()
        seen, pos = read_all(db, a, None)
        # T1 is still running, so nothing at or after it is readable yet: T2's event waits
        # until T1 has finished (whatever order they commit in).
        assert seen == []
        t1.commit()
        more, pos = read_all(db, a, pos)
        assert sorted(j["kind"] for _, _, j in per_job(more)) == ["first.written", "second.written"]
        again, _ = read_all(db, a, pos)
        assert again == []
    finally:
        t1.close()
        t2.close()


def test_concurrent_writers_and_a_resuming_reader_see_every_event_once(
        db: Database, tenants: dict[str, Tenant]) -> None:
    a = tenants["a"]
    writers, per_writer = 4, 40
    rng = random.Random(7)
    committed: list[str] = []
    lock = threading.Lock()

    def write(w: int) -> None:
        with db.connect("claw_runtime") as conn:
            for i in range(per_writer):
                rollback = rng.random() < 0.2  # rolled-back events must never show
                with conn.transaction():
                    job = enqueue(conn, a, f"w{w}", f"ev{w}")
                    conn.execute("SELECT pg_sleep(0.002 * %s)", (rng.random(),))
                    if rollback:
                        raise psycopg.Rollback()
                if rollback:
                    continue
                with lock:
                    committed.append(job)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    received: list[str] = []
    pos: str | None = None
    while any(t.is_alive() for t in threads):
        rows, pos = read_all(db, a, pos, limit=5)   # resume from the last position each time
        received += [job for _, job, _ in per_job(rows)]
    for t in threads:
        t.join()
    rows, pos = read_all(db, a, pos, limit=5)
    received += [job for _, job, _ in per_job(rows)]
    assert len(received) == len(set(received)), "an event was delivered twice"
    assert sorted(received) == sorted(committed), "an event was lost or a rolled-back one shown"
    assert 0 < len(committed) < writers * per_writer


def test_every_job_transition_is_an_event(db: Database, tenants: dict[str, Tenant]) -> None:
    a = tenants["a"]
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        jobs = [r[0] for r in conn.execute(
            "SELECT job_id::text FROM api.enqueue_jobs(p_jobs => %s)",
            (json.dumps([{"queue": "ev", "kind": "noop", "max_attempts": 1},
                         {"queue": "ev", "kind": "noop", "max_attempts": 2},
                         {"queue": "ev", "kind": "noop"}]),)).fetchall()]
    with db.connect("claw_worker") as w:
        claimed = w.execute("SELECT job_id::text, lease_token FROM api.claim_jobs(p_queue => 'ev', "
                            "p_worker => 'w', p_limit => 3)").fetchall()
        token = claimed[0][1]
        w.execute("SELECT * FROM api.fail_job(p_job_id => %s, p_lease_token => %s, p_error => 'boom')",
                  (jobs[0], token))
        w.execute("SELECT * FROM api.fail_job(p_job_id => %s, p_lease_token => %s, p_error => 'oops')",
                  (jobs[1], token))
        w.execute("SELECT api.complete_jobs(p_job_ids => %s, p_lease_token => %s)", ([jobs[2]], token))
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        conn.execute("SELECT api.retry_job(%s)", (jobs[0],))
        conn.execute("SELECT api.cancel_job(%s)", (jobs[1],))
    by_job: dict[str, list[str]] = {}
    events = read(db, a, None)
    for etype, job, _ in per_job(events):
        by_job.setdefault(job, []).append(etype)
    assert by_job[jobs[0]] == ["jobs.enqueued", "job.dead", "job.retried"]
    assert by_job[jobs[1]] == ["jobs.enqueued", "job.failed", "jobs.cancelled"]
    assert by_job[jobs[2]] == ["jobs.enqueued", "jobs.completed"]
    # the three enqueued together are one event (one statement, one queue)
    assert [e[1] for e in events].count("jobs.enqueued") == 1


def test_batch_job_events_carry_each_job_as_jsonb_build_object_would(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """The jobs.* triggers build each job's entry as a row of events.job_enqueued or
    events.job_finished turned into JSON (migrations/0055, cheaper than a jsonb_build_object
    per job). The data must be exactly what the per-job jsonb_build_object gave: every key,
    a trace id that needs escaping, a delayed job's state and run_at, a cancelled job."""
    a = tenants["a"]
    trace = 'tr"a\\ce \u00e9'
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        conn.execute("SELECT set_config('claw.trace_id', %s, true)", (trace,))
        jobs = [r[0] for r in conn.execute(
            "SELECT job_id::text FROM api.enqueue_jobs(p_jobs => %s)",
            (json.dumps([{"queue": "shape", "kind": "k.one"}, {"queue": "shape", "kind": "k:two"},
                         {"queue": "shape", "kind": "k-three"},
                         {"queue": "shape", "kind": "later", "run_at": "2999-01-01T00:00:00Z"}]),
             )).fetchall()]
    with db.connect() as su:
        expected_enqueued = su.execute("""
            SELECT pg_catalog.jsonb_build_object('queue', 'shape', 'jobs', pg_catalog.jsonb_agg(
                     pg_catalog.jsonb_build_object('job_id', j.job_id, 'kind', j.kind,
                                                   'state', j.state, 'run_at', j.run_at,
                                                   'trace_id', j.trace_id) ORDER BY j.job_id))
            FROM queue.jobs AS j WHERE j.job_id = ANY (%s::uuid[])""", (jobs,)).fetchone()[0]  # type: ignore[index]
    with db.connect("claw_worker") as w:
        token = w.execute("SELECT lease_token FROM api.claim_jobs(p_queue => 'shape', "
                          "p_worker => 'w', p_limit => 3)").fetchall()[0][0]
        w.execute("SELECT api.complete_jobs(p_job_ids => %s, p_lease_token => %s)",
                  (jobs[:2], token))
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        conn.execute("SELECT api.cancel_job(%s)", (jobs[3],))
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        events = conn.execute("SELECT event_type, data FROM api.read_events("
                              "p_after => NULL, p_limit => 100)").fetchall()
    with db.connect() as su:
        def finished(outcome: str) -> Any:
            return su.execute("""
                SELECT pg_catalog.jsonb_build_object('queue', 'shape', 'jobs', pg_catalog.jsonb_agg(
                         pg_catalog.jsonb_build_object('job_id', h.job_id, 'kind', h.kind,
                                                       'attempts', h.attempts,
                                                       'finished_at', h.finished_at,
                                                       'trace_id', h.trace_id) ORDER BY h.job_id))
                FROM queue.job_history AS h
                WHERE h.job_id = ANY (%s::uuid[]) AND h.outcome = %s""", (jobs, outcome)).fetchone()[0]  # type: ignore[index]
        expected = [("jobs.enqueued", expected_enqueued), ("jobs.completed", finished("completed")),
                    ("jobs.cancelled", finished("cancelled"))]
    assert events == expected
    assert [len(e[1]["jobs"]) for e in events] == [4, 2, 1]
    assert events[0][1]["jobs"][0]["trace_id"] == trace
    assert {j["state"] for j in events[0][1]["jobs"]} == {"available", "scheduled"}


def test_schedule_changes_are_events(db: Database, tenants: dict[str, Tenant]) -> None:
    a = tenants["a"]
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        sid = conn.execute("SELECT schedule_id FROM api.create_schedule(p_name => 'daily', p_cron => '0 6 * * *', "
                           "p_time_zone => 'Australia/Sydney', p_queue => 'ev', p_kind => 'noop')"
                           ).fetchone()[0]  # type: ignore[index]
        conn.execute("SELECT api.set_schedule_paused(%s, true)", (sid,))
        conn.execute("SELECT api.set_schedule_paused(%s, false)", (sid,))
        conn.execute("SELECT api.delete_schedule(%s)", (sid,))
    assert [r[1] for r in read(db, a, None)] == [
        "schedule.created", "schedule.paused", "schedule.resumed", "schedule.deleted"]


def test_a_notify_wakes_a_listener_of_a_watched_tenant_only(db: Database,
                                                            tenants: dict[str, Tenant]) -> None:
    """No NOTIFY while nobody watches the tenant (it would cost every committing writer the
    notify lock); with a registered stream, one wake-up per transaction, saying nothing."""
    a, b = tenants["a"], tenants["b"]
    with db.connect("claw_runtime", autocommit=True) as listener:
        listener.execute("LISTEN claw_events")
        with db.connect("claw_runtime") as conn, conn.transaction():
            enqueue(conn, a, "unwatched")
        assert list(listener.notifies(timeout=1, stop_after=1)) == []
        with db.connect("claw_runtime") as conn:
            with conn.transaction():
                auth_owner(conn, a)
                watcher = conn.execute("SELECT api.watch_events()").fetchone()[0]  # type: ignore[index]
            with conn.transaction():
                enqueue(conn, b, "another.tenant")      # B is not watched: still silent
        assert list(listener.notifies(timeout=1, stop_after=1)) == []
        with db.connect("claw_runtime") as conn, conn.transaction():
            enqueue(conn, a, "wake")
        notes = list(listener.notifies(timeout=5, stop_after=1))
        assert [n.channel for n in notes] == ["claw_events"]
        assert notes[0].payload == ""   # nothing about which tenant
        with db.connect("claw_runtime") as conn:
            with conn.transaction():
                auth_owner(conn, a)
                conn.execute("SELECT api.unwatch_events(%s)", (watcher,))
            with conn.transaction():
                enqueue(conn, a, "unwatched.again")
        assert list(listener.notifies(timeout=1, stop_after=1)) == []


def auth_owner(conn: psycopg.Connection[Any], tenant: Tenant) -> None:
    conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))


def test_retention_tells_a_reader_that_fell_behind(db: Database, tenants: dict[str, Tenant]) -> None:
    a, b = tenants["a"], tenants["b"]
    with db.connect("claw_runtime") as conn:
        with conn.transaction():
            enqueue(conn, a, "old")
        with conn.transaction():
            enqueue(conn, b, "b.old")
    first = read(db, a, None)
    with db.connect() as owner:
        owner.execute("UPDATE internal.clock SET offset_by = interval '8 days'")
    with db.connect("claw_runtime") as conn, conn.transaction():
        enqueue(conn, a, "new")
    with db.connect("claw_worker") as w:
        assert w.execute("SELECT api.purge_events(p_retention_days => 7)").fetchone()[0] == 2  # type: ignore[index]
        with pytest.raises(psycopg.Error) as bad:
            w.execute("SELECT api.purge_events(p_retention_days => 0)")
        assert bad.value.sqlstate == "CL422"
        # a retention reaching before the calendar was a raw 22008 (an outside-in probe)
        for days in (3000000, 2147483647):
            with pytest.raises(psycopg.Error) as bad:
                w.execute("SELECT api.purge_events(p_retention_days => %s)", (days,))
            assert bad.value.sqlstate == "CL422", bad.value
    # a reader from before the purge is told, not silently skipped ahead
    with pytest.raises(psycopg.Error) as gone:
        read(db, a, "0-0")
    assert gone.value.sqlstate == "CL409"
    # from the start (NULL) it gets what is kept; from its last position before the purge
    # (the purged event itself) it is behind nothing it has not seen
    assert [j["kind"] for _, _, j in per_job(read(db, a, None))] == ["new"]
    assert [j["kind"] for _, _, j in per_job(read(db, a, first[-1][0]))] == ["new"]


def test_current_position_starts_a_live_stream(db: Database, tenants: dict[str, Tenant]) -> None:
    a = tenants["a"]
    with db.connect("claw_runtime") as conn:
        with conn.transaction():
            enqueue(conn, a, "before")
        with conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
            now = conn.execute("SELECT api.current_event_position()").fetchone()[0]  # type: ignore[index]
        with conn.transaction():
            enqueue(conn, a, "after")
    assert [j["kind"] for _, _, j in per_job(read(db, a, now))] == ["after"]


def test_a_forged_context_reads_no_events(db: Database, tenants: dict[str, Tenant]) -> None:
    with db.connect("claw_runtime") as conn, conn.transaction():
        enqueue(conn, tenants["a"], "secret")
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT set_config('claw.ctx', %s, true)",
                     (f"{tenants['a'].tenant_id}|{tenants['a'].owner_id}|owner|*|1",))
        with pytest.raises(psycopg.Error) as denied:
            conn.execute(READ, (None, 10))
        assert denied.value.sqlstate == "CL401"
    with db.connect("claw_runtime") as conn:
        with pytest.raises(psycopg.Error) as denied:
            conn.execute("SELECT * FROM events.outbox")
        assert denied.value.sqlstate == "42501"


def test_events_waiting_names_only_streams_with_an_event_to_read(db: Database,
                                                                 tenants: dict[str, Tenant]) -> None:
    """The one question a process asks per NOTIFY: of its registered streams (watcher id,
    position), which have an event readable now. Another tenant's event, a stream already at
    the end, an unknown or expired watcher: not named. No tenant context is needed (the
    watcher id is the capability), and bad input is a CL422."""
    a, b = tenants["a"], tenants["b"]
    with db.connect("claw_runtime") as conn:
        ids = {}
        for t in (a, b):
            with conn.transaction():
                auth_owner(conn, t)
                ids[t.name] = conn.execute("SELECT api.watch_events()").fetchone()[0]  # type: ignore[index]
        with conn.transaction():
            auth_owner(conn, a)
            now_a = conn.execute("SELECT api.current_event_position()").fetchone()[0]  # type: ignore[index]
        with conn.transaction():
            auth_owner(conn, b)
            now_b = conn.execute("SELECT api.current_event_position()").fetchone()[0]  # type: ignore[index]
        ask = "SELECT array_agg(w) FROM api.events_waiting(%s::uuid[], %s::text[]) AS w"
        streams = ([ids["a"], ids["b"]], [now_a, now_b])
        assert conn.execute(ask, streams).fetchone()[0] is None  # type: ignore[index]
        with conn.transaction():
            enqueue(conn, a, "wake.a")
        assert conn.execute(ask, streams).fetchone()[0] == [ids["a"]]  # type: ignore[index]
        with conn.transaction():  # read up to the end: nothing waits any more
            auth_owner(conn, a)
            last = conn.execute("SELECT max(event_id) FROM api.read_events(p_after => %s)",
                                (now_a,)).fetchone()[0]  # type: ignore[index]
        assert conn.execute(ask, ([ids["a"]], [last])).fetchone()[0] is None  # type: ignore[index]
        # an unknown watcher, or one that expired, is never named
        unknown = "00000000-0000-4000-8000-000000000000"
        assert conn.execute(ask, ([unknown], [None])).fetchone()[0] is None  # type: ignore[index]
        # the documented most: 2000 streams at the longest positions (they passed 64 KiB and
        # were refused as too large: an outside-in probe)
        many = ([str(uuid.uuid4()) for _ in range(2000)],
                ["18446744073709551615-9223372036854775807"] * 2000)
        assert conn.execute(ask, many).fetchone()[0] is None  # type: ignore[index]
        with db.connect() as admin:
            admin.execute("UPDATE events.watchers SET expires_at = now() - interval '1 second' "
                          "WHERE watcher_id = %s", (ids["a"],))
        assert conn.execute(ask, ([ids["a"]], [now_a])).fetchone()[0] is None  # type: ignore[index]
        for bad in (([ids["a"]], []), ([ids["a"]], ["not-a-position"])):
            with pytest.raises(psycopg.Error) as err:
                conn.execute(ask, bad)
            assert err.value.sqlstate == "CL422"


def test_an_event_carries_the_trace_of_the_transaction_that_made_it(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """An outbox row's trace_id is the trace of the request that made the change (the
    claw.trace_id the HTTP edge sets): a cancel or retry names the cancelling or retrying
    request, not the enqueue's (a cancel named none). Without one (a worker that does not
    trace), the jobs' own trace, which the data of every job event carries too. A trace id
    the outbox cannot hold (over 64 bytes; any session may set the setting) is no trace,
    never a failed cancel."""
    a = tenants["a"]
    t_enqueue, t_fix = "a" * 32, "b" * 32
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        conn.execute("SELECT set_config('claw.trace_id', %s, true)", (t_enqueue,))
        jobs = [r[0] for r in conn.execute(
            "SELECT job_id::text FROM api.enqueue_jobs(p_jobs => %s)",
            (json.dumps([{"queue": "tr", "kind": "noop", "max_attempts": 1},
                         {"queue": "tr", "kind": "noop", "max_attempts": 2},
                         {"queue": "tr", "kind": "noop"},
                         {"queue": "tr", "kind": "noop"}]),)).fetchall()]
    with db.connect("claw_worker") as w:
        token = w.execute("SELECT lease_token FROM api.claim_jobs(p_queue => 'tr', "
                          "p_worker => 'w', p_limit => 3)").fetchall()[0][0]
        for job in jobs[:2]:
            w.execute("SELECT * FROM api.fail_job(p_job_id => %s, p_lease_token => %s, "
                      "p_error => 'boom')", (job, token))
        w.execute("SELECT api.complete_jobs(p_job_ids => %s, p_lease_token => %s)",
                  ([jobs[2]], token))
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        conn.execute("SELECT set_config('claw.trace_id', %s, true)", (t_fix,))
        conn.execute("SELECT api.retry_job(%s)", (jobs[0],))
        conn.execute("SELECT api.cancel_job(%s)", (jobs[1],))
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        conn.execute("SELECT set_config('claw.trace_id', %s, true)", ("x" * 65,))
        conn.execute("SELECT api.cancel_job(%s)", (jobs[3],))
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        events = conn.execute("SELECT event_type, trace_id, data FROM api.read_events("
                              "p_after => NULL, p_limit => 100)").fetchall()
    assert [(e[0], e[1]) for e in events] == [
        ("jobs.enqueued", t_enqueue), ("job.dead", t_enqueue), ("job.failed", t_enqueue),
        ("jobs.completed", t_enqueue), ("job.retried", t_fix), ("jobs.cancelled", t_fix),
        ("jobs.cancelled", t_enqueue)]
    assert all(e[2]["trace_id"] == t_enqueue for e in events if e[0].startswith("job."))
