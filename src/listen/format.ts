// How `herald listen` prints a delivery: one summary line a person can scan, then the body (JSON indented).
import type { CheckResult, Expectation } from "./check.ts";

export interface ReceivedDelivery {
  path: string;
  headers: Headers;
  body: Uint8Array;
  expect: Expectation;
  check: CheckResult;
  /** The status answered. */
  status: number;
  at: Date;
}

const BODY_PRINT_LIMIT = 4096;

export function formatDelivery(d: ReceivedDelivery): string {
  const h = (name: string) => d.headers.get(name) ?? "-";
  const verdict = d.check.verified === null ? "not checked" : d.check.verified ? `verified (${d.expect.scheme})` : `NOT VERIFIED (${d.expect.scheme}: ${d.check.reason})`;
  const summary =
    `${d.at.toISOString().slice(11, 19)}  POST ${d.path}  ${h("herald-event-type")}  event ${h("herald-event-id")}  ` +
    `delivery ${h("herald-delivery-id")}  attempt ${h("herald-attempt")}  ${verdict}  -> ${d.status}`;
  return `${summary}\n${indent(readableBody(d.body))}\n`;
}

/** JSON indented for reading (the bytes checked were the raw ones); anything else as text, cut to 4 KB. */
function readableBody(body: Uint8Array): string {
  const text = new TextDecoder().decode(body.subarray(0, BODY_PRINT_LIMIT));
  const cut = body.length > BODY_PRINT_LIMIT ? `\n... (${body.length} bytes in all)` : "";
  if (cut === "") {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // not JSON: printed as it came
    }
  }
  return text + cut;
}

const indent = (text: string) =>
  text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
