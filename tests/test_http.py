"""The HTTP edge, in-process: every route against a fresh database, authentication attacks
with API keys, problem documents (no stack trace or SQL text ever reaches a client),
validation, trace ids on the rows a request writes, health probes and the OpenAPI document.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from conftest import Database, Tenant, seed_tenants
from http_support import Api, bearer, in_process

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
def api(seeded: tuple[Database, dict[str, Tenant]]) -> Iterator[Api]:
    db, tenants = seeded
    with in_process(db, tenants) as a:
        yield a


def assert_problem(resp: Any, status: int, name: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    doc: dict[str, Any] = resp.json()
    assert doc["type"] == f"https://claw.dev/errors/{name}", doc
    assert doc["status"] == status and doc["title"] and doc["detail"]
    assert len(doc["trace_id"]) == 32
    assert resp.headers["x-trace-id"] == doc["trace_id"]
    text = resp.text.lower()
    for leak in ("traceback", "select ", "file \"", "line 1:", "psycopg"):
        assert leak not in text, resp.text
    return doc


# -- health --------------------------------------------------------------------------------

def test_health_probes(api: Api) -> None:
    assert api.client.get("/healthz").json()["status"] == "ok"
    ready = api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["role_safety"] == "ok"
    assert ready.json()["checks"]["database"] == "ok"


def test_readyz_fails_when_the_runtime_role_could_bypass_rls(api: Api) -> None:
    with api.db.connect() as conn:
        conn.execute("ALTER ROLE claw_runtime BYPASSRLS")
    try:
        ready = api.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["role_safety"] == "1 problem(s)"
        assert "BYPASSRLS" not in ready.text  # details are logged, not told to anyone
    finally:
        with api.db.connect() as conn:
            conn.execute("ALTER ROLE claw_runtime NOBYPASSRLS")
    assert api.client.get("/readyz").status_code == 200


def test_server_refuses_to_start_on_unsafe_roles(seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    with db.connect() as conn:
        conn.execute("ALTER ROLE claw_runtime CREATEROLE")
    try:
        with pytest.raises(Exception, match="refuses to serve"):
            with in_process(db, tenants):
                pass
    finally:
        with db.connect() as conn:
            conn.execute("ALTER ROLE claw_runtime NOCREATEROLE")


def test_database_outage_is_a_503_problem_without_details(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    with in_process(db, tenants, database_url="postgresql://claw_runtime@127.0.0.1:9/claw",
                    pool_timeout=0.5) as a:
        resp = a.client.get("/v1/whoami", headers=a.as_("a"))
        doc = assert_problem(resp, 503, "database_unavailable")
        assert resp.headers["retry-after"] == "1"
        assert "127.0.0.1" not in resp.text and "9" not in doc["detail"]
        assert a.client.get("/readyz").status_code == 503
        assert a.client.get("/healthz").status_code == 200


# -- authentication --------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwdw==", "Bearer", "Bearer ck_nope",
                                    "Bearer ck_" + "0" * 64 + "_" + "A" * 43])
def test_bad_credentials_are_401(api: Api, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    resp = api.client.get("/v1/whoami", headers=headers)
    assert_problem(resp, 401, "unauthenticated")
    assert resp.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Basic ???", "Basic " + "bm9jb2xvbg==", "Basic"])
def test_a_malformed_basic_credential_is_an_unauthenticated_problem(api: Api, header: str) -> None:
    """FastAPI's HTTPBasic refuses a credential it cannot decode with its own 401, which was
    rendered as problem type invalid_input (documented as a 422)."""
    resp = api.client.get("/v1/audit/verify", headers={"Authorization": header})
    doc = assert_problem(resp, 401, "unauthenticated")
    assert api.client.get("/errors/unauthenticated").json()["status"] == 401
    assert resp.headers["www-authenticate"].startswith("Basic"), resp.headers


def test_an_unverifiable_jwt_is_401(api: Api) -> None:
    """Any bearer token that is not an API key goes to api.authenticate_jwt (the attacks are
    in tests/test_http_jwt.py)."""
    resp = api.client.get("/v1/whoami", headers=bearer("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."))
    assert_problem(resp, 401, "unauthenticated")


def test_revoked_key_is_refused_at_once(api: Api) -> None:
    created = api.client.post("/v1/api-keys", headers=api.as_("a"), json={"name": "temp"})
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    assert api.client.get("/v1/whoami", headers=bearer(key)).status_code == 200
    revoked = api.client.delete(f"/v1/api-keys/{created.json()['api_key_id']}",
                                headers=bearer(key))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    doc = assert_problem(api.client.get("/v1/whoami", headers=bearer(key)), 401,
                         "unauthenticated")
    assert doc["detail"] == "API key revoked"


def test_tenant_a_key_cannot_reach_tenant_b_objects(api: Api) -> None:
    job = api.client.post("/v1/jobs", headers=api.as_("b"), json={"queue": "q", "kind": "k"})
    job_id = job.json()["job_id"]
    assert api.client.get(f"/v1/jobs/{job_id}", headers=api.as_("b")).status_code == 200
    assert_problem(api.client.get(f"/v1/jobs/{job_id}", headers=api.as_("a")), 404, "not_found")
    assert_problem(api.client.post(f"/v1/jobs/{job_id}/cancel", headers=api.as_("a")), 404,
                   "not_found")
    # and B's job is still there, untouched
    assert api.client.get(f"/v1/jobs/{job_id}", headers=api.as_("b")).json()["state"] == "available"


def test_a_viewer_key_is_forbidden_to_write(api: Api) -> None:
    created = api.client.post("/v1/principals", headers=api.as_("a"), json={
        "kind": "person", "handle": "vera", "display_name": "Vera", "roles": ["viewer"]})
    assert created.status_code == 201, created.text
    key = api.client.post("/v1/api-keys", headers=api.as_("a"), json={
        "name": "vera", "principal_id": created.json()["id"]}).json()["api_key"]
    doc = assert_problem(api.client.post("/v1/jobs", headers=bearer(key),
                                         json={"queue": "q", "kind": "k"}), 403, "forbidden")
    assert doc["code"] == "CL403"


def test_the_api_key_never_appears_in_query_texts(api: Api) -> None:
    """Keys travel as bound parameters: pg_stat_statements/pg_stat_activity never see them."""
    key = api.tenants["a"].api_key
    with api.db.connect() as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    for _ in range(3):
        api.client.get("/v1/whoami", headers=api.as_("a"))
    with api.db.connect() as conn:
        texts = [r[0] for r in conn.execute(
            "SELECT query FROM pg_stat_statements WHERE query LIKE '%%authenticate%%' AND dbid = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())").fetchall()]
    assert texts and not any(key in t or key[:20] in t for t in texts)


# -- problems and validation ----------------------------------------------------------------------

def test_validation_errors_name_the_field(api: Api) -> None:
    doc = assert_problem(api.client.post("/v1/jobs", headers=api.as_("a"),
                                         json={"queue": "q", "priority": "high"}),
                         422, "invalid_input")
    fields = {e["field"] for e in doc["errors"]}
    assert {"body.kind", "body.priority"} <= fields
    doc = assert_problem(api.client.get("/v1/jobs/not-a-uuid", headers=api.as_("a")), 422,
                         "invalid_input")
    assert doc["errors"][0]["field"] == "path.job_id"
    doc = assert_problem(api.client.post("/v1/jobs", headers={**api.as_("a"),
                                                              "content-type": "application/json"},
                                         content=b"{not json"), 422, "invalid_input")


def test_database_validation_is_a_422_with_hint(api: Api) -> None:
    doc = assert_problem(api.client.post("/v1/schedules", headers=api.as_("a"), json={
        "name": "s1", "cron": "0 6 * *", "time_zone": "Mars/Olympus", "queue": "q",
        "kind": "k"}), 422, "invalid_input")
    assert doc["code"] == "CL422" and doc["hint"]


@pytest.mark.parametrize("call", [
    ("post", "/v1/jobs", {"json": {"queue": "a\u0000b", "kind": "k"}}),
    ("get", "/v1/jobs?queue=a%00b", {}),
    ("get", "/v1/jobs?cursor=a%00b", {}),
    ("get", "/v1/object-types/a%00b", {}),
    ("post", "/v1/authz/check", {"json": {"object": "doc:\u00001", "relation": "viewer"}}),
    ("post", "/v1/documents/search", {"json": {"query": "a\u0000b", "mode": "text"}}),
], ids=["body", "list-filter", "cursor", "path", "authz-check", "search"])
def test_a_nul_character_in_text_is_422_not_500(api: Api, call: tuple[str, str, dict[str, Any]]) -> None:
    """PostgreSQL text cannot hold NUL: psycopg refuses the parameter before sending it, with
    no SQLSTATE; that is the client's input, not our bug."""
    method, path, kw = call
    doc = assert_problem(getattr(api.client, method)(path, headers=api.as_("a"), **kw), 422,
                         "invalid_input")
    assert doc["code"] == "22P05" and "NUL" in doc["detail"]


@pytest.mark.parametrize("version", [2**31, 2**63, 2**64])
def test_an_out_of_range_expected_version_is_422_not_500(api: Api, version: int) -> None:
    """The version column is an integer: a larger number failed in PostgreSQL (or psycopg)."""
    oid = uuid.uuid4()
    doc = assert_problem(api.client.patch(f"/v1/objects/{oid}", headers=api.as_("a"), json={
        "expected_version": version, "patch": {}}), 422, "invalid_input")
    assert doc["errors"][0]["field"] == "body.expected_version"
    doc = assert_problem(api.client.delete(f"/v1/objects/{oid}?expected_version={version}",
                                           headers=api.as_("a")), 422, "invalid_input")
    assert doc["errors"][0]["field"] == "query.expected_version"


def test_unknown_route_and_method(api: Api) -> None:
    assert_problem(api.client.get("/v1/nothing-here"), 404, "route_not_found")
    assert_problem(api.client.put("/v1/jobs", headers=api.as_("a")), 405, "method_not_allowed")


def test_a_body_with_a_number_python_will_not_read_is_a_422_that_says_so(api: Api) -> None:
    """Valid JSON with an integer of 5,000 digits: CPython refuses integers over 4,300
    digits, and FastAPI answered 400 'There was an error parsing the body'."""
    body = b'{"queue": "q", "kind": "k", "payload": {"n": ' + b"9" * 5000 + b"}}"
    doc = assert_problem(api.client.post("/v1/jobs", headers={
        **api.as_("a"), "content-type": "application/json"}, content=body), 422, "invalid_input")
    assert "4,300 digits" in doc["detail"] and doc["hint"]


def test_a_trailing_slash_is_not_redirected_to_the_host_the_client_names(api: Api) -> None:
    """Starlette redirected /v1/jobs/ to /v1/jobs with a bodiless 307 whose Location took
    the request's Host header (http://evil.example/v1/jobs): a client or cache that follows
    it sends the request, and its credentials, elsewhere. A path we do not serve is a 404
    problem like any other."""
    resp = api.client.post("/v1/jobs/", headers={**api.as_("a"), "host": "evil.example"},
                           json={"queue": "q", "kind": "k"}, follow_redirects=False)
    assert "location" not in resp.headers
    assert_problem(resp, 404, "route_not_found")


def test_oversized_body_is_413(seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    with in_process(db, tenants, max_body_bytes=1000) as a:
        resp = a.client.post("/v1/jobs", headers=a.as_("a"),
                             json={"queue": "q", "kind": "k", "payload": {"x": "y" * 2000}})
        assert_problem(resp, 413, "payload_too_large")


@pytest.mark.parametrize("path", ["/v1/jobs", f"/v1/jobs/{uuid.uuid4()}/cancel"],
                         ids=["parsed-body", "unread-body"])
def test_an_oversized_body_without_content_length_is_413(
        seeded: tuple[Database, dict[str, Tenant]], path: str) -> None:
    """A chunked body has no Content-Length to refuse up front: the limit trips while it is
    read, inside FastAPI's body parsing (which made it a 400 'error parsing the body') or,
    for a route without a body model, when the edge hashes the body for idempotency."""
    db, tenants = seeded

    def chunks() -> Iterator[bytes]:
        yield b'{"queue": "q", "kind": "k", "payload": {"x": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'"}}'

    with in_process(db, tenants, max_body_bytes=1000) as a:
        resp = a.client.post(path, headers={**a.as_("a"), "content-type": "application/json",
                                            "Idempotency-Key": "big-1"}, content=chunks())
        assert "content-length" not in {k.lower() for k in resp.request.headers}
        doc = assert_problem(resp, 413, "payload_too_large")
        assert doc["detail"] == "the request body exceeds 1000 bytes" and doc["hint"]


def test_an_unexpected_exception_tells_the_client_nothing(api: Api,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    import claw.http.routes as routes

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals: SELECT password FROM somewhere")

    monkeypatch.setattr(routes, "fetch_one", broken)
    resp = api.client.get("/v1/whoami", headers=api.as_("a"))
    doc = assert_problem(resp, 500, "internal")
    assert "secret" not in resp.text and "password" not in resp.text
    assert doc["detail"] == "an unexpected error occurred"


def test_an_unexpected_database_error_tells_the_client_nothing(api: Api,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import claw.http.routes as routes

    original = routes.fetch_one

    async def bad_sql(conn: Any, sql: str, params: Any = ()) -> Any:
        return await original(conn, "SELECT * FROM api.no_such_function(p_secret => 1)")

    monkeypatch.setattr(routes, "fetch_one", bad_sql)
    resp = api.client.get("/v1/whoami", headers=api.as_("a"))
    assert_problem(resp, 500, "internal")
    assert "no_such_function" not in resp.text and "p_secret" not in resp.text


def test_problem_type_uris_resolve(api: Api) -> None:
    resp = api.client.get("/errors/not_found")
    assert resp.status_code == 200 and resp.json()["status"] == 404
    assert api.client.get("/errors/nope").status_code == 404


# -- tracing ---------------------------------------------------------------------------------

def test_traceparent_is_honoured_and_stored_on_the_row(api: Api) -> None:
    resp = api.client.post("/v1/jobs", headers={**api.as_("a"), "traceparent": TRACEPARENT},
                           json={"queue": "q", "kind": "k"})
    assert resp.status_code == 201 and resp.headers["x-trace-id"] == TRACE
    job = api.client.get(f"/v1/jobs/{resp.json()['job_id']}", headers=api.as_("a")).json()
    assert job["trace_id"] == TRACE
    # without a traceparent the edge starts a trace, and the row carries that one
    resp = api.client.post("/v1/jobs", headers=api.as_("a"), json={"queue": "q", "kind": "k"})
    trace = resp.headers["x-trace-id"]
    assert trace != TRACE and len(trace) == 32
    with api.db.connect() as conn:
        assert conn.execute("SELECT trace_id FROM queue.jobs WHERE job_id = %s",
                            (resp.json()["job_id"],)).fetchone() == (trace,)
    # a problem carries the trace id of its request
    doc = api.client.get(f"/v1/jobs/{uuid.uuid4()}", headers={**api.as_("a"),
                                                               "traceparent": TRACEPARENT}).json()
    assert doc["trace_id"] == TRACE


def test_spans_per_request_and_per_database_call(api: Api) -> None:
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from claw.http.telemetry import add_span_processor

    exporter = InMemorySpanExporter()
    add_span_processor(SimpleSpanProcessor(exporter))
    try:
        # statement spans come from connections opened once something reads spans: a pool
        # opened after the processor was attached, as one opened with OTLP configured
        with in_process(api.db, api.tenants) as traced:
            traced.client.post("/v1/jobs", headers={**api.as_("a"), "traceparent": TRACEPARENT},
                               json={"queue": "q", "kind": "k"})
        spans = [s for s in exporter.get_finished_spans()
                 if format(s.context.trace_id, "032x") == TRACE]
        kinds = {s.kind.name for s in spans}
        assert "SERVER" in kinds and "CLIENT" in kinds, [(s.name, s.kind) for s in spans]
        db_spans = [s for s in spans if s.kind.name == "CLIENT"]
        statements = " ".join(str(s.attributes.get("db.statement") or s.attributes.get(
            "db.query.text") or s.name) for s in db_spans)
        assert "api.authenticate" in statements and "api.enqueue_job" in statements
        assert api.tenants["a"].api_key not in statements
    finally:
        exporter.shutdown()


def test_the_app_is_out_of_the_garbage_collectors_way(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """After startup the app's long-lived objects are frozen (gc.freeze): a full collection
    would walk them all with the event loop stopped (about 50 ms)."""
    import gc

    db, tenants = seeded
    with in_process(db, tenants) as api:
        assert gc.get_freeze_count() > 10_000
        assert api.client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == 0


def test_json_log_lines_carry_the_trace_id(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    from claw.http.telemetry import JsonFormatter

    with caplog.at_level("INFO", logger="claw.http"):
        import logging
        logging.getLogger("claw.http").propagate = True
        try:
            api.client.get("/v1/whoami", headers={**api.as_("a"), "traceparent": TRACEPARENT})
        finally:
            logging.getLogger("claw.http").propagate = False
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records
             if r.name == "claw.http" and getattr(r, "path", None) == "/v1/whoami"]
    assert lines and lines[0]["trace_id"] == TRACE and lines[0]["status"] == 200


# -- routes ----------------------------------------------------------------------------------

def test_identity_routes(api: Api) -> None:
    who = api.client.get("/v1/whoami", headers=api.as_("a")).json()
    assert who["tenant_id"] == api.tenants["a"].tenant_id and who["roles"] == ["owner"]
    created = api.client.post("/v1/principals", headers=api.as_("a"), json={
        "kind": "agent", "handle": "bot", "display_name": "Bot"})
    assert created.status_code == 201
    pid = created.json()["id"]
    assert api.client.post(f"/v1/principals/{pid}/roles", headers=api.as_("a"),
                           json={"role": "operator"}).status_code == 204
    assert_problem(api.client.post(f"/v1/principals/{uuid.uuid4()}/roles", headers=api.as_("a"),
                                   json={"role": "operator"}), 404, "not_found")
    assert_problem(api.client.post("/v1/principals", headers=api.as_("a"), json={
        "kind": "agent", "handle": "bot", "display_name": "Bot"}), 409, "conflict")
    assert_problem(api.client.delete(f"/v1/api-keys/{uuid.uuid4()}", headers=api.as_("a")),
                   404, "not_found")
    # a role taken away, a principal disabled and enabled; the last owner stays
    assert api.client.delete(f"/v1/principals/{pid}/roles/operator",
                             headers=api.as_("a")).status_code == 204
    for switch in ("disable", "enable"):
        assert api.client.post(f"/v1/principals/{pid}/{switch}",
                               headers=api.as_("a")).status_code == 204
    owner = api.tenants["a"].owner_id
    assert_problem(api.client.post(f"/v1/principals/{owner}/disable", headers=api.as_("a")),
                   409, "conflict")
    assert_problem(api.client.delete(f"/v1/principals/{owner}/roles/owner",
                                     headers=api.as_("a")), 409, "conflict")
    assert api.client.post(f"/v1/principals/{pid}/pause",
                           headers=api.as_("a")).status_code == 422


def test_job_routes(api: Api) -> None:
    h = api.as_("a")
    first = api.client.post("/v1/jobs", headers=h, json={
        "queue": "mail", "kind": "send", "payload": {"to": "x"}, "unique_key": "u1"})
    assert first.status_code == 201 and first.json()["deduplicated"] is False
    again = api.client.post("/v1/jobs", headers=h, json={
        "queue": "mail", "kind": "send", "unique_key": "u1"})
    assert again.json() == {"job_id": first.json()["job_id"], "deduplicated": True}
    job_id = first.json()["job_id"]
    job = api.client.get(f"/v1/jobs/{job_id}", headers=h).json()
    assert job["payload"] == {"to": "x"} and job["state"] == "available"
    assert_problem(api.client.post(f"/v1/jobs/{job_id}/retry", headers=h), 409, "conflict")
    assert api.client.post(f"/v1/jobs/{job_id}/cancel", headers=h).json() == {"state": "cancelled"}
    assert api.client.get(f"/v1/jobs/{job_id}", headers=h).json()["state"] == "cancelled"
    assert_problem(api.client.post(f"/v1/jobs/{job_id}/cancel", headers=h), 409, "conflict")


def test_schedule_routes(api: Api) -> None:
    h = api.as_("a")
    created = api.client.post("/v1/schedules", headers=h, json={
        "name": "daily", "cron": "0 6 * * *", "time_zone": "Australia/Sydney",
        "queue": "q", "kind": "k"})
    assert created.status_code == 201, created.text
    sid = created.json()["schedule_id"]
    assert_problem(api.client.post("/v1/schedules", headers=h, json={
        "name": "daily", "cron": "0 6 * * *", "time_zone": "UTC", "queue": "q", "kind": "k"}),
        409, "conflict")
    assert api.client.post(f"/v1/schedules/{sid}/pause", headers=h).status_code == 200
    assert api.client.post(f"/v1/schedules/{sid}/resume", headers=h).json()["next_fire_at"]
    assert api.client.delete(f"/v1/schedules/{sid}", headers=h).status_code == 204
    assert_problem(api.client.delete(f"/v1/schedules/{sid}", headers=h), 404, "not_found")


def test_flow_routes(api: Api) -> None:
    h = {**api.as_("a"), "traceparent": TRACEPARENT}
    started = api.client.post("/v1/flows", headers=h, json={
        "flow_name": "demo.flow", "input": {"n": 1}, "idempotency_key": "f-1"})
    assert started.status_code == 201 and started.json()["created"] is True
    run_id = started.json()["run_id"]
    same = api.client.post("/v1/flows", headers=h, json={
        "flow_name": "demo.flow", "input": {"n": 1}, "idempotency_key": "f-1"})
    assert same.json() == {"run_id": run_id, "created": False}
    run = api.client.get(f"/v1/flows/{run_id}", headers=h).json()
    assert run["status"] == "pending" and run["trace_id"] == TRACE
    runs = api.client.get("/v1/flows?status=pending", headers=h).json()["items"]
    assert [r["run_id"] for r in runs] == [run_id]
    assert api.client.post(f"/v1/flows/{run_id}/signals/approval", headers=h,
                           json={"payload": {"ok": True}}).json() == {"delivered": True}
    assert api.client.post(f"/v1/flows/{run_id}/signals/approval", headers=h,
                           json={"payload": {}}).json() == {"delivered": False}
    assert api.client.post(f"/v1/flows/{run_id}/cancel", headers=h).json() == {
        "status": "cancelled"}
    assert_problem(api.client.get(f"/v1/flows/{uuid.uuid4()}", headers=h), 404, "not_found")
    assert_problem(api.client.get("/v1/flows?status=nope", headers=h), 422, "invalid_input")


def test_flow_runs_page(api: Api) -> None:
    """A full page of GET /v1/flows carries a cursor (it had none: a client saw page one only);
    the pages hold every run once, and the page after the last is empty."""
    h = api.as_("a")
    started = [api.client.post("/v1/flows", headers=h, json={"flow_name": "paged",
                                                             "input": {"i": i}}).json()["run_id"]
               for i in range(5)]
    seen: list[str] = []
    cursor = None
    for _ in range(4):
        url = "/v1/flows?flow_name=paged&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.client.get(url, headers=h)
        assert page.status_code == 200, page.text
        seen += [r["run_id"] for r in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        assert (cursor is not None) == (len(page.json()["items"]) == 2), page.json()
        if cursor is None:
            break
    assert sorted(seen) == sorted(started) and len(seen) == 5
    full = api.client.get("/v1/flows?flow_name=paged&limit=5", headers=h).json()
    last = api.client.get(f"/v1/flows?flow_name=paged&limit=5&cursor={full['next_cursor']}",
                          headers=h).json()
    assert last == {"items": [], "next_cursor": None}
    # bound to the filters: the cursor of flow_name=paged does not continue another listing
    assert_problem(api.client.get(f"/v1/flows?limit=5&cursor={full['next_cursor']}", headers=h),
                   422, "invalid_input")


def test_ontology_routes(api: Api) -> None:
    h = api.as_("a")
    with api.db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (api.tenants["a"].api_key,))
        conn.execute("SELECT * FROM api.define_object_type(p_name => 'customer', "
                     "p_properties => %s)", (json.dumps({
                         "email": {"kind": "string", "required": True, "unique": True}}),))
    types = api.client.get("/v1/object-types", headers=h).json()
    assert [t["name"] for t in types] == ["customer"]
    assert "email" in json.dumps(api.client.get("/v1/object-types/customer", headers=h).json())
    assert_problem(api.client.get("/v1/object-types/nope", headers=h), 404, "not_found")
    created = api.client.post("/v1/objects", headers=h, json={
        "type": "customer", "properties": {"email": "a@x"}})
    assert created.status_code == 201, created.text
    oid = created.json()["object_id"]
    assert_problem(api.client.post("/v1/objects", headers=h, json={
        "type": "customer", "properties": {}}), 422, "invalid_input")
    patched = api.client.patch(f"/v1/objects/{oid}", headers=h, json={
        "expected_version": 1, "patch": {"email": "b@x"}})
    assert patched.json()["version"] == 2
    assert_problem(api.client.patch(f"/v1/objects/{oid}", headers=h, json={
        "expected_version": 1, "patch": {"email": "c@x"}}), 409, "conflict")
    assert api.client.get(f"/v1/objects/{oid}", headers=h).json()["properties"] == {"email": "b@x"}
    for i in range(3):
        api.client.post("/v1/objects", headers=h, json={"type": "customer",
                                                        "properties": {"email": f"{i}@y"}})
    first = api.client.get("/v1/objects?type=customer&limit=2", headers=h).json()
    second = api.client.get(f"/v1/objects?type=customer&limit=2&cursor={first['next_cursor']}",
                            headers=h).json()
    ids = [o["object_id"] for o in first["items"] + second["items"]]
    assert len(ids) == 4 == len(set(ids))
    # a full page always has a cursor; the page after the last is empty and has none
    third = api.client.get(f"/v1/objects?type=customer&limit=2&cursor={second['next_cursor']}",
                           headers=h).json()
    assert third == {"items": [], "next_cursor": None}
    assert api.client.delete(f"/v1/objects/{oid}?expected_version=2", headers=h).json() == {
        "version": 3}


def test_an_objects_cursor_is_bound_to_tenant_type_and_filters(api: Api) -> None:
    """The /v1/objects cursor was the raw last object id: any UUID was taken, another type's or
    another tenant's position gave a page from there. Now a cursor of another listing is a
    422 like every other list's."""
    for name in ("a", "b"):
        with api.db.connect("claw_runtime") as conn, conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)",
                         (api.tenants[name].api_key,))
            for t in ("customer", "supplier"):
                conn.execute("SELECT * FROM api.define_object_type(p_name => %s, "
                             "p_properties => %s)", (t, json.dumps({"email": {"kind": "string"}})))
    a, b = api.as_("a"), api.as_("b")
    for i in range(3):
        for h, t in ((a, "customer"), (a, "supplier"), (b, "customer")):
            assert api.client.post("/v1/objects", headers=h, json={
                "type": t, "properties": {"email": f"{i}@{t}"}}).status_code == 201
    first = api.client.get("/v1/objects?type=customer&limit=2", headers=a).json()
    rest = api.client.get(f"/v1/objects?type=customer&limit=2&cursor={first['next_cursor']}",
                          headers=a).json()
    assert len(first["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    other_type = api.client.get("/v1/objects?type=supplier&limit=1", headers=a).json()
    other_tenant = api.client.get("/v1/objects?type=customer&limit=1", headers=b).json()
    for cursor, query in ((other_type["next_cursor"], "type=customer"),
                          (other_tenant["next_cursor"], "type=customer"),
                          (first["next_cursor"], "type=customer&include_deleted=true"),
                          (first["items"][0]["object_id"], "type=customer")):
        doc = assert_problem(api.client.get(f"/v1/objects?{query}&limit=2&cursor={cursor}",
                                            headers=a), 422, "invalid_input")
        assert doc["detail"] == "invalid cursor", doc


def test_authz_routes(api: Api) -> None:
    from conftest import AUTHZ_SEED_MODEL

    h = api.as_("a")
    with api.db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (api.tenants["a"].api_key,))
        conn.execute("SELECT * FROM api.define_authz_model(%s)", (json.dumps(AUTHZ_SEED_MODEL),))
    written = api.client.post("/v1/authz/tuples", headers=h, json={"writes": [
        {"object": "team:ops", "relation": "member", "subject": "user:alice"},
        {"object": "doc:1", "relation": "viewer", "subject": "team:ops#member"}]})
    assert written.status_code == 200 and written.json()["written"] == 2
    token = written.json()["consistency_token"]
    check = api.client.post("/v1/authz/check", headers=h, json={
        "object": "doc:1", "relation": "viewer", "subject": "user:alice",
        "consistency_token": token}).json()
    assert check["allowed"] is True
    assert api.client.post("/v1/authz/check", headers=h, json={
        "object": "doc:1", "relation": "viewer", "subject": "user:bob"}).json()["allowed"] is False
    # yes or no only (api.is_permitted)
    for subject, want in (("user:alice", True), ("user:bob", False)):
        quick = api.client.post("/v1/authz/check", headers=h, json={
            "object": "doc:1", "relation": "viewer", "subject": subject,
            "consistency_token": token, "explain": False}).json()
        assert quick == {"allowed": want, "explanation": None, "consistency_token": None}
    bad = api.client.post("/v1/authz/check", headers=h, json={
        "object": "doc:1", "relation": "payer", "subject": "user:alice", "explain": False})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    # tenant B sees none of A's tuples
    assert api.client.post("/v1/authz/check", headers=api.as_("b"), json={
        "object": "doc:1", "relation": "viewer", "subject": "user:alice"}).status_code in (200, 404, 422)
    b = api.client.post("/v1/authz/check", headers=api.as_("b"), json={
        "object": "doc:1", "relation": "viewer", "subject": "user:alice"})
    assert b.status_code != 200 or b.json()["allowed"] is False


def test_document_search_route(api: Api) -> None:
    h = api.as_("a")
    with api.db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (api.tenants["a"].api_key,))
        conn.execute("SELECT api.upsert_document(p_body => 'the customer pays late every month', "
                     "p_embedding => %s, p_embedding_model => 'seed', p_title => 'note', "
                     "p_authz_object => 'doc:9')", ("[" + ",".join(["0.0625"] * 256) + "]",))
    hits = api.client.post("/v1/documents/search", headers=h, json={
        "query": "pays late", "mode": "text", "relation": None})
    assert hits.status_code == 200, hits.text
    assert [x["title"] for x in hits.json()] == ["note"]
    other = api.client.post("/v1/documents/search", headers=api.as_("b"), json={
        "query": "pays late", "mode": "text", "relation": None})
    assert other.status_code == 200 and other.json() == []


def test_auditor_routes(api: Api) -> None:
    import base64

    basic = {"Authorization": "Basic " + base64.b64encode(b"claw_auditor:pw").decode()}
    verify = api.client.get("/v1/audit/verify", headers=basic)
    assert verify.status_code == 200, verify.text
    assert verify.json()["intact"] is True and len(verify.json()["chains"]) == 3
    digest = api.client.get("/v1/audit/checkpoint", headers=basic).json()
    assert api.client.post("/v1/audit/verify-digest", headers=basic,
                           json=digest).json() == {"intact": True, "problems": [],
                                                   "root": digest["root"]}
    other = api.client.post("/v1/audit/verify-digest", params={"root": "00" * 32},
                            headers=basic, json=digest).json()
    assert other["intact"] is False and "not the published root" in other["problems"][0]["problem"]
    # an edited digest without its root is no checkpoint (it read intact: an outside-in probe)
    assert_problem(api.client.post("/v1/audit/verify-digest", headers=basic,
                                   json={k: v for k, v in digest.items() if k != "root"}),
                   422, "invalid_input")
    for header in ({}, api.as_("a"),
                   {"Authorization": "Basic " + base64.b64encode(b"postgres:pw").decode()}):
        assert_problem(api.client.get("/v1/audit/verify", headers=header), 401,
                       "unauthenticated")


def test_openapi_is_complete(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    app = api.client.app  # type: ignore[attr-defined]
    routes = {(r.path, meth) for r in app.routes if hasattr(r, "methods")
              for meth in r.methods if meth not in ("HEAD", "OPTIONS")}
    documented = {(p, meth.upper()) for p, ops in schema["paths"].items() for meth in ops}
    missing = {r for r in routes if r[0] not in ("/docs", "/docs/oauth2-redirect", "/redoc",
                                                 "/openapi.json")} - documented
    assert not missing, missing
    assert "Problem" in schema["components"]["schemas"]
    names = {t["type"].rsplit("/", 1)[1] for t in schema["x-problem-types"]}
    assert {"unauthenticated", "forbidden", "not_found", "conflict", "invalid_input",
            "limited", "loop_detected", "internal", "database_unavailable"} <= names
    for path, ops in schema["paths"].items():
        for meth, op in ops.items():
            assert op.get("summary"), (path, meth)
            if path.startswith("/v1/") and not path.startswith("/v1/audit"):
                assert "401" in op["responses"], (path, meth)
    assert api.client.get("/docs").status_code == 200


def test_a_blank_search_query_is_422_not_500(api: Api) -> None:
    """Found by schemathesis: a query of white space reached the embedder, which refuses it."""
    doc = assert_problem(api.client.post("/v1/documents/search", headers=api.as_("a"),
                                         json={"query": "\r"}), 422, "invalid_input")
    assert doc["errors"][0]["field"] == "body.query"
