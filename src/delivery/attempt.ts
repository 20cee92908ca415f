// One attempt of one delivery, start to finish, as plain data: what was sent, what came back, what happens next.
import type { Subscription } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import type { PluginRegistry } from "../plugins/registry.ts";
import type { AttemptOutcome, ClaimedDelivery } from "../store/types.ts";
import { buildRequest, redactHeaders } from "./request.ts";
import { afterAttempt, isSuccess } from "./retry.ts";
import { postWebhook, type SendResult } from "./sender.ts";

export async function runAttempt(
  claimed: ClaimedDelivery,
  subscription: Subscription,
  plugins: PluginRegistry,
  clock: Clock,
): Promise<AttemptOutcome> {
  const number = claimed.attempts + 1;
  const startedAt = clock.now();
  let headers: Record<string, string> = {};
  let result: SendResult;
  try {
    const request = await buildRequest(subscription, claimed.event, plugins, { id: claimed.id, attempt: number }, {
      now: () => clock.now(),
      subscriptionId: subscription.id,
    });
    headers = redactHeaders(request.headers, request.secretHeaders);
    result = await postWebhook(subscription.url, request.headers, request.body, subscription.retry.timeoutMs);
  } catch (error) {
    // A plugin that throws fails this attempt only; the message goes to the attempt log.
    result = { status: null, body: null, durationMs: 0, error: { kind: "plugin", message: String((error as Error)?.message ?? error) } };
  }
  const success = result.error === null && isSuccess(subscription.retry, result.status);
  const roundAttempts = claimed.roundAttempts + 1;
  const next = afterAttempt(subscription.retry, roundAttempts, success, clock.now());
  return {
    deliveryId: claimed.id,
    eventId: claimed.event.id,
    number,
    startedAt,
    durationMs: result.durationMs,
    url: subscription.url,
    requestHeaders: headers,
    responseStatus: result.status,
    responseBody: result.body,
    errorKind: result.error?.kind ?? null,
    errorMessage: result.error?.message ?? null,
    success,
    roundAttempts,
    nextState: next.state,
    nextDueAt: next.dueAt,
  };
}

/** A delivery whose subscription was removed from the config can never be sent: it fails, saying why. */
export function unconfiguredOutcome(
  delivery: { id: string; eventId: string; subscriptionId: string; attempts: number },
  now: number,
): AttemptOutcome {
  return {
    deliveryId: delivery.id,
    eventId: delivery.eventId,
    number: delivery.attempts + 1,
    startedAt: now,
    durationMs: 0,
    url: "",
    requestHeaders: {},
    responseStatus: null,
    responseBody: null,
    errorKind: "unconfigured",
    errorMessage: `subscription "${delivery.subscriptionId}" is no longer configured`,
    success: false,
    roundAttempts: 0,
    nextState: "failed",
    nextDueAt: null,
  };
}
