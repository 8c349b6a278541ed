// The container path of the hijack install (OpenVZ / LXC): no disk and no kernel of its own. The verified rootfs
// is unpacked beside the old root, configured, then swapped in by renames under a static busybox, and the
// container is restarted into pine's container init.
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { quote } from "../../src/shell.js";
import { ustar, type TarEntry } from "../../src/ustar.js";
import { file } from "../../facts/files/file.js";
import { withPath } from "../../operations/busybox/linkfarm.js";
import { bootIdentity, canPin, waitForNewBoot } from "../../operations/server/reboot.js";
import { kernelIdentity } from "../../facts/server/kernel-identity.js";
import type { HostKeyPair } from "./host-keys.js";
import type { TargetNetwork } from "./network.js";
import { renderInterfaces, renderNetworkEnvironment } from "./network.js";

export const STAGING = "/.pine-staging";
export const STAGED_ROOT = `${STAGING}/root`;
export const OLD_ROOT = "/.pine-old";
/** Top-level entries that stay where they are: kernel filesystems, the staging area and the kept old root. */
export const KEEP = ["dev", "proc", "sys", "run", "tmp", ".pine-staging", ".pine-old", "lost+found"];

/** Unpack the verified rootfs tarball into the staging root; unchanged when that exact tarball is already unpacked. */
export const unpackRootfs = defineOperation<{ archive: string; sha256: string; farm: string }>({
  name: "install.unpack",
  describe: (a) => `${STAGED_ROOT} holds the unpacked rootfs ${a.sha256.slice(0, 12)}…`,
  facts: () => [file(`${STAGED_ROOT}/.pine-unpacked-${"x".repeat(0)}`)],
  async plan(host, a) {
    const marker = `${STAGING}/unpacked.sha256`;
    const done = await host.exec(`cat ${quote(marker)} 2>/dev/null`);
    if (done.stdout.trim() === a.sha256) return null;
    return {
      description: `unpack ${a.archive} into ${STAGED_ROOT}`,
      steps: [
        {
          command: withPath(
            a.farm,
            [
              "set -e",
              `rm -rf ${quote(STAGED_ROOT)} ${quote(marker)}`,
              `mkdir -p ${quote(STAGED_ROOT)}`,
              `tar -xzf ${quote(a.archive)} -C ${quote(STAGED_ROOT)}`,
              `[ -x ${quote(`${STAGED_ROOT}/sbin/init`)} ] || { echo 'the rootfs has no executable /sbin/init: not a pine container rootfs' >&2; exit 1; }`,
              `ls -d ${quote(STAGED_ROOT)}/ostree/deploy/*/deploy/*.0 >/dev/null 2>&1 || { echo 'the rootfs holds no OSTree deployment' >&2; exit 1; }`,
              `echo ${quote(a.sha256)} > ${quote(marker)}`,
            ].join("\n"),
          ),
          timeoutMs: 1_800_000,
        },
      ],
      invalidates: ["files.*"],
    };
  },
});

export interface SystemConfig {
  node: number;
  hostname: string;
  network: TargetNetwork;
  nameservers: string[];
  hostKey: HostKeyPair;
  authorizedKeys: string[];
}

/** The files install writes into the new deployment's /etc, as a tar (modes included). */
export function configFiles(config: SystemConfig): TarEntry[] {
  const resolv = config.nameservers.map((s) => `nameserver ${s}`).join("\n");
  return [
    { path: "etc", type: "directory", mode: 0o755 },
    { path: "etc/network", type: "directory", mode: 0o755 },
    { path: "etc/network/interfaces", type: "file", mode: 0o644, content: renderInterfaces(config.network) },
    { path: "etc/network-environment", type: "file", mode: 0o644, content: renderNetworkEnvironment(config.node, config.network) },
    { path: "etc/hostname", type: "file", mode: 0o644, content: `${config.hostname}\n` },
    ...(resolv ? [{ path: "etc/resolv.conf", type: "file" as const, mode: 0o644, content: `${resolv}\n` }] : []),
    { path: "etc/ssh", type: "directory", mode: 0o755 },
    { path: "etc/ssh/ssh_host_ed25519_key", type: "file", mode: 0o600, content: config.hostKey.privateKey },
    { path: "etc/ssh/ssh_host_ed25519_key.pub", type: "file", mode: 0o644, content: `${config.hostKey.publicKey}\n` },
    { path: "etc/ssh/authorized_keys", type: "directory", mode: 0o755 },
    { path: "etc/ssh/authorized_keys/root", type: "file", mode: 0o600, content: config.authorizedKeys.map((k) => `${k}\n`).join("") },
  ];
}

/** Write the configuration into the newest deployment under `root`; the old root's authorized keys are carried over. */
export const configureDeployment = defineOperation<{ root: string; config: SystemConfig; farm: string; keepOldKeys: boolean }>({
  name: "install.configure",
  describe: (a) => `the new system's network, hostname, host key and authorized keys in ${a.root}`,
  async plan(_host, a) {
    if (a.config.authorizedKeys.length === 0 && !a.keepOldKeys) throw new UsageError("install: no authorized key for the new system: pine could not log in after the reboot");
    const archive = ustar(configFiles(a.config));
    const deployment = `"$(ls -d ${quote(a.root)}/ostree/deploy/*/deploy/*.0 | tail -n 1)"`;
    return {
      description: `write /etc/network/interfaces (${a.config.network.iface}: ${a.config.network.ipv4 ? `${a.config.network.ipv4.address}/${a.config.network.ipv4.prefix} via ${a.config.network.ipv4.gateway ?? "-"}` : "no IPv4"}${a.config.network.ipv6 ? `, ${a.config.network.ipv6.address}/${a.config.network.ipv6.prefix}` : ""}), network-environment (NODE=${a.config.node}), hostname ${a.config.hostname}, host key ${a.config.hostKey.publicKey.split(" ").slice(0, 2).join(" ").slice(0, 40)}…, ${a.config.authorizedKeys.length} authorized key(s)${a.keepOldKeys ? " + root's current ones" : ""}`,
      steps: [
        {
          command: withPath(
            a.farm,
            [
              "set -e",
              `pine_d=${deployment}`,
              `[ -d "$pine_d/etc" ] || { echo "no deployment with an /etc under ${a.root}" >&2; exit 1; }`,
              `rm -f "$pine_d"/etc/ssh/ssh_host_*`,
              `tar -xf - -C "$pine_d"`,
              ...(a.keepOldKeys ? [`if [ -f /root/.ssh/authorized_keys ]; then cat /root/.ssh/authorized_keys >> "$pine_d/etc/ssh/authorized_keys/root"; fi`] : []),
              `chmod 600 "$pine_d/etc/ssh/authorized_keys/root" "$pine_d/etc/ssh/ssh_host_ed25519_key"`,
            ].join("\n"),
          ),
          stdin: archive,
          display: `tar -x (${archive.length} bytes on stdin: config files, private host key) into the newest deployment under ${a.root}`,
        },
      ],
    };
  },
});

/**
 * Every top-level entry of / except KEEP moves into /.pine-old, then every entry of the staged root moves to /.
 * Renames on one filesystem: instant, nothing copied. The script runs under the static busybox in the farm, since
 * /bin and /lib vanish half-way; any failed move puts everything back before it exits.
 */
export function swapScript(): string {
  const keep = KEEP.join("|");
  return [
    "cd /",
    `NEW=${STAGED_ROOT}`,
    `OLD=${OLD_ROOT}`,
    `keep() { case "$1" in ${keep}) return 0;; esac; return 1; }`,
    `rollback() { for n in $NEWMOVED; do mv "/$n" "$NEW/$n"; done; for n in $OLDMOVED; do mv "$OLD/$n" "/$n"; done; }`,
    `fail() { echo "pine install: $*; the old system was put back" >&2; rollback; exit 1; }`,
    `[ -x "$NEW/sbin/init" ] || { echo "pine install: $NEW/sbin/init is missing: nothing was changed" >&2; exit 1; }`,
    `[ ! -e "$OLD" ] || { echo "pine install: $OLD exists (an earlier install stopped half-way?): look at it, move it away, and run again; nothing was changed" >&2; exit 1; }`,
    `mkdir "$OLD"`,
    `OLDMOVED= NEWMOVED=`,
    `for p in /* /.[!.]*; do [ -e "$p" ] || [ -L "$p" ] || continue; n=\${p#/}; keep "$n" && continue; mv "$p" "$OLD/" || fail "cannot move /$n aside"; OLDMOVED="$OLDMOVED $n"; done`,
    `for p in "$NEW"/* "$NEW"/.[!.]*; do [ -e "$p" ] || [ -L "$p" ] || continue; n=\${p#"$NEW"/}; keep "$n" && continue; mv "$p" "/$n" || fail "cannot move the new /$n in"; NEWMOVED="$NEWMOVED $n"; done`,
    `[ -x /sbin/init ] || fail "/sbin/init is missing after the swap"`,
    `echo "pine install: root swapped; the old system is in $OLD"`,
  ].join("\n");
}

export interface SwapArgs {
  farm: string;
  /** The new system's host key: after the restart only this key is trusted. */
  hostKey: string;
  timeoutMs?: number;
}

/**
 * Swap the roots and restart the container in the same channel: once /bin/bash is gone sshd cannot start another
 * session for the old login shell, so the restart is scheduled (detached, under the farm's busybox) by the swap
 * script itself. Then wait, trusting only the new host key, until the host answers from a new boot.
 */
export const swapRoot = defineOperation<SwapArgs>({
  name: "install.swap_root",
  describe: () => `/ replaced by ${STAGED_ROOT} (the old top-level directories kept in ${OLD_ROOT}), container restarted`,
  facts: () => [kernelIdentity],
  async plan(host, a) {
    const before = bootIdentity(await host.fact(kernelIdentity));
    const bb = quote(`${a.farm}/busybox`);
    // Every applet by the farm's busybox: after the swap the new root's PATH has none of them (its tools live in the deployment).
    // No nohup: Debian's busybox-static has no such applet; an ignored SIGHUP is inherited just the same.
    const restart = `${bb} sh -c ${quote(`trap '' HUP; ${a.farm}/busybox sleep 1; exec ${a.farm}/busybox reboot -f`)} >/dev/null 2>&1 </dev/null &`;
    const connector = host.connector;
    return {
      description: `move the old system's top-level directories into ${OLD_ROOT} and the new root's into / (keeping ${KEEP.join(", ")}), then restart the container into pine's init`,
      steps: [{ command: `${bb} sh -s`, stdin: `${swapScript()}
${restart}
`, display: `${a.farm}/busybox sh: rename / entries into ${OLD_ROOT}, rename ${STAGED_ROOT} entries into /, then ${a.farm}/busybox reboot -f`, ownChannel: true }],
      invalidates: ["*"],
      async after() {
        if (!canPin(connector)) throw new UsageError(`install: the ${connector.kind} connector of ${host.name} cannot switch to the new host key`);
        connector.expectHostKey(a.hostKey);
        await waitForNewBoot(connector, host.name, before, { timeoutMs: a.timeoutMs ?? 300_000, settleMs: 2_000, pollMs: 1_000 });
      },
    };
  },
});
