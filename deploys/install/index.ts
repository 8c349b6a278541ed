// `pine deploy INVENTORY install`: the hijack install. Preflight everything; refuse hosts that do not fit (the
// others go on); with --dry print each host's full plan; otherwise replace the host's system with pine OS,
// reboot it, reconnect trusting only the host key generated here, and check the new system.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { defineDeploy } from "../../src/deploys/define.js";
import { PineError, UsageError } from "../../src/errors.js";
import type { HostContext } from "../../src/host.js";
import { hostname as hostnameFact } from "../../facts/server/hostname.js";
import { busybox, disk } from "../../operations/index.js";
import { readInstallConfig, type InstallConfig } from "./config.js";
import { configureDeployment, STAGED_ROOT, STAGING, swapRoot, unpackRootfs, OLD_ROOT } from "./container.js";
import { generateHostKey } from "./host-keys.js";
import { preflight, type Preflight } from "./preflight.js";
import { ArtifactResolver, artifactFor, type ReleaseArtifacts } from "./source.js";
import { fetchArtifact } from "./stage.js";
import { verifyInstalled } from "./verify.js";
import { describePlan } from "./plan-text.js";
import { installVm } from "./vm.js";

/** Where the static busybox pushed to hosts comes from (Debian's busybox-static); override with PINE_BUSYBOX. */
const BUSYBOX = process.env.PINE_BUSYBOX ?? "/bin/busybox";
/** The install's workspace on the host: a tmpfs of its own, so it allows exec (Debian mounts /run noexec). */
const WORKSPACE = "/run/pine-install";
const FARM = `${WORKSPACE}/bin`;

interface Prepared {
  configs: Map<string, InstallConfig>;
  artifacts: Map<string, ReleaseArtifacts>;
  busyboxSha: string;
}

export default defineDeploy<Prepared>({
  name: "install",
  description: "replace Debian/Ubuntu hosts (VMs, OpenVZ/LXC containers) with pine OS",
  async prepare(controller) {
    // Every host's settings are checked before anything connects: a typo fails the run, not host 37.
    const configs = new Map(controller.hosts.map((h) => [h.name, readInstallConfig(h.name, h.data)] as const));
    const resolver = new ArtifactResolver();
    const artifacts = new Map<string, ReleaseArtifacts>();
    for (const host of controller.hosts) {
      const config = configs.get(host.name)!;
      const index = typeof host.data.releaseIndex === "string" ? host.data.releaseIndex : undefined;
      artifacts.set(host.name, await resolver.resolve(config.image, index));
    }
    let busyboxBytes: Buffer;
    try {
      busyboxBytes = readFileSync(BUSYBOX);
    } catch (error) {
      throw new UsageError(`install needs a static busybox on the controller at ${BUSYBOX}: ${(error as Error).message}`, { hint: "apt-get install busybox-static, or set PINE_BUSYBOX" });
    }
    if (!controller.dry && !controller.yes) {
      const { confirm } = await import("../../src/cli/prompt.js");
      if (!process.stdin.isTTY) throw new UsageError("install overwrites hosts: pass --yes to confirm (there is no terminal to ask on)");
      const ok = await confirm(`install pine OS over ${controller.hosts.length} host(s): ${controller.hosts.map((h) => h.name).join(", ")}?\nTheir disks (VMs) or root filesystems (containers) will be replaced. Continue?`);
      if (!ok) throw new UsageError("install not confirmed: nothing was changed");
    }
    return { configs, artifacts, busyboxSha: createHash("sha256").update(busyboxBytes).digest("hex") };
  },

  async run(host, prepared) {
    const config = prepared.configs.get(host.name)!;
    const pf = await preflight(host, config);
    if (pf.pineVersion && host.data.force !== true) {
      host.log("warn", `already runs pine ${pf.pineVersion}: nothing to do (pass --data force=true to install again)`);
      return;
    }
    if (pf.refusals.length > 0) {
      throw new PineError(`refused: ${pf.refusals.join("; ")}`, { host: host.name, step: "install.preflight", hint: "nothing was changed on this host" });
    }
    const mode = pf.mode!;
    const artifact = artifactFor(mode, prepared.artifacts.get(host.name)!, host.name);
    const hostKey = await generateHostKey(`root@${host.name} (pine install)`);
    host.progress(describePlan(host.name, pf, config, artifact, hostKey.publicKey));
    if (mode === "vm") {
      const bootTimeoutMs = typeof host.data.bootTimeoutMs === "number" ? host.data.bootTimeoutMs : undefined;
      await installVm(host, { pf, config, busyboxBinary: BUSYBOX, busyboxSha: prepared.busyboxSha, artifact, hostKey, ...(bootTimeoutMs ? { bootTimeoutMs } : {}) });
      return;
    }
    await installContainer(host, pf, config, prepared, artifact, hostKey);
  },
});

async function installContainer(
  host: HostContext,
  pf: Preflight,
  config: InstallConfig,
  prepared: Prepared,
  artifact: ReturnType<typeof artifactFor>,
  hostKey: Awaited<ReturnType<typeof generateHostKey>>,
): Promise<void> {
  const name = await host.fact(hostnameFact).catch(() => host.name);
  await disk.tmpfs(host, { path: WORKSPACE, sizeMiB: 16, mode: "0700" });
  await busybox.linkfarm(host, { dir: FARM, binary: BUSYBOX, sha256: prepared.busyboxSha });
  const archive = `${STAGING}/rootfs.tar.gz`;
  await fetchArtifact(host, { artifact, dest: archive, farm: FARM });
  await unpackRootfs(host, { archive, sha256: artifact.sha256, farm: FARM });
  await configureDeployment(host, {
    root: STAGED_ROOT,
    farm: FARM,
    keepOldKeys: true,
    config: { node: config.node, hostname: name, network: pf.network!, nameservers: pf.nameservers, hostKey, authorizedKeys: config.authorizedKeys },
  });
  // From here on the host's own tools are gone: the swap and the restart run under the farm's static busybox.
  await swapRoot(host, { farm: FARM, hostKey: hostKey.publicKey });
  if (host.dry) return;
  const verified = await verifyInstalled(host, "container", pf.network!);
  host.progress(`installed pine ${verified.version} (${verified.deployment ?? "deployment unknown"}); the old system's files are kept in /sysroot${OLD_ROOT}: remove them once you are satisfied`);
}
