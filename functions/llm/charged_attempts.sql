-- llm.charged_attempts: a finish's attempt records as they are charged and ledgered: each
-- priced at the version in force at p_priced_at (when the call began), its counts held to
-- what a provider can bill for the call: input to the model's context window, output to the
-- model's output cap and to the cap the call was begun with (p_caps, by route position; NULL
-- for calls begun before migration 0059). Input cut to the window keeps its uncached part
-- first (the dearer one), the cached part filling what is left. An attempt
-- whose reported usage went beyond a bound (a server that does not honour max_tokens, a
-- catalogue whose window is out of date) is charged at the bound, never refused: the call
-- was answered and billed, and refusing its record lost it from the ledger and from every
-- budget. Its error text says what the provider reported, before the provider's own error.
-- The caller (api.finish_llm_call) has refused records that are malformed, of a model
-- outside the catalogue or the call's chain, or of more attempts than the route allows.
-- Rows: one per attempt, n its position in p_attempts.
CREATE OR REPLACE FUNCTION llm.charged_attempts(p_attempts jsonb, p_priced_at timestamptz,
                                                p_caps integer[])
RETURNS TABLE (n bigint, provider text, model text, route_position integer,
               input_tokens integer, output_tokens integer, cached_tokens integer,
               cost_usd numeric, price_valid_from timestamptz, latency_ms integer,
               outcome text, http_status integer, error text)
LANGUAGE sql
STABLE
AS $fn$
  SELECT e.n, m.provider, a.model, a.route_position, b.input_tokens, b.output_tokens,
         b.cached_tokens,
         coalesce(llm.cost_usd(p, b.input_tokens, b.cached_tokens, b.output_tokens), 0),
         p.valid_from, coalesce(a.latency_ms, 0), a.outcome, a.http_status,
         pg_catalog.left(NULLIF(pg_catalog.concat_ws('; ',
           CASE WHEN coalesce(a.input_tokens, 0) > b.input_tokens THEN pg_catalog.format(
             'the provider reported %s input tokens, above the context window of %s (%s): '
             'charged %s', a.input_tokens, a.model, m.context_window, b.input_tokens) END,
           CASE WHEN coalesce(a.output_tokens, 0) > b.output_tokens THEN pg_catalog.format(
             'the provider reported %s output tokens, above the output cap of this call (%s): '
             'charged %s', a.output_tokens, b.output_tokens, b.output_tokens) END,
           a.error), ''), 2000)
  FROM pg_catalog.jsonb_array_elements(p_attempts) WITH ORDINALITY AS e(j, n)
  CROSS JOIN LATERAL pg_catalog.jsonb_to_record(e.j)
         AS a(model text, route_position integer, input_tokens integer, output_tokens integer,
              cached_tokens integer, latency_ms integer, outcome text, http_status integer,
              error text)
  JOIN internal.llm_models AS m ON m.model = a.model
  CROSS JOIN LATERAL (
    SELECT i.input_tokens, o.output_tokens,
           LEAST(coalesce(a.cached_tokens, 0),
                 i.input_tokens - LEAST(GREATEST(coalesce(a.input_tokens, 0)
                                                 - coalesce(a.cached_tokens, 0), 0),
                                        i.input_tokens)) AS cached_tokens
    FROM (SELECT LEAST(coalesce(a.input_tokens, 0), m.context_window) AS input_tokens) AS i,
         (SELECT LEAST(coalesce(a.output_tokens, 0), m.max_output_tokens,
                       coalesce(p_caps[a.route_position], m.max_output_tokens))
                   AS output_tokens) AS o) AS b
  LEFT JOIN LATERAL llm.price_at(a.model, p_priced_at) AS p ON true
$fn$;
