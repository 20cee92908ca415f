// When the database cannot take writes (a full disk, another connection holding the write lock), Herald says
// so instead of failing: publish answers 503 storage_unavailable with Retry-After, /readyz fails, reads go on,
// nothing received is lost, and once the store takes writes again Herald carries on by itself.
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, it } from "bun:test";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { JobRunner } from "../src/jobs/runner.ts";
import { silentLogger } from "../src/log.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import { configYaml, startTestHerald, tempDir, type TestHerald } from "./support/herald.ts";
import { waitUntil } from "./support/process.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";

const receivers: Receiver[] = [];
const cleanups: (() => void)[] = [];
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  for (const cleanup of cleanups.reverse()) cleanup();
});

function receiver(responder?: Parameters<typeof startReceiver>[0]) {
  const started = startReceiver(responder);
  receivers.push(started);
  return started;
}

const sample = (id: string) => ({ id, event_type: "sample.uploaded", object: { id: "smp_1", filename: "reads.fastq.gz" } });

/** A tmpfs of `megabytes` mounted on a fresh folder (root only), unmounted after the file's tests; null if it cannot be made. */
function smallFileSystem(megabytes: number): string | null {
  const dir = tempDir("herald-full-");
  const mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `size=${megabytes}m`, "tmpfs", dir]);
  if (mounted.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  cleanups.push(() => {
    Bun.spawnSync(["umount", "-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Writes a file until the file system is full; returns its path. */
function fillUp(dir: string): string {
  const path = join(dir, "ballast");
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let i = 0; i < 100_000; i++) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
  return path;
}

async function storageRefusal(response: Response) {
  return { status: response.status, retryAfter: response.headers.get("retry-after"), code: ((await response.json()) as { error: { code: string } }).error.code };
}

const canMount = smallFileSystem(1) !== null;

describe.skipIf(!canMount)("a full disk (a small tmpfs)", () => {
  it("publish answers 503 storage_unavailable and /readyz fails while full, and both recover once space is freed", async () => {
    const dir = smallFileSystem(6)!;
    mkdirSync(join(dir, "herald"));
    const target = receiver();
    const herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${target.url}/hook", events: ["*"] }` }), { dir: join(dir, "herald") });
    cleanups.push(() => void herald.stop());
    expect((await herald.publish(sample("evt_before"))).status).toBe(202);
    const ballast = fillUp(dir);

    // The WAL may still have room it can reuse: publish until the disk is what refuses (bounded).
    let refusedId = "";
    let refusal: Awaited<ReturnType<typeof storageRefusal>> | undefined;
    for (let i = 0; i < 2_000 && refusal === undefined; i++) {
      const response = await herald.publish({ ...sample(`evt_${i}`), object: { id: "smp_1", padding: "x".repeat(2_000) } });
      if (response.status !== 202) [refusedId, refusal] = [`evt_${i}`, await storageRefusal(response)];
    }
    expect(refusal).toEqual({ status: 503, retryAfter: "5", code: "storage_unavailable" });
    expect((await fetch(`${herald.url}/readyz`)).status).toBe(503);
    expect((await herald.api("/api/v1/events/evt_before")).status).toBe(200); // reads go on

    rmSync(ballast);
    await Bun.sleep(1_200); // a checkpoint's turn comes first: it must leave the freed space to the writers
    // No restart: the refused publish is taken once space is back, and readiness returns.
    const retried = await waitUntil(
      "the refused publish to be taken",
      async () => {
        const response = await herald.publish({ ...sample(refusedId), object: { id: "smp_1", padding: "x".repeat(2_000) } });
        return response.status === 202 ? response : undefined;
      },
      10_000,
      100,
    );
    expect(retried.status).toBe(202);
    expect((await fetch(`${herald.url}/readyz`)).status).toBe(200);
    await herald.close();
  }, 60_000);
});

describe("another connection holding the write lock", () => {
  /** Opens the herald's database beside it and takes the write lock until release() is called. */
  function holdWriteLock(herald: TestHerald) {
    const other = new Database(join(herald.dir, "herald.db"));
    other.run("BEGIN IMMEDIATE");
    return {
      release() {
        other.run("COMMIT");
        other.close();
      },
    };
  }

  it("publish answers 503 storage_unavailable with Retry-After, /readyz fails, reads are never held up past the busy timeout, and all recovers", async () => {
    const target = receiver();
    const herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${target.url}/hook", events: ["*"] }` }));
    cleanups.push(() => void herald.close());
    expect((await herald.publish(sample("evt_before"))).status).toBe(202);
    await target.waitFor(1, 5_000);

    const lock = holdWriteLock(herald);
    const holdUntil = Date.now() + 8_000;
    // Publishes keep arriving while reads are timed: each publish may wait out the busy timeout once, not
    // one after the other.
    let slowestRead = 0;
    const refusals: Awaited<ReturnType<typeof storageRefusal>>[] = [];
    const publishes = (async () => {
      for (let i = 0; Date.now() < holdUntil - 500 && i < 100; i++) {
        refusals.push(await storageRefusal(await herald.publish(sample(`evt_locked_${i}`))));
        await Bun.sleep(100);
      }
    })();
    const reads = (async () => {
      for (let i = 0; Date.now() < holdUntil - 500 && i < 200; i++) {
        const started = performance.now();
        expect((await herald.api("/api/v1/events?per_page=5")).status).toBe(200);
        slowestRead = Math.max(slowestRead, performance.now() - started);
        await Bun.sleep(50);
      }
    })();
    await Promise.all([publishes, reads]);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals[0]).toEqual({ status: 503, retryAfter: "5", code: "storage_unavailable" });
    expect(refusals.length).toBeGreaterThan(2); // after the first, refusals come at once
    expect(slowestRead).toBeLessThan(5_000 + 1_000);
    expect((await fetch(`${herald.url}/readyz`)).status).toBe(503);

    await Bun.sleep(Math.max(0, holdUntil - Date.now()));
    lock.release();
    expect((await herald.publish(sample("evt_after"))).status).toBe(202);
    expect((await fetch(`${herald.url}/readyz`)).status).toBe(200);
    await herald.close();
  }, 30_000);

  it("keeps an outcome received while the lock is held and records it once released, without POSTing again", async () => {
    let answer: (() => void) | null = null;
    const target = receiver(() => new Promise<Response>((resolve) => (answer = () => resolve(new Response("ok")))));
    // A lease (2 × 1s + 1s) shorter than the hold: a dropped outcome would be POSTed again after it.
    const herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${target.url}/hook", events: ["*"] }`, retry: "retry: { timeout: 1s, schedule: [64s], success: 2xx }" }));
    cleanups.push(() => void herald.close());
    expect((await herald.publish(sample("evt_held"))).status).toBe(202);
    await target.waitFor(1, 5_000);

    const lock = holdWriteLock(herald);
    answer!(); // the 200 arrives while nothing can be written
    await Bun.sleep(6_500); // past the busy timeout and the lease
    lock.release();

    const event = await waitUntil(
      "the outcome to be recorded",
      async () => {
        const body = (await (await herald.api("/api/v1/events/evt_held")).json()) as { status: string; deliveries: { attempt_log: unknown[] }[] };
        return body.status === "success" ? body : undefined;
      },
      5_000,
      50,
    );
    expect(event.deliveries[0]!.attempt_log).toHaveLength(1);
    expect(target.requests).toHaveLength(1);
    await herald.close();
  }, 30_000);
});

describe("a bulk resend while another connection holds the write lock", () => {
  it("is not ended by it: the job waits, stays running, and finishes once the lock is released", async () => {
    const dir = tempDir("herald-job-lock-");
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "herald.db");
    const store = openSqliteStore(path);
    cleanups.push(() => void store.close());
    const events = Array.from({ length: 3 }, (_, i) => ({ id: `evt_${i}`, eventType: "sample.uploaded", objectType: "sample", object: {}, triggeredAt: null, subscriptionIds: ["a"] }));
    await store.events.publish(events, 1_000);
    const job = await store.jobs.createResend({ id: "job_1", createdBy: "key_1", filter: {}, now: 2_000 });

    const other = new Database(path);
    other.run("BEGIN IMMEDIATE");
    const runner = new JobRunner({ store, clock: { now: () => 3_000 }, log: silentLogger, onWork: () => {} });
    runner.start(job.id);
    await Bun.sleep(6_500); // past the busy timeout, and a retry or more after it
    expect((await store.jobs.get(job.id))!.state).toBe("running");
    other.run("COMMIT");
    other.close();

    const finished = await waitUntil(
      "the job to finish",
      async () => {
        const current = (await store.jobs.get(job.id))!;
        return current.state === "running" ? undefined : current;
      },
      5_000,
      50,
    );
    expect(finished).toMatchObject({ state: "done", done: 3, resent: 3, error: null });
    await runner.stop();
  }, 30_000);
});
