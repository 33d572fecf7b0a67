-- The demo's tenants, provisioned once (run by `claw demo` as the administrator, who
-- bypasses RLS and so sees whether they exist). Their first keys are discarded: the demo
-- issues a short-lived key on every run instead.
SELECT tenancy.create_tenant(p_slug => s.slug, p_name => s.name, p_owner_handle => s.handle,
                             p_owner_name => s.owner)
FROM (VALUES ('acme-plumbing', 'Acme Plumbing', 'alice', 'Alice Nguyen'),
             ('bright-salon', 'Bright Salon', 'bea', 'Bea Okafor')) AS s(slug, name, handle, owner)
WHERE NOT EXISTS (SELECT 1 FROM tenancy.tenants AS t WHERE t.slug = s.slug);
