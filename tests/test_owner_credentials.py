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
