// Whether a subscription made through the API holds under a config: the same rules as one in the file (URL,
// event types, plugins and their options, headers, retry, retention), plus an address deliveries may never reach.
import { isIP } from "node:net";
import { formatPath, type PathSegment } from "../../config/schema.ts";
import { retentionProblem, subscriptionProblems } from "../../config/semantics.ts";
import { resolveSubscription, subscriptionDefaults } from "../../config/subscription.ts";
import type { Config, ConfigProblem } from "../../config/types.ts";
import { hostOf, outboundPolicy, refusalOf } from "../../delivery/outbound.ts";
import type { PluginRegistry } from "../../plugins/registry.ts";
import type { SubscriptionSpec } from "../../store/types.ts";

/** Every problem, by path in the subscription's fields; none means it may be stored and delivered to. */
export function specProblems(spec: SubscriptionSpec, config: Config, plugins: PluginRegistry): { path: string; message: string }[] {
  const problem = (segments: PathSegment[], message: string): ConfigProblem => ({ path: formatPath(segments), line: null, message });
  const subscription = resolveSubscription(spec, subscriptionDefaults(config));
  const declared = config.eventTypes.map((t) => t.name);
  const problems = subscriptionProblems(subscription, spec, [], declared, plugins, problem).map(({ path, message }) => ({ path, message }));
  // An address written in the URL can be judged now; a name is judged on what it resolves to, at each attempt.
  const host = hostOf(spec.url);
  const refused = host !== null && isIP(host) ? refusalOf(host, outboundPolicy(config.delivery)) : null;
  if (refused) problems.push({ path: "url", message: `${host} is ${refused}; allow it with delivery.allow_networks` });
  // Files on Herald's host are the file's business, not an API caller's.
  if (spec.tls) problems.push({ path: "tls", message: "TLS files are set in the config file only (subscriptions[].tls or delivery.tls): they name files on Herald's host" });
  const retention = retentionProblem(config.retentionMs, spec.id, subscription.retry);
  if (retention) problems.push({ path: "retry", message: retention });
  return problems;
}
