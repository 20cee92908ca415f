// GET /docs in a real browser: the API document renders from what Herald serves, and nothing else is asked for.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser } from "playwright-core";
import { launchChromium, screenshot } from "./support/browser.ts";
import { configYaml, startTestHerald, type TestHerald } from "./support/herald.ts";

let herald: TestHerald;
let browser: Browser;

beforeAll(async () => {
  herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:9/a", events: ["*"] }` }), { startWorker: false });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await herald?.close();
});

describe("the API docs page", () => {
  it("renders every route of /openapi.json, with no request to any host but Herald", async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("console", (message) => message.type() === "error" && problems.push(message.text()));
    await page.goto(`${herald.url}/docs`);
    await page.getByText("/api/v1/subscriptions/{id}/rotate_secret").waitFor({ timeout: 10_000 });
    const documented = Object.keys(((await (await fetch(`${herald.url}/openapi.json`)).json()) as { paths: object }).paths);
    for (const path of documented) expect(await page.getByText(path, { exact: true }).count()).toBeGreaterThan(0);
    console.log(`API docs screenshot: ${await screenshot(page, "api-docs")}`);
    expect(requested.filter((url) => !url.startsWith(`${herald.url}/`))).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  }, 30_000);
});
