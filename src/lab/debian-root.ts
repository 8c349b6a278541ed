// A debian host's root: the cached tarball extracted into its host dir, made into this host (see root-identity.ts).
import { access, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PineError } from "../errors.js";
import { runLocal } from "./local-command.js";
import { removeTree } from "./mounts.js";
import { ROOT_SSHD_SETTINGS, writeRootIdentity, type RootIdentity } from "./root-identity.js";

/** Replaces whatever is at `root` with a fresh copy of the tarball, configured as this host. */
export async function prepareDebianRoot(tarball: string, root: string, identity: RootIdentity): Promise<void> {
  await removeTree(root);
  await mkdir(root, { mode: 0o755 });
  await runLocal("tar", ["--zstd", "-xpf", tarball, "-C", root, "--numeric-owner"], {
    step: `extract ${tarball} into ${root}`,
    timeoutMs: 120_000,
  });
  for (const needed of ["etc/debian_version", "sbin/init", "usr/sbin/sshd"]) {
    if (!(await access(join(root, needed)).then(() => true, () => false))) {
      throw new PineError(`${tarball} is not a bootable Debian root: it has no /${needed}`, {
        step: `extract ${tarball}`,
        hint: `remove it and run scripts/rootfs/debian.sh to build it again`,
      });
    }
  }
  await writeRootIdentity(root, identity);
  // Debian's sshd_config includes sshd_config.d/*.conf first, and the first value of a keyword wins.
  await writeFile(
    join(root, "etc", "ssh", "sshd_config.d", "pine-lab.conf"),
    ["# Written by pine lab.", ...ROOT_SSHD_SETTINGS, ""].join("\n"),
  );
}
