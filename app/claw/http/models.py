"""Request and response schemas of the HTTP API (they make the OpenAPI document). Field
rules that the database enforces (roles, states, cron syntax, ontology properties) stay in
the database; these only shape JSON and bound sizes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

Name = Field(min_length=1, max_length=200)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="pass as ?cursor= to get the next page; null on the last page")


class Problem(BaseModel):
    """RFC 9457 problem document (application/problem+json)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": "https://claw.dev/errors/not_found", "title": "not found", "status": 404,
        "detail": "job not found", "hint": "finished jobs are kept for the history retention",
        "code": "CL404", "context": "no job 0196... in this tenant",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}]})

    type: str = Field(description="https://claw.dev/errors/<name>: one per error code")
    title: str
    status: int
    detail: str
    hint: str | None = None
    code: str | None = Field(None, description="the SQLSTATE (CL401 ... CL508, 23505, ...)")
    context: str | None = Field(None, description="the database's DETAIL")
    trace_id: str | None = None
    errors: list[dict[str, Any]] | None = Field(
        None, description="validation problems: one per field (field, message)")


# -- identity -----------------------------------------------------------------------------

class Whoami(BaseModel):
    tenant_id: UUID
    principal_id: UUID
    roles: list[str]
    scopes: list[str]


class PrincipalIn(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "agent", "handle": "dispatch-agent", "display_name": "Dispatch agent",
        "roles": ["operator"]}]})
    kind: Literal["person", "service", "agent"]
    handle: str = Name
    display_name: str = Name
    roles: list[str] = Field(default_factory=list, max_length=10)


class Created(BaseModel):
    id: UUID


class Principal(BaseModel):
    principal_id: UUID
    kind: str
    handle: str
    display_name: str
    roles: list[str]
    disabled_at: datetime | None
    created_at: datetime


class RoleIn(Strict):
    role: str = Field(min_length=1, max_length=50, examples=["approver"])


class ApiKeyIn(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "billing-bot", "scopes": ["queue:write", "queue:read"]}]})
    name: str = Name
    principal_id: UUID | None = None
    scopes: list[str] = Field(default_factory=lambda: ["*"], max_length=50)
    expires_at: datetime | None = None


class ApiKeyCreated(BaseModel):
    api_key_id: UUID
    api_key: str = Field(description="the whole key, shown once")


class ApiKey(BaseModel):
    api_key_id: UUID
    principal_id: UUID
    name: str
    prefix: str
    scopes: list[str]
    status: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class Revoked(BaseModel):
    revoked_at: datetime


# -- jobs and schedules ---------------------------------------------------------------------

class JobIn(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "queue": "default", "kind": "sms.send", "payload": {"to": "+61400000000"},
        "priority": 0, "unique_key": "order-4711"}]})
    queue: str = Name
    kind: str = Name
    payload: dict[str, Any] = Field(default_factory=dict)
    priority: int = Field(0, ge=-32768, le=32767)
    run_at: datetime | None = None
    unique_key: str | None = Field(None, max_length=500)
    rate_key: str | None = Field(None, max_length=500)
    max_attempts: int = Field(5, ge=1, le=1000)


class JobEnqueued(BaseModel):
    job_id: UUID
    deduplicated: bool


class Job(BaseModel):
    job_id: UUID
    queue: str
    kind: str
    state: str
    payload: Any
    priority: int
    attempts: int
    max_attempts: int
    run_at: datetime | None
    unique_key: str | None
    errors: Any
    trace_id: str | None
    enqueued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobSummary(BaseModel):
    job_id: UUID
    queue: str
    kind: str
    state: str
    attempts: int
    max_attempts: int
    run_at: datetime | None
    last_error: str | None
    enqueued_at: datetime


class JobState(BaseModel):
    state: str


class ScheduleIn(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "daily-summary", "cron": "0 6 * * *", "time_zone": "Australia/Sydney",
        "queue": "default", "kind": "report.daily"}]})
    name: str = Name
    cron: str = Field(min_length=1, max_length=200)
    time_zone: str = Field(min_length=1, max_length=100)
    queue: str = Name
    kind: str = Name
    payload: dict[str, Any] = Field(default_factory=dict)
    catch_up: bool = False


class ScheduleCreated(BaseModel):
    schedule_id: UUID
    next_fire_at: datetime


class Schedule(BaseModel):
    schedule_id: UUID
    name: str
    cron: str
    time_zone: str
    queue: str
    kind: str
    catch_up: bool
    paused: bool
    next_fire_at: datetime | None
    last_fired_at: datetime | None
    last_error: dict[str, Any] | None = None  # the failed fire that paused it


class NextFire(BaseModel):
    next_fire_at: datetime | None


# -- flows --------------------------------------------------------------------------------

class FlowIn(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "flow_name": "job.delay-notice", "input": {"job": 4711}, "idempotency_key": "job-4711"}]})
    flow_name: str = Name
    input: dict[str, Any] = Field(default_factory=dict)
    flow_version: int = Field(1, ge=1, le=1_000_000)
    idempotency_key: str | None = Field(None, max_length=500)
    queue: str = Field("flows", min_length=1, max_length=200)


class FlowStarted(BaseModel):
    run_id: UUID
    created: bool


class FlowRun(BaseModel):
    run_id: UUID
    flow_name: str
    flow_version: int
    status: str
    input: Any
    output: Any
    error: Any
    idempotency_key: str | None
    parent_run_id: UUID | None
    forked_from_run_id: UUID | None
    trace_id: str | None
    next_position: int
    wake_at: datetime | None
    wait_signal: str | None
    wait_child_run_id: UUID | None
    cancel_requested_at: datetime | None
    dispatches: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class FlowRunSummary(BaseModel):
    run_id: UUID
    flow_name: str
    flow_version: int
    status: str
    next_position: int
    parent_run_id: UUID | None
    trace_id: str | None
    error: Any
    created_at: datetime
    finished_at: datetime | None


class SignalIn(Strict):
    payload: dict[str, Any] = Field(default_factory=dict, examples=[{"ok": True}])


class SignalSent(BaseModel):
    delivered: bool = Field(description="false when the run already had a signal of this name")


class FlowCancelled(BaseModel):
    status: str = Field(description="cancelled, or cancelling (a worker stops it)")


# -- ontology -----------------------------------------------------------------------------

class ObjectIn(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "type": "customer", "properties": {"email": "smith@example.com", "name": "Smith"}}]})
    type: str = Name
    properties: dict[str, Any]


class ObjectPatch(Strict):
    expected_version: int = Field(ge=1, le=2_147_483_647)
    patch: dict[str, Any] = Field(description="JSON merge patch of the properties")


class ObjectVersion(BaseModel):
    object_id: UUID
    version: int


class DeletedVersion(BaseModel):
    version: int


class OntologyObject(BaseModel):
    object_id: UUID
    type: str
    version: int
    properties: dict[str, Any]
    created_by: UUID | None
    updated_by: UUID | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class ObjectSummary(BaseModel):
    object_id: UUID
    version: int
    properties: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class ObjectType(BaseModel):
    type_id: UUID
    name: str
    description: str | None
    version: int
    properties: int
    live_objects: int
    updated_at: datetime


class ObjectTypeDefinition(BaseModel):
    type_id: UUID
    version: int
    definition: dict[str, Any]
    updated_at: datetime


# -- authz and search -----------------------------------------------------------------------

class CheckIn(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "object": "invoice:42", "relation": "approver", "subject": "user:alice"}]})
    object: str = Field(min_length=1, max_length=500)
    relation: str = Field(min_length=1, max_length=200)
    subject: str | None = Field(None, max_length=500)
    consistency_token: str | None = Field(None, max_length=500)
    # false: yes or no only (api.is_permitted), without the explanation and the snapshot's token
    explain: bool = True


class CheckOut(BaseModel):
    allowed: bool
    explanation: Any
    consistency_token: str | None


class TupleIn(Strict):
    object: str = Field(min_length=1, max_length=500)
    relation: str = Field(min_length=1, max_length=200)
    subject: str = Field(min_length=1, max_length=500)
    expires_at: datetime | None = None


class TuplesIn(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "writes": [{"object": "team:ops", "relation": "member", "subject": "user:alice"}],
        "deletes": []}]})
    writes: list[TupleIn] = Field(default_factory=list, max_length=1000)
    deletes: list[TupleIn] = Field(default_factory=list, max_length=1000)


class TuplesWritten(BaseModel):
    written: int
    deleted: int
    consistency_token: str | None


class SearchIn(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "query": "who pays late", "limit": 10, "mode": "hybrid"}]})
    query: str = Field(min_length=1, max_length=2000, pattern=r"\S",
                       description="the question; not only white space")
    limit: int = Field(10, ge=1, le=100)
    relation: str | None = Field("viewer", max_length=200)
    subject: str | None = Field(None, max_length=500)
    mode: Literal["hybrid", "vector", "text"] = "hybrid"
    consistency_token: str | None = Field(None, max_length=500)


class SearchHit(BaseModel):
    document_id: UUID
    object_id: UUID | None
    authz_object: str
    title: str
    body: str
    score: float
    vector_rank: int | None
    text_rank: int | None


# -- audit, health --------------------------------------------------------------------------

class ChainStatus(BaseModel):
    tenant_id: UUID
    events: int
    head_seq: int
    ok: bool
    first_bad_seq: int | None
    problem: str | None


class AuditVerification(BaseModel):
    intact: bool
    chains: list[ChainStatus]


class DigestProblem(BaseModel):
    tenant_id: UUID | None
    seq: int | None
    problem: str


class DigestVerification(BaseModel):
    intact: bool
    problems: list[DigestProblem]
    root: str | None = Field(None, description="the digest's root: compare it with the one "
                             "published when it was written, or pass that as ?root=")


class Health(BaseModel):
    status: str
    checks: dict[str, Any] = Field(default_factory=dict)
