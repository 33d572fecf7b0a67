-- Like every helper in functions/llm/ that is not SECURITY DEFINER (never granted; called only
-- from api functions that pin search_path and qualify names), it carries no SET search_path
-- clause: that would save and restore the setting on every call and keep SQL functions from
-- being inlined.
-- llm.price_at: the price version of a model in force at an instant (the latest valid_from
-- at or before it); no row when the model has none yet.
CREATE OR REPLACE FUNCTION llm.price_at(p_model text, p_at timestamptz)
RETURNS SETOF internal.llm_prices
LANGUAGE sql
STABLE
AS $fn$
  SELECT p.* FROM internal.llm_prices AS p
  WHERE p.model = p_model AND p.valid_from <= p_at
  ORDER BY p.valid_from DESC LIMIT 1
$fn$;

-- llm.lock_prices: the catalogue's prices lock, for this transaction. api.begin_llm_call
-- takes it shared before it reads a price; llm.set_price takes it exclusively, so a version
-- never commits while a call priced without it is being begun (functions/llm/catalog.sql).
CREATE OR REPLACE FUNCTION llm.lock_prices(p_exclusive boolean)
RETURNS void
LANGUAGE sql
VOLATILE
AS $fn$
  SELECT internal.lock_named('llm.prices', p_exclusive)
$fn$;

-- llm.cost_usd: the cost of a call under a price version. input_tokens counts every input
-- token, cached_tokens the part of them read from the provider's prompt cache (billed at the
-- cached price).
CREATE OR REPLACE FUNCTION llm.cost_usd(
  p_price internal.llm_prices, p_input_tokens integer, p_cached_tokens integer,
  p_output_tokens integer)
RETURNS numeric
LANGUAGE sql
IMMUTABLE
AS $fn$
  SELECT round(((greatest(p_input_tokens - p_cached_tokens, 0) * p_price.input_usd_per_mtok
                 + least(p_cached_tokens, p_input_tokens) * p_price.cached_input_usd_per_mtok
                 + p_output_tokens * p_price.output_usd_per_mtok) / 1000000)::numeric, 9)
$fn$;
