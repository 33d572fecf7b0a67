-- Who a check is about. Without a subject it is the caller: principal:<principal id>. Asking
-- about anyone else (an application checking for its own users, user:alice) needs one of
-- the roles that act for others: owner, admin, operator, or a worker acting for a job; an
-- approver or viewer may only ask about itself, so it cannot map other people's access.

-- authz.acting_subject: p_subject, or the caller's own subject when NULL. CL403 / CL422.
-- p_principal_id and p_roles: the caller's verified context (internal.verified_context).
CREATE OR REPLACE FUNCTION authz.acting_subject(p_subject text, p_action text,
                                                p_principal_id uuid, p_roles text[])
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
AS $fn$
DECLARE
  v_self text := 'principal:' || p_principal_id;
BEGIN
  IF p_subject IS NULL OR p_subject = v_self THEN
    IF v_self IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'no subject',
        DETAIL = pg_catalog.format('%s without a subject needs a principal in the context', p_action),
        HINT = 'pass p_subject, e.g. user:alice';
    END IF;
    RETURN v_self;
  END IF;
  IF NOT coalesce(p_roles && '{owner,admin,operator,worker}'::text[], false) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'forbidden',
      DETAIL = pg_catalog.format('%s about another subject needs the role owner, admin or operator',
                                 p_action),
      HINT = pg_catalog.format('omit p_subject to ask about yourself (%s)', v_self);
  END IF;
  RETURN p_subject;
END
$fn$;

-- authz.asker: what every permission question checks after its arguments' sizes (which
-- each api function bounds itself, tests/test_hardening.py): a verified context with a role
-- that may ask (authz:read scope), a list's limit (p_list: p_limit must be 1..10,000; NULL
-- is refused, never a list without a bound), and the subject acting
-- (authz.acting_subject, named p_action in errors), in that order. Returns the tenant and
-- the subject.
CREATE OR REPLACE FUNCTION authz.asker(p_subject text, p_action text, p_list boolean,
                                       p_limit integer, OUT tenant_id uuid, OUT subject text)
LANGUAGE plpgsql
STABLE
AS $fn$
DECLARE
  v_ctx record;
BEGIN
  SELECT * INTO v_ctx FROM internal.require_context('{owner,admin,operator,approver,viewer,worker}',
                                                    'authz:read', p_action);
  IF p_list THEN
    PERFORM internal.require_limit(p_limit, 10000);
  END IF;
  tenant_id := v_ctx.tenant_id;
  subject := authz.acting_subject(p_subject, p_action, v_ctx.principal_id, v_ctx.roles);
END
$fn$;
