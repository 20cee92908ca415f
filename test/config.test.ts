import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sha256Hex } from "../src/tokens.ts";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DURATION_PATTERN, parseDuration } from "../src/config/duration.ts";
import { loadConfigFile, loadConfigText, type LoadResult } from "../src/config/load.ts";
import type { Config, ConfigProblem } from "../src/config/types.ts";
import { tempDir } from "./support/herald.ts";
import type { RetryPolicy } from "../src/domain/subscription.ts";

const dir = tempDir("herald-config-");
const FILE = join(dir, "webhooks.config.yaml");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
type Env = Record<string, string | undefined>;
const KEYS = `api_keys:\n  - { name: platform, role: publisher, token: publish-token-0001 }\n`;
const TYPES = `event_types:\n  - { name: sample.uploaded, object_type: sample }\n`;

async function loaded(yaml: string, env: Env = {}): Promise<Extract<LoadResult, { ok: true }>> {
  const result = await loadConfigText(yaml, FILE, env);
  if (!result.ok) throw new Error(`expected a valid config, got ${JSON.stringify(result.problems)}`);
  return result;
}
const load = async (yaml: string, env: Env = {}): Promise<Config> => (await loaded(yaml, env)).config;

async function problemsOf(yaml: string, env: Env = {}): Promise<ConfigProblem[]> {
  const result = await loadConfigText(yaml, FILE, env);
  return result.ok ? [] : result.problems;
}
/** `line path`, sorted by line: what an operator reads first. */
const where = (problems: ConfigProblem[]) => problems.map((p) => `${p.line} ${p.path}`).sort((a, b) => parseInt(a) - parseInt(b) || a.localeCompare(b));
const at = (problems: ConfigProblem[], path: string) => problems.filter((p) => p.path === path);

describe("the shipped webhooks.config.yaml", () => {
  it("loads with an empty environment, and Ovation's policy resolves exactly", async () => {
    const result = await loadConfigFile(resolve(import.meta.dir, "../webhooks.config.yaml"), {});
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const ovation: RetryPolicy = { timeoutMs: 10_000, scheduleMs: [64_000, 729_000], success: "2xx", maxRetryAfterMs: 3_600_000, jitter: 0, onGone: "fail", disableAfterMs: null };
    expect(result.config.retry).toEqual(ovation);
    expect(result.config.subscriptions.map((s) => [s.id, s.retry])).toEqual([
      ["lims", ovation],
      ["reports", ovation],
      ["analytics", ovation],
    ]);
    expect(result.config.storage.sqlitePath).toBe(resolve(import.meta.dir, "../data/herald.db"));
    expect(result.config.apiKeys.find((k) => k.role === "user")).toMatchObject({ name: "partner", subscriptions: ["reports"] });
  });
});

describe("durations", () => {
  it("500ms, 64s, 12m, 1h and 30d convert to milliseconds", async () => {
    const config = await load(`retention: 30d\nretry: { timeout: 500ms, schedule: [64s, 12m, 1h] }\n${TYPES}${KEYS}`);
    expect(config.retry.timeoutMs).toBe(500);
    expect(config.retry.scheduleMs).toEqual([64_000, 720_000, 3_600_000]);
    expect(config.retentionMs).toBe(30 * 86_400_000);
  });
  it("the schema's pattern and the parser accept exactly the same strings", () => {
    const pattern = new RegExp(DURATION_PATTERN);
    const parses = (text: string) => {
      try {
        return parseDuration(text) >= 0;
      } catch {
        return false;
      }
    };
    for (const text of ["500ms", "64s", "12m", "1h", "30d", "0s", "1w", "5 s", "s", "10", "1.5h", "10S", " 1s"]) expect([text, parses(text)]).toEqual([text, pattern.test(text)]);
  });
});

describe("retry.max_retry_after", () => {
  it("is 1h by default, may be set for all or per subscription, and a bad duration is a problem at its line", async () => {
    const yaml = (value: string) =>
      `retry:\n  max_retry_after: ${value}\n${TYPES}subscriptions:\n  - { id: a, url: "http://127.0.0.1/a", events: ["*"], retry: { max_retry_after: 0s } }\n  - { id: b, url: "http://127.0.0.1/b", events: ["*"] }\n${KEYS}`;
    expect((await load(`${TYPES}${KEYS}`)).retry.maxRetryAfterMs).toBe(3_600_000);
    const config = await load(yaml("10m"));
    expect(config.subscriptions.map((s) => s.retry.maxRetryAfterMs)).toEqual([0, 600_000]);
    expect(await problemsOf(yaml("an hour"))).toEqual([{ path: "retry.max_retry_after", line: 2, message: expect.stringContaining("e.g. 500ms, 64s, 12m, 1h, 30d") }]);
  });
});

describe("a subscription's retry override", () => {
  it("merges field by field with the default policy", async () => {
    const config = await load(`retry: { timeout: 2s, schedule: [1s, 2s], success: [200, 202] }
${TYPES}subscriptions:
  - { id: a, url: "http://127.0.0.1/a", events: ["*"], retry: { schedule: [5m] } }
  - { id: b, url: "http://127.0.0.1/b", events: ["*"], retry: { timeout: 500ms, success: 2xx } }
  - { id: c, url: "http://127.0.0.1/c", events: ["*"] }
${KEYS}`);
    expect(config.subscriptions.map((s) => s.retry)).toEqual([
      { timeoutMs: 2_000, scheduleMs: [300_000], success: [200, 202], maxRetryAfterMs: 3_600_000, jitter: 0, onGone: "fail", disableAfterMs: null },
      { timeoutMs: 500, scheduleMs: [1_000, 2_000], success: "2xx", maxRetryAfterMs: 3_600_000, jitter: 0, onGone: "fail", disableAfterMs: null },
      { timeoutMs: 2_000, scheduleMs: [1_000, 2_000], success: [200, 202], maxRetryAfterMs: 3_600_000, jitter: 0, onGone: "fail", disableAfterMs: null },
    ]);
  });
});

describe("environment interpolation", () => {
  const yaml = `server: { public_url: "https://\${PUBLIC_HOST}/herald" }
storage: { sqlite: "\${DATA_DIR:-/var/lib/herald}/herald.db" }
${TYPES}subscriptions:
  - id: lims
    url: \${LIMS_URL:-http://127.0.0.1:9000/lims}
    events: ["*"]
    headers: { X-Template: "$\${literal}" }
api_keys:
  - { name: platform, role: publisher, token: "\${PUBLISH_TOKEN}" }
  - { name: ops, role: admin, token: "\${ADMIN_TOKEN}" }
`;
  const tokens = { PUBLISH_TOKEN: "publish-token-from-env", ADMIN_TOKEN: "admin-token-from-env" };

  it("${NAME} takes the value from the environment, also inside a longer string", async () => {
    const config = await load(yaml, { ...tokens, PUBLIC_HOST: "hooks.example.org" });
    expect(config.server.publicUrl).toBe("https://hooks.example.org/herald");
    expect(config.apiKeys.map((k) => k.tokenSha256)).toEqual([sha256Hex("publish-token-from-env"), sha256Hex("admin-token-from-env")]);
    expect(config.subscriptions[0]!.headers).toEqual({ "X-Template": "${literal}" });
  });

  it("${NAME:-fallback} uses the fallback when NAME is unset or empty, and the environment when set", async () => {
    const unset = await load(yaml, { ...tokens, PUBLIC_HOST: "h", DATA_DIR: "" });
    expect(unset.storage.sqlitePath).toBe("/var/lib/herald/herald.db");
    expect(unset.subscriptions[0]!.url).toBe("http://127.0.0.1:9000/lims");
    const set = await load(yaml, { ...tokens, PUBLIC_HOST: "h", DATA_DIR: "/data", LIMS_URL: "https://lims.example.org/in" });
    expect(set.storage.sqlitePath).toBe("/data/herald.db");
    expect(set.subscriptions[0]!.url).toBe("https://lims.example.org/in");
  });

  it("a missing variable is a problem naming the variable, with the path and line where it is used", async () => {
    expect(await problemsOf(yaml, { ADMIN_TOKEN: tokens.ADMIN_TOKEN })).toEqual([
      { path: "server.public_url", line: 1, message: "environment variable PUBLIC_HOST is not set" },
      { path: "api_keys[0].token", line: 11, message: "environment variable PUBLISH_TOKEN is not set" },
    ]);
  });
});

describe("the SQLite path", () => {
  it("a relative path resolves from the config file's folder, not the working directory", async () => {
    const yaml = `storage: { sqlite: ./data/herald.db }\n${TYPES}${KEYS}`;
    const result = await loadConfigText(yaml, join(dir, "etc", "webhooks.config.yaml"), {});
    expect(result.ok && result.config.storage.sqlitePath).toBe(join(dir, "etc", "data", "herald.db"));
  });
});

describe("problems in the shape of the file are all listed at once, each with its YAML path and line", () => {
  const yaml = `server:
  port: eighty
  colour: blue
retry:
  timeout: 10 seconds
  schedule: [64s, 2 hours]
${TYPES}subscriptions:
  - id: lims
    url: https://lims.example.org/hooks
    events: sample.uploaded
    retries: 3
  - id: reports
    events: [sample.uploaded]
${KEYS}`;
  let found: ConfigProblem[] = [];
  beforeAll(async () => void (found = await problemsOf(yaml)));

  it("reports every one of them in one pass", () => {
    expect(where(found)).toEqual([
      "2 server.port",
      "3 server.colour",
      "5 retry.timeout",
      "6 retry.schedule[1]",
      "12 subscriptions[0].events",
      "13 subscriptions[0].retries",
      "14 subscriptions[1].url",
    ]);
  });
  it("a value of the wrong type is reported at its path and line", () => {
    expect(at(found, "server.port")).toEqual([{ path: "server.port", line: 2, message: "Expected union value (a port number, 0-65535)" }]);
    expect(at(found, "subscriptions[0].events")[0]!.message).toBe("Expected array");
  });
  it("a missing required field is reported at the path it should have, on the line of its parent", () => {
    expect(at(found, "subscriptions[1].url")).toMatchObject([{ line: 14, message: expect.stringContaining("Expected required property") }]);
  });
  it("an unknown field is reported at its own path and line", () => {
    expect(at(found, "subscriptions[0].retries")).toEqual([{ path: "subscriptions[0].retries", line: 13, message: "Unexpected property" }]);
  });
  it("a bad duration string is reported with the accepted forms", () => {
    expect(at(found, "retry.timeout")).toMatchObject([{ line: 5, message: expect.stringContaining("e.g. 500ms, 64s, 12m, 1h, 30d") }]);
  });
});

describe("problems between sections are all listed at once, each with its YAML path and line", () => {
  const yaml = `retry: { timeout: 2s }
event_types:
  - { name: sample.uploaded, object_type: sample }
  - { name: analysis.failed, object_type: analysis }
  - { name: sample.uploaded, object_type: sample }
subscriptions:
  - id: lims
    url: https://lims.example.org/hooks
    events: [sample.uploaded, report_signed]
    transformer: onecodex-v2
    auth: { plugin: hmac-sha256, secret: s3cret }
  - id: lims
    url: https://other.example.org/hooks
    events: ["*"]
    transformer: { plugin: ovation-v9 }
    retry: { timeout: 0ms }
api_keys:
  - { name: platform, role: publisher, token: publish-token-0001 }
  - { name: ops, role: admin, token: publish-token-0001 }
  - { name: partner, role: user, token: partner-token-000001 }
  - { name: other, role: user, token: other-token-00000001, subscriptions: [lims, billing] }
`;
  let found: ConfigProblem[] = [];
  beforeAll(async () => void (found = await problemsOf(yaml)));
  const one = (path: string) => at(found, path)[0];

  it("reports every one of them in one pass", () => {
    expect(where(found)).toEqual([
      "5 event_types[2].name",
      "9 subscriptions[0].events[1]",
      "10 subscriptions[0].transformer",
      "11 subscriptions[0].auth.plugin",
      "12 subscriptions[1].id",
      "15 subscriptions[1].transformer.plugin",
      "16 subscriptions[1].retry.timeout",
      "19 api_keys[1].token",
      "20 api_keys[2]",
      "21 api_keys[3].subscriptions[1]",
    ]);
  });
  it("an unknown event type in a subscription's events is reported with the declared ones", () => {
    expect(one("subscriptions[0].events[1]")?.message).toBe(
      'unknown event type "report_signed"; declared: sample.uploaded, analysis.failed, herald.delivery.failed, herald.subscription.disabled, herald.subscription.enabled',
    );
  });
  it("a duplicate subscription id, event type or API key token is reported at the second one", () => {
    expect(one("subscriptions[1].id")?.message).toBe('duplicate subscription id "lims"');
    expect(one("event_types[2].name")?.message).toBe('duplicate event type "sample.uploaded"');
    expect(one("api_keys[1].token")?.message).toStartWith("duplicate API key token");
  });
  it("a duplicate API key token is reported without echoing the secret", () => {
    expect(one("api_keys[1].token")?.message).not.toContain("publish-token-0001");
  });
  it("a user key without subscriptions, or naming an unknown one, is a problem", () => {
    expect(one("api_keys[2]")?.message).toContain("role user needs the `subscriptions`");
    expect(one("api_keys[3].subscriptions[1]")?.message).toBe('unknown subscription "billing"');
  });
  it("an unknown plugin name is reported with the available ones", () => {
    expect(one("subscriptions[0].transformer")?.message).toBe('unknown transformer plugin "onecodex-v2"; available: onecodex-v1, ovation');
    expect(one("subscriptions[1].transformer.plugin")?.message).toStartWith('unknown transformer plugin "ovation-v9"');
    expect(one("subscriptions[0].auth.plugin")?.message).toStartWith('unknown auth plugin "hmac-sha256"');
  });
  it("a zero timeout in a subscription's override is a problem", () => {
    expect(one("subscriptions[1].retry.timeout")?.message).toBe("timeout must be longer than 0");
  });
  it("a zero default timeout is reported once, at retry.timeout, not again under every subscription inheriting it", async () => {
    const yaml = `retry: { timeout: 0s }\n${TYPES}subscriptions:\n  - { id: a, url: "http://127.0.0.1/a", events: ["*"] }\n${KEYS}`;
    expect(await problemsOf(yaml)).toEqual([{ path: "retry.timeout", line: 1, message: "timeout must be longer than 0" }]);
  });
});

describe("a YAML syntax error", () => {
  it("is reported with its line, and nothing else is checked", async () => {
    const yaml = `${TYPES}api_keys:\n  - name: platform\n    role: publisher: admin\n    token: short\n`;
    expect(await problemsOf(yaml)).toEqual([{ path: "", line: 5, message: "Nested mappings are not allowed in compact mappings" }]);
  });
  it("a key written twice is a syntax error on the second one's line", async () => {
    expect(await problemsOf(`${TYPES}${KEYS}event_types: []\n`)).toEqual([{ path: "", line: 5, message: "Map keys must be unique" }]);
  });
});

describe("external plugin files listed under plugins:", () => {
  const typebox = Bun.resolveSync("@sinclair/typebox", import.meta.dir);
  const fixtures: Record<string, string> = {
    "my-lims.ts": `export default { kind: "transformer", name: "my-lims", transform: (event) => ({ body: { sample: event.object } }) };`,
    "lims-token.ts": `export default { kind: "auth", name: "lims-token", headerNames: ["x-lims-token"], headers: () => ({ "x-lims-token": "t" }) };`,
    "prefixed.ts": `import { Type } from ${JSON.stringify(typebox)};
export default { kind: "transformer", name: "prefixed", options: Type.Object({ prefix: Type.String() }), transform: (e, o) => ({ body: o.prefix }) };`,
    "broken.ts": `export default { kind: "transformer", name: "broken", transform: ( => 1 };`,
    "not-a-plugin.ts": `export default function transform() {}`,
    "clash.ts": `export default { kind: "transformer", name: "onecodex-v1", transform: () => ({ body: "" }) };`,
    "json-schema-options.ts": `export default { kind: "transformer", name: "plain", options: { type: "object" }, transform: () => ({ body: "" }) };`,
  };
  beforeAll(() => {
    mkdirSync(join(dir, "plugins"), { recursive: true });
    for (const [name, text] of Object.entries(fixtures)) writeFileSync(join(dir, "plugins", name), text);
  });
  const withPlugins = (files: string[], subscriptions = "") => `plugins:\n${files.map((f) => `  - ${f}\n`).join("")}${TYPES}${subscriptions && `subscriptions:\n${subscriptions}`}${KEYS}`;

  it("a valid plugin file loads, relative to the config's folder, and its plugin becomes available", async () => {
    const sub = `  - { id: lims, url: "http://127.0.0.1/l", events: ["*"], transformer: my-lims, auth: { plugin: lims-token } }\n`;
    const { config, plugins } = await loaded(withPlugins(["./plugins/my-lims.ts", join(dir, "plugins", "lims-token.ts")], sub));
    expect(config.plugins).toEqual([join(dir, "plugins", "my-lims.ts"), join(dir, "plugins", "lims-token.ts")]);
    expect(config.subscriptions[0]).toMatchObject({ transformer: { name: "my-lims" }, auth: { name: "lims-token" } });
    expect([...plugins.transformers.keys()]).toEqual(["onecodex-v1", "ovation", "my-lims"]);
    const event = { id: "e1", eventType: "sample.uploaded", objectType: "sample", object: { id: "s1" }, triggeredAt: 0, createdAt: 0 };
    expect(await plugins.transformers.get("my-lims")!.transform(event, {}, { now: () => 0, subscriptionId: "lims" })).toEqual({ body: { sample: { id: "s1" } } });
  });

  it("a subscription's plugin options are validated by the plugin's schema, at their path and line", async () => {
    const sub = (prefix: string) => `  - id: lims\n    url: "http://127.0.0.1/l"\n    events: ["*"]\n    transformer: { plugin: prefixed, prefix: ${prefix} }\n`;
    expect((await load(withPlugins(["./plugins/prefixed.ts"], sub('"lims-"')))).subscriptions[0]!.transformer.options).toEqual({ prefix: "lims-" });
    expect(where(await problemsOf(withPlugins(["./plugins/prefixed.ts"], sub("42"))))).toEqual(["9 subscriptions[0].transformer.prefix"]);
  });

  it("a missing file, a syntax error, a default export that is not a plugin and a clash with a built-in are each a problem at plugins[i]", async () => {
    const found = await problemsOf(withPlugins(["./plugins/my-lims.ts", "./plugins/missing.ts", "./plugins/broken.ts", "./plugins/not-a-plugin.ts", "./plugins/clash.ts"]));
    expect(where(found)).toEqual(["3 plugins[1]", "4 plugins[2]", "5 plugins[3]", "6 plugins[4]"]);
    expect(found.map((p) => p.message)).toEqual([
      `plugin file not found: ${join(dir, "plugins", "missing.ts")}`,
      expect.stringContaining("broken.ts failed to load"),
      expect.stringContaining("not-a-plugin.ts: its default export is not a plugin object"),
      'a transformer plugin named "onecodex-v1" is already loaded',
    ]);
  });

  it("a plugin whose options are not a typebox schema is a problem at plugins[i], not a crash", async () => {
    const sub = `  - { id: lims, url: "http://127.0.0.1/l", events: ["*"], transformer: { plugin: plain } }\n`;
    const found = where(await problemsOf(withPlugins(["./plugins/json-schema-options.ts"], sub)));
    expect(found).toEqual(["2 plugins[0]", "6 subscriptions[0].transformer.plugin"]); // a rejected plugin is unknown, like a missing one
  });
});

describe("problems of every kind are listed at once, in the order of the file", () => {
  beforeAll(() => {
    mkdirSync(join(dir, "all"), { recursive: true });
    writeFileSync(join(dir, "all", "my-lims.ts"), `export default { kind: "transformer", name: "my-lims", transform: (event) => ({ body: event.object }) };`);
  });

  it("a schema problem does not hide plugin files or the checks between the sections that passed", async () => {
    const yaml = `server: { port: eighty }
plugins: ["", ./all/missing.ts, ./all/my-lims.ts]
event_types:
  - { name: sample.uploaded, object_type: sample }
  - { name: sample.uploaded, object_type: sample }
subscriptions:
  - { id: lims, url: "http://127.0.0.1/l", events: [report_signed], transformer: my-lims, auth: { plugin: nope } }
  - { id: reports, url: "http://127.0.0.1/r", events: ["*"], retries: 3 }
  - { id: lims, url: "http://127.0.0.1/x", events: ["*"] }
api_keys:
  - { name: platform, role: publisher, token: short }
  - { name: partner, role: user, token: partner-token-000001 }
`;
    const found = await problemsOf(yaml);
    // Not re-sorted here: the loader itself lists them by line, and along a line by column.
    expect(found.map((p) => `${p.line} ${p.path}`)).toEqual([
      "1 server.port",
      "2 plugins[0]",
      "2 plugins[1]",
      "5 event_types[1].name",
      "7 subscriptions[0].events[0]",
      "7 subscriptions[0].auth.plugin",
      "8 subscriptions[1].retries",
      "9 subscriptions[2].id",
      "11 api_keys[0].token",
      "12 api_keys[1]",
    ]);
    expect(at(found, "plugins[1]")[0]?.message).toBe(`plugin file not found: ${join(dir, "all", "missing.ts")}`);
    expect(at(found, "subscriptions[2].id")[0]?.message).toBe('duplicate subscription id "lims"');
  });

  it("a reference into a section that lost an item to the schema is not judged: the lost item may be the one named", async () => {
    const yaml = `event_types:
  - { name: sample.uploaded, object_type: sample }
  - { name: report_signed }
subscriptions:
  - { id: lims, url: "http://127.0.0.1/l", events: [report_signed] }
  - { id: reports, url: "ftp://reports.example.org", events: ["*"] }
api_keys:
  - { name: partner, role: user, token: partner-token-000001, subscriptions: [reports] }
`;
    expect(where(await problemsOf(yaml))).toEqual(["3 event_types[1].object_type", "6 subscriptions[1].url"]);
  });
});

describe("a subscription URL that could not be POSTed to as written is refused at load", () => {
  const yaml = `${TYPES}subscriptions:
  - { id: a, url: "http://", events: ["*"] }
  - { id: b, url: "http://lims example.org/hooks", events: ["*"] }
  - { id: c, url: "https://herald:s3cret-pass@lims.example.org/hooks", events: ["*"] }
  - { id: d, url: "https://s3cret-token@lims.example.org/hooks", events: ["*"] }
  - { id: e, url: "https://lims.example.org:8443/hooks?lab=42", events: ["*"] }
${KEYS}`;
  let found: ConfigProblem[] = [];
  beforeAll(async () => void (found = await problemsOf(yaml)));

  it("a URL that does not parse is a problem at its path and line", () => {
    expect(found.slice(0, 2)).toEqual([
      { path: "subscriptions[0].url", line: 4, message: "not a valid URL" },
      { path: "subscriptions[1].url", line: 5, message: "not a valid URL" },
    ]);
  });
  it("credentials in the URL are refused, pointing to the basic-auth plugin, since attempt logs show the URL", () => {
    expect(where(found.slice(2))).toEqual(["6 subscriptions[2].url", "7 subscriptions[3].url"]);
    for (const problem of found.slice(2)) {
      expect(problem.message).toContain("basic-auth");
      expect(problem.message).not.toContain("s3cret");
    }
  });
  it("a URL with a port and a query loads", () => {
    expect(found).toHaveLength(4);
  });
});

describe("static request headers that HTTP cannot carry are refused at load", () => {
  const yaml = `${TYPES}subscriptions:
  - id: a
    url: "http://127.0.0.1/a"
    events: ["*"]
    headers:
      X-Lab-Id: "42"
      X Lab: "1"
      "X-Lab:": "2"
      X-Split: "ok\\r\\nX-Injected: yes"
      X-Nul: "a\\0b"
${KEYS}`;
  let found: ConfigProblem[] = [];
  beforeAll(async () => void (found = await problemsOf(yaml)));

  it("a name that is not an RFC 7230 token, or a value with CR, LF or NUL, is a problem at its path and line", () => {
    expect(found.map((p) => `${p.line} ${p.path}`)).toEqual([
      "9 subscriptions[0].headers.X Lab",
      "10 subscriptions[0].headers.X-Lab:",
      "11 subscriptions[0].headers.X-Split",
      "12 subscriptions[0].headers.X-Nul",
    ]);
    expect(found[0]!.message).toBe(`header name "X Lab" is not an HTTP token (letters, digits and !#$%&'*+-.^_\`|~ only)`);
    expect(found[2]!.message).toBe("the value of header X-Split contains a CR, LF or NUL");
  });
  it("a header value is never quoted in a message: it may be a secret", () => {
    expect(found.map((p) => p.message).join("\n")).not.toMatch(/X-Injected|a\0b/);
  });
});

describe("server", () => {
  it("a port given as a string must be 0-65535 too, also from the environment", async () => {
    const yaml = (port: string) => `server: { port: ${port} }\n${TYPES}${KEYS}`;
    expect(await problemsOf(yaml(`"70000"`))).toEqual([{ path: "server.port", line: 1, message: "Expected union value (a port number, 0-65535)" }]);
    expect(where(await problemsOf(yaml(`"\${PORT}"`), { PORT: "65536" }))).toEqual(["1 server.port"]);
    expect((await load(yaml(`"65535"`))).server.port).toBe(65535);
    expect((await load(yaml(`"\${PORT}"`), { PORT: "08080" })).server.port).toBe(8080);
  });
  it("max_body_size is a size in B, KiB or MiB, 1 MiB by default, between 1KiB and 64MiB", async () => {
    const yaml = (size: string) => `server:\n  host: 127.0.0.1\n  max_body_size: ${size}\n${TYPES}${KEYS}`;
    expect((await load(`${TYPES}${KEYS}`)).server.maxBodyBytes).toBe(1024 * 1024);
    expect((await load(yaml("512KiB"))).server.maxBodyBytes).toBe(512 * 1024);
    expect((await load(yaml("2MiB"))).server.maxBodyBytes).toBe(2 * 1024 * 1024);
    expect((await load(yaml("4096B"))).server.maxBodyBytes).toBe(4096);
    expect(await problemsOf(yaml("1 MB"))).toEqual([{ path: "server.max_body_size", line: 3, message: expect.stringContaining("(e.g. 512KiB, 1MiB)") }]);
    expect(await problemsOf(yaml("1048576"))).toEqual([{ path: "server.max_body_size", line: 3, message: "Expected string (e.g. 512KiB, 1MiB)" }]);
    for (const size of ["1023B", "65MiB"]) expect(await problemsOf(yaml(size))).toEqual([{ path: "server.max_body_size", line: 3, message: "max_body_size must be between 1KiB and 64MiB" }]);
  });
  it("a public_url that does not parse is a problem at its path and line", async () => {
    const yaml = `server:\n  host: 127.0.0.1\n  public_url: "https://hooks example.org"\n${TYPES}${KEYS}`;
    expect(await problemsOf(yaml)).toEqual([{ path: "server.public_url", line: 3, message: "not a valid URL" }]);
  });
});

describe("retention", () => {
  const yaml = (retention: string) => `${retention}retry: { timeout: 2s, schedule: [1s] }
${TYPES}subscriptions:
  - { id: quick, url: "http://127.0.0.1/q", events: ["*"] }
  - { id: patient, url: "http://127.0.0.1/p", events: ["*"], retry: { timeout: 10s, schedule: [64s, 729s] } }
${KEYS}`;

  it("a retention of 0 is a problem", async () => {
    expect(await problemsOf(yaml("retention: 0ms\n"))).toEqual([{ path: "retention", line: 1, message: "retention must be longer than 0" }]);
  });
  it("a retention shorter than the longest retry span (schedule + attempts × timeout) is a problem naming that subscription", async () => {
    const noRetryAfter = (retention: string) => yaml(retention).replace("schedule: [1s] }", "schedule: [1s], max_retry_after: 0s }");
    expect(await problemsOf(noRetryAfter("retention: 10m\n"))).toEqual([
      {
        path: "retention",
        line: 1,
        message: 'retention 10m is shorter than the 823s subscription "patient" may spend retrying an event (its schedule plus 3 attempts of 10s): events would be purged while still being retried',
      },
    ]);
    expect((await load(noRetryAfter("retention: 823s\n"))).retentionMs).toBe(823_000);
  });
  it("the span counts every wait as long as Retry-After may stretch it (max_retry_after, 1h by default)", async () => {
    expect(await problemsOf(yaml("retention: 2h\n"))).toEqual([
      {
        path: "retention",
        line: 1,
        message:
          'retention 2h is shorter than the 7230s subscription "patient" may spend retrying an event (its schedule, each wait stretched up to 1h by Retry-After, plus 3 attempts of 10s): events would be purged while still being retried',
      },
    ]);
    expect((await load(yaml("retention: 7230s\n"))).retentionMs).toBe(7_230_000);
  });
  it("the default retention is held to the same rule", async () => {
    const found = await problemsOf(`${TYPES}subscriptions:\n  - { id: a, url: "http://127.0.0.1/a", events: ["*"], retry: { schedule: [31d] } }\n${KEYS}`);
    expect(found).toMatchObject([{ path: "retention", message: expect.stringMatching(/^retention 30d \(the default\) is shorter than .* "a" /) }]);
  });
  it("a retention or default policy that failed the schema is reported once, not judged against a guess", async () => {
    expect(where(await problemsOf(yaml("retention: soon\n")))).toEqual(["1 retention"]);
    expect(where(await problemsOf(yaml("retention: 1m\n").replace("timeout: 2s", "timeout: 2 s")))).toEqual(["2 retry.timeout"]);
  });
});

describe("API key tokens", () => {
  it("a token with whitespace or a colon is a problem at its path, and the message never shows the token", async () => {
    const yaml = `${TYPES}api_keys:
  - { name: platform, role: publisher, token: "publish token 0001" }
  - { name: ops, role: admin, token: "admin:token-000001" }
  - { name: tab, role: admin, token: "admin-token-000001\\t" }
  - { name: fine, role: admin, token: "Admin.Token_0001~!" }
`;
    const found = await problemsOf(yaml);
    expect(where(found)).toEqual(["4 api_keys[0].token", "5 api_keys[1].token", "6 api_keys[2].token"]);
    for (const problem of found) {
      expect(problem.message).toContain("no whitespace or colon");
      expect(problem.message).not.toMatch(/publish token|admin:token|admin-token/);
    }
  });
});

describe("each kind of mistake, alone in a file, is one problem naming its path and exact line", () => {
  const base = (lines: string) => `event_types:\n  - { name: sample.uploaded, object_type: sample }\n${lines}api_keys:\n  - { name: platform, role: publisher, token: publish-token-0001 }\n`;
  const sub = (fields: string) => `subscriptions:\n  - id: lims\n    url: http://127.0.0.1:9/lims\n${fields}`;
  const kinds: [kind: string, yaml: string, env: Env, expected: { line: number; path: string; message: RegExp }][] = [
    ["bad YAML", base("delivery: { concurrency: 4\n"), {}, { line: 4, path: "", message: /flow|collection|Missing|expected/i }],
    ["unknown key", base("delivery:\n  concurency: 4\n"), {}, { line: 4, path: "delivery.concurency", message: /^Unexpected property/ }],
    ["wrong type", base(sub('    events: ["*"]\n    headers: [X-Lab]\n')), {}, { line: 7, path: "subscriptions[0].headers", message: /^Expected object/ }],
    ["bad duration", base("retry:\n  schedule: [64s, 12 minutes]\n"), {}, { line: 4, path: "retry.schedule[1]", message: /e\.g\. 500ms, 64s/ }],
    [
      "missing env variable",
      base(sub('    events: ["*"]\n    auth: { plugin: onecodex-signature, secret: "${LIMS_SECRET}" }\n')),
      {},
      { line: 7, path: "subscriptions[0].auth.secret", message: /^environment variable LIMS_SECRET is not set$/ },
    ],
    ["unknown plugin", base(sub('    events: ["*"]\n    transformer: lims-v2\n')), {}, { line: 7, path: "subscriptions[0].transformer", message: /^unknown transformer plugin "lims-v2"/ }],
    [
      "duplicate ids",
      base(`${sub('    events: ["*"]\n')}  - { id: lims, url: "http://127.0.0.1:9/other", events: ["*"] }\n`),
      {},
      { line: 7, path: "subscriptions[1].id", message: /^duplicate subscription id "lims"$/ },
    ],
    [
      "undeclared event type",
      base(sub("    events: [sample.uploaded, sample.deleted]\n")),
      {},
      {
        line: 6,
        path: "subscriptions[0].events[1]",
        message: /^unknown event type "sample\.deleted"; declared: sample\.uploaded, herald\.delivery\.failed, herald\.subscription\.disabled, herald\.subscription\.enabled$/,
      },
    ],
    ["bad size", base("server:\n  max_body_size: 1GB\n"), {}, { line: 4, path: "server.max_body_size", message: /e\.g\. 512KiB, 1MiB/ }],
    ["bad network", base("delivery:\n  allow_networks: [169.254.0.0/33]\n"), {}, { line: 4, path: "delivery.allow_networks[0]", message: /is not a network/ }],
  ];
  for (const [kind, yaml, env, expected] of kinds) {
    it(kind, async () => {
      const found = await problemsOf(yaml, env);
      expect(found).toHaveLength(1);
      expect({ line: found[0]!.line, path: found[0]!.path }).toEqual({ line: expected.line, path: expected.path });
      expect(found[0]!.message).toMatch(expected.message);
    });
  }
});
