// Where the key that seals secrets at rest comes from: HERALD_SECRET_KEY, else the file `secrets.key_file`
// names, else `<database>.key` beside the database (made at the first start, mode 0600). A rotation
// (`herald rotate-key`) keeps the key it replaces beside the new one until the next start has re-sealed
// every secret under the new key.
import { chmodSync, existsSync, linkSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { Logger } from "../log.ts";
import { newKeyText, parseKey, SecretCipher, SecretKeyError, type SecretKey } from "./cipher.ts";

export const KEY_VARIABLE = "HERALD_SECRET_KEY";
export const PREVIOUS_KEY_VARIABLE = "HERALD_SECRET_KEY_PREVIOUS";

export interface KeySettings {
  /** `secrets.key_file`, absolute; null: the default beside the database. */
  keyFile: string | null;
  sqlitePath: string;
}

export interface LoadedKeys {
  cipher: SecretCipher;
  /** Called once every stored secret is sealed under the current key: the replaced key is no longer needed. */
  rotationDone(): void;
}

/** The key file in use: the configured one, or `<database>.key`; null for a database held in memory. */
export function keyFileOf(settings: KeySettings): string | null {
  if (settings.keyFile) return settings.keyFile;
  return settings.sqlitePath === ":memory:" ? null : `${settings.sqlitePath}.key`;
}

export const previousKeyFile = (file: string) => `${file}.previous`;

export function loadSecretKeys(settings: KeySettings, env: Record<string, string | undefined>, log: Logger): LoadedKeys {
  const fromEnv = env[KEY_VARIABLE];
  if (fromEnv !== undefined && fromEnv !== "") {
    const previous = env[PREVIOUS_KEY_VARIABLE] ? [parseKey(env[PREVIOUS_KEY_VARIABLE], PREVIOUS_KEY_VARIABLE)] : [];
    return { cipher: new SecretCipher(parseKey(fromEnv, KEY_VARIABLE), previous), rotationDone: () => {} };
  }
  const file = keyFileOf(settings);
  if (file === null) {
    // Nothing is kept across a restart, so neither is the key.
    return { cipher: new SecretCipher(parseKey(newKeyText(), "a key held in memory")), rotationDone: () => {} };
  }
  if (!existsSync(file)) {
    if (settings.keyFile) throw new SecretKeyError(`secrets.key_file: ${file} does not exist; make one with \`head -c 32 /dev/urandom | base64 > ${file} && chmod 600 ${file}\``);
    writeFileSync(file, newKeyText(), { mode: 0o600, flag: "wx" });
    log.warn("generated the key that encrypts stored secrets; keep a copy of it apart from the database's backups", { key_file: file });
  }
  const current = readKeyFile(file, log);
  const previousFile = previousKeyFile(file);
  const previous = existsSync(previousFile) ? [readKeyFile(previousFile, log)] : [];
  return {
    cipher: new SecretCipher(current, previous),
    rotationDone() {
      if (previous.length === 0) return;
      rmSync(previousFile, { force: true });
      log.info("key rotation finished: every secret is encrypted under the new key; the old key file is removed", { key_file: file, key_id: current.id });
    },
  };
}

function readKeyFile(file: string, log: Logger): SecretKey {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new SecretKeyError(`cannot read the secret key file ${file}: ${(error as Error).message}`);
  }
  if ((statSync(file).mode & 0o077) !== 0) log.warn("the secret key file can be read by other users than its owner; chmod 600 it", { key_file: file });
  return parseKey(text, file);
}

/**
 * `herald rotate-key`: a new key in the key file, the replaced one kept beside it (`<file>.previous`) until the
 * next start re-seals every secret under the new key. A Herald serving meanwhile goes on with the key it
 * started with. Returns what to tell the operator.
 */
export function rotateKeyFile(settings: KeySettings, env: Record<string, string | undefined>): string {
  if (env[KEY_VARIABLE]) {
    return [
      `${KEY_VARIABLE} is set, so the key is yours to change: start Herald next with`,
      `  ${PREVIOUS_KEY_VARIABLE}=<the current ${KEY_VARIABLE}>`,
      `  ${KEY_VARIABLE}=${newKeyText().trim()}`,
      `and it re-encrypts every secret under the new key at that start; then drop ${PREVIOUS_KEY_VARIABLE}.`,
    ].join("\n");
  }
  const file = keyFileOf(settings);
  if (file === null) throw new SecretKeyError("the database is held in memory: its key lives only as long as the process");
  if (!existsSync(file)) throw new SecretKeyError(`no key file at ${file} yet: Herald makes it at its first start`);
  const previousFile = previousKeyFile(file);
  if (existsSync(previousFile)) throw new SecretKeyError(`a rotation is already pending (${previousFile} exists): start Herald once to finish it first`);
  parseKey(readFileSync(file, "utf8"), file); // never rotate away from a key file that holds no key
  const next = `${file}.next`;
  writeFileSync(next, newKeyText(), { mode: 0o600 });
  chmodSync(next, 0o600);
  linkSync(file, previousFile);
  renameSync(next, file);
  const id = parseKey(readFileSync(file, "utf8"), file).id;
  return `new key ${id} written to ${file}; the old one is kept in ${previousFile} until the next start of Herald re-encrypts every secret under the new key (a Herald serving now goes on with the old key until then)`;
}
