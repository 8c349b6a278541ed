// Every command line the operations build parses under dash and busybox sh (the targets' /bin/sh), and the
// status fact's commands run under both on this machine without touching anything.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { atomicWriteCommand } from "../../operations/files/atomic-write.js";
import { downloadCommand } from "../../operations/files/download.js";
import { scriptCommand } from "../../operations/server/script.js";
import { authorizedKeysCommand } from "../../operations/server/user.js";
import { waitCommand } from "../../operations/server/wait.js";
import { scheduleCommand } from "../../operations/server/reboot.js";
import { actionCommand, enableCommand } from "../../operations/services/service.js";
import { statusCommand, parseStatus, type ServiceManager } from "../../facts/services/status.js";
import { sysctl } from "../../facts/server/sysctl.js";
import { groups } from "../../facts/server/groups.js";
import { bootId } from "../../facts/server/boot-id.js";
import { dpkgInstalled } from "../../facts/packages/dpkg-installed.js";
import { apkInstalled } from "../../facts/packages/apk-installed.js";
import { aptCacheAge } from "../../facts/packages/apt-cache-age.js";
import { fsSignature } from "../../facts/block/fs-signature.js";
import { attachCommand } from "../../operations/disk/loop.js";
import { partitionScript } from "../../operations/disk/partition.js";
import { mkfsCommand } from "../../operations/disk/mkfs.js";
import { imageScript } from "../../operations/image/script.js";
import { installCommand as busyboxInstall } from "../../operations/busybox/linkfarm.js";
import { filesystem } from "../../facts/block/filesystem.js";
import { partitions } from "../../facts/block/partitions.js";
import { losetup } from "../../facts/block/losetup.js";
import { headSha256 } from "../../facts/block/head-sha256.js";
import { missingApplets } from "../../facts/busybox/missing-applets.js";

const SHELLS = [["dash"], ["/bin/busybox", "sh"]].filter(([bin]) => bin === "dash" || existsSync(bin!));
const hostile = `/tmp/x y/'q' "d" $(touch /tmp/pwned) \`id\` \nz`;
const managers: ServiceManager[] = ["systemd", "upstart", "sysvinit", "openrc"];

const commands: Record<string, string> = {
  atomicWrite: atomicWriteCommand(hostile, { mode: 0o600, user: "a b", group: "$(id)" }, "t"),
  download: downloadCommand("busybox", "http://h/$(id)'`", hostile, "0".repeat(64), { mode: 0o755 }),
  downloadSized: downloadCommand("wget", "http://h/$(id)'`", hostile, "0".repeat(64), {}, 1234),
  script: scriptCommand("#!/bin/sh\n", ["$(id)", "a'b"]),
  keys: authorizedKeysCommand("deploy", hostile),
  wait: waitCommand("test -f /x", "`x` $(id) 'q'", 3, 1),
  reboot: scheduleCommand("reboot || reboot -f"),
  ...Object.fromEntries(managers.flatMap((m) => [
    [`status-${m}`, statusCommand("a'b $(id)", m)],
    [`action-${m}`, actionCommand(m, "nginx", "restart")],
    [`enable-${m}`, enableCommand(m, "nginx", true)],
    [`disable-${m}`, enableCommand(m, "nginx", false)],
  ])),
  sysctl: sysctl(hostile).command,
  groups: groups.command,
  bootId: bootId.command,
  deb: dpkgInstalled.command,
  apk: apkInstalled.command,
  aptAge: aptCacheAge.command,
  applets: missingApplets(hostile).command,
  fsSignature: fsSignature(hostile).command,
  loopAttach: attachCommand({ utilLinux: "/sbin/losetup", version: "2.38", fallback: "losetup" }, { backing: hostile, kind: "file", offset: 512, sizeLimit: 1024, partscan: true, readOnly: true }),
  imageWrite: imageScript({ device: hostile, workDir: hostile, fetch: "wget -q -O - 'http://x/$(id)'", staging: hostile, format: "tar.gz", member: hostile, sourceSha256: "1".repeat(64), size: 4096, imageSha256: "0".repeat(64), checkFirst: true }),
  imageWriteStdin: imageScript({ device: hostile, workDir: hostile, fetch: null, staging: null, format: "raw", member: "image.pine", sourceSha256: "1".repeat(64), size: null, imageSha256: null, checkFirst: false }),
  partition: partitionScript(hostile, { device: hostile, sizeBytes: 1 << 30, sectorSize: 512, label: "dos", labelId: null, partitions: [], sfdiskVersion: "2.38", dump: hostile }, [{ number: 5, start: 2048, size: 4096, type: "83", bootable: true }], true),
  partitionBlank: partitionScript(hostile, { device: hostile, sizeBytes: 1 << 30, sectorSize: 512, label: null, labelId: null, partitions: [], sfdiskVersion: "2.38", dump: "" }, [{ number: 1, start: 2048, size: 4096, type: "83", bootable: false }], false),
  mkfs: mkfsCommand({ device: hostile, fstype: "xfs", label: "a'b", logDevice: hostile, logSizeMiB: 128, force: true }),
  busyboxInstall: busyboxInstall(hostile, "0".repeat(64)),
  filesystem: filesystem(hostile).command,
  partitions: partitions(hostile).command,
  losetup: losetup.command,
  headSha: headSha256(hostile, 4096).command,
  loopAttachBusybox: attachCommand({ utilLinux: null, version: null, fallback: "busybox losetup" }, { backing: hostile, kind: "device", offset: 512, sizeLimit: 0, partscan: false, readOnly: false }),
};

describe.each(SHELLS)("command lines under %s", (...shell) => {
  for (const [name, cmd] of Object.entries(commands)) {
    it(`${name} parses`, () => {
      const r = spawnSync(shell[0]!, [...shell.slice(1), "-n", "-c", cmd], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    });
  }
  it("the sysvinit/openrc status checks run and answer for a service that does not exist", () => {
    for (const m of ["sysvinit", "openrc"] as const) {
      const r = spawnSync(shell[0]!, [...shell.slice(1), "-c", statusCommand("pine-no-such-service", m)], { encoding: "utf8" });
      expect(parseStatus(r.stdout, m)).toEqual({ via: m, exists: false, running: false, enabled: false });
    }
  });
});
