// Every fact, read live from a Debian host (own root under systemd-nspawn, real systemd) and a busybox-only host, in
// ONE round trip per host; each answer is a value or a typed "unavailable", never a parse crash; and the key values
// are checked against what the host says through another path: its root directory on this machine's filesystem, ip
// in its network namespace from the controller, the real ssh client.
import { createHash } from "node:crypto";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SshConnector } from "../../src/connectors/ssh/index.js";
import type { Fact } from "../../src/facts/define.js";
import { buildBatch, splitBatch } from "../../src/facts/batch.js";
import { HostContext, type FactResult } from "../../src/host.js";
import { quote } from "../../src/shell.js";
import type { LabHostState, LabState } from "../../src/lab/index.js";
import { block, busybox, factRegistry, files, isFactFamily, ostree, server, services } from "../../facts/index.js";
import type { BlockDevice } from "../../facts/block/devices.js";
import { labSkipReason, useLab, type LabFixture } from "../support/lab.js";
import { ssh } from "../lab/host-probes.js";

const run = promisify(execFile);
const plainSkip = await labSkipReason("plain");
const debianSkip = await labSkipReason("debian");
const busyboxSkip = await labSkipReason("busybox");

/** Inside each host, under /root (a directory of its own root, not a tmpfs): images made here, read there. */
const EXT4_IMAGE = "/root/pine-facts-ext4.img";
const DOS_IMAGE = "/root/pine-facts-dos.img";

/** The families, with arguments that mean something on both kinds of host. */
function familyFacts(init: "systemd" | "openrc"): Fact<unknown>[] {
  return [
    files.file("/etc/passwd"),
    files.sha256("/etc/passwd"),
    files.directory("/etc"),
    files.link("/bin/sh"),
    files.find_in_file("/etc/passwd", "^root:"),
    files.content("/etc/hostname"),
    server.which("sh"),
    server.which("no-such-tool-pine"),
    server.sysctl("kernel.ostype"),
    server.sysctl("net.ipv4.ip_forward"),
    services.status(init === "systemd" ? "ssh" : "sshd", init),
    busybox.missing_applets("/bin"),
    block.partitions(DOS_IMAGE),
    block.filesystem(EXT4_IMAGE),
    block.fs_signature(EXT4_IMAGE),
    block.head_sha256(EXT4_IMAGE, 65536),
    ostree.deployments("/"),
    ostree.has_commit("/ostree/repo", "0".repeat(64)),
  ];
}

const argumentFree = (): Fact<unknown>[] => [...factRegistry.values()].filter((f): f is Fact<unknown> => !isFactFamily(f));

interface Gathered {
  get<T>(fact: Fact<T>): T;
  reason(fact: Fact<unknown>): string;
  results: Map<string, FactResult<unknown>>;
  execs: number;
}

/** Makes images on this machine and puts them into the host's root, then gathers every fact in one exec. */
function useGathered(lab: LabFixture, init: "systemd" | "openrc"): { readonly gathered: Gathered; readonly host: LabHostState; readonly root: string } {
  let gathered: Gathered | undefined;
  let images: string | undefined;
  beforeAll(async () => {
    const host = lab.state.hosts[0]!;
    const root = host.root!;
    images = join(lab.dir, "images");
    execFileSync("/bin/sh", ["-c", [
      `mkdir -p ${images} && cd ${images}`,
      "truncate -s 16M ext4.img dos.img",
      "mkfs.ext4 -q -L pine-lab-fs ext4.img",
      `printf 'label: dos\\nstart=2048, size=4096, type=83, bootable\\nstart=6144, type=82\\n' | sfdisk -q dos.img`,
    ].join(" && ")]);
    copyFileSync(join(images, "ext4.img"), join(root, EXT4_IMAGE));
    copyFileSync(join(images, "dos.img"), join(root, DOS_IMAGE));

    const connector = new SshConnector({ host: host.address, user: "root", key: lab.state.key, knownHostsPath: lab.state.knownHosts, agent: false, sshConfigPath: false });
    try {
      const context = new HostContext({ name: host.name, address: host.address, groups: [], data: {} }, connector, { dry: false, emit: () => undefined });
      const facts = [...argumentFree(), ...familyFacts(init)];
      const list = await context.gather(facts);
      const results = new Map(facts.map((f, i) => [f.key, list[i]!]));
      gathered = {
        results,
        execs: connector.stats.execs,
        get<T>(fact: Fact<T>): T {
          const r = results.get(fact.key);
          if (!r?.ok) throw new Error(`${fact.key} is unavailable on ${host.name}: ${r?.reason ?? "not gathered"}`);
          return r.value as T;
        },
        reason(fact) {
          const r = results.get(fact.key);
          if (!r || r.ok) throw new Error(`${fact.key} has a value on ${host.name}: ${JSON.stringify(r && r.ok ? r.value : null)}`);
          return r.reason;
        },
      };
    } finally {
      await connector.close();
    }
  }, 120_000);
  afterAll(() => {
    if (images) rmSync(images, { recursive: true, force: true });
  });
  return {
    get gathered() {
      if (!gathered) throw new Error("the gather in beforeAll did not run");
      return gathered;
    },
    get host() {
      return lab.state.hosts[0]!;
    },
    get root() {
      return lab.state.hosts[0]!.root!;
    },
  };
}

/** What ip says inside the host's network namespace, asked from the controller (not through the host's shell). */
async function ipJson<T>(host: LabHostState, ...args: string[]): Promise<T> {
  return JSON.parse((await run("ip", ["netns", "exec", host.namespace, "ip", "-j", ...args])).stdout) as T;
}

/** One fact gathered from a lab host the way pine does it (one exec in the connector's batch format). */
async function gatherOne<T>(state: LabState, host: LabHostState, fact: Fact<T>): Promise<T> {
  const connector = new SshConnector({ host: host.address, user: "root", key: state.key, knownHostsPath: state.knownHosts, agent: false, sshConfigPath: false });
  try {
    const batch = buildBatch([fact]);
    const result = await connector.exec(batch.script);
    const [slice] = splitBatch(batch, result.stdout, result.stderr);
    if (!slice?.ok) throw new Error(`${fact.key}: ${slice?.reason ?? "no output"}`);
    return fact.parse(slice.output);
  } finally {
    await connector.close();
  }
}

interface LsblkRow {
  name: string;
  kname: string;
  type: string;
  size: number;
  mountpoint: string | null;
  parent: string | null;
}

/** `lsblk -P -b` of this machine (the lab hosts share its kernel), in the mount namespace of process `nsPid` when given. */
function lsblk(nsPid?: number): LsblkRow[] {
  const args = ["-P", "-b", "-o", "NAME,KNAME,TYPE,SIZE,MOUNTPOINT,PKNAME"];
  const text = nsPid === undefined ? execFileSync("lsblk", args, { encoding: "utf8" }) : execFileSync("nsenter", ["-t", String(nsPid), "-m", "lsblk", ...args], { encoding: "utf8" });
  return text.trim().split("\n").map((line) => {
    const f = new Map([...line.matchAll(/([A-Z]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))]));
    return { name: f.get("NAME")!, kname: f.get("KNAME")!, type: f.get("TYPE")!, size: Number(f.get("SIZE")), mountpoint: f.get("MOUNTPOINT") || null, parent: f.get("PKNAME") || null };
  });
}

/**
 * The fact and lsblk agree on every device (name, type, size, parent, mountpoint), both ways. Loop devices other than
 * `loop` and its partitions are left out: other tests attach, mount and detach theirs meanwhile.
 */
function expectLikeLsblk(list: readonly BlockDevice[], rows: readonly LsblkRow[], loop: string): void {
  const keep = (kname: string) => !kname.startsWith("loop") || kname === loop || kname.startsWith(`${loop}p`);
  const mine = list.filter((d) => keep(d.name)).map((d) => [d.name, d.type, d.sizeBytes, d.parent, d.mountpoint]);
  const theirs = rows.filter((r) => keep(r.kname)).map((r) => [r.name, r.type, r.size, r.parent, r.mountpoint]);
  const order = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
  expect(mine.sort(order)).toEqual(theirs.sort(order));
  expect(mine.map((d) => d[0])).toEqual(expect.arrayContaining([loop, `${loop}p1`, `${loop}p2`]));
}

/**
 * A 64 MiB image with a dos table (ext4 in partition 1, ext2 in 2), attached here as a loop device with its
 * partitions for the describe block's tests, detached after (only if it still holds this image). Every lab host
 * sees it: they share this machine's kernel and /sys.
 */
function useTestLoop(): { readonly name: string } {
  let device: string | undefined;
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pine-facts-loop-"));
    const image = join(dir, "disk.img");
    execFileSync("truncate", ["-s", "64M", image]);
    execFileSync("sfdisk", ["-q", image], { input: "label: dos\n,24M,83\n,,83\n" });
    device = execFileSync("losetup", ["-f", "--show", "-P", image], { encoding: "utf8" }).trim();
    // Some kernels leave the partitions of a just attached loop device unscanned (6.18 here): add them by hand.
    if (!existsSync(`/sys/class/block/${device.slice(5)}/${device.slice(5)}p2`)) execFileSync("partx", ["-a", device]);
    for (let i = 0; i < 50 && !existsSync(`${device}p2`); i++) execFileSync("sleep", ["0.1"]);
    execFileSync("mkfs.ext4", ["-q", `${device}p1`]);
    execFileSync("mkfs.ext2", ["-q", `${device}p2`]);
  });
  afterAll(() => {
    if (device && dir) {
      const backing = `/sys/class/block/${device.slice(5)}/loop/backing_file`;
      if (existsSync(backing) && readFileSync(backing, "utf8").trim() === join(dir, "disk.img")) execFileSync("losetup", ["-d", device]);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get name() {
      if (!device) throw new Error("the loop device of useTestLoop was not attached");
      return device.slice(5);
    },
  };
}

/** strace, installed like the lab's packages when missing (scripts/setup-system.sh lists it). */
function hasStrace(): boolean {
  const has = () => spawnSync("sh", ["-c", "command -v strace"]).status === 0;
  if (!has() && process.getuid?.() === 0) spawnSync("bash", [fileURLToPath(new URL("../../scripts/setup-system.sh", import.meta.url))], { timeout: 10 * 60_000, stdio: "ignore" });
  return has();
}

/** Programs a command runs on a lab host: its successful execve calls under strace -f, after the sh that runs it. */
async function programsRun(state: LabState, host: LabHostState, command: string, trace: string): Promise<{ stdout: string; programs: string[] }> {
  const stdout = await ssh(state, host, `strace -f -qq -e trace=execve -e signal=none -o ${quote(trace)} /bin/sh -c ${quote(`(\n${command}\n) </dev/null`)}`);
  const programs = readFileSync(trace, "utf8").split("\n").filter((l) => /execve\(/.test(l) && / = 0$/.test(l)).map((l) => /execve\("([^"]*)"/.exec(l)![1]!);
  rmSync(trace, { force: true });
  expect(programs[0]).toBe("/bin/sh");
  return { stdout, programs: programs.slice(1) };
}

/** Checks shared by both kinds. */
function commonChecks(get: () => { gathered: Gathered; host: LabHostState; root: string; state: LabState }): void {
  it("gathers every argument-free fact and the families in ONE exec round trip", () => {
    const { gathered } = get();
    expect(gathered.execs).toBe(1);
    expect(gathered.results.size).toBe(argumentFree().length + 18);
  });

  it("answers each fact with a value or an unavailable reason, never a parse crash or a cut script", () => {
    for (const [key, r] of get().gathered.results) {
      if (r.ok) continue;
      expect(r.reason.length, key).toBeGreaterThan(0);
      expect(r.reason, key).not.toMatch(/^could not parse the output|^not gathered|^the fact script stopped/);
    }
  });

  it("server.hostname, /etc/hostname and files.* agree with the host's root on this machine's filesystem", () => {
    const { gathered: g, host, root } = get();
    expect(g.get(server.hostname)).toBe(readFileSync(join(root, "etc/hostname"), "utf8").trim());
    expect(g.get(server.hostname)).toBe(host.name);
    expect(g.get(files.content("/etc/hostname"))?.bytes).toEqual(readFileSync(join(root, "etc/hostname")));
    const st = statSync(join(root, "etc/passwd"));
    expect(g.get(files.file("/etc/passwd"))).toMatchObject({ type: "file", size: st.size, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) });
    expect(g.get(files.sha256("/etc/passwd"))).toBe(createHash("sha256").update(readFileSync(join(root, "etc/passwd"))).digest("hex"));
    expect(g.get(files.find_in_file("/etc/passwd", "^root:"))).toEqual(readFileSync(join(root, "etc/passwd"), "utf8").split("\n").filter((l) => l.startsWith("root:")));
    expect(g.get(files.link("/bin/sh"))?.linkTarget).toBe(readlinkSync(join(root, "bin/sh")));
    expect(g.get(files.directory("/etc"))?.type).toBe("directory");
    expect(g.get(server.which("no-such-tool-pine"))).toBeNull();
  });

  it("server.users and server.groups are the root's /etc/passwd and /etc/group", () => {
    const { gathered: g, root } = get();
    const table = (file: string) => readFileSync(join(root, file), "utf8").trim().split("\n").map((l) => l.split(":"));
    expect(g.get(server.users).map((u) => [u.name, u.uid, u.home, u.shell])).toEqual(table("etc/passwd").map((f) => [f[0], Number(f[2]), f[5], f[6]]));
    expect(g.get(server.groups).map((x) => [x.name, x.gid])).toEqual(table("etc/group").map((f) => [f[0], Number(f[2])]));
  });

  it("net.addresses, net.interfaces and net.gateway agree with ip -j run in the host's namespace from outside", async () => {
    const { gathered: g, host, state } = get();
    const addr = await ipJson<Array<{ ifname: string; address?: string; addr_info: Array<{ family: string; local: string; prefixlen: number }> }>>(host, "addr");
    const mine = g.get((factRegistry.get("net.addresses") as Fact<Array<{ iface: string; address: string; prefix: number }>>));
    expect(new Set(mine.map((a) => `${a.iface} ${a.address}/${a.prefix}`))).toEqual(new Set(addr.flatMap((i) => i.addr_info.map((a) => `${i.ifname} ${a.local}/${a.prefixlen}`))));
    expect(mine.map((a) => a.address)).toContain(host.address);
    const links = await ipJson<Array<{ ifname: string; address?: string; mtu: number; link_type: string }>>(host, "link");
    const interfaces = g.get(factRegistry.get("net.interfaces") as Fact<Array<{ name: string; mac: string | null; mtu: number | null }>>);
    expect(interfaces.map((i) => [i.name, i.mac, i.mtu]).sort()).toEqual(
      links.map((l) => [l.ifname, l.link_type === "loopback" ? null : (l.address ?? null), l.mtu]).sort(),
    );
    const gw = g.get(factRegistry.get("net.gateway") as Fact<{ v4: { gateway: string | null; dev: string } | null }>);
    const route = await ipJson<Array<{ gateway?: string; dev: string }>>(host, "-4", "route", "show", "default");
    expect(gw.v4?.gateway).toBe(route[0]?.gateway);
    expect(gw.v4?.gateway).toBe(state.gateway);
  });

  it("server.kernel is this machine's (a shared kernel); server.kernelIdentity tells the host apart by its PID namespace", () => {
    const { gathered: g } = get();
    expect(g.get(server.kernel).release).toBe(execFileSync("uname", ["-r"], { encoding: "utf8" }).trim());
    expect(g.get(server.sysctl("kernel.ostype"))).toBe(readFileSync("/proc/sys/kernel/ostype", "utf8").trim());
    const identity = g.get(server.kernelIdentity);
    expect(identity.bootId).toBe(g.get(server.boot_id));
    expect(identity.pidNamespace).toMatch(/^pid:\[\d+\]$/);
    expect(identity.pidNamespace).not.toBe(readlinkSync("/proc/self/ns/pid"));
  });

  it("block.rootDisk is the disk under the host's root directory here, by its device number", () => {
    const { gathered: g, root } = get();
    const dev = statSync(root).dev;
    const sysPath = readlinkSync(`/sys/dev/block/${Math.floor(dev / 256)}:${dev % 256}`);
    expect(sysPath.split("/")).toContain(g.get(block.rootDisk).disk);
  });

  it("block.head_sha256, block.filesystem and block.fs_signature read the image put into the host as node and blkid read it here", () => {
    const { gathered: g, root } = get();
    const image = readFileSync(join(root, EXT4_IMAGE));
    expect(g.get(block.head_sha256(EXT4_IMAGE, 65536))).toEqual({ size: image.length, sha256: createHash("sha256").update(image.subarray(0, 65536)).digest("hex") });
    const blkid = execFileSync("blkid", ["-p", "-o", "export", join(root, EXT4_IMAGE)], { encoding: "utf8" });
    const fs = g.get(block.filesystem(EXT4_IMAGE));
    expect(fs).toMatchObject({ type: "ext4", label: "pine-lab-fs", uuid: /^UUID=(.*)$/m.exec(blkid)![1] });
    expect(`TYPE=${fs.type}`).toBe(/^TYPE=.*$/m.exec(blkid)![0]);
    expect(g.get(block.fs_signature(EXT4_IMAGE))).toBe("ext");
  });

  it("server.arch is this machine's, with the word size of the host's own /bin/sh binary", () => {
    const { gathered: g, root } = get();
    expect(g.get(server.arch).machine).toBe(execFileSync("uname", ["-m"], { encoding: "utf8" }).trim());
    const elfClass = readFileSync(realpathSync(join(root, "bin", readlinkSync(join(root, "bin/sh")).replace(/^\/bin\//, ""))))[4];
    expect(g.get(server.arch).userlandBits).toBe(elfClass === 2 ? 64 : 32);
  });

  it("ostree facts say ostree is not installed, as the root's missing binary says", () => {
    const { gathered: g, root } = get();
    expect(existsSync(join(root, "usr/bin/ostree"))).toBe(false);
    expect(g.reason(ostree.deployments("/"))).toBe("ostree is not installed");
    expect(g.reason(ostree.has_commit("/ostree/repo", "0".repeat(64)))).toBe("ostree is not installed");
  });
}

describe.skipIf(plainSkip !== undefined)("block.devices on a plain lab host (this machine's filesystem, its own mount namespace)", () => {
  const lab = useLab({ name: "fkpl", hosts: 1 });
  const strace = hasStrace();

  it.skipIf(!strace)("runs no program there: strace -f of its command under the host's sh sees no execve after sh's own", async () => {
    const { stdout, programs } = await programsRun(lab.state, lab.state.hosts[0]!, block.devices.command, join(lab.dir, "execve.trace"));
    // Another test's loop device holding an unmounted filesystem makes the command probe it: one blkid, never more.
    expect(programs).toEqual(/^@@blkid$/m.test(stdout) ? [expect.stringMatching(/\/blkid$/)] : []);
    expect(stdout).toMatch(/^@@mountinfo$/m);
  });

  describe("with a partitioned loop device attached, partition 1 mounted in the host's namespace at a path with a space", () => {
    const loop = useTestLoop();
    const mnt = () => join(lab.dir, "loop p1");
    const sshdPid = () => lab.state.hosts[0]!.sshdPid!;
    beforeAll(() => {
      mkdirSync(mnt(), { recursive: true });
      execFileSync("nsenter", ["-t", String(sshdPid()), "-m", "mount", `/dev/${loop.name}p1`, mnt()]);
    });
    afterAll(() => {
      spawnSync("nsenter", ["-t", String(sshdPid()), "-m", "umount", mnt()]);
    });

    it("agrees with lsblk run here in the host's mount namespace: names, types, sizes, parents, mountpoints", async () => {
      const list = await gatherOne(lab.state, lab.state.hosts[0]!, block.devices);
      expectLikeLsblk(list, lsblk(sshdPid()), loop.name);
      expect(list.find((d) => d.name === `${loop.name}p1`)).toMatchObject({ type: "part", parent: loop.name, mountpoint: mnt(), fstype: "ext4" });
      // Not mounted: the filesystem type comes from the one program the command runs for that (blkid: no udev here).
      expect(list.find((d) => d.name === `${loop.name}p2`)).toMatchObject({ mountpoint: null, fstype: existsSync("/run/udev/data") ? expect.anything() : "ext2" });
      expect(list.filter((d) => d.mountpoint === "/").map((d) => d.name)).toEqual(lsblk(sshdPid()).filter((r) => r.mountpoint === "/").map((r) => r.name));
    });

    it.skipIf(!strace)("runs exactly one program, blkid, for the unmounted partition's filesystem type", async () => {
      const { stdout, programs } = await programsRun(lab.state, lab.state.hosts[0]!, block.devices.command, join(lab.dir, "execve.trace"));
      expect(stdout).toMatch(new RegExp(`^/dev/${loop.name}p2: .*TYPE="ext2"`, "m"));
      expect(programs).toEqual([expect.stringMatching(/\/blkid$/)]);
    });
  });
});

describe.skipIf(debianSkip !== undefined)("every fact on a debian lab host (systemd-nspawn, real systemd)", () => {
  const lab = useLab({ name: "fkdeb", hosts: 1, kind: "debian" });
  const h = useGathered(lab, "systemd");
  commonChecks(() => ({ gathered: h.gathered, host: h.host, root: h.root, state: lab.state }));

  it("server.init is systemd, and PID 1 says so through the real ssh client", async () => {
    expect(h.gathered.get(server.init)).toBe("systemd");
    expect(await ssh(lab.state, h.host, "cat /proc/1/comm")).toBe("systemd");
  });

  it("server.virt is lxc (nspawn is a system container like LXC), with nspawn in the evidence PID 1's environment gives", async () => {
    const v = h.gathered.get(server.virt);
    expect(v.kind).toBe("lxc");
    expect(v.evidence).toContain("systemd-nspawn");
    expect(await ssh(lab.state, h.host, "tr '\\000' '\\n' < /proc/1/environ | grep '^container='")).toBe("container=systemd-nspawn");
  });

  it("server.boot_id is the container's own: nspawn mounts a boot id of its own per container boot over the kernel's", async () => {
    const id = h.gathered.get(server.boot_id);
    expect(id).not.toBe(readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
    expect(await ssh(lab.state, h.host, "cat /proc/sys/kernel/random/boot_id")).toBe(id);
  });

  it("server.distro is the root's /etc/os-release", () => {
    const text = readFileSync(join(h.root, "etc/os-release"), "utf8");
    const d = h.gathered.get(server.distro);
    expect(d.id).toBe(/^ID=("?)([^"\n]*)\1$/m.exec(text)![2]);
    expect(d.major).toBe(Number(/^VERSION_ID="?(\d+)/m.exec(text)![1]));
    expect(d.codename).toBe(/^VERSION_CODENAME=(.*)$/m.exec(text)![1]);
  });

  it("server.shell is dash, the target /bin/sh resolves to in the root", () => {
    const s = h.gathered.get(server.shell);
    expect(s.kind).toBe("dash");
    expect(realpathSync(join(h.root, s.target!))).toBe(realpathSync(join(h.root, "usr/bin", readlinkSync(join(h.root, "bin/sh")))));
  });

  it("server.services and services.status see ssh running and enabled, as systemctl says through ssh", async () => {
    const list = h.gathered.get(server.services);
    expect(list.via).toBe("systemd");
    expect(list.services.find((s) => s.name === "ssh")?.running).toBe(true);
    expect(h.gathered.get(services.status("ssh", "systemd"))).toEqual({ via: "systemd", exists: true, running: true, enabled: true });
    expect(await ssh(lab.state, h.host, "systemctl is-active ssh; systemctl is-enabled ssh")).toBe("active\nenabled");
  });

  it("packages.deb and packages.dpkg_installed are the root's dpkg status file", () => {
    const status = readFileSync(join(h.root, "var/lib/dpkg/status"), "utf8");
    const installed = status.split("\n\n").filter((s) => /^Status: \S+ ok installed$/m.test(s)).map((s) => [/^Package: (.*)$/m.exec(s)![1]!, /^Version: (.*)$/m.exec(s)![1]!] as const);
    const deb = h.gathered.get(factRegistry.get("packages.deb") as Fact<Array<{ name: string; version: string }>>);
    expect(new Map(deb.map((p) => [p.name, p.version]))).toEqual(new Map(installed));
    expect(h.gathered.get(factRegistry.get("packages.dpkg_installed") as Fact<Record<string, string>>)).toEqual(Object.fromEntries(installed));
  });

  it("block.partitions reads the dos image with the host's own sfdisk as sfdisk --json reads it here", () => {
    const json = JSON.parse(execFileSync("sfdisk", ["--json", join(h.root, DOS_IMAGE)], { encoding: "utf8" })) as { partitiontable: { partitions: Array<{ start: number; size: number; type: string }> } };
    const t = h.gathered.get(block.partitions(DOS_IMAGE));
    expect(t.label).toBe("dos");
    expect(t.partitions.map((p) => [p.node, p.start, p.size, p.type])).toEqual(json.partitiontable.partitions.map((p, i) => [`${DOS_IMAGE}${i + 1}`, p.start, p.size, p.type]));
  });

  it("block.devices has the disk under / with its size from /sys, mounted at / (and nowhere else: / wins)", () => {
    const r = h.gathered.get(block.rootDisk);
    const disk = h.gathered.get(block.devices).find((d) => d.name === r.disk);
    expect(disk?.sizeBytes).toBe(Number(readFileSync(`/sys/class/block/${r.disk}/size`, "utf8")) * 512);
    expect(h.gathered.get(block.devices).filter((d) => d.mountpoint === "/").length).toBe(1);
  });

  describe("with a partitioned loop device attached on this machine", () => {
    const loop = useTestLoop();
    it("block.devices agrees with lsblk here: names, types, sizes, parents; / is the disk of this machine's / (the container's root is a directory on it)", async () => {
      expectLikeLsblk(await gatherOne(lab.state, h.host, block.devices), lsblk(), loop.name);
    });
  });
});

describe.skipIf(busyboxSkip !== undefined)("every fact on a busybox lab host (busybox is /bin/sh and every tool)", () => {
  const lab = useLab({ name: "fkbb", hosts: 1, kind: "busybox" });
  const h = useGathered(lab, "openrc");
  commonChecks(() => ({ gathered: h.gathered, host: h.host, root: h.root, state: lab.state }));

  it("server.shell is busybox, the link /bin/sh is in the root", () => {
    expect(h.gathered.get(server.shell)).toMatchObject({ kind: "busybox", target: readlinkSync(join(h.root, "bin/sh")) });
  });

  it("server.boot_id is the kernel's, this machine's: nothing in a namespace host changes it (kernelIdentity's PID namespace does)", () => {
    expect(h.gathered.get(server.boot_id)).toBe(readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
  });

  it("server.init is unavailable with a reason naming PID 1 (sshd: the host has no init), as ssh sees it", async () => {
    expect(await ssh(lab.state, h.host, "cat /proc/1/comm")).toBe("sshd");
    expect(h.gathered.reason(server.init)).toContain('PID 1 is "sshd"');
  });

  it("facts whose tools or files the root lacks say so: distro, packages, services, sfdisk, util-linux losetup", () => {
    expect(existsSync(join(h.root, "etc/os-release"))).toBe(false);
    expect(h.gathered.reason(server.distro)).toMatch(/no \/etc\/os-release/);
    expect(h.gathered.reason(factRegistry.get("packages.deb") as Fact<unknown>)).toMatch(/dpkg-query is not installed/);
    expect(h.gathered.reason(server.services)).toMatch(/no systemd, upstart, openrc or sysvinit/);
    expect(h.gathered.reason(block.partitions(DOS_IMAGE))).toBe(`${DOS_IMAGE}: sfdisk (util-linux) is not installed`);
    expect(h.gathered.get(block.losetup)).toEqual({ utilLinux: null, version: null, fallback: "losetup" });
    expect(h.gathered.get(services.status("sshd", "openrc"))).toEqual({ via: "openrc", exists: false, running: false, enabled: false });
  });

  it("block.filesystem falls back to magic bytes (no blkid in busybox) and still names the filesystem", () => {
    expect(h.gathered.get(block.filesystem(EXT4_IMAGE)).via).toBe("magic");
  });

  it("block.devices has every device of /proc/partitions with its size", () => {
    const list = h.gathered.get(block.devices);
    const partitions = readFileSync("/proc/partitions", "utf8").trim().split("\n").slice(2).map((l) => l.trim().split(/\s+/));
    // Loop devices come and go while other tests run; disks and their partitions stay.
    for (const [, , blocks, name] of partitions.filter((p) => !/^(loop|nbd)/.test(p[3] ?? ""))) {
      const d = list.find((x) => x.name === name);
      expect(d, name).toBeDefined();
      expect(Math.floor(d!.sizeBytes / 1024), name).toBe(Number(blocks));
    }
    expect(list.find((d) => d.name === h.gathered.get(block.rootDisk).disk)?.mountpoint).toBe("/");
  });

  describe("with a partitioned loop device attached on this machine", () => {
    const loop = useTestLoop();
    it("block.devices agrees with lsblk here (names, types, sizes, parents, mountpoints); this busybox has no blkid, so no filesystem types for what is not mounted", async () => {
      const list = await gatherOne(lab.state, h.host, block.devices);
      expectLikeLsblk(list, lsblk(), loop.name);
      expect(execFileSync(join(h.root, "bin/busybox"), ["--list"], { encoding: "utf8" }).split("\n")).not.toContain("blkid");
      expect(list.find((d) => d.name === `${loop.name}p1`)?.fstype).toBeNull();
    });
  });

  it("busybox.missing_applets(/bin) lists the applets with no link in the root's /bin", () => {
    const applets = execFileSync(join(h.root, "bin/busybox"), ["--list"], { encoding: "utf8" }).trim().split("\n");
    const missing = applets.filter((a) => {
      try {
        lstatSync(join(h.root, "bin", a));
        return false;
      } catch {
        return true;
      }
    });
    expect(h.gathered.get(busybox.missing_applets("/bin"))).toEqual(missing);
    expect(missing.length).toBeGreaterThan(0);
  });
});
