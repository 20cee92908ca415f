// kill -9 in the middle of ingest and delivery loses nothing: every event that got a 2xx reaches every
// subscriber at least once, duplicates carry the same delivery id, and the database is intact.
import { afterAll, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { BUILD_TIMEOUT_MS } from "./support/binary.ts";
import { runCrashScenario } from "./support/crash.ts";
import { tempDir } from "./support/herald.ts";
import { killAllHeralds } from "./support/process.ts";

const dir = tempDir("herald-crash-");
afterAll(async () => {
  await killAllHeralds();
  rmSync(dir, { recursive: true, force: true });
});

describe("a crash during ingest and delivery", () => {
  it(
    "3,000 events to three receivers, the binary killed with SIGKILL at a random moment and restarted: none lost",
    async () => {
      const figures = await runCrashScenario({ dir, events: 3_000, kills: 1 });
      console.log(`crash test: ${JSON.stringify(figures)}`);
      expect(figures).toMatchObject({ accepted: 3_000, kills: 1, lost: 0, mixedDeliveryIds: 0, integrity: "ok", unfinished: 0 });
      expect(figures.delivered).toBe(3 * 3_000);
    },
    60_000 + BUILD_TIMEOUT_MS,
  );
});
