// The event-log page in a real browser: headless Chromium against a real Herald and real receivers on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { CONTENT_SECURITY_POLICY } from "../src/ui/routes.ts";
import { launchChromium, lowContrastText, screenshot } from "./support/browser.ts";
import { ManualClock } from "./support/clock.ts";
import { ADMIN_TOKEN, configYaml, PUBLISH_TOKEN, startTestHerald, USER_TOKEN, type TestHerald } from "./support/herald.ts";
import { receiverPool, type Receiver } from "./support/receiver.ts";
import { newId } from "../src/domain/vocabulary.ts";

/** Every wait in the browser is bounded by this (the page refreshes every 2 s, faster right after a resend). */
const WAIT_MS = 10_000;
// A test drives a few page loads and waits for a refresh or two: seconds on a busy machine, not bun's 5 s default.
setDefaultTimeout(30_000);
const LAPTOP = { width: 1366, height: 900 };
const TYPES = ["sample.uploaded", "analysis.succeeded", "analysis.failed"];
const EVENTS = 60;

let browser: Browser;
let herald: TestHerald;
const clock = new ManualClock();
let flaky: Receiver;
const pool = receiverPool();
const origins = new Set<string>();
const requested: string[] = [];
const pageErrors: string[] = [];
const screenshots: string[] = [];
const json = async (response: Response) => (await response.json()) as any;

beforeAll(async () => {
  browser = await launchChromium();
  const ok = pool.start(() => new Response("thanks"));
  flaky = pool.start(() => Response.json({ error: "database is down" }, { status: 500 }));
  // a takes sample.uploaded and analysis.succeeded, b (failing) sample.uploaded and analysis.failed; the user key sees a.
  const subscriptions = [
    `  - { id: a, url: "${ok.url}/hook?token=abc", events: [sample.uploaded, analysis.succeeded], headers: { X-Api-Key: "sekrit" } }`,
    `  - { id: b, url: "${flaky.url}/in", events: [sample.uploaded, analysis.failed] }`,
  ].join("\n");
  herald = await startTestHerald(configYaml({ subscriptions, retry: "retry: { timeout: 2s, schedule: [], success: 2xx }" }), { clock, startWorker: false });
  origins.add(herald.url);
  for (let i = 0; i < EVENTS; i++) {
    expect((await herald.publish({ event_type: TYPES[i % 3], object: { id: `obj_${i}`, name: `Sample ${i}` } })).status).toBe(202);
    clock.advance(1_000); // event i is created at 00:00:i
  }
  await herald.worker.drain();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await herald?.close();
  await pool.stopAll();
  if (screenshots.length > 0) console.log(`event-log page screenshots:\n  ${screenshots.join("\n  ")}`);
});

/** A fresh browser context (its own session storage) on the page, signed in with `token` unless it is null. */
async function openPage(token: string | null = ADMIN_TOKEN, options: { base?: string; viewport?: typeof LAPTOP } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: options.viewport ?? LAPTOP, locale: "en-US", timezoneId: "UTC" });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  page.on("request", (request) => requested.push(request.url()));
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`${options.base ?? herald.url}/`);
  if (token !== null) {
    await page.getByLabel("API key").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("table.events tbody tr").first().waitFor();
  }
  return page;
}

const rows = (page: Page) => page.locator("table.events tbody tr");
const countSays = (page: Page, text: string) => page.locator(".count", { hasText: text }).waitFor();
const notice = (page: Page, text: string) => page.locator("#notice", { hasText: text }).waitFor();
const apiIds = async (query: string) => (await json(await herald.api(`/api/v1/events?${query}`))).map((e: any) => e.id);
/** Set on the window: still there afterwards means the page was never reloaded. */
const markWindow = (page: Page) => page.evaluate(() => ((window as any).notReloaded = true));
const stillSameWindow = (page: Page) => page.evaluate(() => (window as any).notReloaded === true);

async function applyFilter(page: Page, fields: { status?: string; type?: string; subscription?: string; from?: string; until?: string }) {
  await page.getByRole("link", { name: "Clear" }).click();
  await rows(page).first().waitFor();
  if (fields.status) await page.getByLabel("Status").selectOption(fields.status);
  if (fields.type) await page.getByLabel("Event type").selectOption(fields.type);
  if (fields.subscription) await page.getByLabel("Subscription").selectOption(fields.subscription);
  if (fields.from) await page.getByLabel("From").fill(fields.from);
  if (fields.until) await page.getByLabel("Until").fill(fields.until);
  await page.getByRole("button", { name: "Apply filters" }).click();
}

describe("signing in", () => {
  it("an admin key shows the newest events first with time, type, status, subscriptions and attempts; the key stays in session storage", async () => {
    const page = await openPage();
    await countSays(page, "60 events · page 1 of 2");
    expect(await rows(page).locator("a.event-id").allTextContents()).toEqual(await apiIds("per_page=50"));
    const cells = async (index: number) => {
      const row = rows(page).nth(index);
      const text = (label: string) => row.locator(`[data-label="${label}"]`).textContent();
      return [await text("Created"), await text("Type"), await text("Status"), await row.locator("[data-label=Deliveries] .strip").getAttribute("aria-label"), await text("Attempts")];
    };
    expect(await cells(0)).toEqual(["2026-01-01 00:00:59 UTC", "analysis.failed", "failed", "b failed", "1"]);
    expect(await cells(1)).toEqual(["2026-01-01 00:00:58 UTC", "analysis.succeeded", "success", "a succeeded", "1"]);
    expect(await cells(2)).toEqual(["2026-01-01 00:00:57 UTC", "sample.uploaded", "failed", "a succeeded, b failed", "2"]);
    // One line per event; the subscriptions' names show on keyboard focus.
    const heights = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().height));
    expect(Math.max(...heights)).toBeLessThan(45);
    const strip = rows(page).nth(2).locator(".strip");
    expect(await strip.locator(".strip-names").isVisible()).toBe(false);
    await strip.focus();
    expect(await strip.locator(".strip-names").textContent()).toBe("a succeeded · b failed");
    expect(await strip.locator(".strip-names").isVisible()).toBe(true);

    expect(await page.evaluate(() => sessionStorage.getItem("herald.apiKey"))).toBe(ADMIN_TOKEN);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.context().cookies()).toEqual([]);
    expect(requested.filter((url) => url.includes(ADMIN_TOKEN))).toEqual([]);
    screenshots.push(await screenshot(page, "event-list"));

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("alert").filter({ hasText: "Signed out." }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("herald.apiKey"))).toBeNull();
  });

  it("refuses a wrong key with Herald's message, and tells a publisher key it cannot read the log", async () => {
    const page = await openPage(null);
    await page.getByLabel("API key").fill("not-a-key-at-all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "a valid API key is required" }).waitFor();
    await page.getByLabel("API key").fill(PUBLISH_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "This key cannot read the event log: this needs a key with role admin or user" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("herald.apiKey"))).toBeNull();
  });

  it("goes back to sign-in saying why when the key expires meanwhile", async () => {
    const expiresAt = new Date(clock.now() + 3_600_000).toISOString();
    const made = await json(await herald.api("/api/v1/api_keys", { method: "POST", json: { name: "short-lived", role: "admin", expires_at: expiresAt } }));
    const page = await openPage(made.token);
    clock.advance(3_600_000);
    await page.getByRole("link", { name: "Next ›" }).click(); // the next request is refused (the next refresh would be too)
    await page.getByRole("alert").filter({ hasText: "This key was refused: this API key has expired; ask an admin for a new one" }).waitFor();
    expect(await page.getByLabel("API key").isVisible()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem("herald.apiKey"))).toBeNull();
  });
});

describe("filtering and paging", () => {
  it("filters by status, event type, subscription and time range, answered by the server", async () => {
    const page = await openPage();
    await applyFilter(page, { status: "failed" });
    await countSays(page, "40 events match the filter");
    expect(new Set(await rows(page).locator("[data-label=Status]").allTextContents())).toEqual(new Set(["failed"]));
    expect(page.url()).toContain("#/?status=failed");

    await applyFilter(page, { type: "analysis.succeeded" });
    await countSays(page, "20 events match the filter");
    expect(new Set(await rows(page).locator("[data-label=Type]").allTextContents())).toEqual(new Set(["analysis.succeeded"]));

    await applyFilter(page, { status: "failed", subscription: "a" });
    await page.getByText("No events match this filter.").waitFor(); // every failure is at b
    await applyFilter(page, { status: "failed", subscription: "b" });
    await countSays(page, "40 events match the filter");
    expect(await page.getByLabel("Subscription").inputValue()).toBe("b"); // the form shows the filter in force
    await page.locator(`#filter-subscription option[value="a"]`).waitFor({ state: "attached" }); // the list, once loaded
    expect(await page.locator("#filter-subscription option").allTextContents()).toEqual(["Any subscription", "a", "b"]);

    await applyFilter(page, { from: "2026-01-01T00:00:30", until: "2026-01-01T00:00:40" });
    await countSays(page, "10 events match the filter");
    expect(await rows(page).locator("a.event-id").allTextContents()).toEqual(await apiIds("since=2026-01-01T00:00:30Z&until=2026-01-01T00:00:40Z"));
    expect(requested.some((url) => url.includes("since=2026-01-01T00%3A00%3A30.000Z"))).toBe(true);
  });

  it("pages on the server: per page, Next and Last", async () => {
    const page = await openPage();
    await page.getByLabel("Per page").selectOption("25");
    await countSays(page, "60 events · page 1 of 3");
    await page.getByRole("link", { name: "Next ›" }).click();
    await countSays(page, "page 2 of 3");
    expect(await rows(page).locator("a.event-id").allTextContents()).toEqual(await apiIds("page=2&per_page=25"));
    await page.getByRole("link", { name: "Last »" }).click();
    await countSays(page, "page 3 of 3");
    expect(await rows(page).count()).toBe(10);
    expect(await page.getByRole("link", { name: "Next ›" }).count()).toBe(0); // shown, but not a link
  });

  it("works from the keyboard: past the masthead, Tab reaches the search first, with a visible focus, and Enter opens an event", async () => {
    const page = await openPage();
    const inForm = () => page.evaluate(() => document.activeElement!.closest("form") !== null);
    for (let presses = 0; presses < 12 && !(await inForm()); presses++) await page.keyboard.press("Tab");
    expect(await page.evaluate(() => [document.activeElement!.id, getComputedStyle(document.activeElement!).outlineStyle])).toEqual(["filter-q", "solid"]);
    const onEventLink = () => page.evaluate(() => document.activeElement!.classList.contains("event-id"));
    for (let presses = 0; presses < 40 && !(await onEventLink()); presses++) await page.keyboard.press("Tab");
    const id = await page.evaluate(() => document.activeElement!.textContent!);
    expect(id).toStartWith("evt_");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: `Event ${id}` }).waitFor();
  });
});

describe("an event's page", () => {
  it("shows the payload, and each delivery's attempts: headers with secrets redacted, status, body, duration", async () => {
    const [id] = await apiIds("event_type=sample.uploaded&per_page=1");
    const event = await json(await herald.api(`/api/v1/events/${id}`));
    const page = await openPage();
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.getByRole("link", { name: id }).click();
    await page.getByRole("heading", { name: "Subscription b failed" }).waitFor();

    const payload = page.getByRole("region", { name: "Payload" }).locator("pre");
    expect(await payload.textContent()).toBe(JSON.stringify(event.payload, null, 2));
    await page.getByRole("button", { name: "Copy payload" }).click();
    await notice(page, "Payload copied.");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(JSON.stringify(event.payload, null, 2));

    const a = page.getByRole("region", { name: "Subscription a succeeded" });
    expect(await a.locator("summary").textContent()).toMatch(/^Attempt 1 2026-01-01 00:01:00 UTC HTTP 200 ✓ \d+ ms$/);
    expect(await a.locator(".url").textContent()).toBe(`POST ${event.deliveries[0].attempt_log[0].request.url}`);
    expect(await a.locator(".url").textContent()).toContain("/hook?token=[redacted]");
    expect(await a.getByRole("row", { name: "x-api-key" }).locator("td").textContent()).toBe("[redacted]");
    expect(await a.getByRole("row", { name: "herald-delivery-id" }).locator("td").textContent()).toBe(event.deliveries[0].id);
    expect(await a.locator("pre").textContent()).toBe("thanks");
    const b = page.getByRole("region", { name: "Subscription b failed" });
    expect(await b.locator("summary").textContent()).toMatch(/HTTP 500 ✗ \d+ ms$/);
    expect(await b.locator("pre").textContent()).toBe('{"error":"database is down"}');
    screenshots.push(await screenshot(page, "event-detail", { fullPage: true }));
  });

  it("resends one delivery and shows its new attempt without a reload", async () => {
    const [id] = await apiIds("event_type=analysis.failed&per_page=1");
    const page = await openPage();
    await page.getByRole("link", { name: id }).click();
    await markWindow(page);
    flaky.respond(() => new Response("recovered"));
    await page.getByRole("button", { name: "Resend to b" }).click();
    await notice(page, "Resent to b.");
    await herald.worker.drain();
    const b = page.getByRole("region", { name: "Subscription b succeeded" });
    await b.locator("summary", { hasText: /^Attempt 2 .* HTTP 200 ✓/ }).waitFor();
    expect(await b.locator("summary").count()).toBe(2);
    expect(await page.locator(".facts .badge").textContent()).toBe("success");
    expect(await stillSameWindow(page)).toBe(true);
  });
});

describe("resending from the list", () => {
  it("resends the selected events and shows their new status without a reload", async () => {
    const page = await openPage();
    await applyFilter(page, { status: "failed" });
    await countSays(page, "39 events match the filter"); // one was resent above
    await markWindow(page);
    const ids = (await rows(page).locator("a.event-id").allTextContents()).slice(0, 2);
    for (const id of ids) await page.getByRole("checkbox", { name: `Select event ${id}` }).check();
    const before = flaky.requests.length;
    await page.getByRole("button", { name: "Resend 2 selected events" }).click();
    // The first went to a as well, and a got it: the page asks first, saying how many receivers get a duplicate.
    const dialog = page.getByRole("dialog", { name: "Resend 2 selected events?" });
    expect(await dialog.locator("p").textContent()).toBe("Some were delivered already: 1 receiver will get a duplicate.");
    await dialog.getByRole("button", { name: "Resend anyway" }).click();
    await notice(page, "Resent 2 events.");
    await herald.worker.drain();
    await countSays(page, "37 events match the filter");
    expect(
      flaky.requests
        .slice(before)
        .map((r) => r.headers["herald-event-id"])
        .sort(),
    ).toEqual([...ids].sort());
    expect(await stillSameWindow(page)).toBe(true);
  });

  it("resends every event matching the filter, beyond the page shown", async () => {
    const page = await openPage();
    await page.getByLabel("Per page").selectOption("25");
    await applyFilter(page, { status: "failed" });
    await countSays(page, "37 events match the filter · page 1 of 2");
    const before = flaky.requests.length;
    await page.getByRole("button", { name: "Resend all 37 matching…" }).click();
    const dialog = page.getByRole("dialog", { name: "Resend all 37 events matching the filter?" });
    await dialog.getByRole("button", { name: "Resend", exact: true }).click();
    await notice(page, "Resent 37 events.");
    await herald.worker.drain();
    await page.getByText("No events match this filter.").waitFor();
    expect(flaky.requests.length - before).toBe(37);
    expect(await apiIds("status=failed")).toEqual([]);
  });
});

describe("a user key", () => {
  it("sees only the events and deliveries of its own subscriptions", async () => {
    const page = await openPage(USER_TOKEN);
    await countSays(page, "40 events · page 1 of 1"); // sample.uploaded and analysis.succeeded go to a; analysis.failed only to b
    await page.locator(`#filter-subscription option[value="a"]`).waitFor({ state: "attached" });
    expect(await page.locator("#filter-subscription option").allTextContents()).toEqual(["Any subscription", "a"]);
    expect(
      new Set(
        await rows(page)
          .locator("[data-label=Deliveries] .strip")
          .evaluateAll((strips) => strips.map((s) => s.getAttribute("aria-label"))),
      ),
    ).toEqual(new Set(["a succeeded"]));
    expect(new Set(await rows(page).locator("[data-label=Type]").allTextContents())).toEqual(new Set(["sample.uploaded", "analysis.succeeded"]));

    const [shared] = await apiIds("event_type=sample.uploaded&per_page=1");
    await page.getByRole("link", { name: shared }).click();
    await page.getByRole("heading", { name: /^Subscription a/ }).waitFor();
    expect(await page.getByRole("heading", { name: /^Subscription b/ }).count()).toBe(0);
    expect(await page.content()).not.toContain(flaky.url);

    const [hidden] = await apiIds("event_type=analysis.failed&per_page=1");
    await page.goto(`${herald.url}/#/events/${hidden}`);
    await notice(page, `No event ${hidden}: it may be older than the retention window, or this key may not see it.`);
  });
});

describe("tens of thousands of events", () => {
  it("are paged by the server: the list holds one page, the last of 400 pages is one click away", async () => {
    const big = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:9/never", events: [analysis.failed] }` }), { startWorker: false });
    origins.add(big.url);
    try {
      const now = Date.now();
      for (let batch = 0; batch < 20; batch++) {
        const events = Array.from({ length: 1_000 }, (_, i) => ({ id: newId("evt"), eventType: "sample.uploaded", objectType: "sample", object: { i }, triggeredAt: null, subscriptionIds: [] }));
        await big.store.events.publish(events, now + batch);
      }
      const page = await openPage(ADMIN_TOKEN, { base: big.url });
      await countSays(page, "20,000 events · page 1 of 400");
      expect(await rows(page).count()).toBe(50);
      await page.getByRole("link", { name: "Last »" }).click();
      await countSays(page, "page 400 of 400");
      expect(await rows(page).count()).toBe(50);
      const lists = requested.filter((url) => url.startsWith(`${big.url}/api/v1/events?`));
      expect(lists.every((url) => /[?&]per_page=(1|50)(&|$)/.test(url))).toBe(true);
    } finally {
      await big.close();
    }
  });
});

describe("the page itself", () => {
  it("fits a narrow screen: no sideways scrolling on the list or on an event", async () => {
    const page = await openPage(ADMIN_TOKEN, { viewport: { width: 375, height: 740 } });
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(await overflow()).toBe(0);
    screenshots.push(await screenshot(page, "event-list-narrow"));
    await rows(page).first().locator("a.event-id").click();
    await page.getByRole("heading", { name: "Deliveries" }).waitFor();
    expect(await overflow()).toBe(0);
    screenshots.push(await screenshot(page, "event-detail-narrow", { fullPage: true }));
  });

  it("has all its text at a contrast of 4.5:1 or more", async () => {
    const page = await openPage();
    expect(await lowContrastText(page)).toEqual([]);
    await rows(page).nth(2).locator("a.event-id").click();
    await page.getByRole("heading", { name: "Deliveries" }).waitFor();
    expect(await lowContrastText(page)).toEqual([]);
  });

  it("sends a strict Content-Security-Policy, and every request the pages made went to Herald's own origin", async () => {
    const response = await fetch(`${herald.url}/`);
    expect(response.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toStartWith("default-src 'self';");
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => !origins.has(new URL(url).origin))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
