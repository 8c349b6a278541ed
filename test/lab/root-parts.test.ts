// The pure parts behind hosts with their own root: ldd and mountinfo parsing, cgroup hierarchies, rendered files, kinds, old state.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertHostKind } from "../../src/lab/index.js";
import { renderBusyboxSshdConfig } from "../../src/lab/busybox-root.js";
import { systemdHierarchies } from "../../src/lab/host-cgroup.js";
import { mountsUnder, parseMountPoints } from "../../src/lab/mounts.js";
import { renderInterfaces } from "../../src/lab/root-identity.js";
import { parseLdd } from "../../src/lab/shared-libraries.js";
import { readLabState } from "../../src/lab/state.js";

describe("parseLdd", () => {
  it("keeps resolved libraries and the loader, drops the vDSO", () => {
    const output = [
      "\tlinux-vdso.so.1 (0x00007ffd1c5f3000)",
      "\tlibcrypt.so.1 => /lib/x86_64-linux-gnu/libcrypt.so.1 (0x00007f2a6c8e1000)",
      "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2a6c600000)",
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f2a6ca6b000)",
      "",
    ].join("\n");
    expect(parseLdd(output)).toEqual([
      "/lib/x86_64-linux-gnu/libcrypt.so.1",
      "/lib/x86_64-linux-gnu/libc.so.6",
      "/lib64/ld-linux-x86-64.so.2",
    ]);
  });

  it("refuses a missing library rather than building a root sshd cannot start in", () => {
    expect(() => parseLdd("\tlibwrap.so.0 => not found\n")).toThrow(/missing: libwrap.so.0/);
  });
});

describe("mounts under a host root", () => {
  const mountinfo = [
    "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
    "90 22 0:5 / /tmp/lab/hosts/h1/root rw - ext4 /dev/vda rw",
    "91 90 0:22 / /tmp/lab/hosts/h1/root/proc rw - proc proc rw",
    "92 90 0:23 / /tmp/lab/hosts/h1/root/dev/pts rw - devpts devpts rw",
    "93 90 0:24 / /tmp/lab/hosts/h1/root/my\\040dir rw - tmpfs tmpfs rw",
    "94 22 0:25 / /tmp/lab/hosts/h1/rootfs rw - tmpfs tmpfs rw",
  ].join("\n");

  it("decodes the kernel's octal escapes", () => {
    expect(parseMountPoints(mountinfo)).toContain("/tmp/lab/hosts/h1/root/my dir");
  });

  it("lists only what is at or below the path, deepest first, never a sibling that shares a prefix", () => {
    expect(mountsUnder(parseMountPoints(mountinfo), "/tmp/lab/hosts/h1/root")).toEqual([
      "/tmp/lab/hosts/h1/root/dev/pts",
      "/tmp/lab/hosts/h1/root/my dir",
      "/tmp/lab/hosts/h1/root/proc",
      "/tmp/lab/hosts/h1/root",
    ]);
  });
});

describe("systemdHierarchies", () => {
  it("finds the cgroup2 mount and the v1 name=systemd one of a hybrid layout, not the controllers", () => {
    const mounts = [
      "tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0",
      "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0",
      "cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0",
      "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0",
    ].join("\n");
    expect(systemdHierarchies(mounts)).toEqual(["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"]);
  });

  it("finds the single hierarchy of a cgroup2-only machine", () => {
    expect(systemdHierarchies("cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec 0 0\n")).toEqual(["/sys/fs/cgroup"]);
  });
});

describe("files written into a host's root", () => {
  it("interfaces: the static address as the Debian installer writes it, hotplug so boot does not re-add it", () => {
    const text = renderInterfaces("10.77.3.11", "10.77.3.1");
    expect(text).toContain("allow-hotplug eth0\niface eth0 inet static\n\taddress 10.77.3.11/24\n\tgateway 10.77.3.1\n");
    expect(text).not.toMatch(/^auto eth0/m);
    expect(text).toContain("source /etc/network/interfaces.d/*");
  });

  it("busybox sshd_config: listens on the host's address only, root by key only, sftp built in", () => {
    const text = renderBusyboxSshdConfig("10.77.3.12");
    expect(text).toContain("ListenAddress 10.77.3.12:22\n");
    expect(text).toContain("PermitRootLogin prohibit-password\n");
    expect(text).toContain("PasswordAuthentication no\n");
    expect(text).toContain("Subsystem sftp internal-sftp\n");
  });
});

describe("lab kinds", () => {
  it("accepts the three kinds and names the option when refusing another", () => {
    for (const kind of ["plain", "debian", "busybox"]) expect(() => assertHostKind(kind)).not.toThrow();
    expect(() => assertHostKind("alpine")).toThrow(/invalid lab kind "alpine": use one of plain, debian, busybox/);
  });

  it("reads a state.json written before kinds existed as a plain lab", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pine-state-"));
    try {
      await writeFile(join(dir, "state.json"), JSON.stringify({ name: "old", dir, hosts: [] }));
      expect((await readLabState(dir))?.kind).toBe("plain");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
