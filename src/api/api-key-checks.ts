// What POST /api/v1/api_keys checks beyond its schema, every problem at once (by body field).
import type { ApiRole } from "../config/schema.ts";

export interface NewKeyFields {
  role: ApiRole;
  subscriptions: string[];
  expires_at?: string;
}

export function newKeyProblems(body: NewKeyFields, subscriptionExists: (id: string) => boolean, now: number): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const { role, subscriptions } = body;
  if (role === "user" && subscriptions.length === 0) problems.push({ path: "subscriptions", message: "a key with role user needs the subscriptions it may see" });
  if (role !== "user" && subscriptions.length > 0) problems.push({ path: "subscriptions", message: `only a key with role user is limited to subscriptions; a ${role} key sees all` });
  const unknown = subscriptions.filter((id) => !subscriptionExists(id));
  if (unknown.length > 0) problems.push({ path: "subscriptions", message: `no subscription ${unknown.map((id) => `"${id}"`).join(", ")}` });
  if (body.expires_at !== undefined && Date.parse(body.expires_at) <= now) problems.push({ path: "expires_at", message: "the time is already past" });
  return problems;
}
