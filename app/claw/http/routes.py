"""The routes: each maps HTTP to one or two documented `api.*` calls, nothing more. The
database checks roles, scopes, states and input; its errors become problem documents."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar
from uuid import UUID

import psycopg
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.security import HTTPBearer
from psycopg.types.json import Jsonb
from pydantic import BaseModel
from starlette.responses import Response

from claw.http import models as m
from claw.http.edge import Edge, fetch_all, fetch_one
from claw.http.problems import MEDIA_TYPE, Problem, problem_types

M = TypeVar("M", bound=BaseModel)
Conn = psycopg.AsyncConnection[Any]

PROBLEM = {"content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
COMMON: dict[int | str, dict[str, Any]] = {
    status: {**PROBLEM, "description": desc} for status, desc in (
        (400, "bad request: the body is not JSON"),
        (401, "unauthenticated: no valid API key or JWT"),
        (403, "forbidden: the principal's role or scope does not allow this"),
        (413, "payload too large: the body exceeds CLAW_HTTP_MAX_BODY_BYTES"),
        (422, "invalid input: the field or argument named in the problem"),
        (429, "rate limited: see Retry-After and RateLimit"),
        (500, "internal error: nothing but the trace id"),
        (503, "database unavailable or transient conflict: retry"))}
NOT_FOUND = {404: {**PROBLEM, "description": "not found in this tenant"}}
CONFLICT = {409: {**PROBLEM, "description": "conflict (state, version, name taken, "
                  "idempotency key in flight)"}}
IDEMPOTENCY = Header(None, alias="Idempotency-Key", min_length=1, max_length=255,
                     description="replays the stored response of the same request (24 h); "
                     "a different request with the same key is a 422 problem, a concurrent "
                     "one a 409 problem")
Limit = Query(100, ge=1, le=1000, description="page size (1..1000)")
Cursor = Query(None, max_length=2000, description="the next_cursor of the previous page")

bearer = HTTPBearer(auto_error=False, description="an API key (ck_...) or a JWT")
router = APIRouter(prefix="/v1", responses=COMMON, dependencies=[Depends(bearer)])


def edge_of(request: Request) -> Edge:
    edge: Edge = request.app.state.edge
    return edge


async def one(conn: Conn, model: type[M], sql: str, params: tuple[Any, ...] = ()) -> M:
    row = await fetch_one(conn, sql, params)
    assert row is not None, sql
    return model.model_validate(row)


async def page(conn: Conn, model: type[M], sql: str, params: tuple[Any, ...],
               limit: int) -> m.Page[M]:
    rows = await fetch_all(conn, sql, params)
    cursor = rows[-1]["cursor"] if len(rows) == limit else None
    return m.Page[model](items=[model.model_validate(r) for r in rows],  # type: ignore[valid-type]
                         next_cursor=cursor)


def run(request: Request, act: Callable[[Conn], Awaitable[Any]], status: int = 200,
        write: bool = False, secrets: tuple[str, ...] = (),
        before: Callable[[], Awaitable[None]] | None = None) -> Awaitable[Response]:
    return edge_of(request).run(request, act, status=status, idempotent=write, secrets=secrets,
                                before=before)


# -- identity -----------------------------------------------------------------------------

@router.get("/whoami", response_model=m.Whoami, tags=["identity"],
            summary="The tenant, principal, roles and scopes of the credential")
async def whoami(request: Request) -> Response:
    async def act(conn: Conn) -> m.Whoami:
        return await one(conn, m.Whoami, "SELECT * FROM api.whoami()")
    return await run(request, act)


@router.get("/principals", response_model=m.Page[m.Principal], tags=["identity"],
            summary="The tenant's principals and their roles (api.list_principals)")
async def list_principals(request: Request, limit: int = Limit,
                          cursor: str | None = Cursor) -> Response:
    async def act(conn: Conn) -> m.Page[m.Principal]:
        return await page(conn, m.Principal,
                          "SELECT * FROM api.list_principals(p_limit => %s, p_cursor => %s)",
                          (limit, cursor), limit)
    return await run(request, act)


@router.post("/principals", status_code=201, response_model=m.Created, tags=["identity"],
             responses=CONFLICT, summary="Create a principal (api.create_principal)")
async def create_principal(request: Request, body: m.PrincipalIn,
                           idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> m.Created:
        return await one(conn, m.Created,
                         "SELECT api.create_principal(p_kind => %s, p_handle => %s, "
                         "p_display_name => %s, p_roles => %s) AS id",
                         (body.kind, body.handle, body.display_name, body.roles))
    return await run(request, act, 201, write=True)


@router.post("/principals/{principal_id}/roles", status_code=204, tags=["identity"],
             responses=NOT_FOUND, summary="Grant a role (api.grant_role); idempotent")
async def grant_role(request: Request, body: m.RoleIn, principal_id: UUID = Path(),
                     idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> None:
        await conn.execute("SELECT api.grant_role(p_principal_id => %s, p_role => %s)",
                           (principal_id, body.role))
    return await run(request, act, 204, write=True)


@router.delete("/principals/{principal_id}/roles/{role}", status_code=204, tags=["identity"],
               responses=NOT_FOUND, summary="Take a role away (api.revoke_role); idempotent")
async def revoke_role(request: Request, principal_id: UUID = Path(),
                      role: str = Path(max_length=64),
                      idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> None:
        await conn.execute("SELECT api.revoke_role(p_principal_id => %s, p_role => %s)",
                           (principal_id, role))
    return await run(request, act, 204, write=True)


@router.post("/principals/{principal_id}/{switch}", status_code=204, tags=["identity"],
             responses=NOT_FOUND, summary="Disable or enable a principal "
                                          "(api.set_principal_disabled)")
async def set_principal_disabled(request: Request, principal_id: UUID = Path(),
                                 switch: Literal["disable", "enable"] = Path(),
                                 idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> None:
        await conn.execute("SELECT api.set_principal_disabled(p_principal_id => %s, "
                           "p_disabled => %s)", (principal_id, switch == "disable"))
    return await run(request, act, 204, write=True)


@router.get("/api-keys", response_model=m.Page[m.ApiKey], tags=["identity"],
            summary="API keys visible to the caller, without secrets (api.list_api_keys)")
async def list_api_keys(request: Request, limit: int = Limit,
                        cursor: str | None = Cursor) -> Response:
    async def act(conn: Conn) -> m.Page[m.ApiKey]:
        return await page(conn, m.ApiKey,
                          "SELECT * FROM api.list_api_keys(p_limit => %s, p_cursor => %s)",
                          (limit, cursor), limit)
    return await run(request, act)


@router.post("/api-keys", status_code=201, response_model=m.ApiKeyCreated, tags=["identity"],
             responses={**NOT_FOUND, **CONFLICT},
             summary="Issue an API key, shown once (api.create_api_key)")
async def create_api_key(request: Request, body: m.ApiKeyIn,
                         idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> m.ApiKeyCreated:
        return await one(conn, m.ApiKeyCreated,
                         "SELECT api_key_id, api_key FROM api.create_api_key(p_name => %s, "
                         "p_principal_id => %s, p_scopes => %s, p_expires_at => %s)",
                         (body.name, body.principal_id, body.scopes, body.expires_at))
    return await run(request, act, 201, write=True, secrets=("api_key",))


@router.delete("/api-keys/{api_key_id}", response_model=m.Revoked, tags=["identity"],
               responses=NOT_FOUND, summary="Revoke an API key at once (api.revoke_api_key)")
async def revoke_api_key(request: Request, api_key_id: UUID = Path(),
                         idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> m.Revoked:
        return await one(conn, m.Revoked,
                         "SELECT api.revoke_api_key(p_api_key_id => %s) AS revoked_at",
                         (api_key_id,))
    return await run(request, act, write=True)


# -- jobs ---------------------------------------------------------------------------------

@router.post("/jobs", status_code=201, response_model=m.JobEnqueued, tags=["jobs"],
             responses=CONFLICT, summary="Enqueue a job (api.enqueue_job)")
async def enqueue_job(request: Request, body: m.JobIn,
                      idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> m.JobEnqueued:
        return await one(conn, m.JobEnqueued,
                         "SELECT job_id, deduplicated FROM api.enqueue_job(p_queue => %s, "
                         "p_kind => %s, p_payload => %s, p_priority => %s, p_run_at => %s, "
                         "p_unique_key => %s, p_rate_key => %s, p_max_attempts => %s)",
                         (body.queue, body.kind, Jsonb(body.payload), body.priority,
                          body.run_at, body.unique_key, body.rate_key, body.max_attempts))
    return await run(request, act, 201, write=True)


@router.get("/jobs", response_model=m.Page[m.JobSummary], tags=["jobs"],
            summary="Waiting, running and dead jobs, newest first (api.list_jobs)")
async def list_jobs(request: Request,
                    state: str | None = Query(None, max_length=20,
                                              description="scheduled, available, running, dead"),
                    queue: str | None = Query(None, max_length=200), limit: int = Limit,
                    cursor: str | None = Cursor) -> Response:
    async def act(conn: Conn) -> m.Page[m.JobSummary]:
        return await page(conn, m.JobSummary,
                          "SELECT * FROM api.list_jobs(p_state => %s, p_queue => %s, "
                          "p_limit => %s, p_cursor => %s)", (state, queue, limit, cursor), limit)
    return await run(request, act)


@router.get("/jobs/{job_id}", response_model=m.Job, tags=["jobs"], responses=NOT_FOUND,
            summary="One job, waiting, running, dead or finished (api.get_job)")
async def get_job(request: Request, job_id: UUID = Path()) -> Response:
    async def act(conn: Conn) -> m.Job:
        return await one(conn, m.Job, "SELECT * FROM api.get_job(p_job_id => %s)", (job_id,))
    return await run(request, act)


@router.post("/jobs/{job_id}/cancel", response_model=m.JobState, tags=["jobs"],
             responses={**NOT_FOUND, **CONFLICT}, summary="Cancel a job (api.cancel_job)")
async def cancel_job(request: Request, job_id: UUID = Path(),
                     idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> m.JobState:
        return await one(conn, m.JobState, "SELECT api.cancel_job(p_job_id => %s) AS state",
                         (job_id,))
    return await run(request, act, write=True)


@router.post("/jobs/{job_id}/retry", status_code=204, tags=["jobs"],
             responses={**NOT_FOUND, **CONFLICT}, summary="Retry a dead job (api.retry_job)")
async def retry_job(request: Request, job_id: UUID = Path(),
                    idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> None:
        await conn.execute("SELECT api.retry_job(p_job_id => %s)", (job_id,))
    return await run(request, act, 204, write=True)


# -- schedules ------------------------------------------------------------------------------

@router.post("/schedules", status_code=201, response_model=m.ScheduleCreated,
             tags=["schedules"], responses=CONFLICT,
             summary="Create a cron schedule in an IANA zone (api.create_schedule)")
async def create_schedule(request: Request, body: m.ScheduleIn,
                          idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> m.ScheduleCreated:
        return await one(conn, m.ScheduleCreated,
                         "SELECT schedule_id, next_fire_at FROM api.create_schedule(p_name => %s, "
                         "p_cron => %s, p_time_zone => %s, p_queue => %s, p_kind => %s, "
                         "p_payload => %s, p_catch_up => %s)",
                         (body.name, body.cron, body.time_zone, body.queue, body.kind,
                          Jsonb(body.payload), body.catch_up))
    return await run(request, act, 201, write=True)


@router.get("/schedules", response_model=m.Page[m.Schedule], tags=["schedules"],
            summary="The tenant's schedules (api.list_schedules)")
async def list_schedules(request: Request, limit: int = Limit,
                         cursor: str | None = Cursor) -> Response:
    async def act(conn: Conn) -> m.Page[m.Schedule]:
        return await page(conn, m.Schedule,
                          "SELECT * FROM api.list_schedules(p_limit => %s, p_cursor => %s)",
                          (limit, cursor), limit)
    return await run(request, act)


def _pause_route(paused: bool) -> Callable[..., Awaitable[Response]]:
    async def route(request: Request, schedule_id: UUID = Path(),
                    idempotency_key: str | None = IDEMPOTENCY) -> Response:
        async def act(conn: Conn) -> m.NextFire:
            return await one(conn, m.NextFire,
                             "SELECT api.set_schedule_paused(p_schedule_id => %s, p_paused => %s) "
                             "AS next_fire_at", (schedule_id, paused))
        return await run(request, act, write=True)
    return route


router.add_api_route("/schedules/{schedule_id}/pause", _pause_route(True), methods=["POST"],
                     response_model=m.NextFire, tags=["schedules"], responses=NOT_FOUND,
                     summary="Pause a schedule (api.set_schedule_paused)",
                     name="pause_schedule")
router.add_api_route("/schedules/{schedule_id}/resume", _pause_route(False), methods=["POST"],
                     response_model=m.NextFire, tags=["schedules"], responses=NOT_FOUND,
                     summary="Resume a schedule at its next slot (api.set_schedule_paused)",
                     name="resume_schedule")


@router.delete("/schedules/{schedule_id}", status_code=204, tags=["schedules"],
               responses=NOT_FOUND, summary="Delete a schedule (api.delete_schedule)")
async def delete_schedule(request: Request, schedule_id: UUID = Path(),
                          idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> None:
        await conn.execute("SELECT api.delete_schedule(p_schedule_id => %s)", (schedule_id,))
    return await run(request, act, 204, write=True)


# -- flows --------------------------------------------------------------------------------

@router.post("/flows", status_code=201, response_model=m.FlowStarted, tags=["flows"],
             responses=CONFLICT, summary="Start a durable flow run (api.start_flow_run)")
async def start_flow(request: Request, body: m.FlowIn,
                     idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> m.FlowStarted:
        return await one(conn, m.FlowStarted,
                         "SELECT run_id, created FROM api.start_flow_run(p_flow_name => %s, "
                         "p_input => %s, p_flow_version => %s, p_idempotency_key => %s, "
                         "p_trace_id => NULLIF(current_setting('claw.trace_id', true), ''), "
                         "p_queue => %s)",
                         (body.flow_name, Jsonb(body.input), body.flow_version,
                          body.idempotency_key, body.queue))
    return await run(request, act, 201, write=True)


@router.get("/flows", response_model=m.Page[m.FlowRunSummary], tags=["flows"],
            summary="Flow runs, newest first (api.list_flow_runs)")
async def list_flows(request: Request,
                     status: str | None = Query(None, max_length=20),
                     flow_name: str | None = Query(None, max_length=200),
                     limit: int = Limit, cursor: str | None = Cursor) -> Response:
    async def act(conn: Conn) -> m.Page[m.FlowRunSummary]:
        return await page(conn, m.FlowRunSummary,
                          "SELECT * FROM api.list_flow_runs(p_status => %s, p_flow_name => %s, "
                          "p_limit => %s, p_cursor => %s)", (status, flow_name, limit, cursor),
                          limit)
    return await run(request, act)


@router.get("/flows/{run_id}", response_model=m.FlowRun, tags=["flows"], responses=NOT_FOUND,
            summary="One flow run (api.get_flow_run)")
async def get_flow(request: Request, run_id: UUID = Path()) -> Response:
    async def act(conn: Conn) -> m.FlowRun:
        return await one(conn, m.FlowRun, "SELECT * FROM api.get_flow_run(p_run_id => %s)",
                         (run_id,))
    return await run(request, act)


@router.post("/flows/{run_id}/signals/{name}", response_model=m.SignalSent, tags=["flows"],
             responses={**NOT_FOUND, **CONFLICT},
             summary="Send a named signal; the first of a name wins (api.send_flow_signal)")
async def signal_flow(request: Request, body: m.SignalIn, run_id: UUID = Path(),
                      name: str = Path(min_length=1, max_length=200),
                      idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> m.SignalSent:
        return await one(conn, m.SignalSent,
                         "SELECT api.send_flow_signal(p_run_id => %s, p_name => %s, "
                         "p_payload => %s) AS delivered", (run_id, name, Jsonb(body.payload)))
    return await run(request, act, write=True)


@router.post("/flows/{run_id}/cancel", response_model=m.FlowCancelled, tags=["flows"],
             responses={**NOT_FOUND, **CONFLICT}, summary="Cancel a run (api.cancel_flow_run)")
async def cancel_flow(request: Request, run_id: UUID = Path(),
                      idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> m.FlowCancelled:
        return await one(conn, m.FlowCancelled,
                         "SELECT api.cancel_flow_run(p_run_id => %s) AS status", (run_id,))
    return await run(request, act, write=True)


# -- ontology -----------------------------------------------------------------------------

@router.get("/object-types", response_model=list[m.ObjectType], tags=["ontology"],
            summary="The tenant's object types (api.list_object_types)")
async def list_object_types(request: Request) -> Response:
    async def act(conn: Conn) -> list[m.ObjectType]:
        return [m.ObjectType.model_validate(r)
                for r in await fetch_all(conn, "SELECT * FROM api.list_object_types()")]
    return await run(request, act)


@router.get("/object-types/{name}", response_model=m.ObjectTypeDefinition, tags=["ontology"],
            responses=NOT_FOUND, summary="A type's definition (api.describe_object_type)")
async def describe_object_type(request: Request,
                               name: str = Path(min_length=1, max_length=200)) -> Response:
    async def act(conn: Conn) -> m.ObjectTypeDefinition:
        return await one(conn, m.ObjectTypeDefinition,
                         "SELECT * FROM api.describe_object_type(p_name => %s)", (name,))
    return await run(request, act)


@router.post("/objects", status_code=201, response_model=m.ObjectVersion, tags=["ontology"],
             responses={**NOT_FOUND, **CONFLICT},
             summary="Create an object, validated against its type (api.create_object)")
async def create_object(request: Request, body: m.ObjectIn,
                        idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> m.ObjectVersion:
        return await one(conn, m.ObjectVersion,
                         "SELECT object_id, version FROM api.create_object(p_type => %s, "
                         "p_properties => %s)", (body.type, Jsonb(body.properties)))
    return await run(request, act, 201, write=True)


@router.get("/objects", response_model=m.Page[m.ObjectSummary], tags=["ontology"],
            responses=NOT_FOUND, summary="A type's objects in creation order "
            "(api.list_objects_by_type)")
async def list_objects(request: Request, type: str = Query(min_length=1, max_length=200),
                       limit: int = Limit, cursor: str | None = Cursor,
                       include_deleted: bool = False) -> Response:
    async def act(conn: Conn) -> m.Page[m.ObjectSummary]:
        return await page(conn, m.ObjectSummary,
                          "SELECT * FROM api.list_objects_by_type(p_type => %s, p_limit => %s, "
                          "p_include_deleted => %s, p_cursor => %s)",
                          (type, limit, include_deleted, cursor), limit)
    return await run(request, act)


@router.get("/objects/{object_id}", response_model=m.OntologyObject, tags=["ontology"],
            responses=NOT_FOUND, summary="One object (api.get_object)")
async def get_object(request: Request, object_id: UUID = Path()) -> Response:
    async def act(conn: Conn) -> m.OntologyObject:
        return await one(conn, m.OntologyObject, "SELECT * FROM api.get_object(p_object_id => %s)",
                         (object_id,))
    return await run(request, act)


@router.patch("/objects/{object_id}", response_model=m.ObjectVersion, tags=["ontology"],
              responses={**NOT_FOUND, **CONFLICT},
              summary="Merge-patch an object's properties at a version (api.update_object)")
async def update_object(request: Request, body: m.ObjectPatch, object_id: UUID = Path(),
                        idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> m.ObjectVersion:
        return await one(conn, m.ObjectVersion,
                         "SELECT object_id, version FROM api.update_object(p_object_id => %s, "
                         "p_expected_version => %s, p_patch => %s)",
                         (object_id, body.expected_version, Jsonb(body.patch)))
    return await run(request, act, write=True)


@router.delete("/objects/{object_id}", response_model=m.DeletedVersion, tags=["ontology"],
               responses={**NOT_FOUND, **CONFLICT},
               summary="Soft-delete an object at a version (api.delete_object)")
async def delete_object(request: Request, object_id: UUID = Path(),
                        expected_version: int = Query(ge=1, le=2_147_483_647),
                        idempotency_key: str | None = IDEMPOTENCY) -> Response:
    async def act(conn: Conn) -> m.DeletedVersion:
        return await one(conn, m.DeletedVersion,
                         "SELECT api.delete_object(p_object_id => %s, p_expected_version => %s) "
                         "AS version", (object_id, expected_version))
    return await run(request, act, write=True)


# -- authz and search -----------------------------------------------------------------------

@router.post("/authz/check", response_model=m.CheckOut, tags=["authz"],
             responses={508: {**PROBLEM, "description": "relationship graph too deep or complex"}},
             summary="May the subject (default: the caller) hold the relation? "
             "(api.check_permission, or api.is_permitted with explain false; read-only)")
async def check_permission(request: Request, body: m.CheckIn) -> Response:
    async def act(conn: Conn) -> m.CheckOut:
        if not body.explain:
            return await one(conn, m.CheckOut,
                             "SELECT api.is_permitted(p_object => %s, p_relation => %s, "
                             "p_subject => %s, p_consistency_token => %s) AS allowed, "
                             "NULL::jsonb AS explanation, NULL::text AS consistency_token",
                             (body.object, body.relation, body.subject, body.consistency_token))
        return await one(conn, m.CheckOut,
                         "SELECT * FROM api.check_permission(p_object => %s, p_relation => %s, "
                         "p_subject => %s, p_consistency_token => %s)",
                         (body.object, body.relation, body.subject, body.consistency_token))
    return await run(request, act)


@router.post("/authz/tuples", response_model=m.TuplesWritten, tags=["authz"],
             responses=CONFLICT, summary="Write and delete relationship tuples (api.write_tuples)")
async def write_tuples(request: Request, body: m.TuplesIn,
                       idempotency_key: str | None = IDEMPOTENCY) -> Response:
    def tuples(items: list[m.TupleIn]) -> Jsonb:
        return Jsonb([t.model_dump(mode="json", exclude_none=True) for t in items])

    async def act(conn: Conn) -> m.TuplesWritten:
        return await one(conn, m.TuplesWritten,
                         "SELECT * FROM api.write_tuples(p_writes => %s, p_deletes => %s)",
                         (tuples(body.writes), tuples(body.deletes)))
    return await run(request, act, write=True)


@router.post("/documents/search", response_model=list[m.SearchHit], tags=["search"],
             summary="Permission-aware hybrid search (api.search_documents; read-only)")
async def search_documents(request: Request, body: m.SearchIn) -> Response:
    embedding = None

    async def embed() -> None:  # after the credential is verified and the rate limit charged
        nonlocal embedding
        from claw.embeddings import to_pgvector

        embedder = request.app.state.embedder()
        vectors = await asyncio.to_thread(embedder.embed, [body.query])
        embedding = to_pgvector(vectors[0])

    async def act(conn: Conn) -> list[m.SearchHit]:
        rows = await fetch_all(conn, "SELECT * FROM api.search_documents(p_query => %s, "
                               "p_embedding => %s, p_limit => %s, p_relation => %s, "
                               "p_subject => %s, p_mode => %s, p_consistency_token => %s)",
                               (body.query, embedding, body.limit, body.relation, body.subject,
                                body.mode, body.consistency_token))
        return [m.SearchHit.model_validate(r) for r in rows]
    return await run(request, act, before=embed if body.mode != "text" else None)


# -- problem types ----------------------------------------------------------------------------

problems_router = APIRouter(tags=["errors"])


@problems_router.get("/errors/{name}", response_model=m.Problem,
                     responses={404: {**PROBLEM, "description": "no such problem type"},
                                422: COMMON[422]},
                     summary="What a problem type means (its type URI resolves here)")
async def problem_type(name: str = Path(max_length=100)) -> dict[str, Any]:
    types = problem_types()
    if name not in types:
        raise Problem(404, "route_not_found", f"no problem type {name!r}")
    status, meaning = types[name]
    return {"type": f"https://claw.dev/errors/{name}", "title": name.replace("_", " "),
            "status": status, "detail": meaning}
