"""`claw eval SUITE`: run a golden set through a task's route, score every case, store the
run in PostgreSQL (api.record_llm_eval_run), compare it with the suite's last accepted run and
fail on a regression beyond the suite's threshold.

A suite is a JSON file, evals/<suite>.json:
    {"suite": "dispatch-summary", "task": "summarise", "threshold": 0.05,
     "judge_task": "eval-judge",                      (only for judge cases)
     "system": "...",                                 (optional, every case)
     "cases": [{"id": "...", "input": "...", "scorer": "exact|contains|numeric|json_schema|judge",
                "expected": ..., "tolerance": 0.5, "schema": {...}, "criteria": "...",
                "fake_answer": "..."}]}
Scorers (each 0..1, passed when 1, or, for the judge, when its score is at least 0.5):
  exact        the answer equals `expected` (surrounding whitespace aside)
  contains     the share of `expected` substrings present (case-insensitive)
  numeric      the first number in the answer is within `tolerance` of `expected`
  json_schema  the answer is JSON valid against `schema` (JSON Schema, Draft 2020-12)
  judge        a judge model (the route of `judge_task`) grades the answer against
               `criteria` with a structured verdict {score, reason}; its call is on the ledger
`fake_answer` is what the local fake provider answers for the case when the suite runs
offline (`claw eval --fake`, the demo and the tests); real providers ignore it.
Exit status: 0, or 1 on a regression (baseline score - score > threshold), 2 on errors.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import psycopg
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from claw.errors import ClawError, from_psycopg
from claw.llm.router import Router
from claw.llm.types import Message

SCORERS = ("exact", "contains", "numeric", "json_schema", "judge")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class Verdict(BaseModel):
    score: float = Field(ge=0, le=1)
    reason: str


@dataclass
class Suite:
    name: str
    task: str
    threshold: float
    cases: list[dict[str, Any]]
    system: str | None = None
    judge_task: str | None = None


@dataclass
class EvalReport:
    suite: str
    score: float
    passed: int
    cases: int
    baseline_score: float | None
    regressed: bool
    eval_run_id: str
    cost_usd: float
    results: list[dict[str, Any]] = field(default_factory=list)


def load_suite(path: Path) -> Suite:
    doc = json.loads(path.read_text())
    cases = doc["cases"]
    ids = [c["id"] for c in cases]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: case ids must be unique")
    for c in cases:
        if c.get("scorer") not in SCORERS:
            raise ValueError(f"{path}: case {c['id']}: scorer must be one of {SCORERS}")
        if c["scorer"] == "judge" and not doc.get("judge_task"):
            raise ValueError(f"{path}: judge cases need the suite's judge_task")
    return Suite(doc["suite"], doc["task"], float(doc.get("threshold", 0.05)), cases,
                 doc.get("system"), doc.get("judge_task"))


def find_suite(name: str, root: Path) -> Path:
    path = Path(name)
    if path.suffix == ".json" and path.exists():
        return path
    candidate = root / "evals" / f"{name}.json"
    if not candidate.exists():
        raise FileNotFoundError(f"no eval suite {name!r} (looked for {candidate})")
    return candidate


def score(case: dict[str, Any], answer: str, router: Router, suite: Suite) -> tuple[float, dict[str, Any]]:
    kind = case["scorer"]
    if kind == "exact":
        return float(answer.strip() == str(case["expected"]).strip()), {}
    if kind == "contains":
        wanted = [case["expected"]] if isinstance(case["expected"], str) else list(case["expected"])
        found = [w for w in wanted if w.lower() in answer.lower()]
        return len(found) / len(wanted), {"missing": [w for w in wanted if w not in found]}
    if kind == "numeric":
        match = NUMBER.search(answer)
        if match is None:
            return 0.0, {"error": "no number in the answer"}
        value = float(match.group())
        return float(abs(value - float(case["expected"])) <= float(case.get("tolerance", 0))), {
            "value": value}
    if kind == "json_schema":
        try:
            jsonschema.validate(json.loads(answer), case["schema"])
        except (json.JSONDecodeError, jsonschema.ValidationError) as exc:
            return 0.0, {"error": str(exc).splitlines()[0][:500]}
        return 1.0, {}
    assert suite.judge_task is not None
    verdict = router.call(suite.judge_task, [Message("user", (
        f"Grade the answer against the criteria. Criteria: {case['criteria']}\n"
        f"Question: {case['input']}\nAnswer: {answer}\n"
        "Reply with JSON {\"score\": 0..1, \"reason\": \"...\"}."))], output=Verdict)
    assert verdict.parsed is not None
    return verdict.parsed.score, {"judge": verdict.parsed.reason, "judge_cost_usd": verdict.cost_usd}


def run_suite(router: Router, suite: Suite) -> EvalReport:
    results: list[dict[str, Any]] = []
    cost = 0.0
    for case in suite.cases:
        try:
            res = router.call(suite.task, [Message("user", case["input"])], system=suite.system)
            answer = res.response.text
            cost += res.cost_usd
            value, detail = score(case, answer, router, suite)
            cost += float(detail.get("judge_cost_usd", 0.0))
        except Exception as exc:  # noqa: BLE001 - a failed case scores 0, with the reason
            answer, value, detail = "", 0.0, {"error": f"{type(exc).__name__}: {exc}"[:500],
                                              "call_failed": True}
        passed = value >= (0.5 if case["scorer"] == "judge" else 1.0)
        results.append({"case_id": case["id"], "scorer": case["scorer"], "score": round(value, 6),
                        "passed": passed, "output": answer, "detail": detail})
    try:
        row = router.conn.execute(
            "SELECT api.record_llm_eval_run(p_suite => %s, p_task => %s, p_threshold => %s::numeric, "
            f"p_results => %s, p_cost_usd => %s::numeric) FROM {router.auth.from_sql}",
            (suite.name, suite.task, suite.threshold, Jsonb(results), cost,
             *router.auth.params)).fetchone()
    except psycopg.Error as exc:
        raise from_psycopg(exc) from exc
    assert row is not None
    run = row[0]
    return EvalReport(suite.name, float(run["score"]), int(run["passed"]), int(run["cases"]),
                      None if run["baseline_score"] is None else float(run["baseline_score"]),
                      bool(run["regressed"]), str(run["eval_run_id"]), cost, results)


def accept(router: Router, eval_run_id: str) -> None:
    try:
        router.conn.execute(f"SELECT api.accept_llm_eval_run(%s) FROM {router.auth.from_sql}",
                            (eval_run_id, *router.auth.params))
    except psycopg.Error as exc:
        raise from_psycopg(exc) from exc


def fake_script(suite: Suite) -> Any:
    """The fake provider's answers for an offline run: each case's fake_answer, matched by
    its input; judge requests get a verdict that passes exactly when the answer holds every
    `expected` word of the case (a deterministic stand-in for a judge model)."""
    by_input = {c["input"]: c for c in suite.cases}

    def answer(body: dict[str, Any]) -> dict[str, Any]:
        content = body["messages"][-1]["content"]
        text = content if isinstance(content, str) else json.dumps(content)
        if text in by_input:
            return {"text": by_input[text].get("fake_answer", "")}
        for case in suite.cases:
            if case["scorer"] == "judge" and f"Question: {case['input']}" in text:
                words = case.get("expected") or []
                ok = all(w.lower() in text.split("Answer:", 1)[1].lower() for w in words)
                return {"json": {"score": 1.0 if ok else 0.0,
                                 "reason": "covers the criteria" if ok else "misses the criteria"}}
        return {"text": ""}
    return answer


def run_cli(runtime_url: str, root: Path, suite_name: str, api_key: str | None, *,
            fake: bool = False, accept_run: bool = False) -> int:
    """`claw eval SUITE`: prints each case and the comparison; returns the exit status."""
    from contextlib import ExitStack

    from claw.llm.fakes import FakeProvider
    from claw.llm.providers import (AnthropicProvider, OpenAIProvider, Provider,
                                    providers_from_env)
    from claw.llm.router import TenantAuth

    if not api_key:
        print("claw eval: pass --api-key or set CLAW_API_KEY (the tenant whose route runs it)")
        return 2
    suite = load_suite(find_suite(suite_name, root))
    with ExitStack() as stack:
        providers: dict[str, Provider]
        if fake:
            script = fake_script(suite)
            oa = stack.enter_context(FakeProvider("openai", default=script))
            an = stack.enter_context(FakeProvider("anthropic", default=script))
            providers = {"openai": OpenAIProvider(api_key="fake", base_url=oa.base_url),
                         "anthropic": AnthropicProvider(api_key="fake", base_url=an.base_url)}
        else:
            providers = providers_from_env()
            if not providers:
                print("claw eval: no provider configured (CLAW_OPENAI_API_KEY, "
                      "CLAW_ANTHROPIC_API_KEY), or run offline with --fake")
                return 2
        conn = stack.enter_context(psycopg.connect(runtime_url, autocommit=True))
        router = Router(conn, TenantAuth.api_key(api_key), providers)
        try:
            report = run_suite(router, suite)
        except ClawError as exc:
            print(f"claw eval: {exc.sqlstate} {exc.message}: {exc.detail or ''} ({exc.hint or ''})")
            return 2
        for r in report.results:
            mark = "pass" if r["passed"] else "FAIL"
            print(f"   {mark} {r['case_id']:<16} {r['scorer']:<11} {r['score']:.2f}"
                  + (f"  {r['detail']}" if r["detail"] and not r["passed"] else ""))
        base = ("no accepted baseline yet" if report.baseline_score is None
                else f"baseline {report.baseline_score:.3f}")
        print(f"   eval {suite.name}: score {report.score:.3f} ({report.passed}/{report.cases} "
              f"passed), {base}, threshold {suite.threshold}, cost {report.cost_usd:.6f} USD, "
              f"run {report.eval_run_id}")
        if report.results and all(r["detail"].get("call_failed") for r in report.results):
            # nothing was measured: a missing route or key is an error, not a score of 0
            print(f"claw eval: no case reached a model; the first: "
                  f"{report.results[0]['detail']['error']}")
            return 2
        if report.regressed:
            print(f"   REGRESSION: the score fell by more than {suite.threshold} from the baseline")
            return 1
        if accept_run:
            accept(router, report.eval_run_id)
            print("   accepted as the new baseline")
    return 0
