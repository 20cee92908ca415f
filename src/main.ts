#!/usr/bin/env bun
// The command line: serve | check-config | version. Exit 0 ok, 1 runtime failure, 2 invalid config.
import { parseArgs } from "node:util";
import { loadConfigFile } from "./config/load.ts";
import type { ConfigProblem } from "./config/types.ts";
import { jsonLogger } from "./log.ts";
import { startHerald } from "./server.ts";
import packageJson from "../package.json";

const USAGE = `usage: herald <command> [--config FILE]

commands:
  serve          run the API and the delivery worker (default config: ./webhooks.config.yaml)
  check-config   validate the config file and exit (0 valid, 2 invalid)
  version        print the version`;

function formatProblems(file: string, problems: ConfigProblem[]): string {
  return problems
    .map((p) => `${file}${p.line === null ? "" : `:${p.line}`}: ${p.path ? `${p.path}: ` : ""}${p.message}`)
    .join("\n");
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: "string", short: "c" }, help: { type: "boolean", short: "h" } } });
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
  if (command !== "serve" && command !== "check-config") {
    console.error(`unknown command "${command}"\n\n${USAGE}`);
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
    herald = await startHerald({ config: loaded.config, plugins: loaded.plugins });
  } catch (error) {
    console.error(`herald: ${(error as Error).message}`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      jsonLogger.info("shutting down", { signal });
      void herald.stop().then(resolve);
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
  jsonLogger.info("stopped");
  return 0;
}

process.exit(await main(Bun.argv.slice(2)));
