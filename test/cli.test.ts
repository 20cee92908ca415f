import { afterAll, describe, expect, it } from "bun:test";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./support/herald.ts";
import { FROM_SOURCE, REPO_ROOT, runCommand } from "./support/process.ts";

const dir = tempDir("herald-cli-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VALID = `server: { host: 127.0.0.1, port: 0 }
storage: { sqlite: ./herald.db }
event_types:
  - { name: sample.uploaded, object_type: sample }
  - { name: analysis.failed, object_type: analysis }
subscriptions:
  - { id: lims, url: "http://127.0.0.1:9/lims", events: ["*"] }
api_keys:
  - { name: platform, role: publisher, token: "\${HERALD_PUBLISH_TOKEN:-cli-publish-token-01}" }
`;
// Two problems, on lines 5 and 8.
const INVALID = `event_types:
  - { name: sample.uploaded, object_type: sample }
subscriptions:
  - id: lims
    url: ftp://lims.example.org/hooks
    events: [sample.uploaded]
api_keys:
  - { name: platform, role: publisher, token: short }
`;

/** Writes a config into its own folder under the test's temp dir and returns its absolute path. */
function writeConfig(folder: string, yaml: string): string {
  mkdirSync(join(dir, folder), { recursive: true });
  writeFileSync(join(dir, folder, "webhooks.config.yaml"), yaml);
  return join(dir, folder, "webhooks.config.yaml");
}

/** Runs `bun src/main.ts <args>` to its end, with only PATH (and `env`) in its environment. */
const herald = (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) => runCommand([...FROM_SOURCE, ...args], { cwd: options.cwd ?? dir, env: options.env });

/** `file:line: path: message` lines after the header, as [line, path] pairs. */
function problemLines(stderr: string, file: string): [number, string][] {
  const [header, ...lines] = stderr.trimEnd().split("\n");
  expect(header).toBe("invalid configuration:");
  return lines.map((line) => {
    const match = /^(.+):(\d+): (\S+): .+$/.exec(line);
    if (!match || match[1] !== file) throw new Error(`not a "file:line: path: message" line: ${line}`);
    return [Number(match[2]), match[3]!];
  });
}

describe("herald check-config", () => {
  it("a valid file exits 0 and says what it found", async () => {
    const file = writeConfig("valid", VALID);
    const run = await herald(["check-config", "--config", file]);
    expect(run).toEqual({ exitCode: 0, stdout: `${file}: ok (2 event types, 1 subscriptions)\n`, stderr: "" });
  });

  it("without --config it reads ./webhooks.config.yaml from the working directory", async () => {
    const cwd = join(dir, "default");
    writeConfig("default", VALID);
    const run = await herald(["check-config"], { cwd });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe("webhooks.config.yaml: ok (2 event types, 1 subscriptions)\n");
  });

  it("the shipped webhooks.config.yaml is valid with an empty environment", async () => {
    const run = await herald(["check-config"], { cwd: REPO_ROOT });
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
  });

  it("an invalid file exits 2 and lists each problem on stderr as file:line: path: message", async () => {
    const file = writeConfig("invalid", INVALID);
    const run = await herald(["check-config", "--config", file]);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe("");
    expect(problemLines(run.stderr, file)).toEqual([
      [5, "subscriptions[0].url"],
      [8, "api_keys[0].token"],
    ]);
    expect(run.stderr).toContain(`${file}:5: subscriptions[0].url: Expected string to match '^https?://'`);
  });

  it("a variable missing from the process environment is a problem; once set, the file is valid", async () => {
    const file = writeConfig("env", VALID.replace(":-cli-publish-token-01", ""));
    const missing = await herald(["check-config", "--config", file]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`${file}:9: api_keys[0].token: environment variable HERALD_PUBLISH_TOKEN is not set`);
    const set = await herald(["check-config", "--config", file], { env: { HERALD_PUBLISH_TOKEN: "from-the-environment-01" } });
    expect(set.exitCode).toBe(0);
  });

  it("a file that does not exist exits 2 and names it", async () => {
    const run = await herald(["check-config", "--config", "nowhere.yaml"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(`invalid configuration:\nnowhere.yaml: config file not found: ${join(dir, "nowhere.yaml")}\n`);
  });
});

describe("herald serve", () => {
  it("an invalid file exits 2 without serving or creating the database", async () => {
    const file = writeConfig("serve-invalid", `storage: { sqlite: ./herald.db }\n${INVALID}`);
    const run = await herald(["serve", "--config", file]);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toStartWith("invalid configuration:\n");
    expect(existsSync(join(dir, "serve-invalid", "herald.db"))).toBe(false);
  });
});

describe("herald version", () => {
  it("prints herald and the package version", async () => {
    expect(await herald(["version"])).toEqual({ exitCode: 0, stdout: "herald 0.1.0\n", stderr: "" });
  });
});

describe("command line mistakes", () => {
  it("an unknown command exits 2 with the usage on stderr", async () => {
    const run = await herald(["launch"]);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toStartWith('unknown command "launch"\n\nusage: herald <command> [--config FILE]');
  });

  it("an unknown option exits 2 with the usage on stderr", async () => {
    const run = await herald(["check-config", "--verbose"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("usage: herald <command> [--config FILE]");
  });

  it("--help prints the usage on stdout and exits 0", async () => {
    const run = await herald(["--help"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toStartWith("usage: herald <command> [--config FILE]");
  });
});
