// Secrets at rest: the subscriptions made through the API keep their secrets in the database only sealed with
// AES-256-GCM. Real Herald processes, the real SQLite file and its WAL searched byte for byte.
import { afterAll, describe, expect, it } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import { HEALTHY } from "../src/store/index.ts";
import { configYaml, tempDir } from "./support/herald.ts";
import { FROM_SOURCE, killAllHeralds, REPO_ROOT, runCommand, spawnHerald, waitUntil } from "./support/process.ts";
import { receiverPool, type Receiver } from "./support/receiver.ts";

const receivers = receiverPool();
const dirs: string[] = [];
afterAll(async () => {
  await killAllHeralds();
  await receivers.stopAll();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const newDir = () => {
  const dir = tempDir("herald-at-rest-");
  dirs.push(dir);
  return dir;
};

const PASSWORD = "basic-password-at-rest-4d1f";
const SIGNING_SECRET = "onecodex-secret-at-rest-77ab";
const HEADER_SECRET = "static-header-secret-at-rest-9e02";
const QUERY_SECRET = "query-secret-at-rest-31c7";
const KEY_A = Buffer.alloc(32, 1).toString("base64");
const KEY_B = Buffer.alloc(32, 2).toString("base64");

const yamlFor = (receiver: Receiver) => configYaml({ subscriptions: `  - { id: a, url: "${receiver.url}/a", events: [analysis.failed] }`, extra: "reload: { watch: false }" });

/** Creates three API subscriptions holding every kind of secret, and answers the generated one. */
async function createSecretSubscriptions(herald: Awaited<ReturnType<typeof spawnHerald>>, receiver: Receiver): Promise<string> {
  const create = async (json: unknown) => {
    const response = await herald.api("/api/v1/subscriptions", { method: "POST", json });
    expect(response.status).toBe(201);
    return (await response.json()) as { signing_secret?: string };
  };
  await create({ id: "basic", url: `${receiver.url}/basic?token=${QUERY_SECRET}`, events: ["sample.uploaded"], auth: { plugin: "basic-auth", username: "lab", password: PASSWORD } });
  await create({ id: "signed", url: `${receiver.url}/signed`, events: ["sample.uploaded"], auth: { plugin: "onecodex-signature", secret: SIGNING_SECRET }, headers: { "X-Api-Key": HEADER_SECRET } });
  const generated = await create({ id: "sw", url: `${receiver.url}/sw`, events: ["sample.uploaded"], auth: { plugin: "standard-webhooks" } });
  return generated.signing_secret!;
}

/** The bytes of the database file and of its WAL (if there is one now). */
function storedBytes(dir: string): Buffer {
  const files = ["herald.db", "herald.db-wal"].map((name) => join(dir, name)).filter(existsSync);
  return Buffer.concat(files.map((file) => readFileSync(file)));
}

const sealedKeyIds = (dir: string) => {
  const db = new Database(join(dir, "herald.db"), { readonly: true });
  const specs = db.query<{ spec: string }, []>("SELECT spec FROM subscriptions WHERE source = 'api'").all();
  db.close();
  return new Set(specs.flatMap(({ spec }) => [...spec.matchAll(/herald-sealed:v1:([0-9a-f]+):/g)].map((m) => m[1])));
};

async function publishAndReceive(herald: Awaited<ReturnType<typeof spawnHerald>>, receiver: Receiver, count: number) {
  expect((await herald.publish({ event_type: "sample.uploaded", object: { id: `smp_${count}` } })).status).toBe(202);
  await receiver.waitFor(count);
  const last = (path: string) => receiver.requests.findLast((q) => q.path.startsWith(path))!;
  expect(last("/basic").headers.authorization).toBe(`Basic ${btoa(`lab:${PASSWORD}`)}`);
  expect(last("/basic").path).toBe(`/basic?token=${QUERY_SECRET}`);
  expect(last("/signed").headers["x-api-key"]).toBe(HEADER_SECRET);
}

describe("secrets encrypted at rest", () => {
  it("leaves no secret's bytes in the SQLite file or its WAL, and deliveries still carry them after a restart", async () => {
    const dir = newDir();
    const receiver = receivers.start();
    let herald = await spawnHerald({ dir, yaml: yamlFor(receiver) });
    const generated = await createSecretSubscriptions(herald, receiver);
    await publishAndReceive(herald, receiver, 3);
    // With no key configured, one was made beside the database, readable by its owner alone, and the log says so.
    const keyFile = join(dir, "herald.db.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(herald.output()).toContain("generated the key that encrypts stored secrets");
    const secrets = [PASSWORD, SIGNING_SECRET, HEADER_SECRET, QUERY_SECRET, generated, generated.slice("whsec_".length)];
    const leaks = (bytes: Buffer) => secrets.filter((secret) => bytes.includes(Buffer.from(secret)));
    expect(existsSync(join(dir, "herald.db-wal"))).toBe(true);
    expect(leaks(storedBytes(dir))).toEqual([]); // while serving: the database and its WAL

    await herald.kill("SIGTERM");
    expect(leaks(storedBytes(dir))).toEqual([]);
    herald = await spawnHerald({ dir, yaml: yamlFor(receiver) });
    await publishAndReceive(herald, receiver, 6);
    expect(herald.output()).not.toContain("generated the key");
    await herald.kill("SIGTERM");
  }, 30_000);

  it("encrypts at start the secrets a Herald from before stored in clear", async () => {
    const dir = newDir();
    const receiver = receivers.start();
    const store = openSqliteStore(join(dir, "herald.db"));
    const spec = { id: "signed", url: `${receiver.url}/signed`, events: ["sample.uploaded"], headers: { "X-Api-Key": HEADER_SECRET } };
    await store.subscriptions.insert({ id: "signed", source: "api", spec, createdAt: 1, updatedAt: 1, removedAt: null, deletedAt: null, health: HEALTHY });
    await store.close();
    expect(storedBytes(dir).includes(Buffer.from(HEADER_SECRET))).toBe(true);

    const herald = await spawnHerald({ dir, yaml: yamlFor(receiver) });
    expect(herald.output()).toContain("encrypted the stored secrets under the current key");
    expect((await herald.publish({ event_type: "sample.uploaded", object: { id: "smp_1" } })).status).toBe(202);
    expect((await receiver.waitFor(1))[0]!.headers["x-api-key"]).toBe(HEADER_SECRET);
    await herald.kill("SIGTERM");
    // SQLite may keep the old page's bytes in free space: only the live rows are asked for here.
    expect(sealedKeyIds(dir).size).toBe(1);
    const db = new Database(join(dir, "herald.db"), { readonly: true });
    expect(JSON.stringify(db.query("SELECT spec FROM subscriptions").all())).not.toContain(HEADER_SECRET);
    db.close();
  }, 30_000);

  it("refuses to start with a key that does not open the stored secrets, and sends nothing", async () => {
    const dir = newDir();
    const receiver = receivers.start();
    const herald = await spawnHerald({ dir, yaml: yamlFor(receiver), env: { HERALD_SECRET_KEY: KEY_A } });
    await createSecretSubscriptions(herald, receiver);
    expect(existsSync(join(dir, "herald.db.key"))).toBe(false); // the variable's key is used, no file is made
    await herald.kill("SIGTERM");

    const started = await runCommand([...FROM_SOURCE, "serve", "--config", join(dir, "webhooks.config.yaml")], { cwd: REPO_ROOT, env: { HERALD_SECRET_KEY: KEY_B } });
    expect(started.exitCode).toBe(1);
    expect(started.stderr).toMatch(/herald: a secret of subscription "(basic|signed|sw)" is encrypted under key [0-9a-f]{16}, but the key in use \(HERALD_SECRET_KEY\) is [0-9a-f]{16}/);
    expect(receiver.requests).toEqual([]);

    const malformed = await runCommand([...FROM_SOURCE, "serve", "--config", join(dir, "webhooks.config.yaml")], { cwd: REPO_ROOT, env: { HERALD_SECRET_KEY: "short" } });
    expect(malformed.exitCode).toBe(1);
    expect(malformed.stderr).toContain("HERALD_SECRET_KEY: a secret key is 32 random bytes written as base64 (44 characters) or hex (64)");
  }, 30_000);

  it("rotate-key: a new key at once, every secret re-encrypted under it at the next start", async () => {
    const dir = newDir();
    const receiver = receivers.start();
    const config = join(dir, "webhooks.config.yaml");
    let herald = await spawnHerald({ dir, yaml: yamlFor(receiver) });
    await createSecretSubscriptions(herald, receiver);
    const [oldId] = sealedKeyIds(dir);

    // While Herald serves: it goes on with the key it started with.
    const rotated = await runCommand([...FROM_SOURCE, "rotate-key", "--config", config], { cwd: REPO_ROOT });
    expect(rotated.exitCode).toBe(0);
    const keyFile = join(dir, "herald.db.key");
    expect(rotated.stdout).toContain(`written to ${keyFile}; the old one is kept in ${keyFile}.previous until the next start`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const again = await runCommand([...FROM_SOURCE, "rotate-key", "--config", config], { cwd: REPO_ROOT });
    expect([again.exitCode, again.stderr.trim()]).toEqual([1, `herald: a rotation is already pending (${keyFile}.previous exists): start Herald once to finish it first`]);
    await publishAndReceive(herald, receiver, 3);
    await herald.kill("SIGTERM");

    herald = await spawnHerald({ dir, yaml: yamlFor(receiver) });
    await waitUntil("the rotation to finish", () => (herald.output().includes("key rotation finished") ? true : undefined), 5_000);
    expect(existsSync(`${keyFile}.previous`)).toBe(false);
    const ids = sealedKeyIds(dir);
    expect(ids.size).toBe(1);
    expect(ids.has(oldId!)).toBe(false);
    await publishAndReceive(herald, receiver, 6);
    await herald.kill("SIGTERM");
  }, 40_000);
});
