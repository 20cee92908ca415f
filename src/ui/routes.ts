// The event-log page: one HTML shell, one script, one stylesheet, all inside the binary. The page reads and
// resends through the same REST API as every other client; these routes serve files only and need no key.
import { Elysia } from "elysia";
import { pageFiles } from "./bundle.ts" with { type: "macro" };

const files = pageFiles();
// Asset URLs carry a digest of their content, so a browser may keep them for good and an upgrade still shows.
const version = Bun.hash(files.js + files.css + files.icon).toString(36);
const html = files.html.replaceAll("{{version}}", version);

/**
 * Only Herald's own origin, for everything: the browser itself refuses any other host, inline script and
 * inline style, and a form that would be submitted the old way (the key would land in a URL or a log).
 */
export const CONTENT_SECURITY_POLICY = ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"].join("; ");

const COMMON_HEADERS = { "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" };
const ASSET_CACHE = "public, max-age=31536000, immutable";

const serve = (body: string, contentType: string, cacheControl: string, extra: Record<string, string> = {}) =>
  new Response(body, { headers: { ...COMMON_HEADERS, "content-type": contentType, "cache-control": cacheControl, ...extra } });

const hidden = { detail: { hide: true } }; // files, not API: left out of /openapi.json

export function eventLogPage() {
  return new Elysia({ name: "herald-event-log-page" })
    .get("/", () => serve(html, "text/html; charset=utf-8", "no-cache", { "content-security-policy": CONTENT_SECURITY_POLICY }), hidden)
    .get("/ui/app.js", () => serve(files.js, "text/javascript; charset=utf-8", ASSET_CACHE), hidden)
    .get("/ui/app.css", () => serve(files.css, "text/css; charset=utf-8", ASSET_CACHE), hidden)
    .get("/ui/icon.svg", () => serve(files.icon, "image/svg+xml", ASSET_CACHE), hidden);
}
