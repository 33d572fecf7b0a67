"""Locust users for bench/http_bench.py: a realistic mix against the Claw HTTP edge.

ApiUser (19 of every 20 users, locust's FastHttpUser: the load generator shares this
machine's two cores with the server and PostgreSQL, and the requests-based HttpUser cost
1.95 ms of CPU per request against 1.0 ms): reads (whoami, a page of jobs, one job, schedules, a
permission check) and writes with Idempotency-Key (enqueue a job, some retried with the same
key to be replayed). StreamUser (1 of every 20): holds one `GET /v1/events` stream open for
the whole run and counts what it receives. Keys come from CLAW_BENCH_KEYS (comma-separated,
one tenant each)."""

from __future__ import annotations

import os
import random
import time
import uuid

import requests

from locust import FastHttpUser, HttpUser, between, events, task

KEYS = os.environ["CLAW_BENCH_KEYS"].split(",")
# think time between an API user's requests, seconds (bench/http_bench.py --think)
THINK = tuple(float(x) for x in os.environ.get("CLAW_BENCH_THINK", "0.5,1.5").split(","))
STREAM_STATS = {"events": 0, "streams": 0, "errors": 0}


class ApiUser(FastHttpUser):
    weight = 19
    wait_time = between(*THINK)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {random.choice(KEYS)}"}
        self.jobs: list[str] = []
        self.last_write: tuple[str, dict[str, object]] | None = None

    @task(3)
    def list_jobs(self) -> None:
        self.client.get("/v1/jobs?limit=20", headers=self.headers, name="GET /v1/jobs")

    @task(3)
    def get_job(self) -> None:
        if self.jobs:
            self.client.get(f"/v1/jobs/{random.choice(self.jobs)}", headers=self.headers,
                            name="GET /v1/jobs/{id}")

    @task(2)
    def whoami(self) -> None:
        self.client.get("/v1/whoami", headers=self.headers, name="GET /v1/whoami")

    @task(1)
    def schedules(self) -> None:
        self.client.get("/v1/schedules?limit=20", headers=self.headers, name="GET /v1/schedules")

    @task(1)
    def check(self) -> None:
        self.client.post("/v1/authz/check", headers=self.headers, name="POST /v1/authz/check",
                         json={"object": "doc:1", "relation": "viewer",
                               "subject": f"user:{random.randint(1, 50)}"})

    @task(2)
    def enqueue(self) -> None:
        key = uuid.uuid4().hex
        body: dict[str, object] = {"queue": "bench", "kind": "noop",
                                   "payload": {"n": random.randint(1, 10**6)}}
        resp = self.client.post("/v1/jobs", headers={**self.headers, "Idempotency-Key": key},
                                json=body, name="POST /v1/jobs (Idempotency-Key)")
        if resp.status_code == 201:
            self.jobs = (self.jobs + [resp.json()["job_id"]])[-50:]
            self.last_write = (key, body)

    @task(1)
    def replay(self) -> None:
        if self.last_write:
            key, body = self.last_write
            with self.client.post("/v1/jobs", headers={**self.headers, "Idempotency-Key": key},
                                  json=body, name="POST /v1/jobs (replay)",
                                  catch_response=True) as resp:
                if resp.status_code != 201 or resp.headers.get("Idempotent-Replayed") != "true":
                    resp.failure(f"not a replay: {resp.status_code}")


class StreamUser(HttpUser):
    weight = 1
    wait_time = between(1, 2)

    @task
    def stream(self) -> None:
        headers = {"Authorization": f"Bearer {random.choice(KEYS)}"}
        STREAM_STATS["streams"] += 1
        started = time.monotonic()
        try:
            # a plain session: a stream's hour-long "response time" stays out of the stats
            with requests.get(f"{self.host}/v1/events", headers=headers, stream=True,
                              timeout=(5, None)) as resp:
                resp.raise_for_status()
                for line in resp.iter_lines():
                    if line.startswith(b"id:"):
                        STREAM_STATS["events"] += 1
                    if self.environment.runner is None or \
                            self.environment.runner.state in ("stopping", "stopped"):
                        break
        except Exception:
            if time.monotonic() - started < 1:
                STREAM_STATS["errors"] += 1


@events.quitting.add_listener
def report(environment: object, **kwargs: object) -> None:
    path = os.environ.get("CLAW_BENCH_STREAM_STATS")
    if path:
        with open(path, "w") as f:
            f.write(f"{STREAM_STATS['streams']} {STREAM_STATS['events']} "
                    f"{STREAM_STATS['errors']}\n")
