-- 0059: a call's reservation keeps the chain it was begun with.
--
-- api.finish_llm_call checked each attempt against the model catalogue alone, so a finish
-- could charge a model the route does not have, output beyond the cap the call was begun
-- with (the max_tokens sent to the provider), or more attempts of a model than the route
-- allows, and overspend a budget that held the call's worst case many times over. Begin now
-- records what the call may do, and the finish holds each attempt to it:
--   chain_models        the route's models in order (an attempt's route_position names one)
--   chain_output_caps   each one's output cap for this call (least of the call's, the
--                       route's and the model's)
--   max_attempts        the route's attempts per model
-- NULL for reservations begun before this migration (their finish is checked as before).
ALTER TABLE llm.reservations
  ADD COLUMN chain_models text[],
  ADD COLUMN chain_output_caps integer[],
  ADD COLUMN max_attempts integer,
  ADD CONSTRAINT reservations_chain_check
    CHECK (cardinality(chain_models) = cardinality(chain_output_caps)
           AND max_attempts BETWEEN 1 AND 10);
