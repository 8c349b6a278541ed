// busybox lab hosts for real: sshd chrooted into a busybox-only root, in private mount, UTS and PID namespaces.
import { readFile, rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labDown, labUp, type LabState } from "../../src/lab/index.js";
import { labSkipReason, testLabDir } from "../support/lab.js";
import { labTraces, NO_TRACES, ssh } from "./host-probes.js";

const skip = await labSkipReason("busybox");

describe.skipIf(skip !== undefined)("busybox lab hosts", () => {
  const name = "tbbox";
  const dir = testLabDir(name);
  let state: LabState;
  const seenPids = new Set<number>();

  beforeAll(async () => {
    await labDown({ name, dir, removeDir: true });
    // Starts plain, so the switch to busybox below is proven to rebuild every host.
    const plain = await labUp({ name, hosts: 2, dir });
    plain.hosts.forEach((host) => seenPids.add(host.sshdPid));
    const started = Date.now();
    state = await labUp({ name, hosts: 2, dir, kind: "busybox" });
    console.info(`lab up, 2 busybox hosts (replacing 2 plain ones): ${Date.now() - started} ms`);
    state.hosts.forEach((host) => seenPids.add(host.sshdPid));
  });

  afterAll(async () => {
    await labDown({ name, dir, removeDir: true });
  });

  it("rebuilds every host when the lab's kind changes, and records the new kind", () => {
    expect(state.kind).toBe("busybox");
    expect(state.hosts.map((host) => host.root)).toEqual([`${dir}/hosts/h1/root`, `${dir}/hosts/h2/root`]);
    expect(seenPids.size).toBe(4);
  });

  it("answers SSH with busybox as /bin/sh and as every tool", async () => {
    for (const host of state.hosts) {
      const [sh, ls, hostname] = (await ssh(state, host, "readlink /bin/sh; ls --help 2>&1 | head -1; hostname")).split("\n");
      expect(sh).toMatch(/(^|\/)busybox$/);
      expect(ls).toMatch(/^BusyBox v\d/);
      expect(hostname).toBe(host.name);
    }
  });

  // `which`, not `command -v`: this ash runs applets first and answers `command -v ip` with just "ip".
  it("has only busybox's userland: tools are applet links, no GNU coreutils, no bash", async () => {
    const answer = await ssh(state, state.hosts[0]!, "for t in ip stat df mount mkfs.xfs bash; do printf '%s=' $t; p=$(which $t) && readlink $p || echo missing; done");
    expect(answer.split("\n")).toEqual(["ip=/bin/busybox", "stat=/bin/busybox", "df=/bin/busybox", "mount=/bin/busybox", "mkfs.xfs=missing", "bash=missing"]);
  });

  it("shows a real system's /proc, /, /dev and network from inside: own PID namespace, root a mount point", async () => {
    const host = state.hosts[0]!;
    const answer = await ssh(state, host, "cat /proc/1/comm; awk '$2 == \"/\"' /proc/mounts | wc -l; ls /dev; ip -4 -o addr show dev eth0; head -c 4 /dev/urandom | wc -c");
    const [init, roots, ...rest] = answer.split("\n");
    expect(init).toBe("sshd");
    expect(Number(roots)).toBeGreaterThanOrEqual(1);
    expect(rest).toEqual(expect.arrayContaining(["null", "zero", "urandom", "tty", "pts", "ptmx"]));
    expect(answer).toContain(`inet ${host.address}/24`);
    expect(answer.split("\n").pop()).toBe("4");
    expect(await readFile(`${host.root}/etc/network/interfaces`, "utf8")).toContain(`address ${host.address}/24`);
  });

  it("goes down leaving no sandbox, sshd, mount, namespace or root", async () => {
    await ssh(state, state.hosts[0]!, "nohup sleep 300 >/dev/null 2>&1 &");
    const started = Date.now();
    await labDown({ name, dir });
    console.info(`lab down, 2 busybox hosts: ${Date.now() - started} ms`);
    expect(await labTraces(name, dir, [...seenPids])).toEqual(NO_TRACES);
  });

  it("also goes down cleanly when state.json was lost", async () => {
    const again = await labUp({ name, hosts: 1, dir, kind: "busybox" });
    await rm(`${dir}/state.json`);
    await rm(`${dir}/hosts/h1/sandbox.pid`);
    await labDown({ name, dir });
    expect(await labTraces(name, dir, [again.hosts[0]!.sshdPid])).toEqual(NO_TRACES);
  });
});
