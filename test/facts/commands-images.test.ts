// The disk, ostree, busybox and system facts run for real under dash and busybox sh against images, repositories and
// files made here, and are compared with independent answers: sfdisk --json, blkid, node:crypto, ostree rev-parse,
// getent, procps sysctl, /proc read by node.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FactUnavailable, type Fact } from "../../src/facts/define.js";
import { block, busybox, ostree, server, services } from "../../facts/index.js";
import { BUSYBOX, hasBusybox, runCommand, VARIANTS, type ShellVariant } from "./local-shell.js";

const variants = VARIANTS.filter((v) => v === "dash" || hasBusybox);
const has = (tool: string) => spawnSync("/bin/sh", ["-c", `command -v ${tool}`]).status === 0;
const canMakeImages = has("sfdisk") && has("mkfs.ext4") && has("mkswap") && has("blkid");
const hasOstree = has("ostree");

type Result<T> = { value: T } | { unavailable: string };

/** Value or the FactUnavailable reason; anything else thrown fails the test. */
function read<T>(fact: Fact<T>, variant: ShellVariant): Result<T> {
  const output = runCommand(fact.command, variant);
  try {
    return { value: fact.parse(output) };
  } catch (e) {
    if (e instanceof FactUnavailable) return { unavailable: e.reason };
    throw new Error(`${fact.key} under ${variant} threw ${String(e)}\nstdout: ${output.stdout.slice(0, 1000)}\nstderr: ${output.stderr.slice(0, 1000)}`);
  }
}

function value<T>(fact: Fact<T>, variant: ShellVariant): T {
  const r = read(fact, variant);
  if (!("value" in r)) throw new Error(`${fact.key} under ${variant} is unavailable: ${r.unavailable}`);
  return r.value;
}

let dir: string;
const img = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pine-fact-images-"));
  if (canMakeImages) {
    const sh = (script: string) => execFileSync("/bin/sh", ["-c", script], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    sh("truncate -s 32M dos.img gpt.img ext4.img swap.img blank.img");
    sh(`printf 'label: dos\\nstart=2048, size=8192, type=83, bootable\\nstart=10240, type=5\\nstart=12288, size=4096, type=82\\n' | sfdisk -q dos.img`);
    sh(`printf 'label: gpt\\nstart=2048, size=4096, type=0FC63DAF-8483-4772-8E79-3D69E47D8E47, name="root, size=1"\\n' | sfdisk -q gpt.img`);
    sh("mkfs.ext4 -q -L facts-ext4 ext4.img && mkswap -q -L facts-swap swap.img");
  }
  // A short file: 100 bytes, less than any head a test asks for but one.
  const fd = openSync(img("short.bin"), "w");
  writeSync(fd, Buffer.alloc(100, 7));
  closeSync(fd);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(variants)("system facts under %s", (variant) => {
  it("server.boot_id is the boot id node reads from /proc", () => {
    expect(value(server.boot_id, variant)).toBe(readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
  });

  it("server.groups has every group getent lists, with its gid and members", () => {
    const mine = value(server.groups, variant);
    const getent = execFileSync("getent", ["group"], { encoding: "utf8" }).trim().split("\n").map((l) => l.split(":"));
    for (const [name, , gid, members] of getent) {
      const g = mine.find((x) => x.name === name);
      expect(g, name).toBeDefined();
      expect(g!.gid).toBe(Number(gid));
      expect(g!.members).toEqual(members ? members.split(",") : []);
    }
  });

  it("server.sysctl agrees with procps sysctl -n, and says null for a key that does not exist", () => {
    for (const key of ["kernel.printk", "net.ipv4.ip_forward", "kernel.ostype"]) {
      const expected = has("sysctl") ? execFileSync("sysctl", ["-n", key], { encoding: "utf8" }) : readFileSync(`/proc/sys/${key.replace(/\./g, "/")}`, "utf8");
      expect(value(server.sysctl(key), variant), key).toBe(expected.trim().split(/\s+/).join(" "));
    }
    expect(value(server.sysctl("net.ipv4.no_such_key_pine"), variant)).toBeNull();
  });

  it("block.losetup finds util-linux losetup where losetup --version says util-linux", () => {
    const t = value(block.losetup, variant);
    const util = ["/sbin/losetup", "/usr/sbin/losetup"].find((p) => spawnSync(p, ["--version"], { encoding: "utf8" }).stdout?.includes("util-linux"));
    if (util) {
      expect(t.utilLinux).not.toBeNull();
      expect(execFileSync(t.utilLinux!, ["--version"], { encoding: "utf8" })).toContain(t.version!);
    } else expect(t.utilLinux).toBeNull();
  });

  it("services.status answers for a sysvinit script the way its rc links and status say", () => {
    const s = value(services.status("pine-no-such-service", "sysvinit"), variant);
    expect(s).toEqual({ via: "sysvinit", exists: false, running: false, enabled: false });
  });
});

describe.each(variants)("block facts on images under %s", (variant) => {
  it("block.head_sha256 matches node:crypto, and is null past the end", () => {
    const path = img("short.bin");
    expect(value(block.head_sha256(path, 64), variant)).toEqual({ size: 100, sha256: createHash("sha256").update(Buffer.alloc(64, 7)).digest("hex") });
    expect(value(block.head_sha256(path, 4096), variant)).toEqual({ size: 100, sha256: null });
    expect(read(block.head_sha256(img("nope"), 1), variant)).toEqual({ unavailable: `${img("nope")}: no such device` });
  });

  it.skipIf(!canMakeImages)("block.partitions agrees with sfdisk --json (where sfdisk is on PATH)", () => {
    for (const name of ["dos.img", "gpt.img"]) {
      const r = read(block.partitions(img(name)), variant);
      if (variant === "busybox-only") {
        expect(r).toEqual({ unavailable: `${img(name)}: sfdisk (util-linux) is not installed` });
        continue;
      }
      const t = (r as { value: Awaited<ReturnType<ReturnType<typeof block.partitions>["parse"]>> }).value;
      const json = JSON.parse(execFileSync("sfdisk", ["--json", img(name)], { encoding: "utf8" })) as {
        partitiontable: { label: string; partitions: Array<{ node: string; start: number; size: number; type: string; bootable?: boolean }> };
      };
      expect(t.label).toBe(json.partitiontable.label);
      expect(t.sizeBytes).toBe(32 * 1024 * 1024);
      expect(t.partitions.map((p) => [p.node, p.start, p.size, p.type, p.bootable])).toEqual(
        json.partitiontable.partitions.map((p) => [p.node, p.start, p.size, p.type.toLowerCase(), p.bootable === true]),
      );
    }
    if (variant !== "busybox-only") expect(value(block.partitions(img("blank.img")), variant)).toMatchObject({ label: null, partitions: [] });
  });

  it.skipIf(!canMakeImages)("block.filesystem and block.fs_signature agree with blkid -p (magic bytes where blkid is not on PATH)", () => {
    const blkid = (name: string) =>
      new Map(
        spawnSync("blkid", ["-p", "-o", "export", img(name)], { encoding: "utf8" })
          .stdout.trim().split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as [string, string]),
      );
    for (const name of ["ext4.img", "swap.img", "dos.img", "gpt.img", "blank.img"]) {
      const expected = blkid(name);
      const probe = value(block.filesystem(img(name)), variant);
      expect(probe.via, name).toBe(variant === "busybox-only" ? "magic" : "blkid");
      expect(probe.type, name).toBe(expected.get("TYPE") ?? null);
      expect(probe.label, name).toBe(expected.get("LABEL") ?? null);
      expect(probe.uuid, name).toBe(expected.get("UUID") ?? null);
      expect(probe.partitionTable, name).toBe(expected.get("PTTYPE") ?? null);
      const signature = value(block.fs_signature(img(name)), variant);
      const type = expected.get("TYPE");
      expect(signature, name).toBe(type === undefined ? null : type.startsWith("ext") ? "ext" : type);
    }
  });
});

describe.each(variants)("busybox.missing_applets under %s", (variant) => {
  it.skipIf(!hasBusybox)("lists exactly the applets whose links were removed; null without a busybox", () => {
    const farm = join(dir, `farm-${variant}`);
    mkdirSync(farm);
    execFileSync("cp", [BUSYBOX, join(farm, "busybox")]);
    const applets = execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" }).trim().split("\n");
    const removed = new Set(["ip", "losetup", "sha256sum"].filter((a) => applets.includes(a)));
    for (const a of applets) if (!removed.has(a) && a !== "busybox") symlinkSync("busybox", join(farm, a));
    expect(value(busybox.missing_applets(farm), variant)).toEqual([...removed].sort());
    expect(value(busybox.missing_applets(join(dir, "no-such-dir")), variant)).toBeNull();
  });
});

describe.each(variants)("ostree facts under %s", (variant) => {
  it.skipIf(!hasOstree)("ostree.has_commit agrees with ostree rev-parse; ostree.deployments of a fresh sysroot is empty", () => {
    const repo = join(dir, `repo-${variant}`);
    const tree = join(dir, `tree-${variant}`);
    mkdirSync(join(tree, "usr"), { recursive: true });
    execFileSync("ostree", [`--repo=${repo}`, "init", "--mode=bare-user"]);
    execFileSync("ostree", [`--repo=${repo}`, "commit", "-b", "t", `--tree=dir=${tree}`, "-s", "t"], { stdio: "ignore" });
    const commit = execFileSync("ostree", [`--repo=${repo}`, "rev-parse", "t"], { encoding: "utf8" }).trim();
    const sysroot = join(dir, `sysroot-${variant}`);
    mkdirSync(sysroot);
    execFileSync("ostree", ["admin", "init-fs", sysroot], { stdio: "ignore" });
    if (variant === "busybox-only") {
      // Only busybox on PATH: no ostree, and the fact says so.
      expect(read(ostree.has_commit(repo, commit), variant)).toEqual({ unavailable: "ostree is not installed" });
      expect(read(ostree.deployments(sysroot), variant)).toEqual({ unavailable: "ostree is not installed" });
      return;
    }
    expect(value(ostree.has_commit(repo, commit), variant)).toBe(true);
    expect(value(ostree.has_commit(repo, "0".repeat(64)), variant)).toBe(false);
    expect(read(ostree.has_commit(join(dir, "no-repo"), commit), variant)).toEqual({ unavailable: `no repository at ${join(dir, "no-repo")}` });
    expect(value(ostree.deployments(sysroot), variant)).toEqual([]);
  });
});
