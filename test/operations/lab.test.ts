// The operations for real, on a lab host over SSH: each runs twice (changed, then unchanged) and the host is checked
// to really be in the stated state. Everything lives in a scratch dir under /tmp: lab hosts share this machine's disk.
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as files from "../../operations/files/index.js";
import * as server from "../../operations/server/index.js";
import * as packages from "../../operations/packages/index.js";
import { service } from "../../operations/services/index.js";
import * as busybox from "../../operations/busybox/index.js";
import * as disk from "../../operations/disk/index.js";
import * as ostree from "../../operations/ostree/index.js";
import { deployments } from "../../facts/ostree/deployments.js";
import { findLoop } from "../../operations/disk/index.js";
import { loops } from "../../facts/block/loops.js";
import { withFarm } from "../../operations/busybox/index.js";
import type { OperationResult } from "../../src/operations/define.js";
import type { HostContext } from "../../src/host.js";
import { labSkipReason, useLab } from "../support/lab.js";
import { labHost, scratchDir, type LabHost } from "./support/lab-host.js";
import { prime } from "./support/fake-host.js";
import { which } from "../../facts/server/which.js";

const labSkip = await labSkipReason();

async function twice<A>(op: (host: HostContext, args: A) => Promise<OperationResult>, host: HostContext, args: A): Promise<[OperationResult, OperationResult]> {
  const first = await op(host, args);
  const second = await op(host, args);
  return [first, second];
}

const statuses = (r: OperationResult[]) => r.map((x) => x.status);
const modeOf = (p: string) => statSync(p).mode & 0o7777;

describe.skipIf(labSkip !== undefined)("operations on a lab host", () => {
  const lab = useLab({ name: "ops", hosts: 1 });
  let h: LabHost;
  let scratch: ReturnType<typeof scratchDir>;
  let dir: string;

  beforeAll(() => {
    scratch = scratchDir();
    dir = scratch.dir;
    h = labHost(lab.state, 0, { data: { node: { name: "n1" }, port: 8080 } });
  });
  afterAll(async () => {
    await h?.connector.close();
    scratch?.remove();
  });

  it("files: put, template, replace, line, directory, link, absent", async () => {
    const conf = join(dir, "app.conf");
    expect(statuses(await twice(files.put, h.host, { path: conf, content: "port=80\nname=x\n", mode: "0640" }))).toEqual(["changed", "unchanged"]);
    expect(readFileSync(conf, "utf8")).toBe("port=80\nname=x\n");
    expect(modeOf(conf)).toBe(0o640);

    const [r1, r2] = await twice(files.replace, h.host, { path: conf, match: "^port=\\d+$", replace: "port=9090" });
    expect([r1.status, r2.status]).toEqual(["changed", "unchanged"]);
    expect(r1.diff).toContain("+port=9090");
    expect(readFileSync(conf, "utf8")).toBe("port=9090\nname=x\n");
    expect(modeOf(conf)).toBe(0o640);

    expect(statuses(await twice(files.line, h.host, { path: conf, line: "debug=1" }))).toEqual(["changed", "unchanged"]);
    expect(readFileSync(conf, "utf8")).toBe("port=9090\nname=x\ndebug=1\n");

    const motd = join(dir, "motd");
    expect(statuses(await twice(files.template, h.host, { path: motd, template: "node {{ data.node.name }} on {{ data.port }}\n", user: "nobody", mode: 0o600 }))).toEqual(["changed", "unchanged"]);
    expect(readFileSync(motd, "utf8")).toBe("node n1 on 8080\n");
    expect(statSync(motd).uid).toBe(Number((await h.sh("id -u nobody")).trim()));

    const sub = join(dir, "a", "b");
    expect(statuses(await twice(files.directory, h.host, { path: sub, mode: "0750" }))).toEqual(["changed", "unchanged"]);
    expect(modeOf(sub)).toBe(0o750);
    const ln = join(dir, "current");
    expect(statuses(await twice(files.link, h.host, { path: ln, target: "a/b" }))).toEqual(["changed", "unchanged"]);
    expect(readlinkSync(ln)).toBe("a/b");

    expect(statuses(await twice(files.absent, h.host, { path: motd }))).toEqual(["changed", "unchanged"]);
    expect(existsSync(motd)).toBe(false);
    await expect(files.absent(h.host, { path: join(dir, "a") })).rejects.toThrow(/pass recursive: true/);
    expect(statuses(await twice(files.absent, h.host, { path: join(dir, "a"), recursive: true }))).toEqual(["changed", "unchanged"]);
    expect(existsSync(join(dir, "a"))).toBe(false);
  });

  describe("files.download and files.get", () => {
    let http: Server;
    let base: string;
    const body = Buffer.from("pretend this is busybox\n".repeat(100));
    const sum = createHash("sha256").update(body).digest("hex");
    beforeAll(async () => {
      http = createServer((req, res) => {
        if (req.url === "/bb") return void res.end(body);
        if (req.url === "/bad") return void res.end("tampered");
        res.statusCode = 404;
        res.end();
      });
      await new Promise<void>((resolve) => http.listen(0, lab.state.gateway, resolve));
      base = `http://${lab.state.gateway}:${(http.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));

    it("downloads with the sha256 checked on the host, and keeps nothing that does not match", async () => {
      const path = join(dir, "busybox");
      const [first, second] = await twice(files.download, h.host, { url: `${base}/bb`, path, sha256: sum, mode: 0o755 });
      expect([first.status, second.status]).toEqual(["changed", "unchanged"]);
      expect(first.description).toMatch(/with (wget|curl|busybox wget)/);
      expect(readFileSync(path).equals(body)).toBe(true);
      expect(modeOf(path)).toBe(0o755);

      const bad = join(dir, "bad");
      const error = await files.download(h.host, { url: `${base}/bad`, path: bad, sha256: sum }).catch((e: unknown) => e);
      expect(String((error as Error & { describe(): string }).describe())).toContain(`sha256 mismatch for ${base}/bad`);
      expect(existsSync(bad)).toBe(false);
      expect((await h.sh(`ls -A ${dir}`)).split("\n").filter((n) => n.startsWith(".pine"))).toEqual([]);
    });

    it("downloads with each tool (forced through the which facts) into a hostile path", async () => {
      const canary = join(dir, "dl-pwned");
      for (const tool of ["wget", "curl", "busybox"] as const) {
        const only = labHost(lab.state, 0);
        prime(only.host, (["wget", "curl", "busybox"] as const).map((t) => [which(t), t === tool ? `/usr/bin/${t}` : null] as const));
        const parent = join(dir, `dl $(touch ${canary}) \`touch ${canary}\``);
        mkdirSync(parent, { recursive: true });
        const path = join(parent, `${tool} $(touch pwned) 'q' "d" \nz`);
        try {
          const [first, second] = await twice(files.download, only.host, { url: `${base}/bb`, path, sha256: sum }).catch((e: Error & { describe?(): string }) => {
            throw new Error(e.describe?.() ?? e.message);
          });
          expect([first.status, second.status]).toEqual(["changed", "unchanged"]);
          expect(first.description).toContain(`with ${tool === "busybox" ? "busybox wget" : tool}`);
          expect(readFileSync(path).equals(body)).toBe(true);
        } finally {
          await only.connector.close();
        }
      }
      expect(existsSync(canary)).toBe(false);
      expect((await h.sh(`ls -A "$HOME" /`)).split("\n")).not.toContain("pwned");
    });

    // image.write on loop devices (good, corrupt, truncated, changed sources): test/operations/image/lab.test.ts.
    it("gets a host file to the controller, once", async () => {
      const src = join(dir, "remote.txt");
      writeFileSync(src, "from the host\n");
      const dest = join(dir, "local", "copy.txt");
      expect(statuses(await twice(files.get, h.host, { path: src, dest }))).toEqual(["changed", "unchanged"]);
      expect(readFileSync(dest, "utf8")).toBe("from the host\n");
    });
  });

  it("shell quoting: hostile paths and content pass through every file operation and nothing runs", async () => {
    const canary = join(dir, "pwned");
    const evil = [`$(touch ${canary})`, `\`touch ${canary}\``, `'; touch ${canary}; '`, `"; touch ${canary}; "`, "a b\nc"];
    const weird = join(dir, `we ird 'q' "d" $(touch ${canary}) \`touch ${canary}\` ;& \nnl`);
    await files.directory(h.host, { path: weird });
    expect(statSync(weird).isDirectory()).toBe(true);
    for (const [i, text] of evil.entries()) {
      const p = join(weird, `f${i} ${text.replace(/\//g, "_")}`);
      const content = `${text}\n${text}\n`;
      const put = await twice(files.put, h.host, { path: p, content }).catch((e: Error & { describe?(): string }) => {
        throw new Error(e.describe?.() ?? e.message);
      });
      expect(statuses(put)).toEqual(["changed", "unchanged"]);
      expect(readFileSync(p, "utf8")).toBe(content);
      await files.line(h.host, { path: p, line: `x ${text.replace(/\n/g, " ")}` });
      await files.replace(h.host, { path: p, match: "^x ", replace: "y $$(touch) " });
      expect(readFileSync(p, "utf8")).toContain(`y $(touch) ${text.replace(/\n/g, " ")}`);
      const t = `${p}.tpl`;
      await files.template(h.host, { path: t, template: "{{ data.v }}", vars: { v: text } });
      expect(readFileSync(t, "utf8")).toBe(text);
      const l = `${p}.link`;
      await files.link(h.host, { path: l, target: text });
      expect(readlinkSync(l)).toBe(text);
      await files.absent(h.host, { path: l });
      expect(() => lstatSync(l)).toThrow();
      await files.get(h.host, { path: p, dest: join(dir, "got", `g${i}`) });
      await server.script(h.host, { content: 'printf "%s" "$1" > "$2"\n', args: [text, `${p}.arg`] });
      expect(readFileSync(`${p}.arg`, "utf8")).toBe(text);
    }
    await server.sysctl(h.host, { key: "net.ipv4.ip_forward", value: "0", path: join(weird, "sysctl $(touch x).conf") });
    await server.hostname(h.host, { hostname: "h1", path: join(weird, "host name") });
    await server.wait(h.host, { command: `test -d '${weird.replace(/'/g, `'\\''`)}'`, timeoutMs: 2000 });
    await files.absent(h.host, { path: weird, recursive: true });
    expect(existsSync(weird)).toBe(false);
    expect(existsSync(canary)).toBe(false);
  });

  it("server.script runs an uploaded script with arguments, guarded by creates", async () => {
    const out = join(dir, "script-out");
    const args = { content: `#!/bin/sh\nset -e\necho "$1" > "$2"\n`, args: ["hello", out], creates: out };
    expect(statuses(await twice(server.script, h.host, args))).toEqual(["changed", "unchanged"]);
    expect(readFileSync(out, "utf8")).toBe("hello\n");
    expect((await h.sh("ls /tmp | grep -c pine-script || true")).trim()).toBe("0");
  });

  it("server.hostname sets the lab host's own name (its own UTS namespace) and a hostname file", async () => {
    const mine = readFileSync("/proc/sys/kernel/hostname", "utf8");
    const file = join(dir, "hostname");
    expect(statuses(await twice(server.hostname, h.host, { hostname: "renamed-1", path: file }))).toEqual(["changed", "unchanged"]);
    expect((await h.sh("uname -n")).trim()).toBe("renamed-1");
    expect(readFileSync(file, "utf8")).toBe("renamed-1\n");
    expect(readFileSync("/proc/sys/kernel/hostname", "utf8")).toBe(mine);
    await server.hostname(h.host, { hostname: lab.state.hosts[0]!.name, path: file });
  });

  it("server.sysctl sets a per-network-namespace key now and persists it", async () => {
    const mine = readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8");
    const conf = join(dir, "99-pine.conf");
    const want = (await h.sh("cat /proc/sys/net/ipv4/ip_forward")).trim() === "1" ? "0" : "1";
    expect(statuses(await twice(server.sysctl, h.host, { key: "net.ipv4.ip_forward", value: want, path: conf }))).toEqual(["changed", "unchanged"]);
    expect((await h.sh("cat /proc/sys/net/ipv4/ip_forward")).trim()).toBe(want);
    expect(readFileSync(conf, "utf8")).toBe(`net.ipv4.ip_forward = ${want}\n`);
    expect(readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8")).toBe(mine);
  });

  it("server.mount mounts a tmpfs, adds an option by remount, unmounts", async () => {
    const mnt = join(dir, "mnt");
    try {
      expect(statuses(await twice(server.mount, h.host, { path: mnt, device: "pine-ops-tmpfs", fstype: "tmpfs", options: ["size=1024k"] }))).toEqual(["changed", "unchanged"]);
      expect(await h.sh("cat /proc/mounts")).toContain(`pine-ops-tmpfs ${mnt} tmpfs`);
      expect(statuses(await twice(server.mount, h.host, { path: mnt, options: ["noexec"] }))).toEqual(["changed", "unchanged"]);
      expect(await h.sh("cat /proc/mounts")).toMatch(new RegExp(`pine-ops-tmpfs ${mnt} tmpfs \\S*noexec`));
      expect(statuses(await twice(server.mount, h.host, { path: mnt, mounted: false }))).toEqual(["changed", "unchanged"]);
      expect(await h.sh("cat /proc/mounts")).not.toContain(mnt);
    } finally {
      await h.sh(`umount ${mnt} 2>/dev/null; true`);
    }
  });

  it("server.wait: a listening port is already there; a command is waited for; a timeout says what it waited for", async () => {
    expect((await server.wait(h.host, { port: 22 })).status).toBe("unchanged");
    const flag = join(dir, "ready");
    await h.sh(`(sleep 2; touch ${flag}) >/dev/null 2>&1 &`);
    const started = Date.now();
    expect((await server.wait(h.host, { command: `test -f ${flag}`, timeoutMs: 20_000 })).status).toBe("changed");
    expect(Date.now() - started).toBeLessThan(15_000);
    const error = (await server.wait(h.host, { port: 1, timeoutMs: 2_000 }).catch((e: unknown) => e)) as Error & { describe(): string };
    expect(error.describe()).toContain("timed out after 2s waiting for TCP port 1 to listen");
  });

  it("server.user creates pinetest1 with groups, shell, home and keys, changes it, removes it", async () => {
    const home = join(dir, "home-pinetest1");
    const key = readFileSync(`${lab.state.key}.pub`, "utf8").trim();
    const args = { name: "pinetest1", home, shell: "/bin/sh", groups: ["adm"], authorizedKeys: [key] };
    try {
      expect(statuses(await twice(server.user, h.host, args))).toEqual(["changed", "unchanged"]);
      const passwd = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("pinetest1:"))!;
      expect(passwd.split(":").slice(5)).toEqual([home, "/bin/sh"]);
      expect((await h.sh("id -Gn pinetest1")).trim().split(" ")).toContain("adm");
      const keys = join(home, ".ssh", "authorized_keys");
      expect(readFileSync(keys, "utf8")).toBe(`${key}\n`);
      expect(modeOf(keys)).toBe(0o600);
      expect(modeOf(join(home, ".ssh"))).toBe(0o700);
      const uid = Number((await h.sh("id -u pinetest1")).trim());
      expect(statSync(keys).uid).toBe(uid);
      expect(statuses(await twice(server.user, h.host, { ...args, shell: "/bin/bash", groups: [] }))).toEqual(["changed", "unchanged"]);
      expect((await h.sh("id -Gn pinetest1")).trim().split(" ")).not.toContain("adm");
      expect(statuses(await twice(server.user, h.host, { name: "pinetest1", present: false }))).toEqual(["changed", "unchanged"]);
      expect(readFileSync("/etc/passwd", "utf8")).not.toMatch(/^pinetest1:/m);
    } finally {
      await h.sh("userdel pinetest1 2>/dev/null; groupdel pinetest1 2>/dev/null; true");
    }
  });

  it("busybox.linkfarm pushes a static busybox and links its applets; commands then run from the farm", async () => {
    const farm = join(dir, "farm dir", "bin");
    const src = "/bin/busybox";
    const sum = createHash("sha256").update(readFileSync(src)).digest("hex");
    expect(statuses(await twice(busybox.linkfarm, h.host, { dir: farm, src, sha256: sum }))).toEqual(["changed", "unchanged"]);
    expect(readlinkSync(join(farm, "sh"))).toBe(join(farm, "busybox"));
    expect((await h.sh(withFarm(farm, "command -v wget"))).trim()).toBe(join(farm, "wget"));
    await h.sh(`rm ${JSON.stringify(join(farm, "wget"))}`);
    h.host.invalidate("busybox.*"); // changed behind pine's back: forget what the cache knew
    const relink = await busybox.linkfarm(h.host, { dir: farm, src, sha256: sum });
    expect(relink.description).toBe(`busybox in ${farm}: link 1 applet(s)`);
  });

  it("server.reboot over the real connector: a 'reboot' that does not reboot is caught, because ssh answering is not enough", async () => {
    // A plain lab host IS this machine (same kernel and PID namespace): reboot refuses it outright.
    await expect(server.reboot(h.host, { timeoutMs: 6_000 })).rejects.toThrow(/machine pine itself runs on/);
    // command "true" (allowed past the guard because it reboots nothing): the hook must time out seeing the same boot.
    const error = (await server.reboot(h.host, { command: "true", allowController: true, timeoutMs: 6_000, settleMs: 500, pollMs: 500 }).catch((e: unknown) => e)) as Error & { describe(): string };
    expect(error.describe()).toContain("did not come back in a new boot within 6s");
    expect(error.describe()).toContain("still answered from the old boot");
    expect((await h.sh("echo ok")).trim()).toBe("ok");
  });

  it("disk: loop devices over a sparse file (whole and a slice), mkfs guarded by the magic bytes, tmpfs, detach only ours", async () => {
    const image = join(dir, "disk.img");
    await h.sh(`truncate -s 320M ${image}`);
    const type = (dev: string) => h.sh(`blkid -o value -s TYPE ${dev} || true`).then((t) => t.trim());
    const find = async (offset = 0, size = 0) => {
      const all = await h.host.fact(loops);
      return findLoop(all, image, offset, size)?.device;
    };
    try {
      expect(statuses(await twice(disk.loop_attach, h.host, { file: image }))).toEqual(["changed", "unchanged"]);
      const whole = (await find())!;
      expect(whole).toMatch(/^\/dev\/loop\d+$/);
      expect(statuses(await twice(disk.mkfs, h.host, { device: whole, fstype: "ext2", label: "boot" }))).toEqual(["changed", "unchanged"]);
      expect(await type(whole)).toBe("ext2");
      await expect(disk.mkfs(h.host, { device: whole, fstype: "xfs" })).rejects.toThrow(/holds ext2 "boot"; refusing to format/);
      expect(await type(whole)).toBe("ext2");
      expect(statuses(await twice(disk.mkfs, h.host, { device: whole, fstype: "xfs", force: true }))).toEqual(["changed", "unchanged"]);
      expect(await type(whole)).toBe("xfs");

      const slice = { file: image, offset: 1024 * 1024, sizeLimit: 64 * 1024 * 1024 };
      expect(statuses(await twice(disk.loop_attach, h.host, slice))).toEqual(["changed", "unchanged"]);
      const part = (await find(slice.offset, slice.sizeLimit))!;
      expect((await h.sh(`blockdev --getsize64 ${part}`)).trim()).toBe(String(64 * 1024 * 1024));
      expect(statuses(await twice(disk.mkfs, h.host, { device: part, fstype: "swap", force: true }))).toEqual(["changed", "unchanged"]);
      expect(await type(part)).toBe("swap");

      const ws = join(dir, "workspace");
      expect(statuses(await twice(disk.tmpfs, h.host, { path: ws, size: "8m", mode: "0700" }))).toEqual(["changed", "unchanged"]);
      expect(await h.sh("cat /proc/mounts")).toMatch(new RegExp(`tmpfs ${ws} tmpfs \\S*size=8192k`));
      await server.mount(h.host, { path: ws, mounted: false });

      expect(statuses(await twice(disk.loop_detach, h.host, { file: image }))).toEqual(["changed", "unchanged"]);
      expect((await h.sh(`losetup -j ${image}`)).trim()).toBe("");
    } finally {
      await h.sh(`for d in $(losetup -j ${image} | cut -d: -f1); do losetup -d "$d"; done; umount ${join(dir, "workspace")} 2>/dev/null; true`);
    }
  });

  it("ostree: apply a static delta, deploy, keep two, roll back — in a scratch sysroot", async () => {
    const sys = join(dir, "sysroot");
    const build = join(dir, "build-repo");
    const tree = join(dir, "tree");
    const repo = join(sys, "ostree", "repo");
    // A tiny OS tree (ostree admin deploy wants a kernel under /usr/lib/modules) and two commits of it.
    const commit = async (text: string) => {
      await h.sh(`echo ${text} > ${tree}/usr/bin/version && ostree --repo=${build} commit -b pine/x86_64 --tree=dir=${tree} -s ${text} >/dev/null`);
      return (await h.sh(`ostree --repo=${build} rev-parse pine/x86_64`)).trim();
    };
    await h.sh(`mkdir -p ${tree}/usr/bin ${tree}/usr/etc ${tree}/usr/lib/modules/6.1.0 ${sys} && echo ID=pine > ${tree}/usr/etc/os-release && echo k > ${tree}/usr/lib/modules/6.1.0/vmlinuz && ostree --repo=${build} init --mode=archive && ostree admin init-fs ${sys} >/dev/null && ostree admin os-init --sysroot=${sys} pine >/dev/null`);
    const c1 = await commit("one");
    const c2 = await commit("two");
    await h.sh(`ostree --repo=${repo} pull-local ${build} ${c1} >/dev/null`);
    const delta = join(dir, "delta.tar");
    await h.sh(`ostree --repo=${build} static-delta generate --from=${c1} --to=${c2} --inline --filename=${delta} >/dev/null`);
    const next = async () => (await h.host.fact(deployments(sys))).map((d) => d.commit);
    const say = (e: Error & { describe?(): string }) => {
      throw new Error(e.describe?.() ?? e.message);
    };
    try {

    expect(statuses(await twice(ostree.deploy, h.host, { commit: c1, sysroot: sys }).catch(say))).toEqual(["changed", "unchanged"]);
    await expect(ostree.deploy(h.host, { commit: c2, sysroot: sys })).rejects.toThrow(/has no commit .*apply its delta first/);
    expect(statuses(await twice(ostree.apply_delta, h.host, { delta, commit: c2, sysroot: sys }))).toEqual(["changed", "unchanged"]);
    expect(statuses(await twice(ostree.deploy, h.host, { commit: c2, sysroot: sys }))).toEqual(["changed", "unchanged"]);
    expect(await next()).toEqual([c2, c1]);
    // Without a booted deployment, ostree's own deploy keeps only two; --retain builds the three that keep must trim.
    await h.sh(`ostree admin deploy --sysroot=${sys} --os=pine --retain ${c1} >/dev/null`);
    h.host.invalidate("ostree.*");
    expect(await next()).toEqual([c1, c2, c1]);
    expect(statuses(await twice(ostree.keep, h.host, { sysroot: sys }))).toEqual(["changed", "unchanged"]);
    expect(await next()).toEqual([c1, c2]);
    expect((await ostree.rollback(h.host, { sysroot: sys })).status).toBe("changed");
    expect((await next())[0]).toBe(c2);
    const c3 = await commit("three");
    await expect(ostree.apply_delta(h.host, { delta, commit: c3, sysroot: sys })).rejects.toThrow(/ostree.apply_delta failed/);
    } finally {
      // ostree marks deployment roots immutable; the scratch dir could not be removed otherwise.
      await h.sh(`for d in ${sys}/ostree/deploy/*/deploy/*; do [ -d "$d" ] && chattr -i "$d"; done; true`);
    }
  });

  it("packages.apt reads dpkg for real: installed packages are unchanged, a missing one is only planned under --dry", async () => {
    expect((await packages.apt(h.host, { packages: ["coreutils", "dpkg"] })).status).toBe("unchanged");
    expect((await packages.apt(h.host, { packages: ["pine-no-such-package"], present: false })).status).toBe("unchanged");
    const dry = labHost(lab.state, 0, { dry: true });
    try {
      const r = await packages.apt(dry.host, { packages: ["coreutils", "pine-no-such-package"], update: true, cacheMaxAge: 10 ** 9 });
      expect(r.status).toBe("planned");
      expect(r.commands).toEqual([
        "env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --no-install-recommends install pine-no-such-package",
      ]);
    } finally {
      await dry.connector.close();
    }
  });

  it("services.service: on a host whose init pine cannot tell, fails saying so (this machine's PID 1 is not an init)", async () => {
    const pid1 = readFileSync("/proc/1/comm", "utf8").trim();
    const r = service(h.host, { name: "ssh", running: true });
    if (["systemd", "init", "openrc-init"].includes(pid1)) await expect(r).resolves.toBeDefined();
    else await expect(r).rejects.toThrow(/cannot tell the init system/);
  });
});
