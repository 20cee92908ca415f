// A list item that failed the schema, made whole enough for the checks between sections to run on the rest of
// it: an unknown event type, an unknown plugin or a duplicate key name beside a bad URL is listed in the same
// run. What failed was already reported; its stand-in is never used, since the file is refused anyway.
import type { TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

type StandIn = (index: number, value: unknown) => unknown;

/** Stand-ins that pass the schema and raise no problem of their own (unique where uniqueness is checked). */
const STAND_INS: Record<string, Record<string, StandIn>> = {
  event_types: { name: (i) => `invalid-event-type.${i}`, object_type: () => "invalid" },
  subscriptions: {
    id: (i) => `invalid-subscription.${i}`,
    url: () => "http://invalid.invalid/",
    events: (_, value) => {
      const sound = Array.isArray(value) ? value.filter((name) => typeof name === "string" && name !== "") : [];
      return sound.length > 0 ? sound : ["*"];
    },
  },
  api_keys: {
    name: (i) => `invalid-key.${i}`,
    role: () => "admin",
    token: (i) => `invalid-token-stand-in-${i}`,
    token_sha256: (i) => i.toString(16).padStart(64, "0"),
  },
};

/** The fields that name an item: a stand-in there means references to the item cannot be judged. */
const IDENTITY = new Set(["name", "id"]);

export type Salvaged = { item: unknown; identityLost: boolean } | null;

/**
 * `failedFields`: the item's own fields under a failed path (a field it should have included); empty when the
 * item as a whole failed (not an object). Failed fields get a stand-in, or are dropped when optional.
 */
export function salvageItem(section: string, schema: TSchema, item: unknown, index: number, failedFields: Set<string>): Salvaged {
  if (typeof item !== "object" || item === null || Array.isArray(item) || failedFields.size === 0) return null;
  const repaired: Record<string, unknown> = { ...(item as Record<string, unknown>) };
  let identityLost = false;
  for (const field of failedFields) {
    const standIn = STAND_INS[section]?.[field];
    if (standIn) repaired[field] = standIn(index, repaired[field]);
    else delete repaired[field];
    if (IDENTITY.has(field)) identityLost = true;
  }
  return Value.Check(schema, repaired) ? { item: repaired, identityLost } : null;
}
