// The receiver's side (src/verify and `herald verify`), checked against signatures computed here with node:crypto
// from the documents, and, for Standard Webhooks, against the published `standardwebhooks` package both ways.
import { afterAll, describe, expect, it, spyOn } from "bun:test";
import { createHmac } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { verifyCommand, type VerifyArgs } from "../src/verify/command.ts";
import { type VerifyResult, verifyOneCodex, verifyStandardWebhooks, wholeSeconds } from "../src/verify/index.ts";
import { tempDir } from "./support/herald.ts";
import { FROM_SOURCE, runCommand } from "./support/process.ts";

const T = 1_760_000_000; // the signed send time, unix seconds
const NOW = (T + 30) * 1000; // the receiver's clock, unix ms: 30 s later
const BODY = JSON.stringify({ event_type: "sample.uploaded", object: { filename: "Übersicht-µ-样本-é.fastq" }, api_version: "v1" });
const BODY_BYTES = new TextEncoder().encode(BODY);

const ONECODEX_SECRET = "onecodex-api-key-0123456789abcdef";
const OLD_ONECODEX_SECRET = "onecodex-api-key-old-fedcba9876543210";

/** One Codex, "Checking Signatures": lowercase hex HMAC-SHA256 of `<t>.<raw body>`. */
function oneCodexSignature(secret: string, t: number | string, body: string | Uint8Array = BODY_BYTES): string {
  return createHmac("sha256", secret)
    .update(Buffer.concat([Buffer.from(`${t}.`), Buffer.from(body)]))
    .digest("hex");
}

const STANDARD_KEY = Buffer.from("herald-test-standard-webhooks-k!"); // 32 bytes
const STANDARD_SECRET = `whsec_${STANDARD_KEY.toString("base64")}`;
const OLD_STANDARD_SECRET = `whsec_${Buffer.from("herald-test-the-key-before-this!").toString("base64")}`;
const MSG_ID = "msg_2mN8qXbT0yJ4";

/** Standard Webhooks v1: base64 HMAC-SHA256, keyed with the secret's decoded bytes, of `<id>.<timestamp>.<body>`. */
function standardSignature(key: Uint8Array, id: string, t: number, body: string | Uint8Array = BODY_BYTES): string {
  return createHmac("sha256", key)
    .update(Buffer.concat([Buffer.from(`${id}.${t}.`), Buffer.from(body)]))
    .digest("base64");
}

function standardHeaders(signature: string, t = T, id = MSG_ID) {
  return { "webhook-id": id, "webhook-timestamp": String(t), "webhook-signature": signature };
}

describe("verifyOneCodex: the documented steps", () => {
  const header = `t=${T} v1=${oneCodexSignature(ONECODEX_SECRET, T)}`;

  it("a header signed over <t>.<raw body> with the secret is valid, and gives the signed timestamp", () => {
    expect(verifyOneCodex({ body: BODY_BYTES, header, secrets: ONECODEX_SECRET, now: NOW })).toEqual({ ok: true, timestamp: T });
    expect(verifyOneCodex({ body: BODY, header, secrets: [ONECODEX_SECRET], now: NOW })).toEqual({ ok: true, timestamp: T });
  });

  it("during rotation two v1 parts are sent; a match on the second one is enough", () => {
    const rotating = `t=${T} v1=${oneCodexSignature(OLD_ONECODEX_SECRET, T)} v1=${oneCodexSignature(ONECODEX_SECRET, T)}`;
    expect(verifyOneCodex({ body: BODY_BYTES, header: rotating, secrets: ONECODEX_SECRET, now: NOW })).toEqual({ ok: true, timestamp: T });
  });

  it("the receiver may hold several secrets; any one of them matching is enough", () => {
    const result = verifyOneCodex({ body: BODY_BYTES, header, secrets: ["not-this-one", ONECODEX_SECRET], now: NOW });
    expect(result).toEqual({ ok: true, timestamp: T });
  });

  it("a part of a scheme other than v1 is ignored, as the document leaves room for more schemes", () => {
    const withV2 = `t=${T} v2=${"0".repeat(64)} v1=${oneCodexSignature(ONECODEX_SECRET, T)}`;
    expect(verifyOneCodex({ body: BODY_BYTES, header: withV2, secrets: ONECODEX_SECRET, now: NOW }).ok).toBe(true);
  });

  it("a tampered body matches no signature", () => {
    const tampered = BODY.replace("sample.uploaded", "analysis.failed");
    expect(verifyOneCodex({ body: tampered, header, secrets: ONECODEX_SECRET, now: NOW })).toEqual({ ok: false, reason: "no signature matched" });
  });

  it("a tampered timestamp matches no signature, since t is part of what is signed", () => {
    const moved = `t=${T + 1} v1=${oneCodexSignature(ONECODEX_SECRET, T)}`;
    expect(verifyOneCodex({ body: BODY_BYTES, header: moved, secrets: ONECODEX_SECRET, now: NOW })).toEqual({ ok: false, reason: "no signature matched" });
  });

  it("the wrong secret matches no signature", () => {
    expect(verifyOneCodex({ body: BODY_BYTES, header, secrets: OLD_ONECODEX_SECRET, now: NOW })).toEqual({ ok: false, reason: "no signature matched" });
  });
});

describe("verifyOneCodex: the timestamp tolerance (default 300 s either way)", () => {
  const signedAt = (t: number) => `t=${t} v1=${oneCodexSignature(ONECODEX_SECRET, t)}`;
  const at = (t: number, nowSeconds: number, toleranceSeconds?: number) =>
    verifyOneCodex({ body: BODY_BYTES, header: signedAt(t), secrets: ONECODEX_SECRET, now: nowSeconds * 1000, toleranceSeconds });

  it("exactly 300 s old or ahead is accepted; 301 s is not", () => {
    expect(at(T, T + 300).ok).toBe(true);
    expect(at(T, T - 300).ok).toBe(true);
    expect(at(T, T + 301)).toEqual({ ok: false, reason: "timestamp outside tolerance" });
    expect(at(T, T - 301)).toEqual({ ok: false, reason: "timestamp outside tolerance" });
  });

  it("a stale delivery (a replay a day later) is rejected even though its signature is genuine", () => {
    expect(at(T, T + 86_400)).toEqual({ ok: false, reason: "timestamp outside tolerance" });
  });

  it("a timestamp from the future is rejected", () => {
    expect(at(T + 3_600, T)).toEqual({ ok: false, reason: "timestamp outside tolerance" });
  });

  it("toleranceSeconds widens or narrows the window", () => {
    expect(at(T, T + 3_000, 3_600).ok).toBe(true);
    expect(at(T, T + 10, 5)).toEqual({ ok: false, reason: "timestamp outside tolerance" });
  });

  it("without now, the current clock is used", () => {
    const t = Math.floor(Date.now() / 1000);
    expect(verifyOneCodex({ body: BODY_BYTES, header: signedAt(t), secrets: ONECODEX_SECRET })).toEqual({ ok: true, timestamp: t });
    expect(verifyOneCodex({ body: BODY_BYTES, header: signedAt(T), secrets: ONECODEX_SECRET }).ok).toBe(false);
  });
});

describe("verifyOneCodex: malformed or missing headers", () => {
  const v1 = oneCodexSignature(ONECODEX_SECRET, T);
  const check = (header: string | null | undefined) => verifyOneCodex({ body: BODY_BYTES, header, secrets: ONECODEX_SECRET, now: NOW });

  it("no header at all (headers.get gave null) is a missing header", () => {
    for (const header of [null, undefined, "", "   "]) expect(check(header)).toEqual({ ok: false, reason: "missing header" });
  });

  it.each([
    ["no t= part", `v1=${v1}`],
    ["no v1= part", `t=${T}`],
    ["a t= that is not unix seconds", `t=2025-10-09T10:00:00Z v1=${v1}`],
    ["a negative t=", `t=-${T} v1=${v1}`],
    ["two t= parts", `t=${T} t=${T} v1=${v1}`],
    ["a part without =", `t=${T} ${v1}`],
    ["comma-separated parts (Stripe's layout, not One Codex's)", `t=${T},v1=${v1}`],
  ])("%s is a malformed header", (_, header) => {
    expect(check(header)).toEqual({ ok: false, reason: "malformed header" });
  });
});

describe("verifyStandardWebhooks: the spec's v1 scheme", () => {
  const headers = standardHeaders(`v1,${standardSignature(STANDARD_KEY, MSG_ID, T)}`);

  it("a v1 signature over <id>.<timestamp>.<body> keyed with the decoded whsec_ secret is valid", () => {
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers, secrets: STANDARD_SECRET, now: NOW })).toEqual({ ok: true, timestamp: T });
  });

  it("header names match in any case, in a record or a fetch Headers object", () => {
    const shouting = { "Webhook-Id": MSG_ID, "WEBHOOK-TIMESTAMP": String(T), "Webhook-Signature": headers["webhook-signature"] };
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers: shouting, secrets: STANDARD_SECRET, now: NOW }).ok).toBe(true);
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers: new Headers(headers), secrets: STANDARD_SECRET, now: NOW }).ok).toBe(true);
  });

  it("svix-prefixed headers are read the same way", () => {
    const svix = { "svix-id": MSG_ID, "svix-timestamp": String(T), "svix-signature": headers["webhook-signature"] };
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers: svix, secrets: STANDARD_SECRET, now: NOW })).toEqual({ ok: true, timestamp: T });
  });

  it("during rotation the list holds two v1 entries; a match on the second one is enough", () => {
    const list = `v1,${standardSignature(Buffer.from(OLD_STANDARD_SECRET.slice(6), "base64"), MSG_ID, T)} v1,${standardSignature(STANDARD_KEY, MSG_ID, T)}`;
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers: standardHeaders(list), secrets: STANDARD_SECRET, now: NOW }).ok).toBe(true);
  });

  it("entries of other versions (v1a is Ed25519) are skipped, never compared as v1", () => {
    const v1 = standardSignature(STANDARD_KEY, MSG_ID, T);
    const mixed = standardHeaders(`v1a,${v1} v1,${v1}`);
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers: mixed, secrets: STANDARD_SECRET, now: NOW }).ok).toBe(true);
    const onlyV1a = standardHeaders(`v1a,${v1}`);
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers: onlyV1a, secrets: STANDARD_SECRET, now: NOW })).toEqual({ ok: false, reason: "no signature matched" });
  });

  it("a tampered body, id or timestamp matches no signature", () => {
    const v1 = headers["webhook-signature"];
    const noMatch: VerifyResult = { ok: false, reason: "no signature matched" };
    expect(verifyStandardWebhooks({ body: `${BODY} `, headers, secrets: STANDARD_SECRET, now: NOW })).toEqual(noMatch);
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers: standardHeaders(v1, T, "msg_other"), secrets: STANDARD_SECRET, now: NOW })).toEqual(noMatch);
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers: standardHeaders(v1, T - 1), secrets: STANDARD_SECRET, now: NOW })).toEqual(noMatch);
  });

  it("the wrong secret matches no signature; the right one among several does", () => {
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers, secrets: OLD_STANDARD_SECRET, now: NOW })).toEqual({ ok: false, reason: "no signature matched" });
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers, secrets: [OLD_STANDARD_SECRET, STANDARD_SECRET], now: NOW }).ok).toBe(true);
  });

  it("stale and future timestamps are outside the tolerance", () => {
    const signedAt = (t: number) => standardHeaders(`v1,${standardSignature(STANDARD_KEY, MSG_ID, t)}`, t);
    const outside: VerifyResult = { ok: false, reason: "timestamp outside tolerance" };
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers: signedAt(T - 301), secrets: STANDARD_SECRET, now: T * 1000 })).toEqual(outside);
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers: signedAt(T + 301), secrets: STANDARD_SECRET, now: T * 1000 })).toEqual(outside);
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers: signedAt(T - 300), secrets: STANDARD_SECRET, now: T * 1000 }).ok).toBe(true);
  });

  it("a missing header, an empty one, or a timestamp that is not unix seconds is rejected", () => {
    const v1 = headers["webhook-signature"];
    const check = (h: Record<string, string>) => verifyStandardWebhooks({ body: BODY_BYTES, headers: h, secrets: STANDARD_SECRET, now: NOW });
    expect(check({ "webhook-timestamp": String(T), "webhook-signature": v1 })).toEqual({ ok: false, reason: "missing header" });
    expect(check({ ...headers, "webhook-signature": "" })).toEqual({ ok: false, reason: "missing header" });
    expect(check({ ...headers, "webhook-timestamp": "1.76e9" })).toEqual({ ok: false, reason: "malformed header" });
    expect(check({ ...headers, "webhook-timestamp": new Date(T * 1000).toISOString() })).toEqual({ ok: false, reason: "malformed header" });
  });

  it("a secret that is not whsec_<base64> is a programming error and throws", () => {
    expect(() => verifyStandardWebhooks({ body: BODY_BYTES, headers, secrets: "whsec_not base64!", now: NOW })).toThrow(TypeError);
    expect(() => verifyStandardWebhooks({ body: BODY_BYTES, headers, secrets: [], now: NOW })).toThrow(TypeError);
  });
});

describe("verifyStandardWebhooks agrees with the published standardwebhooks package", () => {
  it("headers the package signs are valid here", () => {
    const signature = new Webhook(STANDARD_SECRET).sign(MSG_ID, new Date(T * 1000), BODY);
    expect(signature).toStartWith("v1,");
    const result = verifyStandardWebhooks({ body: BODY_BYTES, headers: standardHeaders(signature), secrets: STANDARD_SECRET, now: NOW });
    expect(result).toEqual({ ok: true, timestamp: T });
  });

  it("a rotation list of two package signatures, only the second by our secret, is valid here", () => {
    const date = new Date(T * 1000);
    const list = `${new Webhook(OLD_STANDARD_SECRET).sign(MSG_ID, date, BODY)} ${new Webhook(STANDARD_SECRET).sign(MSG_ID, date, BODY)}`;
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers: standardHeaders(list), secrets: STANDARD_SECRET, now: NOW }).ok).toBe(true);
  });

  it("the signature computed here from the spec is the one the package computes", () => {
    const signature = new Webhook(STANDARD_SECRET).sign(MSG_ID, new Date(T * 1000), BODY);
    expect(signature).toBe(`v1,${standardSignature(STANDARD_KEY, MSG_ID, T)}`);
  });

  it("the package's verify accepts what this test signs from the spec and rejects the same tampering", () => {
    const t = Math.floor(Date.now() / 1000); // the package reads the real clock
    const headers = standardHeaders(`v1,${standardSignature(STANDARD_KEY, MSG_ID, t)}`, t);
    expect(new Webhook(STANDARD_SECRET).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    expect(() => new Webhook(STANDARD_SECRET).verify(`${BODY} `, headers)).toThrow("No matching signature found");
    expect(verifyStandardWebhooks({ body: BODY_BYTES, headers, secrets: STANDARD_SECRET }).ok).toBe(true);
    expect(verifyStandardWebhooks({ body: `${BODY} `, headers, secrets: STANDARD_SECRET }).ok).toBe(false);
  });
});

describe("the signature covers the body's exact bytes", () => {
  const header = `t=${T} v1=${oneCodexSignature(ONECODEX_SECRET, T)}`;
  const check = (body: string | Uint8Array) => verifyOneCodex({ body, header, secrets: ONECODEX_SECRET, now: NOW }).ok;

  it("non-ASCII UTF-8 verifies as bytes and as the same string", () => {
    expect(BODY_BYTES.length).toBeGreaterThan(BODY.length); // the fixture really has multi-byte characters
    expect(check(BODY_BYTES)).toBe(true);
    expect(check(BODY)).toBe(true);
  });

  it("the same text in another encoding or Unicode normalisation is another body", () => {
    expect(check(new Uint8Array(Buffer.from(BODY, "latin1")))).toBe(false);
    expect(BODY.normalize("NFD")).not.toBe(BODY);
    expect(check(BODY.normalize("NFD"))).toBe(false);
  });

  it("a body that is not valid UTF-8 is still verified byte for byte", () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x00, 0x7d]);
    const signed = `t=${T} v1=${oneCodexSignature(ONECODEX_SECRET, T, bytes)}`;
    expect(verifyOneCodex({ body: bytes, header: signed, secrets: ONECODEX_SECRET, now: NOW }).ok).toBe(true);
    const standard = standardHeaders(`v1,${standardSignature(STANDARD_KEY, MSG_ID, T, bytes)}`);
    expect(verifyStandardWebhooks({ body: bytes, headers: standard, secrets: STANDARD_SECRET, now: NOW }).ok).toBe(true);
  });
});

describe("herald verify", () => {
  const dir = tempDir("herald-verify-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bodyFile = join(dir, "body.json");
  writeFileSync(bodyFile, BODY_BYTES);
  const tamperedFile = join(dir, "tampered.json");
  writeFileSync(tamperedFile, BODY.replace("sample.uploaded", "analysis.failed"));
  const oneCodexArgs = (file: string) => [
    "verify",
    "--scheme",
    "onecodex",
    "--secret",
    ONECODEX_SECRET,
    "--body",
    file,
    "--header",
    `X-OneCodex-Signature: t=${T} v1=${oneCodexSignature(ONECODEX_SECRET, T)}`,
  ];

  /** Runs `bun src/main.ts <args>` to its end. */
  const herald = (args: string[]) => runCommand([...FROM_SOURCE, ...args], { cwd: dir });

  it("a valid saved One Codex delivery exits 0 and prints its timestamp", async () => {
    const run = await herald([...oneCodexArgs(bodyFile), "--now", String(T + 30)]);
    expect(run).toEqual({ exitCode: 0, stdout: `valid (timestamp ${T})\n`, stderr: "" });
  });

  it("takes the secret from --secret-file, keeping it off the command line", async () => {
    const secretFile = join(dir, "secret.txt");
    writeFileSync(secretFile, `${ONECODEX_SECRET}\n`);
    const args = oneCodexArgs(bodyFile).flatMap((arg, i, all) => (arg === "--secret" || all[i - 1] === "--secret" ? [] : [arg]));
    const run = await herald([...args, "--secret-file", secretFile, "--now", String(T + 30)]);
    expect(run).toEqual({ exitCode: 0, stdout: `valid (timestamp ${T})\n`, stderr: "" });
  });

  it("a tampered body exits 1 with the reason on stderr", async () => {
    const run = await herald([...oneCodexArgs(tamperedFile), "--now", String(T + 30)]);
    expect(run).toEqual({ exitCode: 1, stdout: "", stderr: "invalid: no signature matched\n" });
  });

  it("an old delivery is outside the tolerance unless --now or --tolerance says otherwise", async () => {
    expect(await herald(oneCodexArgs(bodyFile))).toEqual({ exitCode: 1, stdout: "", stderr: "invalid: timestamp outside tolerance\n" });
    const wide = await herald([...oneCodexArgs(bodyFile), "--now", String(T + 600), "--tolerance", "900"]);
    expect(wide.exitCode).toBe(0);
  });

  it("a Standard Webhooks delivery signed by the published package, with --secret repeated for rotation", async () => {
    const signature = new Webhook(STANDARD_SECRET).sign(MSG_ID, new Date(T * 1000), BODY);
    const run = await herald([
      "verify",
      "--scheme",
      "standard-webhooks",
      "--secret",
      OLD_STANDARD_SECRET,
      "--secret",
      STANDARD_SECRET,
      "--body",
      bodyFile,
      "--header",
      `webhook-id: ${MSG_ID}`,
      "--header",
      `webhook-timestamp: ${T}`,
      "--header",
      `webhook-signature: ${signature}`,
      "--now",
      String(T),
    ]);
    expect(run).toEqual({ exitCode: 0, stdout: `valid (timestamp ${T})\n`, stderr: "" });
  });

  it("a missing signature header is an invalid delivery (exit 1), not a usage error", async () => {
    const run = await herald(["verify", "--scheme", "onecodex", "--secret", ONECODEX_SECRET, "--body", bodyFile]);
    expect(run).toEqual({ exitCode: 1, stdout: "", stderr: "invalid: missing header\n" });
  });

  it.each([
    ["--scheme is missing", ["--secret", ONECODEX_SECRET, "--body", "body.json"], "--scheme is required"],
    ["the scheme is unknown", ["--scheme", "stripe", "--secret", ONECODEX_SECRET, "--body", "body.json"], 'unknown scheme "stripe"'],
    ["--secret is missing", ["--scheme", "onecodex", "--body", "body.json"], "--secret or --secret-file is required"],
    ["the body file does not exist", ["--scheme", "onecodex", "--secret", ONECODEX_SECRET, "--body", "nowhere.json"], "cannot read the body file nowhere.json"],
    ["a header has no colon", ["--scheme", "onecodex", "--secret", ONECODEX_SECRET, "--body", "body.json", "--header", "X-OneCodex-Signature"], '--header must look like "Name: value"'],
    ["--now is not unix seconds", ["--scheme", "onecodex", "--secret", ONECODEX_SECRET, "--body", "body.json", "--now", "yesterday"], "--now must be unix seconds"],
    ["a Standard Webhooks secret is not base64", ["--scheme", "standard-webhooks", "--secret", "whsec_???", "--body", "body.json"], "a Standard Webhooks secret is whsec_ followed by base64"],
  ])("%s: exit 2 with the usage", async (_, args, message) => {
    const run = await herald(["verify", ...args]);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toStartWith(`herald verify: ${message}`);
    expect(run.stderr).toContain("usage: herald <command>");
  });
});

describe("herald verify --secret-file: the secret read from a file, never on the command line", () => {
  const dir = tempDir("herald-verify-secret-file-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string | Uint8Array) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };
  const bodyFile = file("body.json", BODY_BYTES);
  const signatureHeader = (secret: string) => `X-OneCodex-Signature: t=${T} v1=${oneCodexSignature(secret, T)}`;

  /** verifyCommand in this process, as src/main.ts calls it with the parsed arguments; prints captured. */
  async function verify(args: VerifyArgs) {
    const stdout = spyOn(console, "log").mockImplementation(() => {});
    const stderr = spyOn(console, "error").mockImplementation(() => {});
    try {
      const exitCode = await verifyCommand({ scheme: "onecodex", body: bodyFile, now: String(T + 30), ...args }, "usage: herald <command>");
      return { exitCode, stdout: stdout.mock.calls.join("\n"), stderr: stderr.mock.calls.join("\n") };
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  }

  it("the file's content, trimmed of the newline an editor or `echo` leaves, is the secret", async () => {
    const secretFile = file("secret", `${ONECODEX_SECRET}\n`);
    expect(await verify({ "secret-file": [secretFile], header: [signatureHeader(ONECODEX_SECRET)] })).toEqual({
      exitCode: 0,
      stdout: `valid (timestamp ${T})`,
      stderr: "",
    });
  });

  it("may repeat, and mixes with --secret, for rotation", async () => {
    const old = file("old", OLD_ONECODEX_SECRET);
    const current = file("current", `  ${ONECODEX_SECRET}\r\n`);
    expect((await verify({ "secret-file": [old, current], header: [signatureHeader(ONECODEX_SECRET)] })).exitCode).toBe(0);
    expect((await verify({ secret: ["not-this-one"], "secret-file": [old], header: [signatureHeader(OLD_ONECODEX_SECRET)] })).exitCode).toBe(0);
    expect(await verify({ "secret-file": [old], header: [signatureHeader(ONECODEX_SECRET)] })).toMatchObject({ exitCode: 1, stderr: "invalid: no signature matched" });
  });

  it("a Standard Webhooks whsec_ secret reads the same way", async () => {
    const signature = new Webhook(STANDARD_SECRET).sign(MSG_ID, new Date(T * 1000), BODY);
    const run = await verify({
      scheme: "standard-webhooks",
      "secret-file": [file("whsec", `${STANDARD_SECRET}\n`)],
      header: [`webhook-id: ${MSG_ID}`, `webhook-timestamp: ${T}`, `webhook-signature: ${signature}`],
    });
    expect(run.exitCode).toBe(0);
  });

  it("a missing or empty file is a usage error (exit 2) that names the file, not its content", async () => {
    const missing = await verify({ "secret-file": [join(dir, "nowhere")] });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toStartWith(`herald verify: cannot read the secret file ${join(dir, "nowhere")}`);
    const empty = await verify({ "secret-file": [file("empty", " \n")] });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toStartWith(`herald verify: the secret file ${join(dir, "empty")} is empty`);
  });

  it("an unusable Standard Webhooks secret from a file is reported without echoing it", async () => {
    const run = await verify({ scheme: "standard-webhooks", "secret-file": [file("bad", "whsec_not base64!")] });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).not.toContain("not base64!");
  });
});

describe("wholeSeconds: one parser for header timestamps, --now and --tolerance", () => {
  it("takes decimal digits only", () => {
    expect(wholeSeconds("0")).toBe(0);
    expect(wholeSeconds(String(T))).toBe(T);
    for (const text of ["", "-1", "+1", "1.5", "1e9", " 1", "0x10", "1".repeat(16)]) expect(wholeSeconds(text)).toBeNull();
  });
});
