-- 0020: the name checks of the hot tables without bounded repeats.
--
-- PostgreSQL's regex engine expands a bounded repeat such as [a-z0-9_.-]{0,62} into that
-- many states: the check `queue ~ '^[a-z][a-z0-9_.-]{0,62}$'` cost about 4.5 us per row and
-- the kind's {0,99} about 7 us, on every INSERT and every UPDATE of a job (a claim, a retry),
-- against about 0.5 us for the same class unbounded with the length checked apart. The new
-- checks accept exactly the same values (the classes are ASCII: characters = bytes).
-- Tables written per job, step, signal, effect or LLM call only; the rest keep theirs.
ALTER TABLE queue.jobs
  DROP CONSTRAINT jobs_queue_check,
  ADD CONSTRAINT jobs_queue_check
    CHECK (queue ~ '^[a-z][a-z0-9_.-]*$' AND length(queue) <= 63),
  DROP CONSTRAINT jobs_kind_check,
  ADD CONSTRAINT jobs_kind_check
    CHECK (kind ~ '^[a-z][a-z0-9_.:-]*$' AND length(kind) <= 100);
ALTER TABLE queue.schedules
  DROP CONSTRAINT schedules_queue_check,
  ADD CONSTRAINT schedules_queue_check
    CHECK (queue ~ '^[a-z][a-z0-9_.-]*$' AND length(queue) <= 63),
  DROP CONSTRAINT schedules_name_check,
  ADD CONSTRAINT schedules_name_check
    CHECK (name ~ '^[a-z0-9][a-z0-9_.-]*$' AND length(name) <= 100),
  DROP CONSTRAINT schedules_kind_check,
  ADD CONSTRAINT schedules_kind_check
    CHECK (kind ~ '^[a-z][a-z0-9_.:-]*$' AND length(kind) <= 100);
ALTER TABLE flow.runs
  DROP CONSTRAINT runs_flow_name_check,
  ADD CONSTRAINT runs_flow_name_check
    CHECK (flow_name ~ '^[a-z][a-z0-9_.:-]*$' AND length(flow_name) <= 100),
  DROP CONSTRAINT runs_queue_check,
  ADD CONSTRAINT runs_queue_check
    CHECK (queue ~ '^[a-z][a-z0-9_.-]*$' AND length(queue) <= 63);
ALTER TABLE flow.steps
  DROP CONSTRAINT steps_input_hash_check,
  ADD CONSTRAINT steps_input_hash_check
    CHECK (input_hash ~ '^[0-9a-f]+$' AND length(input_hash) <= 128);
ALTER TABLE flow.signals
  DROP CONSTRAINT signals_name_check,
  ADD CONSTRAINT signals_name_check
    CHECK (name ~ '^[a-z][a-z0-9_.:-]*$' AND length(name) <= 100);
ALTER TABLE flow.effects
  DROP CONSTRAINT effects_provider_check,
  ADD CONSTRAINT effects_provider_check
    CHECK (provider ~ '^[a-z][a-z0-9_.:-]*$' AND length(provider) <= 100);
ALTER TABLE llm.budgets
  DROP CONSTRAINT budgets_task_check,
  ADD CONSTRAINT budgets_task_check
    CHECK (task ~ '^[a-z][a-z0-9_.-]*$' AND length(task) <= 63);
