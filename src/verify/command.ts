// `herald verify`: the receiver-side checks of ./index.ts, run on a delivery saved to a file.
import { verifyOneCodex, verifyStandardWebhooks } from "./index.ts";

export interface VerifyArgs {
  scheme?: string;
  secret?: string[];
  body?: string;
  header?: string[];
  tolerance?: string;
  now?: string;
}

function wholeSeconds(text: string | undefined): number | undefined | null {
  if (text === undefined) return undefined;
  return /^\d{1,15}$/.test(text) ? Number(text) : null;
}

/** `--header "Name: value"` arguments as Headers, or what is wrong with one of them. */
function headersFrom(lines: string[]): Headers | string {
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) return `--header must look like "Name: value", got "${line}"`;
    try {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      return `--header has an invalid name or value: "${line}"`;
    }
  }
  return headers;
}

/** `herald verify`: the receiver-side check of src/verify on a body saved to a file. */
export async function verifyCommand(args: VerifyArgs, usage: string): Promise<number> {
  const usageError = (message: string) => {
    console.error(`herald verify: ${message}\n\n${usage}`);
    return 2;
  };
  const { scheme, secret: secrets = [], body: bodyFile } = args;
  if (scheme === undefined) return usageError("--scheme is required (onecodex or standard-webhooks)");
  if (scheme !== "onecodex" && scheme !== "standard-webhooks") return usageError(`unknown scheme "${scheme}" (onecodex or standard-webhooks)`);
  if (secrets.length === 0) return usageError("--secret is required");
  if (bodyFile === undefined) return usageError("--body is required");
  const toleranceSeconds = wholeSeconds(args.tolerance);
  const nowSeconds = wholeSeconds(args.now);
  if (toleranceSeconds === null) return usageError(`--tolerance must be a whole number of seconds, got "${args.tolerance}"`);
  if (nowSeconds === null) return usageError(`--now must be unix seconds, got "${args.now}"`);
  const headers = headersFrom(args.header ?? []);
  if (typeof headers === "string") return usageError(headers);
  let body: Uint8Array;
  try {
    body = await Bun.file(bodyFile).bytes();
  } catch {
    return usageError(`cannot read the body file ${bodyFile}`);
  }
  const now = nowSeconds === undefined ? undefined : nowSeconds * 1000;
  let result;
  try {
    result =
      scheme === "onecodex"
        ? verifyOneCodex({ body, header: headers.get("x-onecodex-signature"), secrets, now, toleranceSeconds })
        : verifyStandardWebhooks({ body, headers, secrets, now, toleranceSeconds });
  } catch (error) {
    return usageError((error as Error).message); // an unusable secret
  }
  if (!result.ok) {
    console.error(`invalid: ${result.reason}`);
    return 1;
  }
  console.log(`valid (timestamp ${result.timestamp})`);
  return 0;
}
