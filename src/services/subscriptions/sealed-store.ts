// The subscription store as the directory sees it: secrets sealed on their way in and opened on their way out,
// so the database holds none in clear (see secrets/cipher.ts). The file's subscriptions are stored without
// their secrets anyway (the file keeps them), so they pass as they are.
import type { LiveConfig } from "../../config/types.ts";
import type { SecretCipher } from "../../secrets/cipher.ts";
import type { SubscriptionStore } from "../../store/index.ts";
import { openSpec, sealedValues, sealSpec } from "./spec.ts";

export function sealedSubscriptions(inner: SubscriptionStore, cipher: SecretCipher, live: LiveConfig): SubscriptionStore {
  return {
    list: async () => (await inner.list()).map((row) => ({ ...row, spec: openSpec(row.spec, cipher) })),
    insert: (row) => inner.insert({ ...row, spec: sealSpec(row.spec, live.plugins, cipher) }),
    update: (id, spec, now) => inner.update(id, sealSpec(spec, live.plugins, cipher), now),
    remove: (id, now) => inner.remove(id, now),
    syncConfig: (specs, now) => inner.syncConfig(specs, now),
    setHealth: (id, health) => inner.setHealth(id, health),
    rewriteSpecs: (rows) => inner.rewriteSpecs(rows.map(({ id, spec }) => ({ id, spec: sealSpec(spec, live.plugins, cipher) }))),
  };
}

/**
 * At start: opens every stored secret (a key that does not open one stops the start, before anything is sent),
 * and seals under the current key what is in clear (stored before encryption) or under a key being rotated
 * away, in one write. Returns how many subscriptions were re-sealed.
 */
export async function resealSecrets(inner: SubscriptionStore, cipher: SecretCipher, live: LiveConfig): Promise<number> {
  const changed = [];
  for (const row of await inner.list()) {
    if (row.source !== "api") continue;
    const opened = openSpec(row.spec, cipher);
    const stale = sealedValues(row.spec).some((sealed) => !cipher.isCurrent(sealed));
    const inClear = JSON.stringify(sealSpec(row.spec, live.plugins, cipher)) !== JSON.stringify(row.spec);
    if (stale || inClear) changed.push({ id: row.id, spec: sealSpec(opened, live.plugins, cipher) });
  }
  if (changed.length > 0) await inner.rewriteSpecs(changed);
  return changed.length;
}
