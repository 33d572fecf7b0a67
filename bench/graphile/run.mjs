// graphile-worker for bench/queue_bench.py; one process is one graphile-worker runner.
//
//   node run.mjs migrate URL
//       installs graphile-worker's schema (graphile_worker) in the database at URL
//   node run.mjs work URL CONCURRENCY SAMPLES GO CONFIG
//       waits for the file GO, then runs a runner with CONCURRENCY jobs in flight and a
//       no-op task "noop" that records now - payload.t (seconds, when the payload has t;
//       now from performance.timeOrigin + performance.now(), a wall clock with sub-ms
//       resolution: Date.now() counts whole ms, and its truncation made every sample read
//       up to 1 ms short, 0.5 ms on average) into SAMPLES, a JSON list rewritten every
//       0.2 s and at exit.
//       CONFIG is "batched" (local queue of 500 jobs, completions and failures batched
//       with a delay of 0 ms) or "defaults" (graphile-worker's defaults: one job fetched
//       per worker, one completion per job). SIGTERM stops the runner gracefully.
//
// Both configurations: maxPoolSize = max(10, CONCURRENCY + 2) (graphile-worker's own
// recommendation, which it warns about when not followed), LISTEN/NOTIFY on (always, in
// graphile-worker), pollInterval 2000 ms (the default), prepared statements (the default),
// and a logger that prints warnings and errors only (the default one prints a line per
// completed job; the Python workers of the bench log nothing per job either).

import { existsSync, renameSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { Logger, run, runMigrations } from "graphile-worker";

const logger = new Logger((scope) => (level, message) => {
  if (level === "error" || level === "warning") {
    console.error(`[graphile ${level}] ${message}`);
  }
});

export function preset(url, concurrency, config) {
  const worker = {
    connectionString: url,
    concurrentJobs: concurrency,
    maxPoolSize: Math.max(10, concurrency + 2),
    logger,
  };
  if (config === "batched") {
    worker.localQueue = { size: 500 };
    worker.completeJobBatchDelay = 0;
    worker.failJobBatchDelay = 0;
  } else if (config !== "defaults") {
    throw new Error(`unknown config ${config} (batched or defaults)`);
  }
  return { worker };
}

async function migrate(url) {
  await runMigrations({ connectionString: url, logger });
}

async function work(url, concurrency, samplesPath, go, config) {
  const samples = [];
  const flush = () => {
    writeFileSync(samplesPath + ".tmp", JSON.stringify(samples));
    renameSync(samplesPath + ".tmp", samplesPath);
  };
  const flusher = setInterval(flush, 200);
  const taskList = {
    noop: async (payload) => {
      if (payload && payload.t !== undefined) {
        samples.push((performance.timeOrigin + performance.now()) / 1000 - payload.t);
      }
    },
  };
  const options = { preset: preset(url, concurrency, config), taskList, noHandleSignals: true };
  while (!existsSync(go)) {
    await sleep(5);
  }
  const runner = await run(options);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await runner.stop();
    } finally {
      clearInterval(flusher);
      flush();
      process.exit(0);
    }
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  await runner.promise;
  clearInterval(flusher);
  flush();
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === "migrate") {
  await migrate(rest[0]);
} else if (mode === "work") {
  const [url, concurrency, samplesPath, go, config] = rest;
  await work(url, Number(concurrency), samplesPath, go, config);
} else {
  console.error("usage: node run.mjs migrate URL | work URL CONCURRENCY SAMPLES GO CONFIG");
  process.exit(2);
}
