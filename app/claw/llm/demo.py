"""`claw demo`, the LLM part: a routed call that falls back (the first model's provider
answers 429 with a retry-after longer than the call may wait), its ledger row and the
tenant's remaining budget, a call refused with CL429 before anything is sent, and an eval run
with its score. Providers are the local fakes (claw.llm.fakes) speaking each wire protocol.
Idempotent: routes and budgets are upserted; a second run's eval compares with the first."""

from __future__ import annotations

from pathlib import Path

import psycopg

from claw.errors import Limited
from claw.llm.evals import fake_script, find_suite, load_suite, run_suite, accept
from claw.llm.fakes import FakeProvider
from claw.llm.providers import AnthropicProvider, OpenAIProvider
from claw.llm.router import Router, TenantAuth
from claw.llm.types import Message

SETUP = [
    "SELECT api.set_llm_settings(p_time_zone => 'Australia/Sydney')",
    "SELECT * FROM api.set_llm_route(p_task => 'summarise', "
    "p_models => '{gpt-4o-mini,claude-haiku-4-5}', p_max_attempts => 2, p_timeout_ms => 5000, "
    "p_max_output_tokens => 300)",
    "SELECT * FROM api.set_llm_route(p_task => 'eval-judge', p_models => '{claude-haiku-4-5}')",
    "SELECT * FROM api.set_llm_route(p_task => 'draft-report', p_models => '{claude-sonnet-4-5}', "
    "p_max_output_tokens => 16000)",
    "SELECT api.set_llm_budget(p_scope => 'tenant', p_period => 'day', p_limit_usd => 0.05)",
]


def run(runtime: str, key: str, root: Path) -> int:
    auth = TenantAuth.api_key(key)
    with psycopg.connect(runtime, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))
            for sql in SETUP:
                conn.execute(sql)
        suite = load_suite(find_suite("dispatch-summary", root))
        with FakeProvider("openai", default=fake_script(suite)) as oa, \
                FakeProvider("anthropic", default=fake_script(suite)) as an:
            router = Router(conn, auth, {
                "openai": OpenAIProvider(api_key="demo", base_url=oa.base_url),
                "anthropic": AnthropicProvider(api_key="demo", base_url=an.base_url)})
            print("   route summarise: gpt-4o-mini, then claude-haiku-4-5; budget 0.05 USD a "
                  "day in Australia/Sydney (providers: local fakes on 127.0.0.1)")
            oa.push({"status": 429, "retry_after": "30"})
            an.push({"text": "3 jobs today; Jones's hot water is running two hours late."})
            result = router.call("summarise", [Message(
                "user", "Summarise today's jobs: Smith (drain), Jones (hot water, late), Lee (tap).")])
            first = result.attempts[0]
            print(f"   routed call: {first.model} -> {first.outcome} ({first.http_status}, "
                  f"retry-after 30 s is longer than the call may wait) -> fell back to "
                  f"{result.model}: {result.response.text!r}")
            with conn.transaction():
                conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))
                rows = conn.execute(
                    "SELECT route_position, model, outcome, input_tokens, output_tokens, cost_usd, "
                    "latency_ms FROM api.list_llm_calls(p_task => 'summarise') "
                    "WHERE reservation_id = %s ORDER BY attempt", (result.reservation_id,)).fetchall()
                budget = conn.execute(
                    "SELECT window_start, limit_usd, spent_usd, reserved_usd, remaining_usd "
                    "FROM api.list_llm_budgets() WHERE scope = 'tenant'").fetchone()
            print("   its ledger rows (llm.calls; position | model | outcome | tokens in/out | "
                  "cost USD | ms):")
            for r in rows:
                print(f"     {r[0]} | {r[1]} | {r[2]} | {r[3]}/{r[4]} | {r[5]:.9f} | {r[6]}")
            assert budget is not None
            print(f"   tenant budget for {budget[0]} (Sydney): limit {budget[1]:.2f} USD, spent "
                  f"{budget[2]:.6f}, reserved {budget[3]:.6f}, remaining {budget[4]:.6f} USD")
            hits = oa.hits + an.hits
            try:
                router.call("draft-report", [Message("user", "Write the monthly report.")])
                print("   UNEXPECTED: the over-budget call was sent")
                return 1
            except Limited as exc:
                print(f"   draft-report on claude-sonnet-4-5 (up to 16,000 tokens out) refused "
                      f"before sending: {exc.sqlstate} {exc.message}; {exc.detail}")
            if oa.hits + an.hits != hits:
                print("   UNEXPECTED: a refused call reached a provider")
                return 1
            report = run_suite(router, suite)
            base = ("no accepted baseline yet" if report.baseline_score is None
                    else f"baseline {report.baseline_score:.3f}")
            print(f"   eval {suite.name}: score {report.score:.3f} ({report.passed}/{report.cases} "
                  f"passed; exact, contains, numeric, json_schema, judge), {base}"
                  + (", REGRESSED" if report.regressed else ""))
            if report.baseline_score is None:
                accept(router, report.eval_run_id)
                print("   accepted as the baseline; run it yourself: .venv/bin/claw eval "
                      "dispatch-summary --fake --api-key <key>")
    return 1 if report.regressed else 0
