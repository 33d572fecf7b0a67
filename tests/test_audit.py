"""The audit ledger: append-only for every role (even superusers in replica mode), gapless
valid chains under concurrency, and tampering found: a changed row by verify_chains, a
rewritten and re-chained history by verify_digest against an earlier checkpoint."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest

from claw import audit
from conftest import Database, Tenant, run_cli

ATTACKS = ["UPDATE audit.events SET action = 'x'", "DELETE FROM audit.events",
           "TRUNCATE audit.events", "DELETE FROM audit.chain_heads", "TRUNCATE audit.chain_heads CASCADE",
           "UPDATE audit.chain_heads SET seq = 0"]


@pytest.mark.parametrize("who", ["claw_runtime", "claw_worker", "claw_admin", "claw_auditor",
                                 "claw_owner", "superuser", "superuser_replica"])
@pytest.mark.parametrize("attack", ATTACKS)
def test_ledger_is_append_only_for_everyone(seeded: tuple[Database, dict[str, Tenant]],
                                            who: str, attack: str) -> None:
    db, tenants = seeded
    login = who if who.startswith("claw_") and who != "claw_owner" else "postgres"
    with db.connect(login) as conn:
        if who == "claw_owner":
            conn.execute("SET ROLE claw_owner")
            # with a valid context, so RLS would let it see its tenant's rows
            conn.execute("BEGIN")
            conn.execute("SELECT internal.set_context(%s, NULL, '{system}')",
                         (tenants["a"].tenant_id,))
        if who == "superuser_replica":
            conn.execute("SET session_replication_role = replica")
        with pytest.raises(psycopg.Error) as info:
            conn.execute(attack)
        # Privileges refuse first where they exist; the guard triggers refuse the rest (the
        # owner keeps UPDATE on chain heads for audit.append, superusers bypass privileges).
        expected = {"superuser": "CL403", "superuser_replica": "CL403"}.get(who, "42501")
        if who == "claw_owner" and attack.startswith("UPDATE audit.chain_heads"):
            expected = "CL403"
        assert info.value.sqlstate == expected, info.value
    with db.connect() as conn:
        assert conn.execute("SELECT bool_and(ok), sum(events) FROM audit.verify_chains()").fetchone()[0]


def append_events(db: Database, tenant_id: str, count: int, errors: list[BaseException]) -> None:
    try:
        with db.connect() as conn:
            conn.execute("SET ROLE claw_owner")
            for i in range(count):
                with conn.transaction():
                    conn.execute("SELECT internal.set_context(%s, NULL, '{system}')", (tenant_id,))
                    conn.execute("SELECT audit.append(%s, 'test.concurrent', 'test', %s, NULL, %s)",
                                 (tenant_id, str(i), json.dumps({"i": i})))
    except BaseException as exc:  # collected and re-raised by the test
        errors.append(exc)


def test_concurrent_appends_leave_gapless_valid_chains(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    four = list(tenants.values()) + [Tenant("d", "", "", "")]
    with db.connect() as conn:
        row = conn.execute("SELECT tenant_id::text FROM tenancy.create_tenant('tenant-d', 'D', 'o', 'O')").fetchone()
    four[3] = Tenant("d", row[0], "", "")
    with db.connect() as conn:
        before = dict(conn.execute("SELECT tenant_id::text, seq FROM audit.chain_heads").fetchall())
    per_conn, errors = 50, []
    threads = [threading.Thread(target=append_events,
                                args=(db, four[i % 4].tenant_id, per_conn, errors))
               for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with db.connect() as conn:
        rows = conn.execute("SELECT tenant_id::text, events, head_seq, ok FROM audit.verify_chains()").fetchall()
        for tenant_id, events, head_seq, ok in rows:
            assert ok, tenant_id
            assert events == head_seq == before[tenant_id] + 4 * per_conn
            seqs = [r[0] for r in conn.execute(
                "SELECT seq FROM audit.events WHERE tenant_id = %s ORDER BY seq", (tenant_id,))]
            assert seqs == list(range(1, head_seq + 1))


def superuser_tamper(conn: psycopg.Connection, sql: str, params: tuple = ()) -> None:
    conn.execute("ALTER TABLE audit.events DISABLE TRIGGER USER")
    conn.execute("ALTER TABLE audit.chain_heads DISABLE TRIGGER USER")
    conn.execute("SET session_replication_role = replica")  # no foreign key checks either
    try:
        conn.execute(sql, params)
    finally:
        conn.execute("SET session_replication_role = origin")
        conn.execute("ALTER TABLE audit.events ENABLE TRIGGER USER")
        conn.execute("ALTER TABLE audit.chain_heads ENABLE TRIGGER USER")
        for table, trigger in [("events", "100_append_only"), ("events", "100_no_truncate"),
                               ("chain_heads", "100_forward_only"),
                               ("chain_heads", "100_no_truncate")]:
            conn.execute(f'ALTER TABLE audit.{table} ENABLE ALWAYS TRIGGER "{trigger}"')


def test_tampered_row_is_reported_at_that_row(seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    b = tenants["b"].tenant_id
    with db.connect() as conn:
        superuser_tamper(conn, "UPDATE audit.events SET after = after || '{\"handle\": \"mallory\"}' "
                               "WHERE tenant_id = %s AND seq = 5", (b,))
        rows = {r[0]: r[1:] for r in conn.execute(
            "SELECT tenant_id::text, ok, first_bad_seq, problem FROM audit.verify_chains()")}
    assert rows[b] == (False, 5, "row hash mismatch")
    assert all(v[0] for k, v in rows.items() if k != b)
    proc = run_cli("audit", "verify", env={"DATABASE_URL": db.url()})
    assert proc.returncode == 1
    assert f"BROKEN tenant {b} seq 5: row hash mismatch" in proc.stdout


def test_the_verifiers_search_path_cannot_blind_the_hash_comparisons(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """A schema listed before pg_catalog in the verifier's search_path, with bytea `<>`
    that is never true and `=` that always is, must not make a tampered chain look intact:
    the verification functions pin their own search_path."""
    db, tenants = seeded
    b = tenants["b"].tenant_id
    with db.connect() as conn:
        superuser_tamper(conn, "UPDATE audit.events SET after = after || '{\"handle\": \"eve\"}' "
                               "WHERE tenant_id = %s AND seq = 4", (b,))
        conn.execute("CREATE SCHEMA blind")
        conn.execute("CREATE FUNCTION blind.never(bytea, bytea) RETURNS boolean "
                     "LANGUAGE sql IMMUTABLE AS 'SELECT false'")
        conn.execute("CREATE FUNCTION blind.always(bytea, bytea) RETURNS boolean "
                     "LANGUAGE sql IMMUTABLE AS 'SELECT true'")
        conn.execute("CREATE OPERATOR blind.<> (LEFTARG = bytea, RIGHTARG = bytea, "
                     "FUNCTION = blind.never)")
        conn.execute("CREATE OPERATOR blind.= (LEFTARG = bytea, RIGHTARG = bytea, "
                     "FUNCTION = blind.always)")
        conn.execute("SET search_path = blind, pg_catalog, public")
        assert conn.execute("SELECT '\\x01'::bytea <> '\\x02'::bytea").fetchone() == (False,), \
            "the blinding operators are in force for this session"
        row = conn.execute("SELECT ok, first_bad_seq, problem FROM audit.verify_chains(%s)",
                           (b,)).fetchone()
        digest = conn.execute("SELECT audit.checkpoint()").fetchone()
    assert row == (False, 4, "row hash mismatch")
    assert digest is not None and digest[0]["root"]


@pytest.mark.parametrize("change,problem,seq", [
    ("DELETE FROM audit.events WHERE tenant_id = %s AND seq = 3", "gap", 4),
    ("UPDATE audit.events SET prev_hash = sha256('x') WHERE tenant_id = %s AND seq = 4",
     "row hash mismatch", 4),
    ("DELETE FROM audit.events WHERE tenant_id = %s AND seq = (SELECT max(seq) FROM audit.events "
     "WHERE tenant_id = %s)", "head mismatch", None),
    # the chain head row deleted: the verifiers started from chain_heads and skipped the
    # tenant's events altogether, an edit included
    ("DELETE FROM audit.chain_heads WHERE tenant_id = %s", "head missing", None),
    ("WITH e AS (UPDATE audit.events SET after = after || '{\"x\": 1}' WHERE tenant_id = %s "
     "AND seq = 2) DELETE FROM audit.chain_heads WHERE tenant_id = %s", "row hash mismatch", 2),
])
def test_other_tampering_is_found(seeded: tuple[Database, dict[str, Tenant]], change: str,
                                  problem: str, seq: int | None) -> None:
    db, tenants = seeded
    a = tenants["a"].tenant_id
    with db.connect() as conn:
        superuser_tamper(conn, change, (a,) * change.count("%s"))
        ok, first_bad, found = conn.execute(
            "SELECT ok, first_bad_seq, problem FROM audit.verify_chains(%s)", (a,)).fetchone()
    assert not ok and found == problem
    if seq is not None:
        assert first_bad == seq


RECHAIN = """
DO $$
DECLARE r record; v_prev bytea; v_hash bytea;
BEGIN
  UPDATE audit.events SET after = after || '{"display_name": "Rewritten"}'
  WHERE tenant_id = %(t)s AND seq = 2;
  FOR r IN SELECT * FROM audit.events WHERE tenant_id = %(t)s ORDER BY seq LOOP
    v_prev := coalesce(v_hash, r.prev_hash);
    v_hash := sha256(convert_to(audit.encode_event(r.tenant_id, r.seq, r.occurred_at,
      r.actor_principal_id, r.db_user, r.action, r.target_table, r.target_id, r.before, r.after,
      r.trace_id, v_prev), 'UTF8'));
    UPDATE audit.events SET prev_hash = v_prev, row_hash = v_hash
    WHERE tenant_id = r.tenant_id AND seq = r.seq;
  END LOOP;
  UPDATE audit.chain_heads SET head_hash = v_hash WHERE tenant_id = %(t)s;
END $$;
"""


def test_rewritten_history_is_caught_against_an_earlier_digest(
        seeded: tuple[Database, dict[str, Tenant]], tmp_path: Path) -> None:
    db, tenants = seeded
    env = {"DATABASE_URL": db.url()}
    digest = tmp_path / "checkpoint.json"
    proc = run_cli("audit", "checkpoint", "--out", str(digest), env=env)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(digest.read_text())["heads"]) == 3

    # the ledger grows normally: it still extends the digest
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(%s)", (tenants["c"].api_key,))
        conn.execute("SELECT api.create_principal('agent', 'later', 'Later')")
    assert run_cli("audit", "verify", "--digest", str(digest), env=env).returncode == 0

    # a superuser rewrites tenant A's history and re-chains it: every link checks out ...
    a = tenants["a"].tenant_id
    with db.connect() as conn:
        superuser_tamper(conn, RECHAIN.replace("%(t)s", f"'{a}'"))
    plain = run_cli("audit", "verify", env=env)
    assert plain.returncode == 0, plain.stdout
    # ... but not against the digest kept outside the database
    proc = run_cli("audit", "verify", "--digest", str(digest), env=env)
    assert proc.returncode == 1
    head_seq = next(h["seq"] for h in json.loads(digest.read_text())["heads"] if h["tenant_id"] == a)
    assert f"BROKEN tenant {a} seq {head_seq}: history rewritten" in proc.stdout

    # and a digest file edited to match is caught by its root
    doctored = json.loads(digest.read_text())
    doctored["heads"][0]["head_hash"] = "00" * 32
    digest.write_text(json.dumps(doctored))
    proc = run_cli("audit", "verify", "--digest", str(digest), env=env)
    assert proc.returncode == 1 and "digest root mismatch" in proc.stdout


def test_an_edit_hidden_by_deleting_the_chain_head_fails_verify_and_the_digest(
        seeded: tuple[Database, dict[str, Tenant]], tmp_path: Path) -> None:
    """A superuser edits an event of tenant B and deletes B's chain_heads row: `claw audit
    verify` said intact, with or without a digest (both started from chain_heads)."""
    db, tenants = seeded
    env = {"DATABASE_URL": db.url()}
    digest = tmp_path / "checkpoint.json"
    assert run_cli("audit", "checkpoint", "--out", str(digest), env=env).returncode == 0
    b = tenants["b"].tenant_id
    with db.connect() as conn:
        superuser_tamper(conn, "WITH e AS (UPDATE audit.events SET after = after || "
                               "'{\"x\": 1}' WHERE tenant_id = %s AND seq = 2) "
                               "DELETE FROM audit.chain_heads WHERE tenant_id = %s", (b, b))
    plain = run_cli("audit", "verify", env=env)
    assert plain.returncode == 1 and f"BROKEN tenant {b} seq 2: row hash mismatch" in plain.stdout
    against = run_cli("audit", "verify", "--digest", str(digest), env=env)
    assert against.returncode == 1 and f"tenant {b}" in against.stdout


def test_merkle_root_matches_rfc6962(db: Database) -> None:
    """audit.merkle_root against an independent Python implementation of RFC 6962 §2.1."""
    import hashlib

    def mth(leaves: list[bytes]) -> bytes:
        if not leaves:
            return hashlib.sha256(b"").digest()
        if len(leaves) == 1:
            return hashlib.sha256(b"\x00" + leaves[0]).digest()
        k = 1
        while k * 2 < len(leaves):
            k *= 2
        return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()

    with db.connect() as conn:
        for n in range(0, 12):
            leaves = [bytes([i]) * (i + 1) for i in range(n)]
            got = conn.execute("SELECT audit.merkle_root(%s::bytea[])", (leaves,)).fetchone()[0]
            assert bytes(got) == mth(leaves), n


def test_a_failed_verification_keeps_the_previous_checkpoint(
        seeded: tuple[Database, dict[str, Tenant]], tmp_path: Path, capsys: Any) -> None:
    """`claw demo` verifies the ledger against the previous run's checkpoint and writes a new
    one: when that verification fails, the old checkpoint (the evidence) must survive, or the
    next run verifies against a checkpoint of the rewritten history and says intact."""
    db, tenants = seeded
    checkpoint = tmp_path / "audit-checkpoint.json"
    assert audit.verify_and_checkpoint(db.url(), checkpoint) == 0
    original = checkpoint.read_text()
    a = tenants["a"].tenant_id
    with db.connect() as conn:
        superuser_tamper(conn, RECHAIN.replace("%(t)s", f"'{a}'"))
    for _ in range(2):  # and again: the evidence is still there on the next run
        assert audit.verify_and_checkpoint(db.url(), checkpoint) == 1
        assert checkpoint.read_text() == original
    beside = sorted(tmp_path.glob("audit-checkpoint.*.json"))
    assert len(beside) >= 1, list(tmp_path.iterdir())
    assert json.loads(beside[0].read_text())["root"] != json.loads(original)["root"]
    out = capsys.readouterr().out
    assert "history rewritten" in out and f"kept {checkpoint}" in out


@pytest.mark.parametrize("content", [None, "{not json"])
def test_a_missing_or_malformed_digest_is_a_clear_error(db: Database, tmp_path: Path,
                                                        content: str | None) -> None:
    digest = tmp_path / "digest.json"
    if content is not None:
        digest.write_text(content)
    proc = run_cli("audit", "verify", "--digest", str(digest), env={"DATABASE_URL": db.url()})
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr, proc.stderr[-600:]
    assert proc.stderr.startswith("claw: ") and str(digest) in proc.stderr, proc.stderr


def test_an_edited_digest_that_drops_its_root_is_refused_not_intact(
        seeded: tuple[Database, dict[str, Tenant]], tmp_path: Path) -> None:
    """Found by an outside-in probe: after a re-chained rewrite of tenant A, deleting the
    digest's root and A's head_hash made `claw audit verify --digest` print "intact" (the
    missing field made the computed root and the head check NULL, and NULL compared as no
    problem). A digest that is not a complete checkpoint is now refused, naming the field."""
    db, tenants = seeded
    env = {"DATABASE_URL": db.url()}
    digest = tmp_path / "checkpoint.json"
    assert run_cli("audit", "checkpoint", "--out", str(digest), env=env).returncode == 0
    a = tenants["a"].tenant_id
    with db.connect() as conn:
        superuser_tamper(conn, RECHAIN.replace("%(t)s", f"'{a}'"))
    doctored = json.loads(digest.read_text())
    del doctored["root"]
    for head in doctored["heads"]:
        if head["tenant_id"] == a:
            del head["head_hash"]
    digest.write_text(json.dumps(doctored))
    proc = run_cli("audit", "verify", "--digest", str(digest), env=env)
    assert proc.returncode != 0 and "intact" not in proc.stdout.replace("NOT intact", ""), \
        proc.stdout
    assert "root" in proc.stdout + proc.stderr, (proc.stdout, proc.stderr)


@pytest.mark.parametrize("digest, says", [
    ({"heads": [{}]}, "root"),
    ({"root": "00" * 32, "heads": [{}]}, "head 1: tenant_id"),
    ({"root": "00" * 32, "heads": [1, 2]}, "head 1: must be a JSON object"),
    ({"root": "00" * 32, "heads": {}}, "heads must be a JSON array"),
    ({"root": "00" * 32, "heads": [{"tenant_id": "x", "seq": 1, "head_hash": "00" * 32}]},
     "tenant_id"),
    ({"root": "00" * 32, "heads": [{"tenant_id": "01a245b8-608c-73af-8392-429fdeec96cf",
                                    "seq": 1, "head_hash": "zz"}]}, "head_hash"),
    ({"root": "00" * 32, "heads": [{"tenant_id": "01a245b8-608c-73af-8392-429fdeec96cf",
                                    "seq": -1, "head_hash": "00" * 32}]}, "seq"),
    ({"root": "00" * 32, "heads": [{"tenant_id": "01a245b8-608c-73af-8392-429fdeec96cf",
                                    "seq": 1, "head_hash": "00" * 32}] * 2}, "twice"),
    ([], "JSON object"),
], ids=["no root", "empty head", "heads of numbers", "heads an object", "bad tenant id",
        "bad hash", "negative seq", "a tenant twice", "not an object"])
def test_a_malformed_digest_is_cl422_naming_the_field(db: Database, digest: Any,
                                                     says: str) -> None:
    with db.connect("claw_auditor") as conn:
        with pytest.raises(psycopg.Error) as err:
            conn.execute("SELECT * FROM audit.verify_digest(%s::jsonb)",
                         (json.dumps(digest),)).fetchall()
    assert err.value.sqlstate == "CL422", err.value
    assert says in (err.value.diag.message_detail or ""), err.value.diag.message_detail
    assert err.value.diag.message_hint


def test_verify_names_the_root_and_checks_it_against_the_published_one(
        seeded: tuple[Database, dict[str, Tenant]], tmp_path: Path) -> None:
    """Found by a review: a digest edited consistently (a rewritten tenant's head dropped and
    the root recomputed) verifies against itself; only a comparison with the root published
    elsewhere catches it, and `claw audit verify --digest` never showed the root it checked.
    It now prints it, and --root makes the comparison (a mismatch is a problem, exit 1)."""
    db, tenants = seeded
    env = {"DATABASE_URL": db.url()}
    digest = tmp_path / "checkpoint.json"
    assert run_cli("audit", "checkpoint", "--out", str(digest), env=env).returncode == 0
    published = json.loads(digest.read_text())["root"]
    a = tenants["a"].tenant_id
    with db.connect() as conn:
        superuser_tamper(conn, RECHAIN.replace("%(t)s", f"'{a}'"))
        doctored = json.loads(digest.read_text())
        doctored["heads"] = [h for h in doctored["heads"] if h["tenant_id"] != a]
        doctored["root"] = conn.execute(
            "SELECT encode(audit.merkle_root(coalesce(array_agg(audit.head_leaf("
            "(h->>'tenant_id')::uuid, (h->>'seq')::bigint, decode(h->>'head_hash', 'hex')) "
            "ORDER BY (h->>'tenant_id')::uuid), '{}')), 'hex') "
            "FROM jsonb_array_elements(%s::jsonb) AS h", (json.dumps(doctored["heads"]),)
        ).fetchone()[0]
    digest.write_text(json.dumps(doctored))
    proc = run_cli("audit", "verify", "--digest", str(digest), env=env)
    assert proc.returncode == 0 and doctored["root"] in proc.stdout, proc.stdout  # self-consistent
    proc = run_cli("audit", "verify", "--digest", str(digest), "--root", published, env=env)
    assert proc.returncode == 1 and "not the published root" in proc.stdout, proc.stdout
    # the untouched digest with its published root is still checked in full
    assert run_cli("audit", "verify", "--root", published, env=env).returncode != 0
