"""`claw eval`: every scorer, the run stored in PostgreSQL, the comparison with the last
accepted baseline and the exit status on a regression, against the fake providers."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from claw.llm.evals import fake_script, load_suite, run_cli
from conftest import ROOT, Database


@pytest.fixture
def tenant_key(db: Database) -> str:
    with db.connect() as conn:
        key = str(conn.execute("SELECT api_key FROM tenancy.create_tenant('eval-co', 'E', 'o', 'O')")
                  .fetchone()[0])  # type: ignore[index]
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))
        conn.execute("SELECT * FROM api.set_llm_route(p_task => 'summarise', p_models => '{gpt-4o-mini}')")
        conn.execute("SELECT * FROM api.set_llm_route(p_task => 'eval-judge', p_models => '{claude-haiku-4-5}')")
    return key


def write_suite(tmp_path: Path, answers: dict[str, str]) -> Path:
    doc = json.loads((ROOT / "evals" / "dispatch-summary.json").read_text())
    for case in doc["cases"]:
        case["fake_answer"] = answers.get(case["id"], case["fake_answer"])
    path = tmp_path / "dispatch-summary.json"
    path.write_text(json.dumps(doc))
    return path


def runs(db: Database, key: str) -> list[tuple[Any, ...]]:
    with db.connect("claw_runtime") as conn, conn.transaction():
        conn.execute("SELECT * FROM api.authenticate(p_api_key => %s)", (key,))
        return conn.execute("SELECT score, baseline_score, regressed, accepted_at IS NOT NULL, cases, passed "
                            "FROM api.list_llm_eval_runs('dispatch-summary') ORDER BY created_at").fetchall()


def test_the_golden_suite_scores_every_case_and_regressions_fail(
        db: Database, tenant_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = db.url("claw_runtime")
    suite = ROOT / "evals" / "dispatch-summary.json"
    assert run_cli(url, ROOT, str(suite), tenant_key, fake=True, accept_run=True) == 0
    out = capsys.readouterr().out
    assert "score 1.000 (5/5 passed), no accepted baseline yet" in out and "accepted" in out
    # one case gets worse: 0.8 is more than 0.05 below the accepted 1.0 -> exit 1
    worse = write_suite(tmp_path, {"sms-tone": "Your plumber is late."})
    assert run_cli(url, ROOT, str(worse), tenant_key, fake=True, accept_run=True) == 1
    out = capsys.readouterr().out
    assert "FAIL sms-tone" in out and "REGRESSION" in out and "baseline 1.000" in out
    assert runs(db, tenant_key) == [(1, None, False, True, 5, 5), (Decimal("0.8"), 1, True, False, 5, 4)]
    with db.connect() as conn:  # the judge's calls are on the ledger too
        tasks = dict(conn.execute("SELECT task, count(*) FROM llm.calls GROUP BY 1").fetchall())
        accepted = conn.execute("SELECT count(*) FROM audit.events "
                                "WHERE action = 'llm.eval_runs.update'").fetchone()
    assert tasks == {"summarise": 10, "eval-judge": 2}
    assert accepted == (1,)  # who accepted the baseline is in the audit chain


@pytest.mark.parametrize("case_id, answer", [
    ("count-jobs", "about 4 jobs"), ("delayed-first", "Smith is late"), ("yes-no", "Yes."),
    ("structured", '{"customer": "Jones", "minutes_late": -5}'), ("structured", "Jones, 120"),
])
def test_each_scorer_fails_a_wrong_answer(db: Database, tenant_key: str, tmp_path: Path,
                                          case_id: str, answer: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = write_suite(tmp_path, {case_id: answer})
    assert run_cli(db.url("claw_runtime"), ROOT, str(path), tenant_key, fake=True) == 0  # no baseline
    assert f"FAIL {case_id}" in capsys.readouterr().out


def test_suites_are_checked_when_loaded(tmp_path: Path) -> None:
    doc = {"suite": "x", "task": "t", "cases": [{"id": "a", "input": "q", "scorer": "fuzzy"}]}
    (tmp_path / "x.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="scorer"):
        load_suite(tmp_path / "x.json")
    suite = load_suite(ROOT / "evals" / "dispatch-summary.json")
    assert fake_script(suite)({"messages": [{"content": suite.cases[0]["input"]}]}) == {"text": "3 jobs."}


def test_a_suite_whose_every_call_fails_is_an_error_not_a_score(
        db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    """A tenant without a route for the suite's task: every case failed with 'no LLM route'
    and `claw eval` printed score 0.000 and exited 0 (a new-user walkthrough). Nothing was
    measured: exit 2 and say why."""
    with db.connect() as conn:
        key = str(conn.execute("SELECT api_key FROM tenancy.create_tenant('no-route', 'N', 'o', "
                               "'O')").fetchone()[0])  # type: ignore[index]
    suite = ROOT / "evals" / "dispatch-summary.json"
    assert run_cli(db.url("claw_runtime"), ROOT, str(suite), key, fake=True) == 2
    assert "no case reached a model" in capsys.readouterr().out
