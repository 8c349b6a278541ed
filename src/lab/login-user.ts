// A plain local account for benchmarks: clean HOME (no shell startup files), the lab key authorized.
import { chown, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { UsageError } from "../errors.js";
import { runLocal, succeeds } from "./local-command.js";

const USER_NAME = /^[a-z_][a-z0-9_-]{0,30}$/;

export interface LoginUser {
  name: string;
  home: string;
}

/**
 * Creates the user if missing (machine-wide: every lab host shares /etc/passwd) with an empty HOME,
 * and adds the lab's public key to its authorized_keys. An existing account is used as it is.
 */
export async function ensureLoginUser(name: string, publicKey: string): Promise<LoginUser> {
  if (!USER_NAME.test(name) || name === "root") {
    throw new UsageError(`invalid loginUser ${JSON.stringify(name)}: use a plain account name like "bench"`);
  }
  await createUserOnce(name);
  const [, , uid, gid, , home] = (await runLocal("getent", ["passwd", name])).stdout.trim().split(":");
  if (!home || uid === undefined || gid === undefined) throw new UsageError(`cannot read account ${name}`);
  const sshDir = join(home, ".ssh");
  await mkdir(sshDir, { recursive: true, mode: 0o700 });
  await chown(home, Number(uid), Number(gid));
  await chown(sshDir, Number(uid), Number(gid));
  const authorized = join(sshDir, "authorized_keys");
  const current = await readFile(authorized, "utf8").catch(() => "");
  if (!current.split("\n").includes(publicKey)) {
    await writeFile(authorized, `${current}${current === "" || current.endsWith("\n") ? "" : "\n"}${publicKey}\n`, {
      mode: 0o600,
    });
  }
  await chown(authorized, Number(uid), Number(gid));
  return { name, home };
}

/** Two labs may add the same user at once; useradd then fails on the lock or the duplicate, so look again. */
async function createUserOnce(name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if (await succeeds("id", ["-u", name])) return;
    try {
      // -M and no /etc/skel: no .bashrc/.profile to slow every command down.
      // Password "*" (not "!"): sshd without PAM refuses key logins to "!"-locked accounts.
      await runLocal("useradd", ["-M", "-d", `/home/${name}`, "-s", "/bin/sh", "-p", "*", name], {
        step: `create login user ${name}`,
      });
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(100 * attempt);
    }
  }
}
