// The operator's console in a real browser (headless Chromium) against a real Herald and real receivers on
// 127.0.0.1: search, safe resends, times and their zone, new events, the subscriptions view with its health
// figures, an admin's actions, API keys, and what a user key sees. Each view is shot at desktop width and at
// 375 px, where nothing may scroll sideways.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { launchChromium, lowContrastText, screenshot } from "./support/browser.ts";
import { ManualClock } from "./support/clock.ts";
import { ADMIN_TOKEN, configYaml, startTestHerald, USER_TOKEN, type TestHerald } from "./support/herald.ts";
import { receiverPool, type Receiver } from "./support/receiver.ts";

const WAIT_MS = 10_000;
setDefaultTimeout(30_000);
const DESKTOP = { width: 1366, height: 900 };
const NARROW = { width: 375, height: 740 };
const TYPES = ["sample.uploaded", "analysis.succeeded", "analysis.failed"];

let browser: Browser;
let herald: TestHerald;
const clock = new ManualClock();
let ok: Receiver;
let flaky: Receiver;
const pool = receiverPool();
const pageErrors: string[] = [];
const screenshots: string[] = [];
const json = async (response: Response) => (await response.json()) as any;
/** The newest event of a type (through the API). */
const newest = async (type: string) => (await json(await herald.api(`/api/v1/events?event_type=${type}&per_page=1`)))[0];

beforeAll(async () => {
  browser = await launchChromium();
  ok = pool.start(() => new Response("thanks"));
  flaky = pool.start(() => Response.json({ error: "database is down" }, { status: 500 }));
  const subscriptions = [
    `  - { id: a, url: "${ok.url}/hook", events: [sample.uploaded, analysis.succeeded], description: "LIMS" }`,
    `  - { id: b, url: "${flaky.url}/in", events: [sample.uploaded, analysis.failed] }`,
  ].join("\n");
  herald = await startTestHerald(configYaml({ subscriptions, retry: "retry: { timeout: 2s, schedule: [], success: 2xx }" }), { clock, startWorker: false });
  for (let i = 0; i < 12; i++) {
    expect((await herald.publish({ event_type: TYPES[i % 3], object: { $uri: `/api/v1/samples/smp_${i}`, name: `Sample ${i}`, filename: `run-${i}.fastq.gz` } })).status).toBe(202);
    clock.advance(1_000);
  }
  await herald.worker.drain();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await herald?.close();
  await pool.stopAll();
  if (screenshots.length > 0) console.log(`console screenshots:\n  ${screenshots.join("\n  ")}`);
});

async function openPage(token: string = ADMIN_TOKEN, options: { hash?: string; timezoneId?: string; viewport?: typeof DESKTOP } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: options.viewport ?? DESKTOP, locale: "en-US", timezoneId: options.timezoneId ?? "UTC" });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`${herald.url}/`);
  await page.getByLabel("API key").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("table.events tbody tr").first().waitFor();
  if (options.hash) await page.goto(`${herald.url}/${options.hash}`);
  return page;
}

const rows = (page: Page) => page.locator("table.events tbody tr");
const countSays = (page: Page, text: string) => page.locator(".count", { hasText: text }).waitFor();
const notice = (page: Page, text: string) => page.locator("#notice", { hasText: text }).waitFor();
const card = (page: Page, id: string) => page.getByRole("region", { name: id, exact: true });

/** Shoots the view at desktop width, then at 375 px, where nothing may scroll sideways; back to desktop after. */
async function shootBothWidths(page: Page, name: string) {
  screenshots.push(await screenshot(page, name));
  await page.setViewportSize(NARROW);
  expect({ name, overflow: await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth) }).toEqual({ name, overflow: 0 });
  screenshots.push(await screenshot(page, `${name}-narrow`));
  await page.setViewportSize(DESKTOP);
}

describe("search", () => {
  it("finds an event by the words of its object, its $uri, its id and a delivery's id", async () => {
    const page = await openPage();
    const search = async (q: string) => {
      await page.getByLabel("Search").fill(q);
      await page.getByRole("button", { name: "Apply filters" }).click();
    };
    await search("Sample 7");
    await countSays(page, "1 event matches the filter");
    const found = await json(await herald.api("/api/v1/events?q=smp_7"));
    expect(await rows(page).locator("a.event-id").allTextContents()).toEqual([found[0].id]);
    expect(page.url()).toContain("#/?q=Sample+7");
    await shootBothWidths(page, "console-search");

    await search("/api/v1/samples/smp_10");
    await countSays(page, "1 event matches the filter");
    const ten = await json(await herald.api(`/api/v1/events?q=${encodeURIComponent("/api/v1/samples/smp_10")}`));
    expect(await rows(page).locator("a.event-id").allTextContents()).toEqual([ten[0].id]);
    await search(ten[0].deliveries[0].id);
    await countSays(page, "1 event matches the filter");
    await search("fastq");
    await countSays(page, "12 events match the filter");
    await search("no such words");
    await page.getByText("No events match this filter.").waitFor();
  });
});

describe("safe resends", () => {
  it("asks before resending to a receiver that already got the event, saying how many get a duplicate; Cancel sends nothing", async () => {
    const event = await newest("sample.uploaded"); // a succeeded, b failed
    const page = await openPage(ADMIN_TOKEN, { hash: `#/events/${event.id}` });
    await page.getByRole("heading", { name: "Subscription a succeeded" }).waitFor();
    const before = ok.requests.length;
    await page.getByRole("button", { name: "Resend to a" }).click();
    const dialog = page.getByRole("dialog", { name: "Resend to a again?" });
    expect(await dialog.locator("p").textContent()).toBe("This event was delivered already: 1 receiver already got it and will get a duplicate.");
    await shootBothWidths(page, "console-resend-confirmation");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("button", { name: "Resend to every subscription" }).click();
    const all = page.getByRole("dialog", { name: "Resend to every subscription?" });
    expect(await all.locator("p").textContent()).toBe("This event was delivered already: 1 receiver already got it and will get a duplicate.");
    await all.getByRole("button", { name: "Cancel" }).click();
    expect(ok.requests.length).toBe(before);
    expect((await json(await herald.api(`/api/v1/events/${event.id}`))).deliveries.map((d: any) => d.state)).toEqual(["succeeded", "failed"]);

    await page.getByRole("button", { name: "Resend to a" }).click();
    await dialog.getByRole("button", { name: "Resend anyway" }).click();
    await notice(page, "Resent to a.");
    await herald.worker.drain();
    expect(ok.requests.length).toBe(before + 1);
    // A resend to a receiver that did not get it goes at once.
    await page.getByRole("button", { name: "Resend to b" }).click();
    await notice(page, "Resent to b.");
    expect(await page.getByRole("dialog").count()).toBe(0);
    await herald.worker.drain();
  });
});

describe("times and new events", () => {
  it("names each time's zone and switches between the reader's and UTC, filters included", async () => {
    const page = await openPage(ADMIN_TOKEN, { timezoneId: "Europe/Paris" });
    const firstTime = () => rows(page).first().locator("[data-label=Created]").textContent();
    expect(await firstTime()).toBe("2026-01-01 01:00:11 GMT+1");
    expect(await page.getByLabel("From (GMT+1)").count()).toBe(1);
    await page.getByLabel("Times").selectOption("utc");
    await page.locator("[data-label=Created]", { hasText: "UTC" }).first().waitFor();
    expect(await firstTime()).toBe("2026-01-01 00:00:11 UTC");
    await page.getByLabel("From (UTC)").fill("2026-01-01T00:00:10");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await countSays(page, "2 events match the filter");
    expect(page.url()).toContain("since=2026-01-01T00%3A00%3A10.000Z");
    expect(await page.evaluate(() => sessionStorage.getItem("herald.timeZone"))).toBe("utc");
  });

  it("tells of events that arrived since the page loaded", async () => {
    const page = await openPage();
    await countSays(page, "12 events");
    clock.advance(1_000);
    for (let i = 0; i < 2; i++) await herald.publish({ event_type: "analysis.succeeded", object: { late: i } });
    await page.locator(".arrivals", { hasText: "2 new events since this page loaded." }).waitFor();
    await page.getByRole("link", { name: "Show the newest" }).click();
    await page.locator(".arrivals").waitFor({ state: "hidden" });
    await herald.worker.drain();
  });

  it("shows an unknown event id as its error alone, and a long id does not widen a narrow screen", async () => {
    const id = `evt_${"x".repeat(180)}`;
    const page = await openPage(ADMIN_TOKEN, { hash: `#/events/${id}`, viewport: NARROW });
    await page.locator("main .error", { hasText: `No event ${id}` }).waitFor();
    expect(await page.getByRole("heading", { name: "Payload" }).count()).toBe(0);
    expect(await page.getByRole("heading", { name: "Deliveries" }).count()).toBe(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
    screenshots.push(await screenshot(page, "console-unknown-event-narrow"));
  });
});

describe("the subscriptions view", () => {
  it("shows each subscription's state, success rates, deliveries per minute, queue and last failure, with a link to its failing events", async () => {
    const page = await openPage(ADMIN_TOKEN, { hash: "#/subscriptions" });
    const a = card(page, "a");
    await a.locator(".figures").waitFor();
    expect(await a.locator(".badge").textContent()).toBe("enabled");
    expect(await a.locator("dd").first().textContent()).toMatch(/^100% \(\d+ of \d+\)$/);
    const b = card(page, "b");
    expect(await b.locator("dd").first().textContent()).toMatch(/^0% \(0 of \d+\)$/);
    expect(await b.locator("svg.spark").getAttribute("aria-label")).toMatch(/^\d+ deliveries in the last hour, at most \d+ a minute$/);
    expect(await b.locator("dd", { hasText: "HTTP 500" }).count()).toBe(1);
    expect(await b.getByText("From the config file").count()).toBe(1);
    expect(await a.getByText("Defined in the config file: edit the file to change it.").count()).toBe(1);
    expect(await a.getByRole("button", { name: "Delete" }).count()).toBe(0);
    await shootBothWidths(page, "console-subscriptions");
    expect(await lowContrastText(page)).toEqual([]);

    await b.getByRole("link", { name: "Its failing events" }).click();
    await countSays(page, "match the filter");
    expect(page.url()).toContain("#/?status=failed&subscription=b");
    expect(await page.getByLabel("Subscription").inputValue()).toBe("b");
  });

  it("lets an admin create, test, rotate, disable, enable, edit and delete an API subscription", async () => {
    const page = await openPage(ADMIN_TOKEN, { hash: "#/subscriptions" });
    await page.getByRole("link", { name: "New subscription" }).click();
    await page.getByLabel("Id").fill("made");
    await page.getByLabel("URL").fill(`${ok.url}/made`);
    await page.getByLabel("Events").fill("sample.uploaded");
    await page.getByLabel("Signing").selectOption("onecodex-signature");
    await shootBothWidths(page, "console-subscription-form");
    await page.getByRole("button", { name: "Create" }).click();
    const secret = await page.locator("code.secret").textContent();
    expect(secret!.length).toBeGreaterThan(15);
    await page.getByRole("link", { name: "Back to the subscriptions" }).click();

    const made = card(page, "made");
    await made.getByText("Made through the API").waitFor();
    await made.getByRole("button", { name: "Send test event" }).click();
    await made.locator(".test-result", { hasText: "HTTP 200 ✓" }).waitFor();
    expect(ok.requests.at(-1)!.path).toBe("/made");

    await made.getByRole("button", { name: "Rotate secret" }).click();
    await made.locator(".action-output", { hasText: "shown this once" }).waitFor();
    expect(await made.locator("code.secret").textContent()).not.toBe(secret);

    await made.getByRole("button", { name: "Disable" }).click();
    await notice(page, "Subscription made disabled: it gets no new deliveries.");
    await made.getByText("disabled through the API").waitFor();
    expect((await json(await herald.api("/api/v1/subscriptions/made"))).enabled).toBe(false);
    await made.getByRole("button", { name: "Enable" }).click();
    await made.locator(".badge", { hasText: "enabled" }).waitFor();

    await made.getByRole("link", { name: "Edit" }).click();
    await page.getByLabel("Description").fill("made in the console");
    await page.getByRole("button", { name: "Save" }).click();
    await notice(page, "Subscription made saved.");
    await card(page, "made").getByText("made in the console").waitFor();

    await card(page, "made").getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog", { name: "Delete subscription made?" }).getByRole("button", { name: "Delete" }).click();
    await notice(page, "Subscription made deleted.");
    await card(page, "made").waitFor({ state: "detached" });
    expect((await herald.api("/api/v1/subscriptions/made")).status).toBe(404);
  });
});

describe("API keys", () => {
  it("lists the keys, makes one with its token shown once, and deletes it; the file's keys are read-only", async () => {
    const page = await openPage(ADMIN_TOKEN);
    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByRole("row", { name: /^ops admin/ }).waitFor();
    expect(
      await page
        .getByRole("row", { name: /^ops admin/ })
        .getByText("edit the file")
        .count(),
    ).toBe(1);
    await page.getByLabel("Name", { exact: true }).fill("partner-2");
    await page.getByLabel("Role", { exact: true }).selectOption("user");
    await page.getByLabel("Subscriptions (role user)").selectOption(["a"]);
    await page.getByRole("button", { name: "Create key" }).click();
    const token = await page.locator("code.secret").textContent();
    const listed = await page.getByRole("row", { name: /^partner-2 user a/ });
    await listed.waitFor();
    expect((await herald.api("/api/v1/subscriptions", { token: token! })).status).toBe(200);
    await shootBothWidths(page, "console-api-keys");

    await listed.getByRole("button", { name: "Delete the key partner-2" }).click();
    await page.getByRole("dialog", { name: "Delete the key partner-2?" }).getByRole("button", { name: "Delete" }).click();
    await notice(page, "Key partner-2 deleted.");
    await listed.waitFor({ state: "detached" });
    expect((await herald.api("/api/v1/subscriptions", { token: token! })).status).toBe(401);
  });
});

describe("a user key", () => {
  it("sees only its own subscriptions, and no admin action anywhere", async () => {
    const page = await openPage(USER_TOKEN, { hash: "#/subscriptions" });
    await card(page, "a").locator(".figures").waitFor();
    expect(await page.locator("section.card").count()).toBe(1);
    expect(await page.getByRole("button").allTextContents()).toEqual(["Sign out"]);
    expect(await page.getByRole("link", { name: "New subscription" }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "API keys" }).isVisible()).toBe(false);
    await shootBothWidths(page, "console-user-subscriptions");
    await page.goto(`${herald.url}/#/keys`);
    await page.getByText("This needs an admin key.").waitFor();
    expect(await page.getByLabel("Name").count()).toBe(0);
  });
});

describe("the console itself", () => {
  it("links to the API docs and the metrics, and every view fits 375 px", async () => {
    const page = await openPage();
    expect(await page.getByRole("link", { name: "API docs" }).getAttribute("href")).toBe("/docs");
    expect(await page.getByRole("link", { name: "Metrics" }).getAttribute("href")).toBe("/metrics");
    expect((await fetch(`${herald.url}/docs`)).status).toBe(200);
    await shootBothWidths(page, "console-events");
    await rows(page).first().locator("a.event-id").click();
    await page.getByRole("heading", { name: "Deliveries" }).waitFor();
    await shootBothWidths(page, "console-event");
    expect(pageErrors).toEqual([]);
  });
});
