// `herald listen`: local receivers that check, print and answer Herald's deliveries, like `stripe listen`.
import { loadConfigFile } from "../config/load.ts";
import type { Config } from "../config/types.ts";
import type { Logger } from "../log.ts";
import { secretsFromFiles } from "../verify/command.ts";
import { LISTEN_SCHEMES, type Expectation, type ListenScheme } from "./check.ts";
import { listenerPlans, type ListenerPlan } from "./from-config.ts";
import { startListener, type Listener } from "./server.ts";

export interface ListenArgs {
  config?: string;
  host?: string;
  port?: string;
  scheme?: string;
  secret?: string[];
  "secret-file"?: string[];
  status?: string;
}

const DEFAULT_PORT = 9000;

/** `herald listen`: with --scheme, one receiver checking every path alike; without, the config's local receivers. */
export async function listenCommand(args: ListenArgs, usage: string): Promise<number> {
  const usageError = (message: string) => {
    console.error(`herald listen: ${message}\n\n${usage}`);
    return 2;
  };
  const status = args.status === undefined ? 200 : Number(args.status);
  if (!Number.isInteger(status) || status < 200 || status > 599) return usageError(`--status must be an HTTP status from 200 to 599, got "${args.status}"`);
  const port = args.port === undefined ? undefined : Number(args.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) return usageError(`--port must be 0-65535, got "${args.port}"`);

  let plans: ListenerPlan[];
  if (args.scheme !== undefined) {
    const expect = await explicitExpectation(args);
    if (typeof expect === "string") return usageError(expect);
    plans = [{ host: args.host ?? "127.0.0.1", port: port ?? DEFAULT_PORT, paths: new Map([["*", { subscription: "-", expect }]]) }];
  } else {
    const file = args.config ?? "webhooks.config.yaml";
    const loaded = await loadConfigFile(file);
    if (!loaded.ok) return usageError(`${file} is invalid (herald check-config lists why); or give --scheme and --secret`);
    plans = listenerPlans(loaded.config.subscriptions).filter((plan) => port === undefined || plan.port === port);
    if (plans.length === 0) return usageError(`no subscription in ${file} posts to http://127.0.0.1${port === undefined ? "" : `:${port}`}; give --scheme and --secret`);
  }

  const listeners: Listener[] = [];
  for (const plan of plans) {
    try {
      listeners.push(startPlan(plan, status));
    } catch (error) {
      await Promise.all(listeners.map((l) => l.stop()));
      console.error(`herald listen: cannot listen on ${plan.host}:${plan.port}: ${(error as Error).message}`);
      return 1;
    }
    console.log(describePlan(plan, listeners.at(-1)!.url, status));
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await Promise.all(listeners.map((l) => l.stop()));
  return 0;
}

/**
 * `herald serve --with-listeners` (what `npm start` runs): the receivers the config's local subscriptions point
 * at, in the same process, so a first event is delivered and seen verified. A port already taken is left to
 * whoever holds it (the user's own receiver, say).
 */
export function startConfigListeners(config: Config, log: Logger): { stop(): Promise<void> } {
  const listeners: Listener[] = [];
  for (const plan of listenerPlans(config.subscriptions)) {
    try {
      listeners.push(startPlan(plan, 200));
      log.info("listening for the config's local subscriptions (herald listen)", {
        url: listeners.at(-1)!.url,
        paths: Object.fromEntries([...plan.paths].map(([path, { subscription, expect }]) => [path, `${subscription} (${expect.scheme})`])),
      });
    } catch (error) {
      log.warn("a local subscription's port is taken; not listening there", { host: plan.host, port: plan.port, error: (error as Error).message });
    }
  }
  return { stop: async () => void (await Promise.all(listeners.map((l) => l.stop()))) };
}

function startPlan(plan: ListenerPlan, status: number): Listener {
  const any = plan.paths.get("*");
  return startListener({ host: plan.host, port: plan.port, status, expectationFor: (path) => (any ?? plan.paths.get(path))?.expect });
}

function describePlan(plan: ListenerPlan, url: string, status: number): string {
  const routes = [...plan.paths].map(([path, { subscription, expect }]) => (path === "*" ? `  every path: ${expect.scheme}` : `  ${url}${path}  subscription ${subscription} (${expect.scheme})`));
  return `listening on ${url}, answering ${status} to each delivery that passes its check (401 otherwise)\n${routes.join("\n")}`;
}

async function explicitExpectation(args: ListenArgs): Promise<Expectation | string> {
  const scheme = args.scheme as ListenScheme;
  if (!LISTEN_SCHEMES.includes(scheme)) return `unknown scheme "${args.scheme}" (${LISTEN_SCHEMES.join(", ")})`;
  const fromFiles = await secretsFromFiles(args["secret-file"] ?? []);
  if (typeof fromFiles === "string") return fromFiles;
  const secrets = [...(args.secret ?? []), ...fromFiles];
  if (scheme === "none") return { scheme, secrets: [] };
  if (secrets.length === 0) return `--scheme ${scheme} needs --secret or --secret-file${scheme === "basic" ? " (username:password)" : ""}`;
  if (scheme === "basic" && secrets.some((s) => !s.includes(":"))) return "--secret for basic is username:password";
  if (scheme === "standard-webhooks" && secrets.some((s) => !/^(whsec_)?[A-Za-z0-9+/]+={0,2}$/.test(s))) return "--secret for standard-webhooks is whsec_ followed by base64";
  return { scheme, secrets };
}
