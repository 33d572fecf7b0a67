-- A stored response is bound to the credential that made it (the verified context's
-- credential: 'key:<api key id>', or a JWT's). Before, any credential of the principal
-- replayed it, so a narrower key (scope queue:read) could replay a response its own scopes
-- refuse, such as the owner's key-minting request. Rows stored before (kept 24 hours) have
-- no credential: an authenticated retry of such a request gets CL422 (the key is taken),
-- and the request runs under a new key.
ALTER TABLE edge.idempotency_keys
  ADD COLUMN credential text CHECK (length(credential) BETWEEN 1 AND 200);
