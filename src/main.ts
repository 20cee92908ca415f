#!/usr/bin/env bun
// The command line: serve | check-config | verify | listen | version. Exit 0 ok, 1 runtime failure (verify: invalid
// signature), 2 invalid config or usage, or a database another Herald process already serves.
import { parseArgs } from "node:util";
import { announceStart } from "./announce.ts";
import { changeMeFallbacksInForce } from "./config/fallbacks.ts";
import { loadConfigFile } from "./config/load.ts";
import type { ConfigProblem } from "./config/types.ts";
import { DatabaseInUse } from "./store/errors.ts";
import { ConfigRejected, ROLES, startHerald, type Role } from "./runtime/herald.ts";
import { listenCommand, startConfigListeners } from "./listen/command.ts";
import { jsonLogger } from "./log.ts";
import { verifyCommand } from "./verify/command.ts";
import { isOperational } from "./domain/operational.ts";
import { rotateKeyFile } from "./secrets/keys.ts";
import { backupCommand, restoreCommand } from "./runtime/backup.ts";
import packageJson from "../package.json";

const USAGE = `usage: herald <command> [--config FILE]

commands:
  serve          run the API and the delivery worker (default config: ./webhooks.config.yaml)
                 --role all|api|worker: both (the default), the API alone, or the worker alone (with jobs
                 and retention); on SQLite one process serves a database (it is locked), so there the
                 roles run together in one process
                 --with-listeners also runs \`herald listen\` for the subscriptions that post to 127.0.0.1
  check-config   validate the config file and exit (0 valid, 2 invalid)
  backup FILE    copy the SQLite database to a new FILE while Herald serves (consistent as of its start),
                 with progress; checks the copy
  restore FILE   check the backup FILE (integrity, a Herald database this version can read), then put it in
                 place of the database; Herald must be stopped; the replaced database is kept beside it
  rotate-key     put a new key in the key file that encrypts stored secrets (the old one is kept beside it
                 as <key file>.previous); the next start of \`herald serve\` re-encrypts every secret under it
  verify         check a saved delivery's signature as its receiver would (0 valid, 1 invalid, 2 usage error)
  listen         a local receiver: checks each delivery's signature or credentials, prints it, answers
  version        print the version

verify options:
  --scheme onecodex|standard-webhooks
  --secret SECRET         the receiver's secret (whsec_... for standard-webhooks); repeat to try several
  --secret-file FILE      a file holding the secret (trimmed), kept off the command line; repeat, or mix with --secret
  --body FILE             the delivery's body, byte for byte as received
  --header "NAME: VALUE"  a received header: X-OneCodex-Signature, or webhook-id, webhook-timestamp and
                          webhook-signature (svix-* also read); repeat
  --tolerance SECONDS     how far the signed timestamp may be from now (default 300)
  --now UNIX_SECONDS      the time to check against, for an old saved delivery (default: the current time)

listen options (without --scheme: a receiver for each subscription of --config posting to 127.0.0.1,
checking it with that subscription's own secrets):
  --port PORT             default 9000 (with a config: only the subscriptions posting to that port)
  --host HOST             default 127.0.0.1 (with --scheme)
  --scheme onecodex|standard-webhooks|basic|none
  --secret SECRET         as for verify; for basic, username:password; repeat to try several
  --secret-file FILE      as for verify
  --status CODE           the status answered to a delivery that passes its check (default 200; 401 to one
                          that fails): 500 or 503 rehearses Herald's retries`;

function formatProblems(file: string, problems: ConfigProblem[]): string {
  return problems.map((p) => `${file}${p.line === null ? "" : `:${p.line}`}: ${p.path ? `${p.path}: ` : ""}${p.message}`).join("\n");
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        help: { type: "boolean", short: "h" },
        // serve
        role: { type: "string" },
        // verify
        scheme: { type: "string" },
        secret: { type: "string", multiple: true },
        "secret-file": { type: "string", multiple: true },
        body: { type: "string" },
        header: { type: "string", multiple: true },
        tolerance: { type: "string" },
        now: { type: "string" },
        // listen
        port: { type: "string" },
        host: { type: "string" },
        status: { type: "string" },
        // serve
        "with-listeners": { type: "boolean" },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command = "serve"] = parsed.positionals;
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  if (command === "version") {
    console.log(`herald ${packageJson.version}`);
    return 0;
  }
  if (command === "verify") return verifyCommand(parsed.values, USAGE);
  if (command === "listen") return listenCommand(parsed.values, USAGE);
  if (command !== "serve" && command !== "check-config" && command !== "rotate-key" && command !== "backup" && command !== "restore") {
    console.error(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const role = parsed.values.role ?? "all";
  if (!(ROLES as readonly string[]).includes(role)) {
    console.error(`--role must be one of ${ROLES.join(", ")}, not "${role}"\n\n${USAGE}`);
    return 2;
  }
  const file = parsed.values.config ?? "webhooks.config.yaml";
  const loaded = await loadConfigFile(file);
  if (!loaded.ok) {
    console.error(`invalid configuration:\n${formatProblems(file, loaded.problems)}`);
    return 2;
  }
  const database = loaded.config.storage.sqlitePath;
  const print = (line: string) => console.log(line);
  const printError = (line: string) => console.error(line);
  if (command === "backup") return backupCommand(database, parsed.positionals[1], printError, print);
  if (command === "restore") return restoreCommand(database, parsed.positionals[1], printError, print);
  if (command === "rotate-key") {
    try {
      console.log(rotateKeyFile({ keyFile: loaded.config.secrets.keyFile, sqlitePath: loaded.config.storage.sqlitePath }, process.env));
      return 0;
    } catch (error) {
      console.error(`herald: ${(error as Error).message}`);
      return 1;
    }
  }
  if (command === "check-config") {
    console.log(`${file}: ok (${loaded.config.eventTypes.filter((t) => !isOperational(t.name)).length} event types, ${loaded.config.subscriptions.length} subscriptions)`);
    return 0;
  }
  // The listeners first, so that deliveries left due by a previous run do not find their receivers missing.
  const listeners = parsed.values["with-listeners"] ? startConfigListeners(loaded.config, jsonLogger(loaded.config.log.level)) : null;
  let herald;
  try {
    herald = await startHerald({ config: loaded.config, plugins: loaded.plugins, problemAt: loaded.problemAt, role: role as Role });
  } catch (error) {
    await listeners?.stop();
    if (error instanceof ConfigRejected) {
      console.error(`invalid configuration:\n${formatProblems(file, error.problems)}`);
      return 2;
    }
    if (error instanceof DatabaseInUse) {
      console.error(`herald: ${error.message}`);
      return 2;
    }
    console.error(`herald: ${(error as Error).message}`);
    return 1;
  }
  announceStart(loaded.config, herald.url, changeMeFallbacksInForce(await Bun.file(loaded.config.file).text(), process.env), herald.log);
  // SIGHUP re-reads the config, as daemons do; an invalid file is logged and the running config stays.
  process.on("SIGHUP", () => void herald.reload("SIGHUP"));
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      herald.log.info("shutting down", { signal });
      void Promise.all([herald.stop(), listeners?.stop()])
        .catch((error) => herald.log.error("shutdown failed", { error: String(error) }))
        .finally(resolve);
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
  herald.log.info("stopped");
  return 0;
}

process.exit(await main(Bun.argv.slice(2)));
