// Secrets at rest: each secret value is sealed on its own with AES-256-GCM (node:crypto) into a text envelope
// that names the key it was sealed under, so a wrong key is told apart from a damaged value, and several keys
// (the current one and the one a rotation replaces) can be open at once.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** `herald-sealed:v1:<key id>:<base64url of iv (12 bytes) | ciphertext | tag (16 bytes)>` */
const PREFIX = "herald-sealed:v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export interface SecretKey {
  /** A short fingerprint of the key (not secret): which key a value was sealed under. */
  id: string;
  bytes: Buffer;
  /** Where the key came from, for messages: "HERALD_SECRET_KEY", or a file's path. */
  source: string;
}

/** A key read from text: 32 bytes as base64 (44 characters) or hex (64); an error names what is wrong. */
export function parseKey(text: string, source: string): SecretKey {
  const trimmed = text.trim();
  const hex = /^[0-9a-fA-F]{64}$/.test(trimmed);
  if (!hex && !/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) {
    throw new SecretKeyError(`${source}: a secret key is ${KEY_BYTES} random bytes written as base64 (44 characters) or hex (64); make one with \`head -c 32 /dev/urandom | base64\``);
  }
  const bytes = Buffer.from(trimmed, hex ? "hex" : "base64");
  return { id: createHash("sha256").update("herald secret key id\0").update(bytes).digest("hex").slice(0, 16), bytes, source };
}

/** A fresh random key, as its file holds it (base64 and a newline). */
export const newKeyText = () => `${randomBytes(KEY_BYTES).toString("base64")}\n`;

/** The key cannot be had, or does not open what is stored: Herald must not start. */
export class SecretKeyError extends Error {}

export const isSealed = (value: unknown): value is string => typeof value === "string" && value.startsWith(PREFIX);

/** The key id a sealed value names. */
export const sealedKeyId = (sealed: string) => sealed.slice(PREFIX.length).split(":", 1)[0]!;

/**
 * Seals with the current key and opens with any key of the ring. `context` (the subscription's id) is bound to
 * each value as associated data: a value copied into another subscription's row does not open.
 */
export class SecretCipher {
  readonly current: SecretKey;
  private readonly byId: Map<string, SecretKey>;

  constructor(current: SecretKey, previous: SecretKey[] = []) {
    this.current = current;
    this.byId = new Map([...previous, current].map((key) => [key.id, key]));
  }

  seal(value: unknown, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.current.bytes, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
    return `${PREFIX}${this.current.id}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url")}`;
  }

  /** The value sealed in `sealed`; throws SecretKeyError if no key of the ring opens it. */
  open(sealed: string, context: string): unknown {
    const keyId = sealedKeyId(sealed);
    const key = this.byId.get(keyId);
    if (!key) {
      throw new SecretKeyError(
        `a secret of subscription "${context}" is encrypted under key ${keyId}, but the key in use (${this.current.source}) is ${this.current.id}; start Herald with the key the secrets were encrypted under`,
      );
    }
    const raw = Buffer.from(sealed.slice(PREFIX.length + keyId.length + 1), "base64url");
    try {
      const decipher = createDecipheriv("aes-256-gcm", key.bytes, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString("utf8");
      return JSON.parse(text);
    } catch {
      throw new SecretKeyError(`a secret of subscription "${context}" does not open with key ${keyId} (${key.source}): it was damaged or moved from another row`);
    }
  }

  /** Sealed under the current key: nothing for a rotation to do. */
  isCurrent(sealed: string): boolean {
    return sealedKeyId(sealed) === this.current.id;
  }
}
