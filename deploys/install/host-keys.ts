// SSH host keys for the installed system, made on the controller: pine writes them into the new root and
// afterwards accepts exactly this key when it reconnects — no trust in whatever answers after the reboot.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { PineError } from "../../src/errors.js";

const run = promisify(execFile);

export interface HostKeyPair {
  /** OpenSSH private key file content (written 0600 on the host). */
  privateKey: string;
  /** `ssh-ed25519 AAAA... comment` */
  publicKey: string;
}

export async function generateHostKey(comment: string): Promise<HostKeyPair> {
  const dir = await mkdtemp(join(tmpdir(), "pine-hostkey-"));
  try {
    const file = join(dir, "ssh_host_ed25519_key");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file], { timeout: 30_000 }).catch((error: Error) => {
      throw new PineError(`could not generate a host key on the controller: ${error.message}`, { step: "host keys", hint: "install openssh-client (ssh-keygen)" });
    });
    return { privateKey: await readFile(file, "utf8"), publicKey: (await readFile(`${file}.pub`, "utf8")).trim() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
