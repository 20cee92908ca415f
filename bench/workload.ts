// What the bench sends and how it configures Herald: ~1 KB LIMS-like objects, durable SQLite, one key per role.
import { ADMIN_TOKEN, PUBLISH_TOKEN } from "./processes.ts";

export const CONCURRENCY = 64;
export const EVENT_TYPES = ["sample.uploaded", "analysis.succeeded", "analysis.failed", "report_signed", "report_corrected"] as const;

/** A sample object whose JSON is about 1 KB, as a LIMS record would be. */
export function sampleObject(index: number): Record<string, unknown> {
  const id = `smp_${index.toString(16).padStart(12, "0")}`;
  const object: Record<string, unknown> = {
    $uri: `/api/v1/samples/${id}`,
    id,
    filename: `run-${index}.fastq.gz`,
    project: "prj_bench",
    size: 1_234_567 + index,
    tags: ["bench", "wgs", "illumina"],
    metadata: { platform: "NovaSeq", library: "paired-end", location: "freezer-3" },
    notes: "",
  };
  object.notes = "x".repeat(Math.max(0, 1024 - JSON.stringify(object).length));
  return object;
}

/** The body of POST /api/v1/events for event `index`. */
export function publishBody(index: number): string {
  return JSON.stringify({ event_type: "sample.uploaded", object_type: "sample", object: sampleObject(index) });
}

export const publishHeaders = { "content-type": "application/json", authorization: `Bearer ${PUBLISH_TOKEN}` };

/** A config for the bench: `subscriptions` as YAML list items, retention long enough to keep seeded events. */
export function heraldYaml(options: { port: number; subscriptions: string[]; concurrency?: number }): string {
  const concurrency = options.concurrency ?? CONCURRENCY;
  return `
server: { host: 127.0.0.1, port: ${options.port} }
storage: { sqlite: ./herald.db }
retention: 3650d
retry: { timeout: 10s, schedule: [64s, 729s], success: 2xx }
delivery: { concurrency: ${concurrency}, per_subscription: ${concurrency} }
event_types:
${EVENT_TYPES.map((name) => `  - { name: ${name}, object_type: ${name.split(/[._]/)[0]} }`).join("\n")}
subscriptions:
${options.subscriptions.map((s) => `  - ${s}`).join("\n") || "  []"}
api_keys:
  - { name: platform, role: publisher, token: ${PUBLISH_TOKEN} }
  - { name: ops, role: admin, token: ${ADMIN_TOKEN} }
`;
}
