// ed25519 keys the lab generates: the client key pine logs in with, and each host's own host key.
import { createHash } from "node:crypto";
import { chmod, readFile, rm, stat } from "node:fs/promises";
import { PineError } from "../errors.js";
import { runLocal } from "./local-command.js";

/** Creates an unencrypted ed25519 key pair at `path` (+ `.pub`) unless one is there; returns the public line. */
export async function ensureKeyPair(path: string, comment: string): Promise<string> {
  if (!(await exists(path)) || !(await exists(`${path}.pub`))) {
    // A half-written pair would make ssh-keygen ask before overwriting: start clean instead.
    await Promise.all([rm(path, { force: true }), rm(`${path}.pub`, { force: true })]);
    await runLocal("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], {
      step: `generate key ${path}`,
    });
  }
  await chmod(path, 0o600);
  return (await readFile(`${path}.pub`, "utf8")).trim();
}

export interface PublicKey {
  type: string;
  /** base64 key blob, as in authorized_keys and known_hosts */
  blob: string;
}

export function parsePublicKey(line: string): PublicKey {
  const [type, blob] = line.trim().split(/\s+/);
  if (!type || !blob) throw new PineError(`not an OpenSSH public key: ${JSON.stringify(line.slice(0, 80))}`);
  return { type, blob };
}

/** The SHA256 fingerprint as `ssh-keygen -l` prints it: SHA256:<unpadded base64>. */
export function fingerprint(key: PublicKey): string {
  const digest = createHash("sha256").update(Buffer.from(key.blob, "base64")).digest("base64");
  return `SHA256:${digest.replace(/=+$/, "")}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
