// The VM path of the hijack install (KVM/Xen, whole disk), DESIGN.md section 4 steps 2-8: a tmpfs workspace with
// busybox and a snapshot of the tools needed later; the host quiesced (/ read-only, the old root partition marked
// read-only); the verified image written over the whole disk and read back; the new deployment configured through a
// loop device over p3; the data partitions appended and formatted; `reboot -f`; reconnect with the pinned key; verify.
import { PineError, UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { quote } from "../../src/shell.js";
import { withPath } from "../../operations/busybox/linkfarm.js";
import type { HostContext } from "../../src/host.js";
import { partitionName } from "../../facts/block/root-disk.js";
import { hostname as hostnameFact } from "../../facts/server/hostname.js";
import { kernelIdentity } from "../../facts/server/kernel-identity.js";
import { busybox, disk } from "../../operations/index.js";
import { write as imageWrite } from "../../operations/image/write.js";
import { bootIdentity, canPin, waitForNewBoot } from "../../operations/server/reboot.js";
import type { InstallConfig } from "./config.js";
import { configureDeployment } from "./container.js";
import type { HostKeyPair } from "./host-keys.js";
import type { Preflight } from "./preflight.js";
import type { Artifact } from "./source.js";
import { verifyInstalled } from "./verify.js";
import {
  appendPartitions,
  finishImageRoot,
  imageRootMount,
  loadModules,
  makeDataFilesystems,
  mountImageRoot,
  quiesce,
  rebootCommand,
  snapshotTools,
  unquiesceCommand,
  type DataMounts,
  type Workspace,
} from "./vm-ops.js";

/** Its own tmpfs (Debian mounts /run noexec): busybox, the tool snapshot, the image script's fifos, mount points. */
export const VM_WORKSPACE: Workspace = { dir: "/run/pine-install", farm: "/run/pine-install/bin" };
const IMAGE_BYTES = 512 * 1024 * 1024;

export interface VmInstallArgs {
  pf: Preflight;
  config: InstallConfig;
  busyboxBinary: string;
  busyboxSha: string;
  artifact: Artifact;
  hostKey: HostKeyPair;
  /** How long the rebooted host may take to answer (TCG guests are slow). */
  bootTimeoutMs?: number;
}

/** Reboot into the written disk from the same channel; wait for the new boot trusting only the generated key. */
const rebootInto = defineOperation<{ workspace: Workspace; before: string; hostKey: string; timeoutMs: number }>({
  name: "install.reboot",
  describe: () => "the host rebooted into pine OS",
  async plan(host, a) {
    const connector = host.connector;
    return {
      description: `busybox reboot -f (from ${a.workspace.farm}), then wait up to ${Math.round(a.timeoutMs / 1000)}s for a new boot answering with the generated host key only`,
      steps: [{ command: rebootCommand(a.workspace), display: `${a.workspace.farm}/busybox reboot -f (detached)`, timeoutMs: 30_000 }],
      invalidates: ["*"],
      async after() {
        if (!canPin(connector)) throw new UsageError(`install: the ${connector.kind} connector of ${host.name} cannot switch to the new host key`);
        connector.expectHostKey(a.hostKey);
        await waitForNewBoot(connector, host.name, a.before, { timeoutMs: a.timeoutMs, settleMs: 5_000, pollMs: 3_000 });
      },
    };
  },
});

/**
 * The same host, but each step's command runs as `exec FARM/busybox sh -c 'PATH=FARM:$PATH; ...'`: only the login
 * shell (hot in memory) still comes from the old disk. Facts are left alone (they are read before the write).
 */
export function onFarm(host: HostContext, w: Workspace): HostContext {
  const wrap = (command: string) => `exec ${quote(`${w.farm}/busybox`)} sh -c ${quote(withPath(w.farm, command))}`;
  return new Proxy(host, {
    get(target, prop) {
      if (prop === "exec") return (command: string, options?: Parameters<HostContext["exec"]>[1]) => target.exec(wrap(command), options);
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function startFarmSession(host: HostContext, w: Workspace): Promise<void> {
  if (host.dry) return;
  const connector = host.connector as Partial<{ startSessionWith(shell: string): Promise<void> }>;
  await connector.startSessionWith?.(`exec ${quote(`${w.farm}/busybox`)} sh`);
}

function undefinedDisk(host: HostContext, device: string, step: string, error: unknown): PineError {
  const why = error instanceof Error ? `${error.message}${(error as { stderr?: string }).stderr ? `: ${(error as { stderr?: string }).stderr}` : ""}` : String(error);
  return new PineError(`${step} failed after the image was written to ${device}: ${why}`, {
    host: host.name,
    step,
    hint:
      `${device} holds the verified pine image, but the install did not finish: pine did NOT reboot. ` +
      `Do not reboot by hand: the old root is gone and the image is not configured (network, keys, /var). ` +
      `The host still runs from memory; run the install again with --data force=true while the SSH session works, or repair it from the host's console.`,
  });
}

export async function installVm(host: HostContext, a: VmInstallArgs): Promise<void> {
  const { pf, config } = a;
  const w = VM_WORKSPACE;
  const rootDisk = pf.disk!;
  const layout = pf.layout!;
  const device = rootDisk.device.startsWith("/dev/") ? rootDisk.device : `/dev/${rootDisk.disk}`;
  const rootPartition = rootDisk.rootPartition !== null && !rootDisk.deviceMapper ? `/dev/${rootDisk.rootDevice}` : null;
  const dev = (role: string) => `/dev/${partitionName(rootDisk.disk, layout.partitions.find((p) => p.role === role)!.number)}`;
  const mounts: DataMounts = { varDev: dev("var"), varLog: dev("var-log"), shareDev: dev("share"), shareLog: dev("share-log") };

  // Everything read from the old system is read now, before a byte of the disk changes.
  const name = await host.fact(hostnameFact).catch(() => host.name);
  const before = bootIdentity(await host.fact(kernelIdentity));
  const oldKeys = (await host.exec("cat /root/.ssh/authorized_keys 2>/dev/null || true")).stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  const authorizedKeys = [...new Set([...config.authorizedKeys, ...oldKeys])];
  if (authorizedKeys.length === 0) throw new UsageError(`host ${host.name}: no authorized key for the new system (none in the inventory, none in root's authorized_keys): pine could not log in after the reboot; nothing was changed`);

  await disk.tmpfs(host, { path: w.dir, sizeMiB: 96, mode: "0700" });
  await busybox.linkfarm(host, { dir: w.farm, binary: a.busyboxBinary, sha256: a.busyboxSha });
  await snapshotTools(host, { workspace: w });
  await loadModules(host, {});

  await quiesce(host, { workspace: w, rootPartition });
  // Once the disk is overwritten, any page of an old-disk program the kernel evicted comes back as image bytes: the
  // login shell, sh, and the session started from them crash (seen under a TCG VM's memory pressure: SIGSEGV mid-step,
  // and systemd itself). So the session is restarted now, while the disk is intact, as the farm's busybox sh on tmpfs:
  // every later command runs in it, and no login shell is needed again until the reboot.
  await startFarmSession(host, w);
  // From the write on, every step's command runs under the farm's busybox sh with the farm first on PATH: the old
  // disk's programs (tail, sha256sum...) turn into image bytes under the running script.
  const farmHost = onFarm(host, w);
  try {
    await imageWrite(farmHost, {
      device,
      source: a.artifact.kind === "file" ? { localFile: a.artifact.path } : { url: a.artifact.url },
      sha256: a.artifact.sha256,
      format: "tar.gz",
      member: "image.pine",
      size: IMAGE_BYTES,
      workDir: w.dir,
      allowMounted: true,
    });
  } catch (error) {
    const text = `${(error as Error).message} ${(error as { hint?: string }).hint ?? ""}`;
    if (/UNDEFINED|did not finish/.test(text)) {
      throw new PineError(`the image write onto ${device} failed part-way: ${(error as Error).message}`, {
        host: host.name,
        step: "image.write",
        stderr: (error as { stderr?: string }).stderr ?? "",
        hint: `${device}'s content is UNDEFINED and pine did NOT reboot. Do not reboot this host: it would not boot. While this SSH session still works, run the install again (--data force=true) to write a good image; otherwise write the image from a rescue system.`,
      });
    }
    // Nothing was written: give the host its read-write root back.
    if (!host.dry) await host.exec(unquiesceCommand(w, rootPartition)).catch(() => undefined);
    throw error;
  }

  // From here on: only the workspace's tools, no facts (they would run the old disk's programs).
  const step = async (label: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (error) {
      throw undefinedDisk(host, device, label, error);
    }
  };
  await step("install.mount_image_root", () => mountImageRoot(farmHost, { workspace: w, disk: device }));
  await step("install.configure", () =>
    configureDeployment(farmHost, {
      root: imageRootMount(w),
      farm: w.farm,
      keepOldKeys: false,
      config: { node: config.node, hostname: name, network: pf.network!, nameservers: pf.nameservers, hostKey: a.hostKey, authorizedKeys },
    }),
  );
  await step("install.finish_image_root", () => finishImageRoot(farmHost, { workspace: w, mounts }));
  await step("install.partition", () => appendPartitions(farmHost, { workspace: w, disk: device, layout }));
  await step("install.data_filesystems", () => makeDataFilesystems(farmHost, { workspace: w, disk: device, layout }));
  await rebootInto(farmHost, { workspace: w, before, hostKey: a.hostKey.publicKey, timeoutMs: a.bootTimeoutMs ?? 900_000 });
  if (host.dry) return;
  const verified = await verifyInstalled(host, "vm", pf.network!);
  // verifyInstalled accepts any xfs /var; the stateroot bind from p3 is xfs too. Say which one it is.
  const mounted = (await host.exec("cat /proc/mounts")).stdout.split("\n").map((l) => l.split(" "));
  const varFrom = mounted.filter((m) => m[1] === "/var").at(-1)?.[0];
  if (varFrom !== mounts.varDev) {
    host.log("warn", `/var is mounted from ${varFrom ?? "nothing"}, not ${mounts.varDev}: the new system's boot did not mount the fstab's /var over the initramfs's bind of the stateroot var (busybox mount -a skips a mount point already in use); ${mounts.varDev} holds the seeded /var`);
  }
  host.progress(`installed pine ${verified.version} (${verified.deployment ?? "deployment unknown"}) on ${device}; /var on ${mounts.varDev}, /share on ${mounts.shareDev}`);
}
