"""What the HTTP edge keeps in PostgreSQL, tried over SQL with several connections:
idempotency keys (replay, a different request under the same key, a concurrent duplicate, a
failed request stores nothing, expiry, per principal), request rate limits (the credential's
and the tenant's GCRA buckets, refusal charges nothing, the credential cannot be forged), and
cursor pagination (stable under concurrent inserts, bound to tenant, list and filters)."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import psycopg
import pytest

from conftest import Database, Tenant, seed_tenants

BEGIN = ("SELECT replay, status, headers, body FROM api.begin_idempotent_request("
         "p_key => %s, p_method => %s, p_path => %s, p_request_sha256 => %s)")
FINISH = ("SELECT api.finish_idempotent_request(p_key => %s, p_status => %s, p_headers => %s, "
          "p_body => %s)")
TOKEN = ("SELECT allowed, scope, limit_per_minute, remaining, reset_seconds, retry_after_seconds "
         "FROM api.take_request_token()")


@pytest.fixture
def tenants(db: Database) -> dict[str, Tenant]:
    return seed_tenants(db, names=("a", "b"), extra_principals=0)


def sha(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body).encode()).hexdigest()


def auth(conn: psycopg.Connection[Any], tenant: Tenant) -> None:
    conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (tenant.api_key,))


def idempotent_enqueue(db: Database, tenant: Tenant, key: str, body: dict[str, Any]
                       ) -> tuple[bool, int, str]:
    """What the edge does for POST /v1/jobs with an Idempotency-Key."""
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, tenant)
        replay, status, _, stored = conn.execute(BEGIN, (key, "POST", "/v1/jobs", sha(body))).fetchone()  # type: ignore[misc]
        if replay:
            return True, status, stored
        job = conn.execute("SELECT job_id::text FROM api.enqueue_job(p_queue => %s, p_kind => 'noop')",
                           (body["queue"],)).fetchone()[0]  # type: ignore[index]
        response = json.dumps({"job_id": job})
        conn.execute(FINISH, (key, 201, json.dumps({"location": f"/v1/jobs/{job}"}), response))
        return False, 201, response


def jobs_in(db: Database, tenant: Tenant, queue: str) -> int:
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, tenant)
        return len(conn.execute("SELECT 1 FROM api.list_jobs(p_queue => %s, p_limit => 1000)",
                                (queue,)).fetchall())


# --- idempotency keys -----------------------------------------------------------------------

def test_the_same_key_and_body_replays_the_stored_response(db: Database, tenants: dict[str, Tenant]) -> None:
    a = tenants["a"]
    first = idempotent_enqueue(db, a, "k-1", {"queue": "idem"})
    second = idempotent_enqueue(db, a, "k-1", {"queue": "idem"})
    assert first[0] is False and second[0] is True
    assert second[1:] == first[1:]
    assert jobs_in(db, a, "idem") == 1


def test_the_same_key_with_another_body_is_refused(db: Database, tenants: dict[str, Tenant]) -> None:
    a = tenants["a"]
    idempotent_enqueue(db, a, "k-2", {"queue": "idem"})
    with pytest.raises(psycopg.Error) as err:
        idempotent_enqueue(db, a, "k-2", {"queue": "other"})
    assert err.value.sqlstate == "CL422"
    assert "another body" in (err.value.diag.message_detail or "")
    assert jobs_in(db, a, "other") == 0


def test_a_concurrent_duplicate_is_refused_at_once(db: Database, tenants: dict[str, Tenant]) -> None:
    a = tenants["a"]
    first = db.connect("claw_runtime", autocommit=False)
    try:
        auth(first, a)
        assert first.execute(BEGIN, ("k-3", "POST", "/v1/jobs", sha({}))).fetchone()[0] is False  # type: ignore[index]
        with db.connect("claw_runtime") as second, second.transaction():
            auth(second, a)
            second.execute("SET LOCAL lock_timeout = '2s'")
            with pytest.raises(psycopg.Error) as err:
                second.execute(BEGIN, ("k-3", "POST", "/v1/jobs", sha({})))
            assert err.value.sqlstate == "CL409"
        first.execute(FINISH, ("k-3", 200, "{}", "done"))
        first.commit()
    finally:
        first.close()
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, a)
        assert conn.execute(BEGIN, ("k-3", "POST", "/v1/jobs", sha({}))).fetchone() == (True, 200, {}, "done")


def test_a_failed_request_stores_nothing_and_can_be_retried(db: Database, tenants: dict[str, Tenant]) -> None:
    a = tenants["a"]
    with db.connect("claw_runtime") as conn:
        with pytest.raises(psycopg.Error), conn.transaction():
            auth(conn, a)
            conn.execute(BEGIN, ("k-4", "POST", "/v1/jobs", sha({"queue": "idem"})))
            conn.execute("SELECT * FROM api.enqueue_job(p_queue => 'idem', p_kind => 'noop')")
            conn.execute("SELECT * FROM api.enqueue_job(p_queue => 'BAD QUEUE', p_kind => 'noop')")
    assert jobs_in(db, a, "idem") == 0
    assert idempotent_enqueue(db, a, "k-4", {"queue": "idem"})[0] is False
    assert jobs_in(db, a, "idem") == 1


def test_keys_are_per_principal_and_expire(db: Database, tenants: dict[str, Tenant]) -> None:
    a, b = tenants["a"], tenants["b"]
    idempotent_enqueue(db, a, "shared", {"queue": "idem"})
    assert idempotent_enqueue(db, b, "shared", {"queue": "idem"})[0] is False  # B's own key
    with db.connect() as owner:
        owner.execute("UPDATE internal.clock SET offset_by = interval '25 hours'")
    assert idempotent_enqueue(db, a, "shared", {"queue": "idem"})[0] is False  # expired: runs again
    with db.connect() as owner:
        owner.execute("UPDATE internal.clock SET offset_by = interval '50 hours'")
    with db.connect("claw_worker") as w:
        assert w.execute("SELECT api.purge_idempotency_keys()").fetchone()[0] == 2  # type: ignore[index]


def test_another_credential_of_the_principal_cannot_replay(db: Database, tenants: dict[str, Tenant]) -> None:
    """A stored response is bound to the credential that made it: a narrower key of the same
    principal that replays it would get what its own scopes refuse (a key-minting response)."""
    a = tenants["a"]
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, a)
        narrow = conn.execute("SELECT api_key FROM api.create_api_key(p_name => 'narrow', "
                              "p_scopes => '{queue:read}')").fetchone()[0]  # type: ignore[index]
    idempotent_enqueue(db, a, "k-cred", {"queue": "idem"})
    other = Tenant(a.name, a.tenant_id, a.owner_id, narrow)
    with pytest.raises(psycopg.Error) as err:
        idempotent_enqueue(db, other, "k-cred", {"queue": "idem"})
    assert err.value.sqlstate == "CL422"
    assert "another credential" in (err.value.diag.message_detail or "")
    assert idempotent_enqueue(db, a, "k-cred", {"queue": "idem"})[0] is True  # its own: replays
    assert jobs_in(db, a, "idem") == 1


def test_a_response_holding_an_api_key_is_never_stored(db: Database, tenants: dict[str, Tenant]) -> None:
    """Only sha256 of a key's secret is kept: a stored response holding a whole key (the edge
    must redact it) is refused, and the transaction's key creation with it."""
    a = tenants["a"]
    with db.connect("claw_runtime") as conn:
        with pytest.raises(psycopg.Error) as err, conn.transaction():
            auth(conn, a)
            conn.execute(BEGIN, ("k-key", "POST", "/v1/api-keys", sha({"name": "bot"})))
            key_id, key = conn.execute("SELECT api_key_id, api_key FROM api.create_api_key("
                                       "p_name => 'bot')").fetchone()  # type: ignore[misc]
            conn.execute(FINISH, ("k-key", 201, "{}", json.dumps({"api_key_id": str(key_id),
                                                                   "api_key": key})))
        assert err.value.sqlstate == "CL422"
        assert "API key" in err.value.diag.message_primary  # type: ignore[operator]
    with db.connect() as owner:
        assert owner.execute("SELECT count(*) FROM edge.idempotency_keys").fetchone()[0] == 0  # type: ignore[index]
        assert owner.execute("SELECT count(*) FROM tenancy.api_keys WHERE name = 'bot'").fetchone()[0] == 0  # type: ignore[index]


def test_finish_without_begin_and_bad_keys_are_refused(db: Database, tenants: dict[str, Tenant]) -> None:
    a = tenants["a"]
    cases = [(FINISH, ("never-begun", 200, "{}", "x"), "CL409"),
             (BEGIN, ("has space", "POST", "/v1/jobs", sha({})), "CL422"),
             (BEGIN, ("x" * 256, "POST", "/v1/jobs", sha({})), "CL422"),
             (BEGIN, ("k", "POST", "/v1/jobs", "not-a-hash"), "CL422")]
    for sql, args, code in cases:
        with db.connect("claw_runtime") as conn, conn.transaction():
            auth(conn, a)
            with pytest.raises(psycopg.Error) as err:
                conn.execute(sql, args)
            assert err.value.sqlstate == code, (sql, args)
    with db.connect("claw_runtime") as conn:
        with pytest.raises(psycopg.Error) as err:
            conn.execute(BEGIN, ("k", "POST", "/v1/jobs", sha({})))
        assert err.value.sqlstate == "CL401"


def test_a_duplicate_behind_a_repeatable_read_snapshot_rolls_back_with_40001(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """Found by an outside-in probe: a REPEATABLE READ transaction whose snapshot predates
    another's completed request with the same key cannot see its stored response; begin
    said go on, the request acted again, and finish failed with the unique index's raw 23505.
    Now finish raises 40001 (serialization_failure): the transaction, and the second effect
    with it, rolls back, and its retry replays the stored response."""
    a = tenants["a"]
    body = {"queue": "idem-rr"}
    with db.connect("claw_runtime", autocommit=False) as late:
        late.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        auth(late, a)  # the snapshot is taken here
        first = idempotent_enqueue(db, a, "k-rr", body)
        replay, *_ = late.execute(BEGIN, ("k-rr", "POST", "/v1/jobs", sha(body))).fetchone()  # type: ignore[misc]
        assert replay is False  # the completed request is not in this snapshot
        # (another queue than the first's: its fair-order cursor row is new to this snapshot)
        late.execute("SELECT * FROM api.enqueue_job(p_queue => 'idem-rr2', p_kind => 'noop')")
        with pytest.raises(psycopg.Error) as err:
            late.execute(FINISH, ("k-rr", 201, "{}", "again"))
        assert err.value.sqlstate == "40001", err.value
        assert err.value.diag.message_detail and err.value.diag.message_hint
        late.rollback()
    assert jobs_in(db, a, "idem-rr") == 1 and jobs_in(db, a, "idem-rr2") == 0
    assert idempotent_enqueue(db, a, "k-rr", body) == (True, *first[1:])


# --- rate limits ----------------------------------------------------------------------------

def take(db: Database, tenant: Tenant, key: str | None = None) -> tuple[Any, ...]:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key or tenant.api_key,))
        row = conn.execute(TOKEN).fetchone()
        assert row is not None
        return tuple(row)


def second_key(db: Database, tenant: Tenant) -> str:
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, tenant)
        return str(conn.execute("SELECT api_key FROM api.create_api_key(p_name => 'second')").fetchone()[0])  # type: ignore[index]


def test_the_credential_bucket_refuses_past_its_burst(db: Database, tenants: dict[str, Tenant]) -> None:
    a = tenants["a"]
    with db.connect() as owner:
        owner.execute("SELECT edge.set_request_limits(%s, p_credential_per_minute => 60, "
                      "p_credential_burst => 3)", (a.tenant_id,))
    rows = [take(db, a) for _ in range(4)]
    assert [r[0] for r in rows] == [True, True, True, False]
    assert [r[3] for r in rows[:3]] == [2, 1, 0]
    assert rows[3][1] == "credential" and rows[3][2] == 60 and rows[3][5] >= 1
    # another key of the same tenant has its own bucket; the tenant's bucket is far from full
    other = second_key(db, a)
    assert take(db, a, other)[0] is True
    # a refusal charged nothing: a minute later the burst is back
    with db.connect() as owner:
        owner.execute("UPDATE internal.clock SET offset_by = interval '1 minute'")
    assert [take(db, a)[0] for _ in range(3)] == [True, True, True]


def test_a_cost_above_the_burst_is_cl422_not_a_retry_that_never_passes(
        db: Database, tenants: dict[str, Tenant]) -> None:
    """Found by an outside-in probe: with a burst of 2, a request costing 5 was refused
    with retry_after_seconds = 1, and every retry was refused the same, forever (GCRA never
    admits a cost above the burst). Now it is CL422 naming the bucket, and nothing is
    charged."""
    a = tenants["a"]
    with db.connect() as owner:
        owner.execute("SELECT edge.set_request_limits(%s, p_credential_per_minute => 600, "
                      "p_credential_burst => 2)", (a.tenant_id,))
    with db.connect("claw_runtime") as conn:
        with pytest.raises(psycopg.Error) as err, conn.transaction():
            auth(conn, a)
            conn.execute("SELECT * FROM api.take_request_token(p_cost => 5)")
    assert err.value.sqlstate == "CL422"
    assert "credential bucket's burst is 2" in (err.value.diag.message_detail or "")
    assert [take(db, a)[0] for _ in range(3)] == [True, True, False]  # the burst is intact


def test_the_tenant_bucket_binds_every_credential(db: Database, tenants: dict[str, Tenant]) -> None:
    a, b = tenants["a"], tenants["b"]
    with db.connect() as owner:
        owner.execute("SELECT edge.set_request_limits(%s, p_tenant_per_minute => 60, "
                      "p_tenant_burst => 2)", (a.tenant_id,))
        audited = owner.execute("SELECT count(*) FROM audit.events WHERE tenant_id = %s "
                                "AND action LIKE 'edge.request_limits.%%'", (a.tenant_id,)).fetchone()[0]  # type: ignore[index]
        assert audited == 1
    other = second_key(db, a)
    assert take(db, a)[0] is True
    assert take(db, a, other)[0] is True
    refused = take(db, a, other)
    assert refused[0] is False and refused[1] == "tenant"
    assert take(db, b)[0] is True  # another tenant is not affected


def test_concurrent_requests_never_exceed_the_burst(db: Database, tenants: dict[str, Tenant]) -> None:
    a = tenants["a"]
    with db.connect() as owner:
        owner.execute("SELECT edge.set_request_limits(%s, p_credential_per_minute => 1, "
                      "p_credential_burst => 25)", (a.tenant_id,))
    allowed: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            ok = take(db, a)[0]
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 60 and sum(allowed) == 25


def test_a_forged_credential_is_no_credential(db: Database, tenants: dict[str, Tenant]) -> None:
    """The credential is a MAC-bound field of the context: rewriting the setting leaves no
    context at all, so no bucket can be picked (or dodged) by a SQL injection."""
    a = tenants["a"]
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, a)
        ctx = conn.execute("SELECT current_setting('claw.ctx')").fetchone()[0]  # type: ignore[index]
        assert ctx.split("|")[5].startswith("key:")
        parts = ctx.split("|")
        parts[5] = "key:00000000-0000-0000-0000-000000000000"
        conn.execute("SELECT set_config('claw.ctx', %s, true)", ("|".join(parts),))
        with pytest.raises(psycopg.Error) as err:
            conn.execute(TOKEN)
        assert err.value.sqlstate == "CL401"


# --- cursors --------------------------------------------------------------------------------

LIST = "SELECT job_id::text, cursor FROM api.list_jobs(p_queue => %s, p_limit => %s, p_cursor => %s)"


def test_pages_are_stable_under_concurrent_inserts(db: Database, tenants: dict[str, Tenant]) -> None:
    a = tenants["a"]
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, a)
        conn.execute("SELECT * FROM api.enqueue_jobs(p_jobs => %s)",
                     (json.dumps([{"queue": "page", "kind": "noop"}] * 25),))
    seen: list[str] = []
    cursor = None
    with db.connect("claw_runtime") as conn:
        while True:
            with conn.transaction():
                auth(conn, a)
                page = conn.execute(LIST, ("page", 7, cursor)).fetchall()
            seen += [r[0] for r in page]
            if len(page) < 7:
                break
            cursor = page[-1][1]
            with db.connect("claw_runtime") as writer, writer.transaction():  # newer jobs land
                auth(writer, a)                                              # on page one
                writer.execute("SELECT * FROM api.enqueue_job(p_queue => 'page', p_kind => 'noop')")
    assert len(seen) == 25 and len(set(seen)) == 25


def test_a_cursor_is_bound_to_tenant_list_and_filters(db: Database, tenants: dict[str, Tenant]) -> None:
    a, b = tenants["a"], tenants["b"]
    for t in (a, b):
        with db.connect("claw_runtime") as conn, conn.transaction():
            auth(conn, t)
            conn.execute("SELECT * FROM api.enqueue_jobs(p_jobs => %s)",
                         (json.dumps([{"queue": "page", "kind": "noop"}] * 3),))
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, a)
        cursor = conn.execute(LIST, ("page", 1, None)).fetchone()[1]  # type: ignore[index]
        assert len(conn.execute(LIST, ("page", 5, cursor)).fetchall()) == 2
    attempts = [(b, LIST, ("page", 5, cursor)),                           # another tenant
                (a, LIST, ("other", 5, cursor)),                          # other filters
                (a, "SELECT * FROM api.list_schedules(p_cursor => %s)", (cursor,)),  # other list
                (a, LIST, ("page", 5, cursor[:-1] + ("0" if cursor[-1] != "0" else "1"))),
                (a, LIST, ("page", 5, "garbage"))]
    for tenant, sql, args in attempts:
        with db.connect("claw_runtime") as conn, conn.transaction():
            auth(conn, tenant)
            with pytest.raises(psycopg.Error) as err:
                conn.execute(sql, args)
            assert err.value.sqlstate == "CL422", (tenant.name, sql, args)
            assert err.value.diag.message_primary == "invalid cursor"


@pytest.mark.parametrize("sql", [
    "SELECT principal_id::text, cursor FROM api.list_principals(p_limit => %s, p_cursor => %s)",
    "SELECT api_key_id::text, cursor FROM api.list_api_keys(p_limit => %s, p_cursor => %s)",
    "SELECT schedule_id::text, cursor FROM api.list_schedules(p_limit => %s, p_cursor => %s)",
    "SELECT run_id::text, cursor FROM api.list_flow_runs(p_limit => %s, p_cursor => %s)",
])
def test_every_list_pages_through_everything_once(db: Database, tenants: dict[str, Tenant], sql: str) -> None:
    a = tenants["a"]
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, a)
        for i in range(5):
            conn.execute("SELECT api.create_principal(p_kind => 'agent', p_handle => %s, "
                         "p_display_name => 'Bot')", (f"bot{i}",))
            conn.execute("SELECT * FROM api.create_api_key(p_name => %s)", (f"k{i}",))
            conn.execute("SELECT * FROM api.create_schedule(p_name => %s, p_cron => '0 6 * * *', "
                         "p_time_zone => 'UTC', p_queue => 'q', p_kind => 'noop')", (f"s{i}",))
            conn.execute("SELECT * FROM api.start_flow_run(p_flow_name => 'f', p_input => %s)",
                         (json.dumps({"i": i}),))
        everything = conn.execute(sql, (1000, None)).fetchall()
        seen: list[str] = []
        cursor = None
        while True:
            page = conn.execute(sql, (2, cursor)).fetchall()
            seen += [r[0] for r in page]
            if len(page) < 2:
                break
            cursor = page[-1][1]
    assert seen == [r[0] for r in everything] and len(seen) >= 5


def test_only_the_last_row_of_a_full_page_carries_a_cursor(db: Database,
                                                           tenants: dict[str, Tenant]) -> None:
    """Signing a cursor is two SHA-256 and a context check: a page signs one, on its last row,
    and only when the page is full (a shorter page is the last one)."""
    a = tenants["a"]
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, a)
        conn.execute("SELECT * FROM api.enqueue_jobs(p_jobs => %s)",
                     (json.dumps([{"queue": "lastrow", "kind": "noop"}] * 5),))
        full = conn.execute(LIST, ("lastrow", 3, None)).fetchall()
        assert [c is None for _, c in full] == [True, True, False]
        rest = conn.execute(LIST, ("lastrow", 3, full[-1][1])).fetchall()
        assert len(rest) == 2 and all(c is None for _, c in rest)


FLOWS = ("SELECT run_id::text, cursor FROM api.list_flow_runs(p_status => %s, p_flow_name => %s, "
         "p_limit => %s, p_cursor => %s)")


def test_a_flow_runs_cursor_is_bound_to_tenant_list_and_filters(db: Database,
                                                                tenants: dict[str, Tenant]) -> None:
    a, b = tenants["a"], tenants["b"]
    for t in (a, b):
        with db.connect("claw_runtime") as conn, conn.transaction():
            auth(conn, t)
            for i in range(3):
                conn.execute("SELECT * FROM api.start_flow_run(p_flow_name => 'f', p_input => %s)",
                             (json.dumps({"i": i}),))
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, a)
        cursor = conn.execute(FLOWS, ("pending", "f", 1, None)).fetchone()[1]  # type: ignore[index]
        assert cursor and len(conn.execute(FLOWS, ("pending", "f", 5, cursor)).fetchall()) == 2
    attempts = [(b, FLOWS, ("pending", "f", 5, cursor)),                   # another tenant
                (a, FLOWS, (None, "f", 5, cursor)),                        # other status
                (a, FLOWS, ("pending", "g", 5, cursor)),                   # other flow name
                (a, LIST, (None, 5, cursor)),                              # other list
                (a, FLOWS, ("pending", "f", 5, cursor[:-1] + ("0" if cursor[-1] != "0" else "1")))]
    for tenant, sql, args in attempts:
        with db.connect("claw_runtime") as conn, conn.transaction():
            auth(conn, tenant)
            with pytest.raises(psycopg.Error) as err:
                conn.execute(sql, args)
            assert err.value.sqlstate == "CL422", (tenant.name, sql, args)
            assert err.value.diag.message_primary == "invalid cursor"


OBJECTS = ("SELECT object_id::text, cursor FROM api.list_objects_by_type(p_type => 'thing', "
           "p_limit => %s, p_include_deleted => %s, p_cursor => %s)")


def test_an_objects_cursor_is_bound_to_type_and_filters(db: Database, tenants: dict[str, Tenant]) -> None:
    """api.list_objects_by_type pages with a cursor bound like the other lists' (p_after, the
    plain last id, stays for SQL callers; not both at once)."""
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, tenants["a"])
        for t in ("thing", "other"):
            conn.execute("SELECT * FROM api.define_object_type(p_name => %s, p_properties => %s)",
                         (t, json.dumps({"n": {"kind": "number"}})))
            for i in range(3):
                conn.execute("SELECT * FROM api.create_object(p_type => %s, p_properties => %s)",
                             (t, json.dumps({"n": i})))
        everything = [r[0] for r in conn.execute(OBJECTS, (1000, False, None)).fetchall()]
        first = conn.execute(OBJECTS, (2, False, None)).fetchall()
        rest = conn.execute(OBJECTS, (2, False, first[-1][1])).fetchall()
        assert [r[0] for r in first + rest] == everything and len(everything) == 3
        assert [c is None for _, c in first] == [True, False] and rest[-1][1] is None
        cursor = first[-1][1]
        other = conn.execute("SELECT cursor FROM api.list_objects_by_type(p_type => 'other', "
                             "p_limit => 1)").fetchone()[0]  # type: ignore[index]
    attempts = [(OBJECTS, (2, True, cursor)),                              # other filter
                (OBJECTS, (2, False, other)),                              # another type
                (LIST, (None, 2, cursor)),                                 # another list
                ("SELECT * FROM api.list_objects_by_type(p_type => 'thing', p_after => %s, "
                 "p_cursor => %s)", (everything[0], cursor))]              # both positions
    for sql, args in attempts:
        with db.connect("claw_runtime") as conn, conn.transaction():
            auth(conn, tenants["a"])
            with pytest.raises(psycopg.Error) as err:
                conn.execute(sql, args)
            assert err.value.sqlstate == "CL422", (sql, args)
            assert err.value.diag.message_primary == "invalid cursor"
