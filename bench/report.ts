// Turns one run's figures into a table (Markdown, also printed): each Herald figure beside the raw limit it is
// measured against, their ratio, and the target where the issue sets one.
import type { EndToEndResult } from "./phases/end-to-end.ts";
import type { EventLogResult } from "./phases/event-log.ts";
import type { IngestResult } from "./phases/ingest.ts";
import type { LatencyResult } from "./phases/latency.ts";
import type { RawLimits } from "./phases/raw.ts";

export interface RunFigures {
  raw: RawLimits;
  ingest: IngestResult;
  endToEnd: EndToEndResult[];
  latency: LatencyResult;
  eventLog: EventLogResult;
  /** Bytes of one published event body, for the storage ratio. */
  bodyBytes: number;
}

type Row = [measure: string, herald: string, raw: string, ratio: string, target: string];

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const pair = (a: number, b: number) => `${ms(a)} / ${ms(b)} ms`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(a / b < 10 ? 2 : 1)}×`;
const ratios = (a: [number, number], b: [number, number]) => `${ratio(a[0], b[0])} / ${ratio(a[1], b[1])}`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const verdict = (met: boolean) => (met ? "met" : "**missed**");

export function resultRows(f: RunFigures): Row[] {
  const { raw, ingest, latency, eventLog } = f;
  const hop: [number, number] = [raw.hop.p50, raw.hop.p99];
  const get: [number, number] = [raw.get.p50, raw.get.p99];
  const peakRss = Math.max(ingest.peakRss, latency.peakRss, eventLog.peakRss, ...f.endToEnd.map((e) => e.peakRss));
  const rows: Row[] = [
    ["raw: bare Bun.serve answering 200, publish-shaped load, c=64", "", `${int(raw.server.rate)} req/s`, "", ""],
    ["raw: bare fetch loop POSTing 1 KB JSON to a bare receiver, c=64", "", `${int(raw.fetchPost.rate)} req/s`, "", ""],
    [`raw: one bare POST at a steady ${int(latency.rate)}/s, p50 / p99`, "", pair(...hop), "", ""],
    ["raw: one bare GET, sequential, p50 / p99", "", pair(...get), "", ""],
    ["ingest: publishes accepted durably, c=64", `${int(ingest.rate)} events/s`, `${int(raw.server.rate)} req/s`, ratio(ingest.rate, raw.server.rate), `≥ 10,000: ${verdict(ingest.rate >= 10_000)}`],
    ["ingest: publish latency, p50 / p99", pair(ingest.p50, ingest.p99), pair(raw.server.p50, raw.server.p99), ratios([ingest.p50, ingest.p99], [raw.server.p50, raw.server.p99]), ""],
  ];
  for (const e of f.endToEnd) {
    const target = e.subscriptions === 1 ? `≥ 8,000: ${verdict(e.finished && e.deliveryRate >= 8_000)}` : "";
    const label = `end-to-end: deliveries/s to receivers answering 200, ${e.subscriptions} subscription${e.subscriptions > 1 ? "s" : ""} per event`;
    const value = e.finished ? `${int(e.deliveryRate)} deliveries/s (${int(e.eventRate)} events/s)` : "did not finish";
    rows.push([label, value, `${int(raw.fetchPost.rate)} req/s`, ratio(e.deliveryRate, raw.fetchPost.rate), target]);
  }
  rows.push([
    `latency: publish → first attempt arrives, ${int(latency.rate)} events/s, p50 / p99`,
    pair(latency.firstAttempt.p50, latency.firstAttempt.p99),
    pair(...hop),
    ratios([latency.firstAttempt.p50, latency.firstAttempt.p99], hop),
    `p99 < 20 ms: ${verdict(latency.firstAttempt.p99 < 20)}`,
  ]);
  for (const list of eventLog.lists) {
    const label = `event log, ${int(eventLog.events)} events: list ${list.label} (${int(list.total ?? 0)} match), p50 / p99`;
    rows.push([label, pair(list.p50, list.p99), pair(...get), ratios([list.p50, list.p99], get), `p99 < 20 ms: ${verdict(list.p99 < 20)}`]);
  }
  for (const search of eventLog.searches) {
    const label = `event log, ${int(eventLog.events)} events: search ${search.label} (${int(search.total ?? 0)} found), p50 / p99`;
    rows.push([label, pair(search.p50, search.p99), pair(...get), ratios([search.p50, search.p99], get), `p99 < 50 ms: ${verdict(search.p99 < 50)}`]);
  }
  rows.push(
    [`event log, ${int(eventLog.events)} events: get by id, p50 / p99`, pair(eventLog.get.p50, eventLog.get.p99), pair(...get), ratios([eventLog.get.p50, eventLog.get.p99], get), ""],
    ["peak RSS of Herald (VmHWM, largest of its runs)", mb(peakRss), `${mb(raw.serverRss)} (bare receiver)`, ratio(peakRss, raw.serverRss), `< 300 MB: ${verdict(peakRss < 300 * 1024 * 1024)}`],
    [
      "SQLite file per 1M events (events, deliveries, attempts, indexes)",
      mb(eventLog.bytesPerMillion),
      `${mb(f.bodyBytes * 1_000_000)} of bodies`,
      ratio(eventLog.bytesPerMillion, f.bodyBytes * 1_000_000),
      "",
    ],
  );
  return rows;
}

export function markdownTable(rows: Row[]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(["measure", "Herald", "raw limit, same run", "Herald / raw", "target"]), line(["---", "--:", "--:", "--:", "---"]), ...rows.map(line)].join("\n");
}
