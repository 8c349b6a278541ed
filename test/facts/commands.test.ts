// Every fact's command runs for real on this machine under dash and under busybox sh (applets first on PATH, and applets only),
// must parse without anything but FactUnavailable, and key values are checked against independent sources (node:os, node:fs, ip -j, lsblk -J).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { FactUnavailable, type Fact } from "../../src/facts/define.js";
import { block, factRegistry, files, isFactFamily, net, server, type AnyFact } from "../../facts/index.js";
import { busyboxFarmWithout, hasBusybox, runCommand, VARIANTS, type ShellVariant } from "./local-shell.js";
import { SAMPLE_ARGS } from "./sample-args.js";


const variants = VARIANTS.filter((v) => v === "dash" || hasBusybox);

function instances(name: string, entry: AnyFact): Fact<unknown>[] {
  if (!isFactFamily(entry)) return [entry];
  const samples = SAMPLE_ARGS[name];
  if (!samples) throw new Error(`add sample arguments for family ${name} to test/facts/sample-args.ts`);
  return samples.map((args) => entry(...args));
}

/** Parse; return the value, or undefined when the host cannot tell. Anything else fails the test. */
function gather<T>(fact: Fact<T>, variant: ShellVariant, path?: string): T | undefined {
  const output = runCommand(fact.command, variant, path === undefined ? {} : { path });
  try {
    return fact.parse(output);
  } catch (e) {
    if (e instanceof FactUnavailable) return undefined;
    throw new Error(`${fact.key} under ${variant} threw ${String(e)}\nstdout: ${output.stdout.slice(0, 2000)}\nstderr: ${output.stderr.slice(0, 2000)}`);
  }
}

describe.each(variants)("every fact's command under %s", (variant) => {
  for (const [name, entry] of factRegistry) {
    it(`${name} runs and parses (value or FactUnavailable)`, () => {
      for (const fact of instances(name, entry)) {
        const output = runCommand(fact.command, variant);
        try {
          fact.parse(output);
        } catch (e) {
          if (!(e instanceof FactUnavailable)) throw e;
          expect(e.reason.length).toBeGreaterThan(0);
        }
      }
    });
  }

  it("server.hostname and server.kernel match node:os", () => {
    expect(gather(server.hostname, variant)).toBe(os.hostname());
    const k = gather(server.kernel, variant)!;
    expect(k).toEqual({ name: os.type(), release: os.release(), machine: os.machine() });
  });

  it("server.distro matches /etc/os-release as read by a plain regex", () => {
    const text = readFileSync("/etc/os-release", "utf8");
    const id = /^ID=("?)([^"\n]*)\1$/m.exec(text)![2];
    const versionId = /^VERSION_ID="?([^"\n]*)"?$/m.exec(text)?.[1];
    const d = gather(server.distro, variant)!;
    expect(d.id).toBe(id);
    if (versionId) expect(d.major).toBe(Number(versionId.split(".")[0]));
  });

  it("net.addresses matches ip -j addr and node:os", () => {
    const ipAddresses = (): string[] => {
      const json = JSON.parse(execFileSync("ip", ["-j", "addr"], { encoding: "utf8" })) as Array<{ ifname: string; addr_info: Array<{ local: string; prefixlen: number }> }>;
      return json.flatMap((i) => i.addr_info.map((a) => `${i.ifname} ${a.local}/${a.prefixlen}`));
    };
    const before = ipAddresses();
    const list = gather(net.addresses, variant)!;
    const seen = new Set(list.map((a) => `${a.iface} ${a.address}/${a.prefix}`));
    const after = ipAddresses();
    // Interfaces come and go while other tests run lab hosts: compare what is stable (lo, and every node:os address
    // that ip showed both before and after the fact was gathered).
    for (const [iface, addrs] of Object.entries(os.networkInterfaces())) {
      for (const a of addrs ?? []) {
        const key = `${iface} ${a.address.replace(/%.*$/, "")}/${a.cidr!.split("/")[1]}`;
        if (before.includes(key) && after.includes(key)) expect(seen, key).toContain(key);
      }
    }
    expect(seen).toContain("lo 127.0.0.1/8");
  });

  it("net.addresses without ip (ifconfig + /proc/net/if_inet6) agrees with ip -j for IPv4 and IPv6", () => {
    if (!hasBusybox) return;
    const viaIfconfig = gather(net.addresses, "dash", busyboxFarmWithout(["ip"]))!;
    const viaIp = gather(net.addresses, "dash")!;
    const key = (a: { iface: string; family: number; address: string; prefix: number }) => `${a.iface} ${a.family} ${a.address}/${a.prefix}`;
    const ifc = new Set(viaIfconfig.map(key));
    for (const a of viaIp.filter((x) => x.iface === "lo" || x.iface === "eth0")) expect(ifc, key(a)).toContain(key(a));
  });

  it("block.devices matches lsblk -J -b on names, sizes and types (loop devices left out: other tests attach and detach them)", () => {
    const list = gather(block.devices, variant)!.filter((d) => d.type !== "loop" && !d.name.startsWith("loop"));
    type Node = { name: string; size: number; type: string; children?: Node[] };
    const json = JSON.parse(execFileSync("lsblk", ["-J", "-b", "-o", "NAME,SIZE,TYPE"], { encoding: "utf8" })) as { blockdevices: Node[] };
    const flat = (nodes: Node[]): Node[] => nodes.flatMap((n) => [n, ...flat(n.children ?? [])]);
    const lsblk = flat(json.blockdevices).filter((d) => d.type !== "loop" && !d.name.startsWith("loop"));
    expect(list.map((d) => [d.name, d.sizeBytes, d.type]).sort()).toEqual(lsblk.map((d) => [d.name, Number(d.size), d.type]).sort());
  });

  it("block.devices puts / on the device /'s st_dev names, in any shell and with busybox tools only", () => {
    const list = gather(block.devices, variant)!;
    const root = statSync("/");
    const sysName = readlinkSync(`/sys/dev/block/${Math.floor(root.dev / 256)}:${root.dev % 256}`).split("/").pop();
    expect(list.filter((d) => d.mountpoint === "/").map((d) => d.name)).toEqual([sysName]);
  });

  it("files.file matches fs.lstatSync, including a symlink", () => {
    const s = gather(files.file("/etc/hosts"), variant)!;
    const st = lstatSync("/etc/hosts");
    expect(s).toMatchObject({ type: "file", mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: st.size, mtime: Math.floor(st.mtimeMs / 1000) });
    const l = gather(files.file("/bin/sh"), variant)!;
    if (lstatSync("/bin/sh").isSymbolicLink()) expect(l.linkTarget).toBe(readlinkSync("/bin/sh"));
    expect(gather(files.file("/nonexistent/x"), variant)).toBeNull();
  });

  it("files.content: bytes, size and sha256 as node:fs and node:crypto see them; too big: size and sha256 only", () => {
    const bytes = readFileSync("/etc/hosts");
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    expect(gather(files.content("/etc/hosts"), variant)).toEqual({ sha256, size: bytes.length, bytes });
    expect(gather(files.content("/etc/hosts", bytes.length - 1), variant)).toEqual({ sha256, size: bytes.length, bytes: null });
    expect(gather(files.content("/etc/hosts", bytes.length), variant)?.bytes).toEqual(bytes);
    expect(gather(files.content("/nonexistent/x"), variant)).toBeNull();
  });

  it("files.sha256 matches node:crypto", () => {
    expect(gather(files.sha256("/etc/hosts"), variant)).toBe(createHash("sha256").update(readFileSync("/etc/hosts")).digest("hex"));
  });

  it("server.memory, uptime and boot id match /proc and node:os", () => {
    const m = gather(server.memory, variant)!;
    expect(m.totalBytes).toBe(os.totalmem());
    const u = gather(server.uptime, variant)!;
    expect(Math.abs(u.seconds - os.uptime())).toBeLessThan(5);
    expect(u.bootId).toBe(readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
  });

  it("net.gateway is the default route of ip -j route, not the first line", () => {
    const g = gather(net.gateway, variant)!;
    const v4 = JSON.parse(execFileSync("ip", ["-j", "-4", "route", "show", "default"], { encoding: "utf8" })) as Array<{ gateway?: string; dev: string }>;
    expect(g.v4?.gateway ?? null).toBe(v4[0]?.gateway ?? null);
    const v6 = JSON.parse(execFileSync("ip", ["-j", "-6", "route", "show", "default"], { encoding: "utf8" })) as Array<{ gateway?: string; dev: string }>;
    expect(g.v6?.gateway ?? null).toBe(v6[0]?.gateway ?? null);
  });

  it("net.interfaces lists /sys/class/net with MACs as node:os sees them", () => {
    // Lab tests running meanwhile create and remove interfaces, reusing names, and a bridge's MAC follows its ports:
    // compare only this machine's own network devices (with a device behind them in /sys), and only those whose MAC
    // node:os saw the same before and after the fact was gathered.
    const before = os.networkInterfaces();
    const list = gather(net.interfaces, variant)!;
    let compared = 0;
    for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
      const mine = list.find((i) => i.name === name);
      const mac = addrs?.[0]?.mac;
      if (!existsSync(`/sys/class/net/${name}/device`)) continue;
      if (!mine || !mac || before[name]?.[0]?.mac !== mac || mac === "00:00:00:00:00:00") continue;
      expect(mine.mac, name).toBe(mac);
      compared += 1;
    }
    expect(compared, "interfaces with a MAC compared").toBeGreaterThan(0);
    expect(list.find((i) => i.name === "lo")?.kind).toBe("loopback");
  });

  it("block.rootDisk names the disk holding / (by its major:minor)", () => {
    const r = gather(block.rootDisk, variant);
    if (!r) return;
    const dev = statSync("/").dev;
    const node = readlinkSync(`/sys/dev/block/${Math.floor(dev / 256)}:${dev % 256}`);
    expect(node.split("/")).toContain(r.disk);
    expect(r.sizeBytes).toBe(Number(readFileSync(`/sys/class/block/${r.disk}/size`, "utf8")) * 512);
  });

  it("server.which agrees with command -v for an external tool", () => {
    const expected = execFileSync("/bin/sh", ["-c", "command -v ls"], { encoding: "utf8", env: { ...process.env, PATH: "/usr/bin:/bin" } }).trim();
    expect(gather(server.which("ls"), variant, "/usr/bin:/bin")).toBe(expected);
  });

  it("net.dns reads the same nameservers as a plain read of /etc/resolv.conf", () => {
    const d = gather(net.dns, variant)!;
    const servers = [...readFileSync("/etc/resolv.conf", "utf8").matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1]);
    expect(d.servers).toEqual(servers);
    expect(d.symlink).toBe(lstatSync("/etc/resolv.conf").isSymbolicLink());
  });

  it("boot.firmware agrees with /sys/firmware/efi", () => {
    expect(gather(server.arch, variant)?.machine).toBe(os.machine());
    expect(gather((factRegistry.get("boot.firmware") as Fact<string>), variant)).toBe(existsSync("/sys/firmware/efi") ? "uefi" : "bios");
  });
});
