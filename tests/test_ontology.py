"""The ontology with several connections: the guarantees that hold under concurrency, each
shown with two transactions where the second must wait for the first and then fail (or see
its effect): a unique value taken twice, a link cardinality broken twice, a reference to an
object being deleted (both orders), and a definition change racing an object write (both
orders). (One-session behaviour is in tests/sql/40-42_ontology*.sql.)"""

from __future__ import annotations

import json
import threading
from typing import Any

import psycopg
import pytest

from conftest import Database, Tenant, seed_tenants


@pytest.fixture
def tenant(db: Database) -> Tenant:
    t = seed_tenants(db, names=("a",), extra_principals=0)["a"]
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, t.api_key)
        define(conn, "customer", {"email": {"kind": "string", "unique": True},
                                  "name": {"kind": "string"}})
        define(conn, "invoice", {"customer": {"kind": "reference", "type": "customer"}})
        conn.execute("SELECT api.define_link_type('billed_to', 'invoice', 'customer', 'one_to_one')")
    return t


def auth(conn: psycopg.Connection[Any], key: str) -> None:
    conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))


def define(conn: psycopg.Connection[Any], name: str, props: dict[str, Any],
           version: int | None = None) -> None:
    conn.execute("SELECT * FROM api.define_object_type(%s, %s, p_expected_version => %s)",
                 (name, json.dumps(props), version))


def create(db: Database, tenant: Tenant, type_: str, props: dict[str, Any]) -> str:
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, tenant.api_key)
        row = conn.execute("SELECT object_id::text FROM api.create_object(%s, %s)",
                           (type_, json.dumps(props))).fetchone()
    assert row is not None
    return str(row[0])


def race(db: Database, tenant: Tenant, first: tuple[str, tuple[Any, ...]],
         second: tuple[str, tuple[Any, ...]]) -> tuple[str | None, str]:
    """Run `first` in an open transaction, then `second` in another connection, which must
    wait; commit the first and return the second's (SQLSTATE, message) or (None, 'ok')."""
    out: dict[str, tuple[str | None, str]] = {}
    c1 = db.connect("claw_runtime", autocommit=False)
    try:
        auth(c1, tenant.api_key)
        c1.execute(*first)

        def run_second() -> None:
            with db.connect("claw_runtime", autocommit=False) as c2:
                try:
                    auth(c2, tenant.api_key)
                    c2.execute(*second)
                    c2.commit()
                    out["r"] = (None, "ok")
                except psycopg.Error as exc:
                    out["r"] = (exc.sqlstate, exc.diag.message_primary or "")

        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive(), "the second transaction waits for the first"
        c1.commit()
        thread.join(10)
        assert not thread.is_alive()
    finally:
        c1.close()
    return out["r"]


CREATE = "SELECT * FROM api.create_object(%s, %s)"


def test_a_unique_value_taken_concurrently_is_refused(db: Database, tenant: Tenant) -> None:
    props = json.dumps({"email": "ann@example.com"})
    assert race(db, tenant, (CREATE, ("customer", props)), (CREATE, ("customer", props))) == (
        "CL409", 'property "email" of customer: unique value already used')


def test_a_cardinality_broken_concurrently_is_refused(db: Database, tenant: Tenant) -> None:
    customer = create(db, tenant, "customer", {})
    invoices = [create(db, tenant, "invoice", {}) for _ in range(2)]
    link = "SELECT api.create_link('billed_to', %s, %s)"
    assert race(db, tenant, (link, (invoices[0], customer)), (link, (invoices[1], customer))) == (
        "CL409", "link type billed_to is one_to_one: the to object already has a link of this type")


def test_a_reference_committed_first_blocks_the_delete(db: Database, tenant: Tenant) -> None:
    customer = create(db, tenant, "customer", {})
    assert race(db, tenant, (CREATE, ("invoice", json.dumps({"customer": customer}))),
                ("SELECT api.delete_object(%s, 1)", (customer,))) == ("CL409", "object is referenced")


def test_a_delete_committed_first_refuses_the_reference_and_the_link(db: Database,
                                                                    tenant: Tenant) -> None:
    customer = create(db, tenant, "customer", {})
    invoice = create(db, tenant, "invoice", {})
    delete = ("SELECT api.delete_object(%s, 1)", (customer,))
    assert race(db, tenant, delete, (CREATE, ("invoice", json.dumps({"customer": customer})))) == (
        "CL422", 'property "customer" of invoice: not a live customer')
    other = create(db, tenant, "customer", {})
    assert race(db, tenant, ("SELECT api.delete_object(%s, 1)", (other,)),
                ("SELECT api.create_link('billed_to', %s, %s)", (invoice, other))) == (
        "CL422", "link billed_to: the to object is not a live customer")


def test_a_definition_change_and_an_object_write_serialise(db: Database, tenant: Tenant) -> None:
    required = json.dumps({"email": {"kind": "string", "unique": True},
                           "name": {"kind": "string", "required": True}})
    change = ("SELECT * FROM api.define_object_type('customer', %s, p_expected_version => 1)",
              (required,))
    # the change commits first: the waiting write is validated against the new definition
    assert race(db, tenant, change, (CREATE, ("customer", "{}"))) == (
        "CL422", 'property "name" of customer: required')
    # the write commits first: the waiting change sees the object and refuses
    loose = json.dumps({"email": {"kind": "string", "unique": True}, "name": {"kind": "string"}})
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, tenant.api_key)
        define(conn, "customer", json.loads(loose), version=2)
    change3 = ("SELECT * FROM api.define_object_type('customer', %s, p_expected_version => 3)",
               (required,))
    assert race(db, tenant, (CREATE, ("customer", "{}")), change3) == (
        "CL409", 'property "name" of customer: 1 live object would violate required')


# --- a property becoming a reference: what it then references stays live -------------------

def note_type(db: Database, tenant: Tenant) -> None:
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, tenant.api_key)
        define(conn, "note", {"about": {"kind": "string"}})


AS_REFERENCE = ("SELECT * FROM api.define_object_type('note', %s, p_expected_version => 1)",
                (json.dumps({"about": {"kind": "reference", "type": "customer"}}),))


def test_a_string_that_becomes_a_reference_is_stored_canonical(db: Database,
                                                              tenant: Tenant) -> None:
    """A uuid in another spelling (upper case, braces, no hyphens) passes as a reference;
    kept as written, the delete's referrer check (canonical text) missed it and the customer
    was deleted under a live note."""
    note_type(db, tenant)
    customers = [create(db, tenant, "customer", {}) for _ in range(3)]
    spellings = [customers[0].upper(), "{" + customers[1] + "}", customers[2].replace("-", "")]
    notes = [create(db, tenant, "note", {"about": s}) for s in spellings]
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, tenant.api_key)
        conn.execute(*AS_REFERENCE)
        stored = [conn.execute("SELECT properties ->> 'about', version FROM api.get_object(%s)",
                               (n,)).fetchone() for n in notes]
    assert stored == [(c, 2) for c in customers]
    for customer in customers:
        with db.connect("claw_runtime") as conn, conn.transaction():
            auth(conn, tenant.api_key)
            with pytest.raises(psycopg.Error) as err:
                conn.execute("SELECT api.delete_object(%s, 1)", (customer,))
        assert (err.value.sqlstate, err.value.diag.message_primary) == (
            "CL409", "object is referenced")


@pytest.fixture
def note_about_customer(db: Database, tenant: Tenant) -> str:
    note_type(db, tenant)
    customer = create(db, tenant, "customer", {})
    create(db, tenant, "note", {"about": customer})
    return customer


def test_a_reference_change_committed_first_blocks_the_delete(
        db: Database, tenant: Tenant, note_about_customer: str) -> None:
    assert race(db, tenant, AS_REFERENCE,
                ("SELECT api.delete_object(%s, 1)", (note_about_customer,))) == (
        "CL409", "object is referenced")


def test_a_delete_committed_first_refuses_the_reference_change(
        db: Database, tenant: Tenant, note_about_customer: str) -> None:
    assert race(db, tenant, ("SELECT api.delete_object(%s, 1)", (note_about_customer,)),
                AS_REFERENCE) == (
        "CL409", 'property "about" of note: 1 live object would violate not a live customer')


# --- documents attached to an object are deleted with it -----------------------------------

VEC = "[" + ",".join(["1"] + ["0"] * 255) + "]"
ATTACH = ("SELECT api.upsert_document(p_body => 'plumbing note', p_embedding => %s, "
          "p_embedding_model => 'm', p_object_id => %s)")


def documents_of(db: Database, object_id: str) -> int:
    with db.connect() as conn:
        row = conn.execute("SELECT count(*) FROM ontology.documents WHERE object_id = %s",
                           (object_id,)).fetchone()
    assert row is not None
    return int(row[0])


def test_deleting_an_object_deletes_its_documents(db: Database, tenant: Tenant) -> None:
    """A deleted customer's notes stayed searchable (a soft delete never cascades)."""
    customer = create(db, tenant, "customer", {})
    with db.connect("claw_runtime") as conn, conn.transaction():
        auth(conn, tenant.api_key)
        conn.execute(ATTACH, (VEC, customer))
        assert conn.execute("SELECT count(*) FROM api.search_documents('plumbing', p_relation "
                            "=> NULL, p_mode => 'text')").fetchone() == (1,)
        conn.execute("SELECT api.delete_object(%s, 1)", (customer,))
        assert conn.execute("SELECT count(*) FROM api.search_documents('plumbing', p_relation "
                            "=> NULL, p_mode => 'text')").fetchone() == (0,)
    assert documents_of(db, customer) == 0


def test_a_document_attached_while_its_object_is_deleted(db: Database, tenant: Tenant) -> None:
    """Both orders: the attach committed first is deleted with the object; the delete
    committed first refuses the attach."""
    customer = create(db, tenant, "customer", {})
    assert race(db, tenant, (ATTACH, (VEC, customer)),
                ("SELECT api.delete_object(%s, 1)", (customer,))) == (None, "ok")
    assert documents_of(db, customer) == 0
    other = create(db, tenant, "customer", {})
    assert race(db, tenant, ("SELECT api.delete_object(%s, 1)", (other,)),
                (ATTACH, (VEC, other))) == ("CL404", "object not found")
    assert documents_of(db, other) == 0
