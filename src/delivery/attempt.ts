// One attempt of one delivery, start to finish, as plain data: what was sent, what came back, what happens next.
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import type { PluginRegistry } from "../plugins/registry.ts";
import type { AttemptOutcome, ClaimedDelivery, OrphanDelivery } from "../store/types.ts";
import type { OutboundPolicy } from "./outbound.ts";
import { buildRequest, redactHeaders, redactSecrets, redactUrl, secretValues } from "./request.ts";
import { parseRetryAfter, postWebhook, type SendResult } from "./sender.ts";
import { connectionFor, type TransportSettings } from "./transport.ts";
import type { Subscription } from "../domain/subscription.ts";
import { afterAttempt, isGone, isSuccess } from "../domain/retry.ts";

export async function runAttempt(
  claimed: ClaimedDelivery,
  subscription: Subscription,
  plugins: PluginRegistry,
  clock: Clock,
  outbound: OutboundPolicy,
  transport: TransportSettings,
): Promise<AttemptOutcome> {
  const startedAt = clock.now();
  // One deadline for the whole attempt, plugins included: a plugin that never returns cannot hold a slot.
  const deadline = AbortSignal.timeout(subscription.retry.timeoutMs);
  let headers: Record<string, string> = {};
  let result: SendResult;
  try {
    const ctx = { now: () => clock.now(), subscriptionId: subscription.id };
    const request = await untilDeadline(buildRequest(subscription, claimed.event, plugins, { id: claimed.id, attempt: claimed.number }, ctx), deadline);
    headers = redactHeaders(request.headers, request.secretHeaders);
    const connection = connectionFor(new URL(subscription.url), subscription.tls, transport);
    result =
      "error" in connection
        ? { status: null, body: null, durationMs: clock.now() - startedAt, error: { kind: "tls", message: connection.error } }
        : await postWebhook(subscription.url, request.headers, request.body, deadline, outbound, connection);
    if (result.body) result.body = redactSecrets(result.body, secretValues(subscription.url, request.headers, request.secretHeaders));
  } catch (error) {
    // A plugin that throws (or overruns) fails this attempt only; the message goes to the attempt log.
    result = { status: null, body: null, durationMs: clock.now() - startedAt, error: { kind: "plugin", message: String((error as Error)?.message ?? error) } };
  }
  const success = result.error === null && isSuccess(subscription.retry, result.status);
  if (!success && result.error === null && isGone(result.status)) result.error = { kind: "gone", message: "the receiver answered 410 Gone: the delivery ends without retries" };
  const roundAttempts = claimed.roundAttempts + 1;
  const finishedAt = clock.now();
  const retryAfterMs = parseRetryAfter(result.retryAfter, finishedAt);
  const next = afterAttempt(subscription.retry, roundAttempts, success, finishedAt, { status: result.status, retryAfterMs });
  return {
    deliveryId: claimed.id,
    eventId: claimed.event.id,
    number: claimed.number,
    claim: claimed.claim,
    startedAt,
    durationMs: result.durationMs,
    url: redactUrl(subscription.url),
    requestHeaders: headers,
    responseStatus: result.status,
    responseBody: result.body,
    errorKind: result.error?.kind ?? null,
    errorMessage: result.error?.message ?? null,
    retryAfter: result.retryAfter ?? null,
    retryAfterMs: next.retryAfterMs ?? null,
    success,
    roundAttempts,
    nextState: next.state,
    nextDueAt: next.dueAt,
  };
}

function untilDeadline<T>(work: Promise<T>, deadline: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const overrun = () => reject(new Error("the plugin did not finish within the attempt timeout"));
    if (deadline.aborted) return overrun();
    deadline.addEventListener("abort", overrun, { once: true });
    work.then(resolve, reject).finally(() => deadline.removeEventListener("abort", overrun));
  });
}

/** A delivery whose subscription is disabled or gone cannot be sent: it fails, saying why. */
export function undeliverableOutcome(delivery: OrphanDelivery, reason: { kind: string; message: string }, now: number): AttemptOutcome {
  return {
    deliveryId: delivery.id,
    eventId: delivery.eventId,
    number: delivery.number,
    claim: delivery.claim,
    startedAt: now,
    durationMs: 0,
    url: "",
    requestHeaders: {},
    responseStatus: null,
    responseBody: null,
    errorKind: reason.kind,
    errorMessage: reason.message,
    retryAfter: null,
    retryAfterMs: null,
    success: false,
    roundAttempts: 0,
    nextState: "failed",
    nextDueAt: null,
  };
}

/**
 * One log line per attempt: at debug when it succeeded, at info when it failed, so the default level shows
 * every failure and nothing else. Never the body, the URL or headers (they may carry secrets): the delivery id
 * leads to the full attempt log.
 */
export function logAttempt(log: Logger, subscriptionId: string, outcome: AttemptOutcome) {
  const fields = {
    subscription: subscriptionId,
    delivery: outcome.deliveryId,
    event: outcome.eventId,
    attempt: outcome.number,
    status: outcome.responseStatus,
    error_kind: outcome.errorKind,
    duration_ms: outcome.durationMs,
    next: outcome.nextState,
  };
  if (outcome.success) log.debug("delivery attempt succeeded", fields);
  else log.info("delivery attempt failed", fields);
}
