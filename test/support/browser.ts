// Headless Chromium (Debian's package) driven by playwright-core, for the event-log page's end-to-end tests.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { REPO_ROOT } from "./process.ts";

export const CHROMIUM = "/usr/bin/chromium";
/** Where screenshots land for a reviewer (git-ignored; CI keeps .ci/out). */
export const SCREENSHOT_DIR = join(REPO_ROOT, ".ci", "out", "screenshots");

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the event-log page's browser tests need Debian's chromium (apt-get install -y chromium)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Saves what the screen shows (or the whole page) as `<name>.png` and returns the file's path. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.mouse.move(0, 0); // no hover highlight left where the last click was
  await page.screenshot({ path, fullPage: options.fullPage ?? false });
  return path;
}

/**
 * Every visible piece of text whose colour against the background behind it is under WCAG's 4.5:1 (disabled
 * controls included, though WCAG exempts them). Backgrounds are found by walking up to the first opaque one.
 */
export function lowContrastText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rgb = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number); // r, g, b and maybe alpha
    const luminance = ([r, g, b]: number[]) => {
      const [R, G, B] = [r!, g!, b!].map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));
      return 0.2126 * R! + 0.7152 * G! + 0.0722 * B!;
    };
    const background = (element: Element | null): number[] => {
      for (let e = element; e; e = e.parentElement) {
        const color = rgb(getComputedStyle(e).backgroundColor);
        if (color[3] === undefined || color[3] === 1) return color;
      }
      return [255, 255, 255];
    };
    const offenders: string[] = [];
    for (const element of document.querySelectorAll("body *")) {
      const ownText = [...element.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== "");
      const box = element.getBoundingClientRect();
      if (!ownText || box.width === 0 || box.height === 0 || element.closest(".visually-hidden")) continue;
      const [fg, bg] = [luminance(rgb(getComputedStyle(element).color)), luminance(background(element))];
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < 4.5) offenders.push(`${element.tagName.toLowerCase()}.${element.className} "${element.textContent!.trim().slice(0, 30)}": ${ratio.toFixed(2)}`);
    }
    return offenders;
  });
}
