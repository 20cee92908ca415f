// `herald verify`: the receiver-side checks of ./index.ts, run on a delivery saved to a file.
import { verifyOneCodex, verifyStandardWebhooks, wholeSeconds } from "./index.ts";

export interface VerifyArgs {
  scheme?: string;
  secret?: string[];
  /** Files each holding one secret (trimmed), so that no secret needs to be on the command line. */
  "secret-file"?: string[];
  body?: string;
  header?: string[];
  tolerance?: string;
  now?: string;
}

const optionalSeconds = (text: string | undefined) => (text === undefined ? undefined : wholeSeconds(text));

/** The secrets of `--secret-file` arguments, or what is wrong with one of the files (never its content). */
export async function secretsFromFiles(files: string[]): Promise<string[] | string> {
  const secrets: string[] = [];
  for (const file of files) {
    let secret: string;
    try {
      secret = (await Bun.file(file).text()).trim();
    } catch {
      return `cannot read the secret file ${file}`;
    }
    if (secret === "") return `the secret file ${file} is empty`;
    secrets.push(secret);
  }
  return secrets;
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
  const { scheme, secret: secretArgs = [], "secret-file": secretFiles = [], body: bodyFile } = args;
  if (scheme === undefined) return usageError("--scheme is required (onecodex or standard-webhooks)");
  if (scheme !== "onecodex" && scheme !== "standard-webhooks") return usageError(`unknown scheme "${scheme}" (onecodex or standard-webhooks)`);
  if (secretArgs.length === 0 && secretFiles.length === 0) return usageError("--secret or --secret-file is required");
  if (bodyFile === undefined) return usageError("--body is required");
  const toleranceSeconds = optionalSeconds(args.tolerance);
  const nowSeconds = optionalSeconds(args.now);
  if (toleranceSeconds === null) return usageError(`--tolerance must be a whole number of seconds, got "${args.tolerance}"`);
  if (nowSeconds === null) return usageError(`--now must be unix seconds, got "${args.now}"`);
  const headers = headersFrom(args.header ?? []);
  if (typeof headers === "string") return usageError(headers);
  const fileSecrets = await secretsFromFiles(secretFiles);
  if (typeof fileSecrets === "string") return usageError(fileSecrets);
  const secrets = [...secretArgs, ...fileSecrets];
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
