// A busybox host's root: busybox and its applet links as the whole userland, plus OpenSSH's sshd and exactly its libraries.
import { chmod, copyFile, mkdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PineError } from "../errors.js";
import { runLocal } from "./local-command.js";
import { removeTree } from "./mounts.js";
import { SSHD_PATH } from "./preconditions.js";
import { ROOT_SSHD_SETTINGS, writeRootIdentity, type RootIdentity } from "./root-identity.js";
import { sharedLibraries } from "./shared-libraries.js";

/** Debian's busybox-static: one static binary, no libraries needed. */
export const BUSYBOX_PATH = "/bin/busybox";
/** Inside the root: sshd's config and PID file. */
export const ROOT_SSHD_CONFIG = "/etc/ssh/sshd_config";

/** Replaces whatever is at `root` with a fresh busybox-only tree configured as this host. */
export async function prepareBusyboxRoot(root: string, identity: RootIdentity): Promise<void> {
  await removeTree(root);
  await mkdir(root, { mode: 0o755 });
  // proc, sys and dev are mount points the sandbox fills; run/sshd is sshd's privilege separation dir.
  for (const dir of ["bin", "sbin", "usr/bin", "usr/sbin", "etc/ssh", "proc", "sys", "dev", "run/sshd", "var/empty", "var/log", "root"]) {
    await mkdir(join(root, dir), { recursive: true, mode: 0o755 });
  }
  await mkdir(join(root, "tmp"), { mode: 0o755 });
  await chmod(join(root, "tmp"), 0o1777);

  await copyFile(BUSYBOX_PATH, join(root, "bin", "busybox"));
  await chmod(join(root, "bin", "busybox"), 0o755);
  const { stdout } = await runLocal(BUSYBOX_PATH, ["--list-full"], { step: "list busybox applets" });
  for (const applet of stdout.split("\n").map((line) => line.trim()).filter(Boolean)) {
    if (applet === "bin/busybox") continue;
    await mkdir(join(root, dirname(applet)), { recursive: true });
    await symlink("/bin/busybox", join(root, applet));
  }

  // sshd, and the very files the dynamic loader will open for it: nothing else of glibc's world.
  for (const file of [SSHD_PATH, ...(await sharedLibraries(SSHD_PATH))]) {
    await mkdir(join(root, dirname(file)), { recursive: true });
    await copyFile(file, join(root, file));
  }
  await chmod(join(root, SSHD_PATH), 0o755);

  await writeFile(
    join(root, "etc", "passwd"),
    ["root:x:0:0:root:/root:/bin/sh", "sshd:x:100:65534::/run/sshd:/bin/false", "nobody:x:65534:65534:nobody:/nonexistent:/bin/false", ""].join("\n"),
  );
  await writeFile(join(root, "etc", "group"), ["root:x:0:", "nogroup:x:65534:", ""].join("\n"));
  // "*" (no password), not "!" (locked): sshd without PAM refuses even key logins to a locked account.
  await writeFile(join(root, "etc", "shadow"), "root:*:19000:0:99999:7:::\n", { mode: 0o600 });
  await symlink("/proc/self/mounts", join(root, "etc", "mtab"));
  await writeRootIdentity(root, identity);
  await writeFile(join(root, "etc", "ssh", "sshd_config"), renderBusyboxSshdConfig(identity.address));
}

export function renderBusyboxSshdConfig(address: string): string {
  return [
    "# Written by pine lab: sshd of a busybox-only host, run chrooted in the host's root.",
    `ListenAddress ${address}:22`,
    "PidFile /run/sshd.pid",
    "UsePAM no",
    "AuthorizedKeysFile .ssh/authorized_keys",
    "Subsystem sftp internal-sftp",
    // No lastlog here; without this every terminal login warns about it.
    "PrintLastLog no",
    ...ROOT_SSHD_SETTINGS,
    "",
  ].join("\n");
}

/** Why a busybox host cannot be made here, or undefined. */
export async function findBusyboxProblem(): Promise<string | undefined> {
  try {
    const { stdout } = await runLocal(BUSYBOX_PATH, ["--help"], { step: "check busybox" });
    if (!stdout.includes("BusyBox")) return `${BUSYBOX_PATH} is not busybox`;
    // A dynamically linked busybox (package busybox) would need libraries the root does not have.
    const dynamic = await sharedLibraries(BUSYBOX_PATH).then((libraries) => libraries.length > 0, () => false);
    return dynamic ? `${BUSYBOX_PATH} is dynamically linked: install busybox-static` : undefined;
  } catch (error) {
    return `${BUSYBOX_PATH} is missing or broken (${error instanceof PineError ? error.message : String(error)}): install busybox-static`;
  }
}
