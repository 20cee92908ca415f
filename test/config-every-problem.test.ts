// `herald check-config` lists every problem in one run: an item failing the schema no longer hides its other
// problems, and a wrong enum value names the allowed ones.
import { afterAll, describe, expect, it } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfigText } from "../src/config/load.ts";
import type { ConfigProblem } from "../src/config/types.ts";
import { tempDir } from "./support/herald.ts";
import { FROM_SOURCE, runCommand } from "./support/process.ts";

const dir = tempDir("herald-every-problem-");
const FILE = join(dir, "webhooks.config.yaml");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function problemsOf(yaml: string): Promise<ConfigProblem[]> {
  const result = await loadConfigText(yaml, FILE, {});
  return result.ok ? [] : result.problems;
}

// Each item here fails the schema in one field and has another problem beside it.
const YAML = `event_types:
  - { name: sample.uploaded, object_type: sample }
  - { name: sample.uploaded, object_type: 7 }
subscriptions:
  - id: lims
    url: ftp://lims.example.org/hooks
    events: [sample.uploaded, report_signed]
    transformer: no-such-transformer
  - { id: reports, url: "http://127.0.0.1/r", events: ["*"], retries: 3, auth: { plugin: basic-auth, username: a } }
api_keys:
  - { name: ops, role: admin, token: ops-token-000000001 }
  - { name: ops, role: superuser, token: other-token-0000001 }
  - { name: partner, role: user, token: short, subscriptions: [nowhere] }
`;

describe("an item that fails the schema still has its other problems listed", () => {
  it("a bad URL beside an unknown event type and an unknown transformer, an unknown field beside bad plugin options", async () => {
    const found = await problemsOf(YAML);
    expect(found.map((p) => `${p.line} ${p.path}`)).toEqual([
      "3 event_types[1].name",
      "3 event_types[1].object_type",
      "6 subscriptions[0].url",
      "7 subscriptions[0].events[1]",
      "8 subscriptions[0].transformer",
      "9 subscriptions[1].retries",
      "9 subscriptions[1].auth.password",
      "12 api_keys[1].name",
      "12 api_keys[1].role",
      "13 api_keys[2].token",
      "13 api_keys[2].subscriptions[0]",
    ]);
    const message = (path: string) => found.find((p) => p.path === path)?.message;
    expect(message("event_types[1].name")).toBe('duplicate event type "sample.uploaded"');
    expect(message("subscriptions[0].events[1]")).toContain('"report_signed"');
    expect(message("subscriptions[0].transformer")).toContain("no-such-transformer");
    expect(message("api_keys[1].name")).toBe('duplicate API key name "ops"');
    expect(message("api_keys[2].subscriptions[0]")).toBe('unknown subscription "nowhere"');
  });

  it("a reference to an item whose name itself failed is not judged (the bad name may be the one meant)", async () => {
    const yaml = `event_types:\n  - { name: "bad name", object_type: sample }\nsubscriptions:\n  - { id: a, url: "http://127.0.0.1/a", events: [good.name] }\n`;
    expect((await problemsOf(yaml)).map((p) => p.path)).toEqual(["event_types[0].name"]);
  });
});

describe("a wrong enum value names the allowed values", () => {
  it("role: superuser -> publisher, admin, user", async () => {
    const found = await problemsOf(YAML);
    expect(found.find((p) => p.path === "api_keys[1].role")?.message).toBe('must be one of publisher, admin, user, not "superuser"');
  });
  it("log.level: verbose -> debug, info, warn, error", async () => {
    const found = await problemsOf(`log: { level: verbose }\nevent_types:\n  - { name: a, object_type: b }\n`);
    expect(found).toEqual([{ path: "log.level", line: 1, message: 'must be one of debug, info, warn, error, not "verbose"' }]);
  });
});

describe("herald check-config", () => {
  it("prints every problem of the file in one run", async () => {
    writeFileSync(FILE, YAML);
    const run = await runCommand([...FROM_SOURCE, "check-config", "--config", FILE], { cwd: dir });
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trimEnd().split("\n").slice(1)).toHaveLength(11);
    expect(run.stderr).toContain(`${FILE}:12: api_keys[1].role: must be one of publisher, admin, user, not "superuser"`);
  });
});
