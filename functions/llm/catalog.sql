-- The platform's model catalogue and versioned prices (operators, in psql, as the owner or a
-- superuser; not granted to any login role).
--
-- llm.define_model: add a model or change its limits. Raises CL422 for an unknown provider
-- or tokenizer or a non-positive limit (the table's checks, reported as CL422).
CREATE OR REPLACE FUNCTION llm.define_model(
  p_model text, p_provider text, p_tokenizer text, p_context_window integer,
  p_max_output_tokens integer)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  INSERT INTO internal.llm_models (model, provider, tokenizer, context_window, max_output_tokens)
  VALUES (p_model, p_provider, p_tokenizer, p_context_window, p_max_output_tokens)
  ON CONFLICT (model) DO UPDATE SET provider = EXCLUDED.provider,
    tokenizer = EXCLUDED.tokenizer, context_window = EXCLUDED.context_window,
    max_output_tokens = EXCLUDED.max_output_tokens;
EXCEPTION WHEN check_violation OR not_null_violation THEN
  RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid model definition',
    DETAIL = SQLERRM,
    HINT = 'provider anthropic|openai; tokenizer o200k_base|cl100k_base|anthropic_estimate';
END
$fn$;

-- llm.set_price: add a price version for a model, in force from p_valid_from (default: now).
-- Versions are append-only: the ledger's costs name the version they were computed with.
-- A past p_valid_from (loading a catalogue's history, correcting a price) must not take
-- force over an instant a call was priced at (its ledger row would name one version while
-- llm.price_at named another) or a call in flight began at (priced at settlement, with a
-- version its reservation did not hold): CL409 then. Calls are read past RLS, so the caller
-- is a superuser (nothing else is granted this function).
-- Concurrency: it takes the prices lock (llm.lock_prices) exclusively, which every
-- api.begin_llm_call takes shared before it reads a price. So it waits until the calls being
-- begun have committed (and then sees them), and calls that begin meanwhile wait until this
-- transaction ends (then they see the version, or began before it takes force): commit
-- promptly: a call's begin that waited is dated from its transaction's start, and one that
-- waited longer than its route's deadline begins with its reservation already due to expire
-- (it still settles, late: api.finish_llm_call). Without p_valid_from the version takes force
-- from the moment the lock was granted, not from the start of the transaction: a call begun
-- and settled in between was priced with the version before and stays so.
-- Raises CL404 for an unknown model, CL409 when that version already exists or would
-- reprice calls, CL422 for a negative price.
CREATE OR REPLACE FUNCTION llm.set_price(
  p_model text, p_input_usd_per_mtok numeric, p_cached_input_usd_per_mtok numeric,
  p_output_usd_per_mtok numeric, p_valid_from timestamptz DEFAULT NULL)
RETURNS timestamptz
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_granted timestamptz;
  v_from timestamptz;
  v_at timestamptz;
BEGIN
  PERFORM llm.lock_prices(true);
  -- internal.now() is the transaction's start (plus the test clock's offset); the lock may
  -- have been granted much later
  v_granted := internal.clock_now();
  v_from := coalesce(p_valid_from, v_granted);
  IF NOT EXISTS (SELECT 1 FROM internal.llm_models AS m WHERE m.model = p_model) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'unknown model',
      DETAIL = pg_catalog.format('model %L is not in the catalogue', p_model),
      HINT = 'define it first with llm.define_model';
  END IF;
  IF v_from < v_granted THEN
    SELECT c.occurred_at INTO v_at FROM llm.calls AS c
    WHERE c.model = p_model AND c.occurred_at >= v_from
    ORDER BY c.occurred_at DESC LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'that price version would reprice calls',
        DETAIL = pg_catalog.format('model %L has a call priced at %s, after %s', p_model, v_at,
                                   v_from),
        HINT = pg_catalog.format('start the version after %s, or leave p_valid_from out (now)',
                                 v_at);
    END IF;
    SELECT r.created_at INTO v_at FROM llm.reservations AS r
    WHERE r.status = 'held' AND r.created_at >= v_from
    ORDER BY r.created_at LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'that price version would reprice calls',
        DETAIL = pg_catalog.format('calls are in flight since %s, after %s: they are priced '
                                   'at settlement with the version in force when they began',
                                   v_at, v_from),
        HINT = 'wait until they settle or expire, or leave p_valid_from out (now)';
    END IF;
  END IF;
  IF p_input_usd_per_mtok < 0 OR p_cached_input_usd_per_mtok < 0 OR p_output_usd_per_mtok < 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'a price cannot be negative',
      DETAIL = pg_catalog.format('%s / %s / %s USD per million tokens', p_input_usd_per_mtok,
                                 p_cached_input_usd_per_mtok, p_output_usd_per_mtok),
      HINT = 'pass input, cached input and output prices >= 0';
  END IF;
  INSERT INTO internal.llm_prices (model, valid_from, input_usd_per_mtok,
                                   cached_input_usd_per_mtok, output_usd_per_mtok)
  VALUES (p_model, v_from, p_input_usd_per_mtok, p_cached_input_usd_per_mtok,
          p_output_usd_per_mtok);
  RETURN v_from;
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'that price version exists',
    DETAIL = pg_catalog.format('model %L already has a price from %s', p_model, v_from),
    HINT = 'price versions are never edited: add one with a later valid_from';
END
$fn$;
