-- The credential a call was begun with when it has no principal: a worker acting for a job
-- ('job:<job id>', the lease context's credential). api.finish_llm_call without the call token
-- lets only the caller finish its own call; a worker has no principal, so without this any
-- worker of the tenant (NULL = NULL) could settle another job's call with usage it made up.
ALTER TABLE llm.reservations ADD COLUMN begun_by text CHECK (length(begun_by) <= 200);
