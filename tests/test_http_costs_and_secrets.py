"""The edge never keeps a secret it hands out and never spends before it knows who asks:
an API key created with an Idempotency-Key is not stored in plaintext, and its replay tells
the client the secret was shown once; a stored response replays only to the credential that
made it; document search authenticates and charges the rate limit before it embeds the query
(a CPU-heavy local model, or a paid provider)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from conftest import Database, Tenant
from http_support import Api, bearer, in_process


@pytest.fixture
def api(seeded: tuple[Database, dict[str, Tenant]]) -> Iterator[Api]:
    db, tenants = seeded
    with in_process(db, tenants) as a:
        yield a


def test_a_created_api_key_is_never_stored_and_its_replay_says_so(api: Api) -> None:
    h = {**api.as_("a"), "Idempotency-Key": "mint-1"}
    first = api.client.post("/v1/api-keys", headers=h, json={"name": "bot"})
    assert first.status_code == 201, first.text
    created = first.json()
    with api.db.connect() as conn:
        stored = [r[0] for r in conn.execute("SELECT response_body FROM edge.idempotency_keys")]
    assert len(stored) == 1 and created["api_key"] not in stored[0]
    again = api.client.post("/v1/api-keys", headers=h, json={"name": "bot"})
    assert again.status_code == 409, again.text
    assert again.headers["content-type"] == "application/problem+json"
    doc = again.json()
    assert doc["type"] == "https://claw.dev/errors/secret_not_replayed"
    assert doc["response"] == {"api_key_id": created["api_key_id"], "api_key": None}
    assert again.headers["idempotent-replayed"] == "true"
    # the key was created once, and it works
    with api.db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM tenancy.api_keys WHERE name = 'bot'"
                            ).fetchone()[0] == 1  # type: ignore[index]
    assert api.client.get("/v1/jobs", headers=bearer(created["api_key"])).status_code == 200


def test_a_narrower_key_of_the_principal_cannot_replay_a_stored_response(api: Api) -> None:
    owner = api.as_("a")
    narrow = api.client.post("/v1/api-keys", headers=owner,
                             json={"name": "reader", "scopes": ["queue:read"]}).json()["api_key"]
    assert api.client.post("/v1/jobs", headers=bearer(narrow),
                           json={"queue": "q", "kind": "noop"}).status_code == 403
    body = {"queue": "q", "kind": "noop"}
    first = api.client.post("/v1/jobs", headers={**owner, "Idempotency-Key": "j-1"}, json=body)
    assert first.status_code == 201, first.text
    replay = api.client.post("/v1/jobs", headers={**bearer(narrow), "Idempotency-Key": "j-1"},
                             json=body)
    assert replay.status_code == 422, replay.text
    assert "another credential" in replay.json()["context"]
    assert "idempotent-replayed" not in replay.headers
    same = api.client.post("/v1/jobs", headers={**owner, "Idempotency-Key": "j-1"}, json=body)
    assert same.status_code == 201 and same.headers["idempotent-replayed"] == "true"


class CountingEmbedder:
    dimension = 256

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        return [[1.0] + [0.0] * 255 for _ in texts]


def test_search_embeds_nothing_for_a_refused_credential(api: Api) -> None:
    emb = CountingEmbedder()
    api.client.app.state.embedder = lambda: emb  # type: ignore[attr-defined]
    for token in ("ck_not-a-key", "not.a.jwt"):
        resp = api.client.post("/v1/documents/search",
                               headers={"Authorization": f"Bearer {token}"},
                               json={"query": "who pays late", "mode": "hybrid"})
        assert resp.status_code == 401, resp.text
    assert emb.calls == 0


def test_search_embeds_nothing_for_a_rate_limited_request(api: Api) -> None:
    t = api.tenants["a"]
    with api.db.connect() as conn:
        conn.execute("SELECT edge.set_request_limits(%s, p_credential_per_minute => 1, "
                     "p_credential_burst => 1)", (t.tenant_id,))
    emb = CountingEmbedder()
    api.client.app.state.embedder = lambda: emb  # type: ignore[attr-defined]
    statuses = [api.client.post("/v1/documents/search", headers=api.as_("a"),
                                json={"query": "late", "mode": "hybrid"}).status_code
                for _ in range(4)]
    assert statuses[0] == 200 and statuses.count(429) >= 2, statuses
    assert emb.calls == statuses.count(200), (statuses, emb.calls)
