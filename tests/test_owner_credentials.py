"""An owner's credentials are an owner's business (found by an outside-in probe). Only an
owner issues an owner's API key or moves an owner's token subject; but
  * an admin could revoke every key of the tenant's only owner, locking every owner out
    (no principal of the tenant could issue a new one);
  * a key an admin issued for a viewer became an owner's key when an owner granted that
    viewer the owner role, and the admin held its secret.
Now revoking an owner's key needs an owner (or the owner itself), and granting owner to a
principal that holds active keys or token subject links is CL409 until they are revoked:
an owner's credentials are then issued by an owner."""

from __future__ import annotations

import psycopg
import pytest

from conftest import Database, Tenant, seeded  # noqa: F401 (seeded: fixture)
from test_api_keys import act, principal_key


def test_an_admin_cannot_revoke_an_owners_key(seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    a = tenants["a"]
    _, admin = principal_key(db, a.api_key, "admin")
    owner_keys = act(db, admin, "SELECT api_key_id FROM api.list_api_keys() WHERE principal_id = %s",
                     (a.owner_id,))
    assert owner_keys
    with pytest.raises(psycopg.Error) as err:
        act(db, admin, "SELECT api.revoke_api_key(%s)", (owner_keys[0][0],))
    assert err.value.sqlstate == "CL403", err.value
    # the owner still gets in; an admin still revokes a non-owner's key, the owner its own
    act(db, a.api_key, "SELECT * FROM api.whoami()")
    _, viewer = principal_key(db, a.api_key, "viewer")
    [(vid,)] = act(db, viewer, "SELECT api_key_id FROM api.list_api_keys()")
    act(db, admin, "SELECT api.revoke_api_key(%s)", (vid,))
    [(spare,)] = act(db, a.api_key, "SELECT api_key_id FROM api.create_api_key(p_name => 'spare')")
    act(db, a.api_key, "SELECT api.revoke_api_key(%s)", (spare,))


def test_owner_is_granted_only_to_a_principal_without_credentials_of_its_own(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    db, tenants = seeded
    a = tenants["a"]
    _, admin = principal_key(db, a.api_key, "admin")
    # the admin makes a viewer and keeps its key's secret
    [(helper,)] = act(db, admin, "SELECT api.create_principal('agent', 'helper', 'Helper', "
                                 "'{viewer}')")
    [(kept,)] = act(db, admin, "SELECT api_key FROM api.create_api_key(p_name => 'helper', "
                               "p_principal_id => %s)", (helper,))
    with pytest.raises(psycopg.Error) as err:
        act(db, a.api_key, "SELECT api.grant_role(%s, 'owner')", (helper,))
    assert err.value.sqlstate == "CL409", err.value
    assert "revoke" in (err.value.diag.message_hint or "")
    [(roles,)] = act(db, kept, "SELECT roles FROM api.whoami()")
    assert roles == ["viewer"]
    # revoked, then granted: the new owner's keys are issued by an owner
    [(kid,)] = act(db, a.api_key, "SELECT api_key_id FROM api.list_api_keys() "
                                  "WHERE principal_id = %s", (helper,))
    act(db, a.api_key, "SELECT api.revoke_api_key(%s)", (kid,))
    act(db, a.api_key, "SELECT api.grant_role(%s, 'owner')", (helper,))
    with pytest.raises(psycopg.Error) as gone:
        act(db, kept, "SELECT * FROM api.whoami()")
    assert gone.value.sqlstate == "CL401"
    # other roles are granted whatever credentials the principal holds
    _, viewer = principal_key(db, a.api_key, "viewer")
    [(vid,)] = act(db, viewer, "SELECT principal_id FROM api.whoami()")
    act(db, a.api_key, "SELECT api.grant_role(%s, 'operator')", (vid,))


def test_a_principal_is_disabled_and_enabled_and_its_credentials_follow(
        seeded: tuple[Database, dict[str, Tenant]]) -> None:
    """Found by an outside-in probe: nothing disabled or enabled a principal or took a role
    away, though the README's answer to a leaked JWT is 'disable the principal'."""
    db, tenants = seeded
    a = tenants["a"]
    vid, viewer = principal_key(db, a.api_key, "viewer")
    _, admin = principal_key(db, a.api_key, "admin")
    [(at,)] = act(db, admin, "SELECT api.set_principal_disabled(%s, true)", (vid,))
    assert at is not None
    with pytest.raises(psycopg.Error) as err:
        act(db, viewer, "SELECT * FROM api.whoami()")
    assert err.value.sqlstate == "CL401" and "disabled" in err.value.diag.message_primary
    assert act(db, admin, "SELECT api.set_principal_disabled(%s, false)", (vid,)) == [(None,)]
    act(db, viewer, "SELECT * FROM api.whoami()")
    # roles: taken away (idempotently), and the change is in the audit chain
    assert act(db, admin, "SELECT api.revoke_role(%s, 'viewer')", (vid,)) == [(True,)]
    assert act(db, admin, "SELECT api.revoke_role(%s, 'viewer')", (vid,)) == [(False,)]
    [(roles,)] = act(db, viewer, "SELECT roles FROM api.whoami()")
    assert not roles  # no role left (whoami gives NULL for none)
    with db.connect() as su:
        actions = [r[0] for r in su.execute(
            "SELECT action FROM audit.events WHERE tenant_id = %s ORDER BY seq",
            (a.tenant_id,)).fetchall()]
    assert any("memberships" in x and "delete" in x for x in actions), actions


@pytest.mark.parametrize("sql", [
    "SELECT api.set_principal_disabled(%s, true)", "SELECT api.revoke_role(%s, 'owner')",
    "SELECT api.revoke_role(%s, 'viewer')"],
    ids=["disable", "take owner", "take another role"])
def test_an_admin_cannot_disable_or_demote_an_owner(
        seeded: tuple[Database, dict[str, Tenant]], sql: str) -> None:
    db, tenants = seeded
    a = tenants["a"]
    _, admin = principal_key(db, a.api_key, "admin")
    with pytest.raises(psycopg.Error) as err:
        act(db, admin, sql, (a.owner_id,))
    assert err.value.sqlstate == "CL403", err.value


@pytest.mark.parametrize("sql", [
    "SELECT api.set_principal_disabled(%s, true)", "SELECT api.revoke_role(%s, 'owner')"],
    ids=["disable", "take owner"])
def test_the_last_enabled_owner_stays_even_when_two_sessions_race(
        seeded: tuple[Database, dict[str, Tenant]], sql: str) -> None:
    import threading
    import time

    db, tenants = seeded
    a = tenants["a"]
    # a second owner with its own key (issued by an owner after the promotion)
    [(second,)] = act(db, a.api_key, "SELECT api.create_principal('person', 'o2', 'O2', "
                                     "'{owner}')")
    [(key2,)] = act(db, a.api_key, "SELECT api_key FROM api.create_api_key(p_name => 'o2', "
                                   "p_principal_id => %s)", (second,))
    out: dict[str, str | None] = {}
    with db.connect("claw_runtime", autocommit=False) as first:
        first.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (a.api_key,))
        first.execute(sql, (second,))

        def other() -> None:
            with db.connect("claw_runtime", autocommit=False) as conn:
                try:
                    conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key2,))
                    conn.execute(sql, (a.owner_id,))
                    conn.commit()
                    out["state"] = None
                except psycopg.Error as exc:
                    out["state"] = exc.sqlstate

        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.5)
        first.commit()
        thread.join(10)
    assert out["state"] in ("CL409", "CL401", "CL403"), out
    with db.connect() as su:
        [(owners,)] = su.execute(
            "SELECT count(*) FROM tenancy.memberships m JOIN tenancy.principals p "
            "USING (tenant_id, principal_id) WHERE m.tenant_id = %s AND m.role = 'owner' "
            "AND p.disabled_at IS NULL", (a.tenant_id,)).fetchall()
    assert owners == 1
    with pytest.raises(psycopg.Error) as last:
        act(db, a.api_key, sql, (a.owner_id,))
    assert last.value.sqlstate == "CL409" and last.value.diag.message_primary == "last owner"
