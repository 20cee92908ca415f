// The page's only way to Herald: the public REST API, with the key the user signed in with.
import type { Static } from "elysia";
import type { ApiKeyResponse, EventResponse, EventTypeResponse, JobResponse, SubscriptionHealthResponse, SubscriptionResponse, TestAttemptResponse } from "../../api/schemas.ts";
import type { FilterParam } from "../../domain/filter.ts";

export type EventResource = Static<typeof EventResponse>;
export type DeliveryResource = EventResource["deliveries"][number];
export type AttemptResource = NonNullable<DeliveryResource["attempt_log"]>[number];
/** A bulk resend answers at once with a job, whose progress `GET /api/v1/jobs/{id}` reads. */
export type JobResource = Static<typeof JobResponse>;

export type SubscriptionResource = Static<typeof SubscriptionResponse>;
export type HealthResource = Static<typeof SubscriptionHealthResponse>;
export type ApiKeyResource = Static<typeof ApiKeyResponse>;
export type TestAttemptResource = Static<typeof TestAttemptResponse>;

/** The list's filter as the location and the API's query carry it: each field's parameter, as text. */
export type EventFilter = { [P in FilterParam]?: string };

/** Every failed answer: `status` 0 when Herald could not be reached at all. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// Session storage: the key lives as long as the tab, never in a URL, a cookie or another tab.
const KEY_ITEM = "herald.apiKey";
export const session = {
  key: () => sessionStorage.getItem(KEY_ITEM),
  signIn: (key: string) => sessionStorage.setItem(KEY_ITEM, key),
  signOut: () => sessionStorage.removeItem(KEY_ITEM),
};

export async function request<T>(path: string, options: { method?: string; body?: unknown; key?: string } = {}): Promise<{ data: T; headers: Headers }> {
  const headers: Record<string, string> = { accept: "application/json", authorization: `Bearer ${options.key ?? session.key() ?? ""}` };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    response = await fetch(path, { method: options.method ?? "GET", headers, body, cache: "no-store" });
  } catch {
    throw new ApiError(0, "unreachable", "Herald did not answer; check that it is running and reachable.");
  }
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text === "" ? null : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page, say): the status line is all there is to tell.
  }
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? `http_${response.status}`, error?.message ?? `Herald answered ${response.status} ${response.statusText}`);
  }
  return { data: data as T, headers: response.headers };
}

export function filterQuery(filter: EventFilter): URLSearchParams {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) if (value) query.set(name, value);
  return query;
}

export async function listEvents(filter: EventFilter, page: number, perPage: number) {
  const query = filterQuery(filter);
  query.set("page", String(page));
  query.set("per_page", String(perPage));
  const { data, headers } = await request<EventResource[]>(`/api/v1/events?${query}`);
  return { events: data, total: Number(headers.get("x-total-count") ?? data.length) };
}

export const getEvent = (id: string) => request<EventResource>(`/api/v1/events/${encodeURIComponent(id)}`).then((r) => r.data);

export const resendEvent = (id: string, subscriptions?: string[]) =>
  request<EventResource>(`/api/v1/events/${encodeURIComponent(id)}/resend`, { method: "POST", body: subscriptions ? { subscriptions } : {} }).then((r) => r.data);

export const resendEvents = (selection: { ids: string[] } | EventFilter) => request<JobResource>("/api/v1/events/resend", { method: "POST", body: selection }).then((r) => r.data);

export const getJob = (uri: string) => request<JobResource>(uri).then((r) => r.data);

export const eventTypes = () => request<Static<typeof EventTypeResponse>[]>("/api/v1/event_types").then((r) => r.data);

/** The subscriptions the key may see (a user key: its own), every page of them. */
export async function subscriptions(): Promise<SubscriptionResource[]> {
  const all: SubscriptionResource[] = [];
  for (let page = 1; ; page++) {
    const { data, headers } = await request<SubscriptionResource[]>(`/api/v1/subscriptions?per_page=500&page=${page}`);
    all.push(...data);
    if (data.length === 0 || all.length >= Number(headers.get("x-total-count") ?? 0)) return all;
  }
}

export const subscriptionIds = async () => (await subscriptions()).map((s) => s.id);

const subscriptionPath = (id: string) => `/api/v1/subscriptions/${encodeURIComponent(id)}`;
export const subscriptionHealth = (id: string) => request<HealthResource>(`${subscriptionPath(id)}/health`).then((r) => r.data);
export const getSubscription = (id: string) => request<SubscriptionResource>(subscriptionPath(id)).then((r) => r.data);
export const createSubscription = (body: Record<string, unknown>) => request<SubscriptionResource>("/api/v1/subscriptions", { method: "POST", body }).then((r) => r.data);
export const updateSubscription = (id: string, body: Record<string, unknown>) => request<SubscriptionResource>(subscriptionPath(id), { method: "PATCH", body }).then((r) => r.data);
export const deleteSubscription = (id: string) => request<null>(subscriptionPath(id), { method: "DELETE" });
export const rotateSecret = (id: string) => request<SubscriptionResource>(`${subscriptionPath(id)}/rotate_secret`, { method: "POST", body: {} }).then((r) => r.data);
export const sendTest = (id: string) => request<TestAttemptResource>(`${subscriptionPath(id)}/test`, { method: "POST", body: {} }).then((r) => r.data);

export const apiKeys = () => request<ApiKeyResource[]>("/api/v1/api_keys").then((r) => r.data);
export const createApiKey = (body: Record<string, unknown>) => request<ApiKeyResource>("/api/v1/api_keys", { method: "POST", body }).then((r) => r.data);
export const deleteApiKey = (id: string) => request<null>(`/api/v1/api_keys/${encodeURIComponent(id)}`, { method: "DELETE" });

/** Whether the key is an admin's: only an admin may read the API keys (a user key is answered 403). */
export async function isAdmin(): Promise<boolean> {
  try {
    await request("/api/v1/api_keys");
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return false;
    throw error;
  }
}
