// Planning packages.apt / packages.apk / services.service from given facts, and the parsers of the facts they read.
import { describe, expect, it } from "vitest";
import * as packages from "../../operations/packages/index.js";
import { service } from "../../operations/services/index.js";
import { aptCommand } from "../../operations/packages/apt.js";
import { dpkgInstalled, parseDeb } from "../../facts/packages/dpkg-installed.js";
import { apkInstalled, parseApk } from "../../facts/packages/apk-installed.js";
import { aptCacheAge, parseAptAge } from "../../facts/packages/apt-cache-age.js";
import { init } from "../../facts/server/init.js";
import { parseStatus, status } from "../../facts/services/status.js";
import { fakeHost } from "./support/fake-host.js";

const APT = "env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold";

describe("packages.apt", () => {
  const installed = { curl: "7.88.1-10", "ca-certificates": "20230311" };
  it("installs only what is missing or at another version", async () => {
    const f = fakeHost([[dpkgInstalled, installed]]);
    const r = await packages.apt(f.host, { packages: ["curl", "ca-certificates=20230312", "htop"] });
    expect(f.commands).toEqual([`${APT} --no-install-recommends install ca-certificates=20230312 htop`]);
    expect(r.description).toBe("install ca-certificates 20230311 → 20230312, htop");
    expect(aptCommand("update")).toBe(`${APT} update`);
  });
  it("updates only when the lists are older than cacheMaxAge; a converged host is unchanged", async () => {
    const fresh = fakeHost([[dpkgInstalled, installed], [aptCacheAge, 100]]);
    expect((await packages.apt(fresh.host, { packages: "curl=7.88.1-10", update: true, cacheMaxAge: 3600 })).status).toBe("unchanged");
    const stale = fakeHost([[dpkgInstalled, installed], [aptCacheAge, 7200]]);
    await packages.apt(stale.host, { packages: "curl", update: true, cacheMaxAge: 3600 });
    expect(stale.commands).toEqual([`${APT} update`]);
    const never = fakeHost([[dpkgInstalled, installed], [aptCacheAge, null]]);
    await packages.apt(never.host, { update: true, cacheMaxAge: 3600 });
    expect(never.commands).toEqual([`${APT} update`]);
  });
  it("removes or purges installed ones only; validates names", async () => {
    const f = fakeHost([[dpkgInstalled, installed]]);
    await packages.apt(f.host, { packages: ["curl", "htop"], present: false, purge: true });
    expect(f.commands).toEqual([`${APT} purge curl`]);
    await expect(packages.apt(fakeHost([]).host, { packages: ["curl; rm -rf /"] })).rejects.toThrow(/packages.apt: "curl; rm -rf \/" is not a package name/);
    await expect(packages.apt(fakeHost([]).host, {})).rejects.toThrow("packages.apt: give packages, update: true, or both");
  });
  it("parses dpkg-query output: installed only, multiarch names", () => {
    const out = "curl\t7.88.1-10\tinstall ok installed\nlibc6:amd64\t2.36-9\tinstall ok installed\nold\t1.0\tdeinstall ok config-files\n";
    expect(parseDeb(out)).toEqual({ curl: "7.88.1-10", libc6: "2.36-9" });
    expect(parseAptAge("now=1000\nmtime=400\n")).toBe(600);
    expect(parseAptAge("now=1000\n")).toBeNull();
  });
});

describe("packages.apk", () => {
  it("adds missing and pinned packages, deletes present ones", async () => {
    const f = fakeHost([[apkInstalled, { busybox: "1.36.1-r15", openssh: "9.6_p1-r0" }]]);
    await packages.apk(f.host, { packages: ["busybox", "openssh=9.7_p1-r0", "xfsprogs"] });
    expect(f.commands).toEqual(["apk add -q --no-progress openssh=9.7_p1-r0 xfsprogs"]);
    const g = fakeHost([[apkInstalled, { busybox: "1.36.1-r15" }]]);
    await packages.apk(g.host, { packages: ["busybox", "nano"], present: false });
    expect(g.commands).toEqual(["apk del -q busybox"]);
    expect((await packages.apk(fakeHost([[apkInstalled, { busybox: "1.36.1-r15" }]]).host, { packages: "busybox" })).status).toBe("unchanged");
  });
  it("parses the apk database's P:/V: lines", () => {
    expect(parseApk("P:musl\nV:1.2.4-r2\nP:busybox\nV:1.36.1-r15\n")).toEqual({ musl: "1.2.4-r2", busybox: "1.36.1-r15" });
  });
});

describe("services.service", () => {
  const cases = [
    { init: "systemd", now: { via: "systemd", exists: true, running: false, enabled: false }, args: { running: true, enabled: true }, commands: ["systemctl start nginx.service", "systemctl enable nginx.service"] },
    { init: "upstart", now: { via: "upstart", exists: true, running: true, enabled: true }, args: { running: false, enabled: false }, commands: ["initctl stop nginx", "echo manual >> /etc/init/nginx.override"] },
    { init: "sysvinit", now: { via: "sysvinit", exists: true, running: false, enabled: true }, args: { running: true }, commands: ["/etc/init.d/nginx start"] },
    { init: "sysvinit", now: { via: "sysvinit", exists: true, running: true, enabled: true }, args: { enabled: false }, commands: ["if command -v update-rc.d >/dev/null 2>&1; then update-rc.d nginx disable; else chkconfig nginx off; fi"] },
    { init: "openrc", now: { via: "openrc", exists: true, running: true, enabled: false }, args: { running: true, enabled: true, restartOn: [{ status: "changed" }] }, commands: ["rc-service nginx restart", "rc-update add nginx default"] },
    { init: "systemd", now: { via: "systemd", exists: true, running: true, enabled: true }, args: { running: true, restartOn: [{ status: "unchanged" }] }, commands: [] },
    { init: "systemd", now: { via: "systemd", exists: true, running: true, enabled: null }, args: { enabled: true, restartOn: [{ status: "changed" }], reload: true }, commands: ["systemctl reload nginx.service"] },
    { init: "upstart", now: { via: "sysvinit", exists: true, running: true, enabled: true }, args: { running: false }, commands: ["/etc/init.d/nginx stop"] },
  ] as const;
  for (const c of cases) {
    it(`${c.init}: ${JSON.stringify(c.args)} from ${JSON.stringify(c.now)}`, async () => {
      const f = fakeHost([[init, c.init], [status("nginx", c.init), c.now]]);
      const r = await service(f.host, { name: "nginx", ...c.args });
      expect(f.commands).toEqual(c.commands);
      expect(r.status).toBe(c.commands.length ? "changed" : "unchanged");
    });
  }
  it("fails clearly for an unknown service, busybox init, or a vague request", async () => {
    await expect(service(fakeHost([[init, "systemd"], [status("nope", "systemd"), { via: "systemd", exists: false, running: false, enabled: null }]]).host, { name: "nope", running: true })).rejects.toThrow(
      'services.service: h1 has no systemd service "nope"',
    );
    await expect(service(fakeHost([[init, "busybox"]]).host, { name: "x", running: true })).rejects.toThrow(/busybox init/);
    await expect(service(fakeHost([]).host, { name: "x" })).rejects.toThrow("services.service x: say running, enabled or restartOn");
  });
  it("reads systemctl show and the sysv/openrc key lines", () => {
    expect(parseStatus("via=systemd\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n", "systemd")).toEqual({ via: "systemd", exists: true, running: true, enabled: true });
    expect(parseStatus("via=systemd\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n", "systemd")).toMatchObject({ exists: false });
    expect(parseStatus("via=sysvinit\nexists=1\nrunning=0\nenabled=1\n", "upstart")).toEqual({ via: "sysvinit", exists: true, running: false, enabled: true });
  });
});
