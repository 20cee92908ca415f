// The local receivers a config's subscriptions point at (http://127.0.0.1:PORT/...), each path expecting what
// its subscription's auth plugin sends, so a listener can check deliveries with the config's own secrets.
import type { Expectation } from "./check.ts";
import type { Subscription } from "../domain/subscription.ts";

export interface ListenerPlan {
  host: string;
  port: number;
  /** Request path → what the subscription posting there sends. */
  paths: Map<string, { subscription: string; expect: Expectation }>;
}

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** One plan per local host:port that an enabled subscription posts to over plain http. */
export function listenerPlans(subscriptions: Subscription[]): ListenerPlan[] {
  const plans = new Map<string, ListenerPlan>();
  for (const subscription of subscriptions) {
    if (!subscription.enabled) continue;
    const url = URL.parse(subscription.url);
    if (!url || url.protocol !== "http:" || !LOCAL_HOSTS.has(url.hostname)) continue;
    const host = url.hostname === "localhost" ? "127.0.0.1" : url.hostname.replace(/^\[|\]$/g, "");
    const port = Number(url.port || 80);
    const key = `${host}:${port}`;
    const plan = plans.get(key) ?? { host, port, paths: new Map() };
    plan.paths.set(url.pathname, { subscription: subscription.id, expect: expectationOf(subscription) });
    plans.set(key, plan);
  }
  return [...plans.values()];
}

/** What a subscription's auth plugin sends, in the listener's terms; a plugin it does not know goes unchecked. */
export function expectationOf(subscription: Subscription): Expectation {
  const auth = subscription.auth;
  if (!auth) return { scheme: "none", secrets: [] };
  const options = auth.options as { secret?: string; previous_secrets?: { secret: string }[]; username?: string; password?: string };
  const secrets = [options.secret, ...(options.previous_secrets ?? []).map((p) => p.secret)].filter((s): s is string => typeof s === "string");
  switch (auth.name) {
    case "onecodex-signature":
      return { scheme: "onecodex", secrets };
    case "standard-webhooks":
      return { scheme: "standard-webhooks", secrets };
    case "basic-auth":
      return { scheme: "basic", secrets: [`${options.username}:${options.password}`] };
    default:
      return { scheme: "none", secrets: [] };
  }
}
