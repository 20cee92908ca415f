// `npm run test:soak`: the crash test, longer: 20,000 events (SOAK_EVENTS) and 5 kills (SOAK_KILLS).
import { afterAll, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { BUILD_TIMEOUT_MS } from "../support/binary.ts";
import { runCrashScenario } from "../support/crash.ts";
import { tempDir } from "../support/herald.ts";
import { killAllHeralds } from "../support/process.ts";

const EVENTS = Number(process.env.SOAK_EVENTS ?? 20_000);
const KILLS = Number(process.env.SOAK_KILLS ?? 5);
const dir = tempDir("herald-crash-soak-");
afterAll(async () => {
  await killAllHeralds();
  rmSync(dir, { recursive: true, force: true });
});

describe("crash soak", () => {
  it(
    `${EVENTS} events to three receivers, killed with SIGKILL ${KILLS} times: none lost`,
    async () => {
      const figures = await runCrashScenario({ dir, events: EVENTS, kills: KILLS, settleTimeoutMs: 120_000 });
      console.log(`crash soak: ${JSON.stringify(figures)}`);
      expect(figures).toMatchObject({ accepted: EVENTS, kills: KILLS, lost: 0, mixedDeliveryIds: 0, integrity: "ok", unfinished: 0 });
      expect(figures.delivered).toBe(3 * EVENTS);
    },
    600_000 + BUILD_TIMEOUT_MS,
  );
});
