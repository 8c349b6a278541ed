// A busybox host's running side: sshd chrooted in its root, in private mount, UTS and PID namespaces inside the host's network namespace.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { realpath, writeFile } from "node:fs/promises";
import { PineError } from "../errors.js";
import { ROOT_SSHD_CONFIG } from "./busybox-root.js";
import { findLabProcesses, isLabProcess, readPidFile, signal, waitUntilGone, type LabProcessIdentity } from "./lab-process.js";
import type { RootHostFiles } from "./layout.js";

/**
 * Runs as PID 1 of the new PID namespace, then becomes sshd. The root is bind-mounted onto itself so that
 * inside, `/` is a mount point and /proc/mounts shows it as a real system's would; mkfs and df read /proc;
 * sysfs mounted here shows the host's own network namespace; /dev is a small tmpfs with the usual nodes and
 * a private devpts for login terminals. Everything is in the private mount namespace and vanishes with it.
 */
const SANDBOX_SCRIPT = [
  "set -e",
  'root=$1; hostname "$2"',
  'mount --bind "$root" "$root"',
  'mount -t proc proc "$root/proc"',
  'mount -t sysfs sysfs "$root/sys"',
  'mount -t tmpfs -o mode=0755,size=1024k,nosuid dev "$root/dev"',
  'mknod -m 666 "$root/dev/null" c 1 3',
  'mknod -m 666 "$root/dev/zero" c 1 5',
  'mknod -m 666 "$root/dev/full" c 1 7',
  'mknod -m 666 "$root/dev/random" c 1 8',
  'mknod -m 666 "$root/dev/urandom" c 1 9',
  'mknod -m 666 "$root/dev/tty" c 5 0',
  'mkdir "$root/dev/pts" "$root/dev/shm"',
  'mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"',
  'ln -s pts/ptmx "$root/dev/ptmx"',
  'ln -s /proc/self/fd "$root/dev/fd"',
  'ln -s /proc/self/fd/0 "$root/dev/stdin"; ln -s /proc/self/fd/1 "$root/dev/stdout"; ln -s /proc/self/fd/2 "$root/dev/stderr"',
  `exec chroot "$root" /usr/sbin/sshd -D -e -f ${ROOT_SSHD_CONFIG}`,
].join("\n");

/** Starts the sandbox detached; returns the PID of its `unshare`, whose death (--kill-child) takes the whole namespace. */
export async function startSandbox(namespace: string, hostname: string, files: RootHostFiles, log: string): Promise<number> {
  const out = openSync(log, "a");
  try {
    const child = spawn(
      "ip",
      [
        "netns", "exec", namespace,
        "unshare", "--mount", "--uts", "--pid", "--fork", "--kill-child", "--propagation", "private",
        "/bin/sh", "-c", SANDBOX_SCRIPT, "sh", files.root, hostname,
      ],
      { detached: true, stdio: ["ignore", out, out], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } },
    );
    child.on("error", () => undefined);
    child.unref();
    if (child.pid === undefined) throw new PineError(`could not start the busybox host in ${namespace}`, { step: "start busybox host" });
    await writeFile(files.sandboxPid, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

async function sandboxIdentity(files: RootHostFiles): Promise<LabProcessIdentity> {
  return { executables: [await realpath("/usr/bin/unshare").catch(() => "/usr/bin/unshare")], marker: files.root };
}

export async function isSandboxRunning(files: RootHostFiles, pid: number): Promise<boolean> {
  return isLabProcess(pid, await sandboxIdentity(files));
}

/**
 * SIGKILL, not TERM: `unshare --fork` ignores TERM while it waits, and a PID namespace's init ignores signals it
 * has no handler for. Killing unshare makes the kernel SIGKILL its child (--kill-child), the namespace's init,
 * and with it every process in the namespace.
 */
export async function stopSandbox(files: RootHostFiles, recordedPid?: number): Promise<void> {
  const identity = await sandboxIdentity(files);
  const found = await findLabProcesses(identity, [recordedPid, await readPidFile(files.sandboxPid)]);
  for (const pid of found) signal(pid, "SIGKILL");
  for (const pid of found) await waitUntilGone(pid, 3_000);
}
