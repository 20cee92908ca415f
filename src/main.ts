#!/usr/bin/env bun
// The command line: serve | check-config | verify | version. Exit 0 ok, 1 runtime failure (verify: invalid
// signature), 2 invalid config or usage, or a database another Herald process already serves.
import { parseArgs } from "node:util";
import { loadConfigFile } from "./config/load.ts";
import type { ConfigProblem } from "./config/types.ts";
import { DatabaseInUse } from "./store/errors.ts";
import { ConfigRejected, ROLES, startHerald, type Role } from "./runtime/herald.ts";
import { verifyCommand } from "./verify/command.ts";
import packageJson from "../package.json";

const USAGE = `usage: herald <command> [--config FILE]

commands:
  serve          run the API and the delivery worker (default config: ./webhooks.config.yaml)
                 --role all|api|worker: both (the default), the API alone, or the worker alone (with jobs
                 and retention); on SQLite one process serves a database (it is locked), so there the
                 roles run together in one process
  check-config   validate the config file and exit (0 valid, 2 invalid)
  verify         check a saved delivery's signature as its receiver would (0 valid, 1 invalid, 2 usage error)
  version        print the version

verify options:
  --scheme onecodex|standard-webhooks
  --secret SECRET         the receiver's secret (whsec_... for standard-webhooks); repeat to try several
  --secret-file FILE      a file holding the secret (trimmed), kept off the command line; repeat, or mix with --secret
  --body FILE             the delivery's body, byte for byte as received
  --header "NAME: VALUE"  a received header: X-OneCodex-Signature, or webhook-id, webhook-timestamp and
                          webhook-signature (svix-* also read); repeat
  --tolerance SECONDS     how far the signed timestamp may be from now (default 300)
  --now UNIX_SECONDS      the time to check against, for an old saved delivery (default: the current time)`;

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
  if (command !== "serve" && command !== "check-config") {
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
  if (command === "check-config") {
    console.log(`${file}: ok (${loaded.config.eventTypes.length} event types, ${loaded.config.subscriptions.length} subscriptions)`);
    return 0;
  }
  let herald;
  try {
    herald = await startHerald({ config: loaded.config, plugins: loaded.plugins, problemAt: loaded.problemAt, role: role as Role });
  } catch (error) {
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
  // SIGHUP re-reads the config, as daemons do; an invalid file is logged and the running config stays.
  process.on("SIGHUP", () => void herald.reload());
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      herald.log.info("shutting down", { signal });
      void herald
        .stop()
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
