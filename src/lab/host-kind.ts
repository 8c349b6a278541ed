// What a lab host is made of: the machine's own filesystem (plain), a Debian root under systemd-nspawn, or busybox only.
import { UsageError } from "../errors.js";

/**
 * - plain: a network namespace and its own sshd; everything else is this machine's filesystem.
 * - debian: its own Debian root (cached mmdebstrap tarball) booted by systemd-nspawn: systemd is PID 1,
 *   sshd a systemd service, and a reboot inside restarts the container like an OpenVZ/LXC guest.
 * - busybox: its own root holding only busybox and sshd; sshd runs chrooted in private mount and PID namespaces.
 */
export type LabHostKind = "plain" | "debian" | "busybox";

export const LAB_HOST_KINDS: readonly LabHostKind[] = ["plain", "debian", "busybox"];

export function assertHostKind(kind: string): asserts kind is LabHostKind {
  if (!(LAB_HOST_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`invalid lab kind ${JSON.stringify(kind)}: use one of ${LAB_HOST_KINDS.join(", ")}`);
  }
}
