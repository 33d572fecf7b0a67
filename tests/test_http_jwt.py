"""JWT authentication at the HTTP edge: `Authorization: Bearer <JWT>` goes to
api.authenticate_jwt in the request's transaction. Each attack (expired, not yet valid,
wrong audience, unknown kid, alg none, alg confusion, a token for tenant A on tenant B's
objects) is refused with a 401 problem or finds nothing, and a valid token acts in its own
tenant only. tests/test_jwt_attacks.py shows each check in the database failing open when
broken; this shows the edge hands every token to that check."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest

from conftest import Database, Tenant, seed_tenants
from http_support import Api, bearer, in_process
from jwt_support import ISSUER, Key, claims, hs256_with_public_key, jwks, unsigned


@dataclass
class JwtWorld:
    api: Api
    key: Key
    other: Key


@pytest.fixture(scope="module")
def keys() -> tuple[Key, Key]:
    return Key.generate("k1"), Key.generate("k2")


@pytest.fixture
def world(db: Database, keys: tuple[Key, Key]) -> Iterator[JwtWorld]:
    tenants = seed_tenants(db, ("a", "b"), extra_principals=0)
    with db.connect() as conn:
        for t in tenants.values():
            issuer = conn.execute("SELECT tenancy.add_jwt_issuer(%s, %s, %s)",
                                  (t.tenant_id, ISSUER, f"claw-{t.name}")).fetchone()[0]
            conn.execute("SELECT * FROM tenancy.set_jwt_keys(%s, %s)",
                         (issuer, psycopg.types.json.Jsonb(jwks(keys[0]))))
            conn.execute("SELECT tenancy.link_jwt_subject(%s, %s, %s)",
                         (issuer, f"user-{t.name}", t.owner_id))
    with in_process(db, tenants) as api:
        yield JwtWorld(api, keys[0], keys[1])


def token(w: JwtWorld, tenant: str = "a", **extra: object) -> str:
    return w.key.sign(claims(f"claw-{tenant}", f"user-{tenant}", **extra))  # type: ignore[arg-type]


def refused(w: JwtWorld, jwt: str, reason: str) -> None:
    resp = w.api.client.get("/v1/whoami", headers=bearer(jwt))
    assert resp.status_code == 401, resp.text
    doc = resp.json()
    assert doc["type"] == "https://claw.dev/errors/unauthenticated" and doc["code"] == "CL401"
    assert reason in (doc["detail"] + " " + (doc.get("context") or "")), doc


def test_a_valid_jwt_acts_in_its_tenant(world: JwtWorld) -> None:
    a = world.api.tenants["a"]
    who = world.api.client.get("/v1/whoami", headers=bearer(token(world))).json()
    assert who["tenant_id"] == a.tenant_id and who["principal_id"] == a.owner_id
    job = world.api.client.post("/v1/jobs", headers=bearer(token(world)),
                                json={"queue": "q", "kind": "k"})
    assert job.status_code == 201, job.text


@pytest.mark.parametrize(("name", "make", "reason"), [
    ("expired", lambda w: w.key.sign(claims("claw-a", "user-a", time.time() - 7200)),
     "expired"),
    ("not_yet_valid", lambda w: token(w, nbf=int(time.time()) + 3600), "not yet valid"),
    ("wrong_audience", lambda w: w.key.sign(claims("claw-elsewhere", "user-a")), "audience"),
    ("unknown_kid", lambda w: w.key.sign(claims("claw-a", "user-a"), kid="k9"), "kid"),
    ("key_not_published", lambda w: w.other.sign(claims("claw-a", "user-a"), kid="k1"),
     "signature"),
    ("alg_none", lambda w: unsigned(claims("claw-a", "user-a"), "k1") + "eA", "algorithm"),
    ("alg_confusion", lambda w: hs256_with_public_key(claims("claw-a", "user-a"), w.key),
     "algorithm"),
    ("garbage", lambda w: "not.a.jwt", ""),
])
def test_jwt_attacks_are_401_problems(world: JwtWorld, name: str, make: object,
                                      reason: str) -> None:
    refused(world, make(world), reason)  # type: ignore[operator]


def test_tenant_a_token_on_tenant_b_objects(world: JwtWorld) -> None:
    b_job = world.api.client.post("/v1/jobs", headers=world.api.as_("b"),
                                  json={"queue": "q", "kind": "secret"}).json()["job_id"]
    resp = world.api.client.get(f"/v1/jobs/{b_job}", headers=bearer(token(world)))
    assert resp.status_code == 404 and resp.json()["code"] == "CL404"
    cancel = world.api.client.post(f"/v1/jobs/{b_job}/cancel", headers=bearer(token(world)))
    assert cancel.status_code == 404
    listed = world.api.client.get("/v1/jobs", headers=bearer(token(world))).json()["items"]
    assert b_job not in {j["job_id"] for j in listed}
    assert world.api.client.get(f"/v1/jobs/{b_job}", headers=world.api.as_("b")).json()[
        "state"] == "available"
