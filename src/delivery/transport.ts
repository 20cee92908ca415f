// How a delivery's connection is made beyond the address: TLS toward the receiver (a site's own CA to trust, a
// client certificate to present) and the HTTP proxy it goes through. Which address is connected to stays
// outbound.ts's decision: through a proxy, the request names the checked address, never the name.
import { readFileSync } from "node:fs";
import type { TlsFiles } from "../domain/subscription.ts";

export interface TransportSettings {
  tls: TlsFiles;
  proxy: { http: string | null; https: string | null; noProxy: string[] };
}

/** What fetch is given beside the URL: PEM texts for TLS, and the proxy's URL if one is used. */
export interface Connection {
  tls: { ca?: string; cert?: string; key?: string };
  proxy?: string;
}

export const DIRECT: Connection = { tls: {} };

/** File texts by path, read once per settings object: a reload brings new settings, and renewed files are read again. */
const files = new WeakMap<TransportSettings, Map<string, string>>();

function read(settings: TransportSettings, path: string): string {
  let cache = files.get(settings);
  if (!cache) files.set(settings, (cache = new Map()));
  let text = cache.get(path);
  if (text === undefined) {
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new Error(`cannot read the TLS file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    cache.set(path, text);
  }
  return text;
}

/**
 * The connection to `url` for a subscription: its own TLS files over the default ones, field by field. A file
 * that cannot be read (gone since the config was loaded) is an error for the attempt log.
 */
export function connectionFor(url: URL, own: TlsFiles | null, settings: TransportSettings): Connection | { error: string } {
  try {
    return connectionOrThrow(url, own, settings);
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function connectionOrThrow(url: URL, own: TlsFiles | null, settings: TransportSettings): Connection {
  const pick = (field: keyof TlsFiles) => own?.[field] ?? settings.tls[field];
  const [caFile, certFile, keyFile] = [pick("caFile"), pick("certFile"), pick("keyFile")];
  const tls = {
    ...(caFile ? { ca: read(settings, caFile) } : {}),
    ...(certFile && keyFile ? { cert: read(settings, certFile), key: read(settings, keyFile) } : {}),
  };
  const proxy = url.protocol === "https:" ? settings.proxy.https : settings.proxy.http;
  return proxy && !bypassesProxy(url, settings.proxy.noProxy) ? { tls, proxy } : { tls };
}

/** NO_PROXY as curl reads it: `*`, a host name (its subdomains too, with or without a leading dot), an address. */
export function bypassesProxy(url: URL, noProxy: string[]): boolean {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return noProxy.some((entry) => {
    const name = entry.toLowerCase().replace(/^\*?\./, "");
    return entry === "*" || host === name || host.endsWith(`.${name}`) || `${host}:${url.port}` === name;
  });
}
