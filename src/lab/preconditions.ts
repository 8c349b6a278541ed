// What this machine must offer before a lab can be built, each problem phrased as what the user should do.
import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { PineError } from "../errors.js";
import { findBusyboxProblem } from "./busybox-root.js";
import { isDebianRootfsCached } from "./debian-rootfs.js";
import { hostCgroups } from "./host-cgroup.js";
import type { LabHostKind } from "./host-kind.js";
import { runLocal } from "./local-command.js";

export const SSHD_PATH = "/usr/sbin/sshd";
const SETUP_HINT = "run scripts/setup-system.sh as root (or: apt-get install openssh-server openssh-client iproute2)";
const ROOTFS_HINT = "run scripts/setup-system.sh as root (or: apt-get install systemd-container mmdebstrap zstd busybox-static)";

/** Every problem found, in the order a user would fix them; empty when the lab can be built. */
const NOT_ROOT = "pine lab needs root to create network namespaces: run as root or with sudo";

export async function findLabProblems(kind: LabHostKind = "plain"): Promise<string[]> {
  if (!isRoot()) return [NOT_ROOT];
  const problems: string[] = [];
  const ip = await findProgram("ip");
  if (!ip) problems.push(`the ip command (iproute2) is missing: ${SETUP_HINT}`);
  if (!(await isExecutable(SSHD_PATH))) problems.push(`${SSHD_PATH} is missing: ${SETUP_HINT}`);
  if (!(await findProgram("ssh-keygen"))) problems.push(`ssh-keygen is missing: ${SETUP_HINT}`);
  if (ip) {
    const netns = await probeNamespaces();
    if (netns) problems.push(netns);
  }
  if (kind === "debian") problems.push(...(await findDebianProblems()));
  if (kind === "busybox") problems.push(...(await findBusyboxProblems()));
  return problems;
}

async function findDebianProblems(): Promise<string[]> {
  const problems: string[] = [];
  if (!(await findProgram("systemd-nspawn"))) problems.push(`systemd-nspawn is missing: ${ROOTFS_HINT}`);
  if (!(await findProgram("zstd"))) problems.push(`zstd is missing: ${ROOTFS_HINT}`);
  if (!(await isDebianRootfsCached().catch(() => false)) && !(await findProgram("mmdebstrap"))) {
    problems.push(`mmdebstrap is missing and no Debian rootfs is cached yet: ${ROOTFS_HINT}`);
  }
  if ((await hostCgroups("probe")).length === 0) {
    problems.push("no cgroup2 or name=systemd cgroup hierarchy is mounted: systemd-nspawn needs one (mount /sys/fs/cgroup)");
  }
  return problems;
}

async function findBusyboxProblems(): Promise<string[]> {
  const problems: string[] = [];
  for (const tool of ["unshare", "chroot", "ldd"]) {
    if (!(await findProgram(tool))) problems.push(`${tool} is missing: install util-linux, coreutils and libc-bin`);
  }
  const busybox = await findBusyboxProblem();
  if (busybox) problems.push(busybox);
  return problems;
}

export async function assertLabPreconditions(kind: LabHostKind = "plain"): Promise<void> {
  const problems = await findLabProblems(kind);
  if (problems.length > 0) {
    throw new PineError(`cannot build a lab on this machine:\n  - ${problems.join("\n  - ")}`, {
      step: "check lab preconditions",
    });
  }
}

/** Enough for looking at or taking down a lab: those need no sshd or ssh-keygen, only root. */
export function assertRoot(): void {
  if (!isRoot()) throw new PineError(NOT_ROOT, { step: "check lab preconditions" });
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Creates and deletes a throwaway namespace; its name avoids the pine-<lab>-<i> pattern so no lab mistakes it. */
async function probeNamespaces(): Promise<string | undefined> {
  const probe = `pineprobe${process.pid}r${Math.floor(Math.random() * 1e6)}`;
  try {
    await runLocal("ip", ["netns", "add", probe], { step: "probe network namespaces", timeoutMs: 5_000 });
  } catch (error) {
    const stderr = error instanceof PineError ? (error.stderr ?? "").trim() : String(error);
    return `creating network namespaces is not permitted here (ip netns add: ${stderr || "failed"}): run on a machine or container with CAP_SYS_ADMIN and CAP_NET_ADMIN`;
  }
  await runLocal("ip", ["netns", "delete", probe], { step: "remove probe namespace", timeoutMs: 5_000 });
  return undefined;
}

async function findProgram(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin", "/usr/bin", "/bin"];
  for (const dir of dirs.filter(Boolean)) {
    const path = join(dir, name);
    if (await isExecutable(path)) return path;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
