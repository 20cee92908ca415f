// `npm run bench:subscriptions` (after `npm run build`): only the subscription-scale phase of the bench, printed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { measureSubscriptionScale, SUBSCRIPTION_SCALE, subscriptionScaleNotes } from "./phases/subscriptions.ts";
import { startReceiverProcess } from "./processes.ts";

const receiver = await startReceiverProcess();
const dirs: string[] = [];
try {
  const result = await measureSubscriptionScale(() => (dirs.push(mkdtempSync(join(tmpdir(), "herald-bench-"))), dirs.at(-1)!), receiver, SUBSCRIPTION_SCALE);
  console.log(
    subscriptionScaleNotes(result)
      .map((line) => `- ${line}`)
      .join("\n"),
  );
} finally {
  await receiver.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
