"""The chaos test, small: 30 flows (a step, an effect on a provider that honours idempotency
keys, a durable timer, an effect on a provider that must be reconciled, a last step) on a
PostgreSQL of its own; worker processes SIGKILLed at random moments, one immediate
PostgreSQL shutdown and restart, then one clean worker. Every flow completes, no delivery
is duplicated or lost, none is stuck. The same code runs at full size in
bench/flows_chaos.py (1,000 flows, repeated kills, two restarts)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from flows_chaos import ChaosParams, run_chaos  # noqa: E402


def test_flows_survive_sigkills_and_a_postgres_restart_with_exactly_once_effects() -> None:
    params = ChaosParams(flows=30, workers=2, concurrency=10, lease=3, sleep_seconds=1.0,
                         kills=4, restarts=1, kill_every=(0.3, 0.8), budget=150)
    lines: list[str] = []
    result = run_chaos(params, say=lines.append)
    print("\n".join(lines), result)
    assert result["pg_restarts"] == 1 and result["sigkills"] >= 4
    assert result["completed"] == 30, result
    assert result["duplicates"] == 0, result
    assert result["lost"] == 0, result
    assert result["stuck"] == 0, result
    assert result["recovery_seconds"] and result["recovery_seconds"][0] >= 0
    # the workers outlived the restart: they reconnected with backoff instead of exiting
    assert result["workers_exited_by_themselves"] == 0, result
