// Planning the server.* operations from given facts: exact commands, unchanged when already right, clear errors.
import { describe, expect, it } from "vitest";
import * as server from "../../operations/server/index.js";
import { scriptCommand, interpreter } from "../../operations/server/script.js";
import { authorizedKeysCommand } from "../../operations/server/user.js";
import { bootIdentity, scheduleCommand, waitForNewBoot } from "../../operations/server/reboot.js";
import { kernelIdentity, kernelIdentityCommand, localKernelIdentity } from "../../facts/server/kernel-identity.js";
import { content } from "../../facts/files/content.js";
import { file } from "../../facts/files/file.js";
import { sha256 } from "../../facts/files/sha256.js";
import { hostname } from "../../facts/server/hostname.js";
import { sysctl } from "../../facts/server/sysctl.js";
import { users } from "../../facts/server/users.js";
import { groups } from "../../facts/server/groups.js";
import { which } from "../../facts/server/which.js";
import { mounts } from "../../facts/server/mounts.js";
import { MAX_EDIT_BYTES } from "../../operations/files/edit.js";
import { FakeConnector, fakeHost } from "./support/fake-host.js";
import { contentOf, sha, stat } from "./support/facts.js";

describe("server.script", () => {
  it("sends the script over stdin into a temp file and runs it with its interpreter and quoted args", async () => {
    const text = "#!/bin/bash -e\necho hi\n";
    const f = fakeHost([]);
    const r = await server.script(f.host, { content: text, args: ["a b", "$(x)"] });
    expect(r.status).toBe("changed");
    expect(f.connector.commands[0]).toEqual({ command: scriptCommand(text, ["a b", "$(x)"]), stdin: text });
    expect(f.commands[0]!.split("\n").at(-1)).toBe(`/bin/bash -e "$pine_tmp" 'a b' '$(x)' </dev/null`);
    expect(interpreter("echo no shebang")).toEqual(["sh"]);
  });

  it("skips when `creates` exists; demands exactly one source", async () => {
    const f = fakeHost([[file("/done"), stat("/done")]]);
    expect((await server.script(f.host, { content: "true", creates: "/done" })).status).toBe("unchanged");
    await expect(server.script(fakeHost([]).host, {})).rejects.toThrow("server.script: give exactly one of src or content");
  });
});

describe("server.hostname", () => {
  it("sets the running name and /etc/hostname, only what differs", async () => {
    const f = fakeHost([[hostname, "old"], [file("/etc/hostname"), stat("/etc/hostname")], [sha256("/etc/hostname"), sha("old\n")], [content("/etc/hostname"), contentOf("old\n")]]);
    const r = await server.hostname(f.host, { hostname: "web-1.lan" });
    expect(r.description).toBe("hostname web-1.lan: running name old → web-1.lan, /etc/hostname");
    expect(f.connector.commands[0]!.stdin).toBe("web-1.lan\n");
    expect(f.commands[1]).toBe("hostname web-1.lan");
    const g = fakeHost([[hostname, "web-1.lan"], [file("/etc/hostname"), stat("/etc/hostname")], [sha256("/etc/hostname"), sha("web-1.lan\n")]]);
    expect((await server.hostname(g.host, { hostname: "web-1.lan" })).status).toBe("unchanged");
    await expect(server.hostname(fakeHost([]).host, { hostname: "bad name;rm" })).rejects.toThrow(/server.hostname: hostname must be/);
  });
});

describe("server.sysctl", () => {
  const key = "net.ipv4.ip_forward";
  const conf = "/etc/sysctl.d/99-pine.conf";
  it("writes /proc/sys now and persists the line, replacing an earlier value", async () => {
    const f = fakeHost([[sysctl(key), "0"], [file(conf), stat(conf)], [content(conf, MAX_EDIT_BYTES), contentOf("# x\nnet.ipv4.ip_forward=0\n")]]);
    const r = await server.sysctl(f.host, { key, value: 1 });
    expect(f.commands[0]).toBe(`printf '%s\\n' 1 > /proc/sys/net/ipv4/ip_forward`);
    expect(f.connector.commands[1]!.stdin).toBe("# x\nnet.ipv4.ip_forward = 1\n");
    expect(r.description).toBe("sysctl net.ipv4.ip_forward = 1: 0 → 1 now, persisted in /etc/sysctl.d/99-pine.conf");
  });
  it("compares multi-field values by words; unchanged when both are right; unknown key is an error", async () => {
    const k = "net.ipv4.ip_local_port_range";
    const f = fakeHost([[sysctl(k), "1024 65000"], [file(conf), stat(conf)], [content(conf, MAX_EDIT_BYTES), contentOf(`${k} = 1024 65000\n`)]]);
    expect((await server.sysctl(f.host, { key: k, value: [1024, 65000] })).status).toBe("unchanged");
    await expect(server.sysctl(fakeHost([[sysctl("nope.x"), null]]).host, { key: "nope.x", value: 1, persist: false })).rejects.toThrow(/has no \/proc\/sys\/nope\/x/);
    await expect(server.sysctl(fakeHost([]).host, { key: "a;b", value: 1 })).rejects.toThrow(/server.sysctl: key must look like/);
  });
});

describe("server.mount", () => {
  const tmpfs = { device: "tmpfs", mountpoint: "/mnt/t", fstype: "tmpfs", options: ["rw", "relatime"] };
  it("mounts, remounts with missing options, unmounts", async () => {
    const f = fakeHost([[mounts, []], [file("/mnt/t"), null]]);
    await server.mount(f.host, { path: "/mnt/t", device: "tmpfs", fstype: "tmpfs", options: ["size=1m", "noexec"] });
    expect(f.commands).toEqual(["mkdir -p -- /mnt/t && mount -t tmpfs -o size=1m,noexec -- tmpfs /mnt/t"]);
    const g = fakeHost([[mounts, [tmpfs]], [file("/mnt/t"), stat("/mnt/t", { type: "directory" })]]);
    await server.mount(g.host, { path: "/mnt/t", device: "tmpfs", options: ["rw", "noexec"] });
    expect(g.commands).toEqual(["mount -o remount,noexec -- /mnt/t"]);
    const h = fakeHost([[mounts, [tmpfs]], [file("/mnt/t"), stat("/mnt/t", { type: "directory" })]]);
    await server.mount(h.host, { path: "/mnt/t", mounted: false });
    expect(h.commands).toEqual(["umount /mnt/t"]);
    const u = fakeHost([[mounts, [tmpfs]], [file("/mnt/t"), stat("/mnt/t", { type: "directory" })]]);
    expect((await server.mount(u.host, { path: "/mnt/t", device: "tmpfs", options: ["rw"] })).status).toBe("unchanged");
    const w = fakeHost([[mounts, [tmpfs]], [file("/mnt/t"), stat("/mnt/t", { type: "directory" })]]);
    await expect(server.mount(w.host, { path: "/mnt/t", device: "/dev/sdb1" })).rejects.toThrow(/has tmpfs mounted, not \/dev\/sdb1/);
  });
});

describe("server.wait", () => {
  it("is unchanged when the probe already succeeds, else loops on the host with a deadline", async () => {
    const ok = fakeHost([], { respond: () => ({ exitCode: 0 }) });
    expect((await server.wait(ok.host, { port: 22 })).status).toBe("unchanged");
    expect(ok.commands).toEqual([`grep -Eq ':0016 [0-9A-Fa-f]+:0000 0A ' /proc/net/tcp /proc/net/tcp6 2>/dev/null`]);
    let first = true;
    const later = fakeHost([], { respond: () => (first ? ((first = false), { exitCode: 1 }) : { exitCode: 0 }) });
    const r = await server.wait(later.host, { command: "test -f /x", timeoutMs: 5000 });
    expect(r.status).toBe("changed");
    expect(later.commands[1]).toContain("pine_end=$(( $(date +%s) + 5 ))");
    expect(later.commands[1]).toContain("timed out after 5s waiting for `test -f /x` to succeed");
    await expect(server.wait(fakeHost([]).host, { port: 70000 })).rejects.toThrow("server.wait: port must be 1-65535, got 70000");
  });
});

describe("server.user", () => {
  const base = [
    [users, [{ name: "root", uid: 0, gid: 0, comment: "", home: "/root", shell: "/bin/sh" }, { name: "deploy", uid: 1001, gid: 1001, comment: "", home: "/home/deploy", shell: "/bin/sh" }]],
    [groups, [{ name: "root", gid: 0, members: [] }, { name: "deploy", gid: 1001, members: [] }, { name: "sudo", gid: 27, members: ["deploy"] }, { name: "adm", gid: 4, members: [] }]],
  ] as const;
  const shadow = [...base, [which("useradd"), "/usr/sbin/useradd"]] as const;
  const busybox = [...base, [which("useradd"), null]] as const;

  it("creates with useradd (shadow) or adduser + addgroup (busybox)", async () => {
    const f = fakeHost(shadow);
    await server.user(f.host, { name: "app", uid: 2000, shell: "/bin/bash", groups: ["sudo", "adm"], home: "/srv/app" });
    expect(f.commands).toEqual(["useradd -m -d /srv/app -s /bin/bash -u 2000 -G adm,sudo -- app"]);
    const b = fakeHost(busybox);
    await server.user(b.host, { name: "app", groups: ["adm"] });
    expect(b.commands).toEqual(["adduser -D -h /home/app app", "addgroup app adm"]);
  });

  it("modifies only what differs, and sets the supplementary groups exactly", async () => {
    const f = fakeHost(shadow);
    const r = await server.user(f.host, { name: "deploy", shell: "/bin/bash", groups: ["adm"] });
    expect(f.commands).toEqual(["usermod -s /bin/bash -G adm -- deploy"]);
    expect(r.description).toBe("user deploy: shell /bin/sh → /bin/bash, groups sudo → adm");
    const b = fakeHost(busybox);
    await server.user(b.host, { name: "deploy", groups: ["adm"] });
    expect(b.commands).toEqual(["addgroup deploy adm", "delgroup deploy sudo"]);
    expect((await server.user(fakeHost(shadow).host, { name: "deploy", uid: 1001, groups: ["sudo"] })).status).toBe("unchanged");
  });

  it("writes authorized keys 0600 in a 0700 ~/.ssh, unless they are already right", async () => {
    const home = "/home/deploy";
    const keys = ["ssh-ed25519 AAAA a@b"];
    const right = [
      ...shadow,
      [file(`${home}/.ssh`), stat(`${home}/.ssh`, { type: "directory", mode: 0o700, uid: 1001 })],
      [file(`${home}/.ssh/authorized_keys`), stat(`${home}/.ssh/authorized_keys`, { mode: 0o600, uid: 1001 })],
      [content(`${home}/.ssh/authorized_keys`, 0), { ...contentOf("ssh-ed25519 AAAA a@b\n"), bytes: null }],
    ] as const;
    expect((await server.user(fakeHost(right).host, { name: "deploy", authorizedKeys: keys })).status).toBe("unchanged");
    const loose = [...right.slice(0, 4), [file(`${home}/.ssh/authorized_keys`), stat(`${home}/.ssh/authorized_keys`, { mode: 0o644, uid: 1001 })], right[5]] as const;
    const f = fakeHost(loose);
    await server.user(f.host, { name: "deploy", authorizedKeys: keys });
    expect(f.connector.commands).toEqual([{ command: authorizedKeysCommand("deploy", home), stdin: "ssh-ed25519 AAAA a@b\n" }]);
    expect(f.commands[0]).toContain(`pine_owner=deploy:"$(id -g deploy)"`);
    expect(f.commands[0]).toContain("chmod 0600");
  });

  it("removes, refuses unknown groups and taken uids, validates names", async () => {
    const f = fakeHost(shadow);
    await server.user(f.host, { name: "deploy", present: false, removeHome: true });
    expect(f.commands).toEqual(["userdel -r deploy"]);
    expect((await server.user(fakeHost(shadow).host, { name: "ghost", present: false })).status).toBe("unchanged");
    await expect(server.user(fakeHost(shadow).host, { name: "x", groups: ["wheel"] })).rejects.toThrow(/group\(s\) wheel do not exist/);
    await expect(server.user(fakeHost(shadow).host, { name: "x", uid: 1001 })).rejects.toThrow(/uid 1001 already belongs to deploy/);
    await expect(server.user(fakeHost([]).host, { name: "-rf" })).rejects.toThrow(/server.user: name must be/);
    await expect(server.user(fakeHost(busybox).host, { name: "deploy", shell: "/bin/bash" })).rejects.toThrow(/needs usermod.*apk add shadow/);
  });
});

describe("server.reboot (from given facts only: rebooting a real host is not safe here)", () => {
  const old = "11111111-2222-3333-4444-555555555555";
  const fresh = "99999999-2222-3333-4444-555555555555";
  const fast = { settleMs: 0, pollMs: 0 };
  const identity = (bootId: string, pidNamespace = "pid:[4026532100]", initStart = 100) => ({ bootId, pidNamespace, initStart });
  const answer = (bootId: string, pidns = "pid:[4026532100]", initStart = 100) => ({ stdout: `boot_id=${bootId}\npidns=${pidns}\ninit_start=${initStart}\n` });
  const isIdentityProbe = (cmd: string) => cmd === kernelIdentityCommand;

  it("schedules a detached reboot, then polls the boot id until it changes", async () => {
    let polls = 0;
    const f = fakeHost([[kernelIdentity, identity(old)]], {
      respond: (cmd) => {
        if (!isIdentityProbe(cmd)) return undefined;
        polls++;
        if (polls === 1) throw new Error("connect ECONNREFUSED");
        if (polls === 2) return answer(old);
        return answer(fresh);
      },
    });
    const r = await server.reboot(f.host, fast);
    expect(r.status).toBe("changed");
    expect(f.commands[0]).toBe(scheduleCommand("reboot || reboot -f"));
    expect(f.commands[0]).toBe(`sh -c 'trap '\\'''\\'' HUP; sleep 1; reboot || reboot -f' >/dev/null 2>&1 </dev/null &`);
    expect(polls).toBe(3);
  });

  it("a container restart keeps the kernel's boot id (and may even get the same PID namespace inode): its PID 1's start time tells", async () => {
    let polls = 0;
    const f = fakeHost([[kernelIdentity, identity(old, "pid:[4026532100]", 100)]], {
      respond: (cmd) => {
        if (!isIdentityProbe(cmd)) return undefined;
        polls++;
        return polls === 1 ? answer(old, "pid:[4026532100]", 100) : answer(old, "pid:[4026532100]", 7321);
      },
    });
    expect((await server.reboot(f.host, fast)).status).toBe("changed");
    expect(polls).toBe(2);
  });

  it("refuses to reboot the machine pine runs on, unless told to", async () => {
    const f = fakeHost([[kernelIdentity, localKernelIdentity()]]);
    await expect(server.reboot(f.host, fast)).rejects.toThrow(/machine pine itself runs on/);
    expect(f.commands).toEqual([]);
  });

  it("fails with the last thing seen when the boot id never changes", async () => {
    const c = new FakeConnector(() => answer(old));
    let t = 0;
    await expect(waitForNewBoot(c, "h1", bootIdentity(identity(old)), { timeoutMs: 10_000, settleMs: 0, pollMs: 0, sleep: async () => void (t += 2_000), now: () => t })).rejects.toMatchObject({
      message: "server.reboot: h1 did not come back in a new boot within 10s",
      stderr: expect.stringContaining("still answered from the old boot"),
    });
  });

  it("refuses a new host key on a connector that cannot switch keys; dry run only plans", async () => {
    await expect(server.reboot(fakeHost([[kernelIdentity, identity(old)]]).host, { hostKey: "ssh-ed25519 AAAAC3Nz" })).rejects.toThrow(/cannot switch to a new host key/);
    const d = fakeHost([[kernelIdentity, identity(old)]], { dry: true });
    const r = await server.reboot(d.host, {});
    expect(r.status).toBe("planned");
    expect(d.commands).toEqual([]);
  });
});
