// debian lab hosts for real: a cached mmdebstrap root booted by systemd-nspawn, rebooting like an OpenVZ/LXC guest.
import { readFile, rm, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDebianRootfs, isDebianRootfsCached, labDown, labUp, type LabHostState, type LabState } from "../../src/lab/index.js";
import { labSkipReason, ROOTFS_HOOK_TIMEOUT_MS, testLabDir } from "../support/lab.js";
import { labTraces, NO_TRACES, ownPidNamespace, ssh, sshUntil } from "./host-probes.js";

const skip = await labSkipReason("debian");
const BOOT_ID = "cat /proc/sys/kernel/random/boot_id";
const RELAUNCH_TIMEOUT_MS = 60_000;

/**
 * Reboots a debian host from inside and waits for it to answer with a new boot id. Never anywhere else:
 * first proves the host's PID 1 is a systemd in a PID namespace other than this machine's.
 */
async function rebootInside(state: LabState, host: LabHostState): Promise<{ before: string; after: string; ms: number }> {
  const [init, namespace] = (await ssh(state, host, "cat /proc/1/comm; readlink /proc/1/ns/pid")).split("\n");
  if (init !== "systemd" || !namespace || namespace === (await ownPidNamespace())) {
    throw new Error(`refusing to reboot ${host.name}: PID 1 is ${init} in ${namespace}, not a container's systemd`);
  }
  const before = await ssh(state, host, BOOT_ID);
  const started = Date.now();
  // The connection may drop before systemctl returns; the new boot id is the proof, not this exit code.
  await ssh(state, host, "systemctl reboot", 10_000).catch(() => undefined);
  const after = await sshUntil(state, host, BOOT_ID, (id) => /^[0-9a-f-]{36}$/.test(id) && id !== before, RELAUNCH_TIMEOUT_MS);
  return { before, after, ms: Date.now() - started };
}

describe.skipIf(skip !== undefined)("debian lab hosts (systemd-nspawn under a relaunching supervisor)", () => {
  const name = "tdeb";
  const dir = testLabDir(name);
  let state: LabState;
  const seenPids = new Set<number>();

  beforeAll(async () => {
    await labDown({ name, dir, removeDir: true });
    const cached = await isDebianRootfsCached();
    let started = Date.now();
    const tarball = await ensureDebianRootfs();
    console.info(`debian rootfs ${cached ? "cached" : "built fresh"} in ${Date.now() - started} ms: ${tarball}`);
    started = Date.now();
    state = await labUp({ name, hosts: 2, dir, kind: "debian" });
    console.info(`lab up, 2 debian hosts: ${Date.now() - started} ms`);
    state.hosts.forEach((host) => seenPids.add(host.sshdPid));
  }, ROOTFS_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await labDown({ name, dir, removeDir: true });
  });

  it("records the kind and each host's own root", () => {
    expect(state.kind).toBe("debian");
    expect(state.hosts.map((host) => host.root)).toEqual([`${dir}/hosts/h1/root`, `${dir}/hosts/h2/root`]);
  });

  it("boots systemd as PID 1 on each host, with Debian's userland and the host's name", async () => {
    for (const host of state.hosts) {
      const [comm, version, hostname] = (await ssh(state, host, "cat /proc/1/comm; cat /etc/debian_version; hostname")).split("\n");
      expect(comm).toBe("systemd");
      expect(version).toMatch(/^\d+\.\d+$/);
      expect(hostname).toBe(host.name);
    }
  });

  it("runs sshd as a systemd service, with the lab's host key, and the host sees its own static address config", async () => {
    const host = state.hosts[0]!;
    const answer = await ssh(state, host, "systemctl is-active ssh.service; systemctl is-system-running; cat /etc/network/interfaces; ip -4 -o addr show dev eth0");
    expect(answer).toMatch(/^active\n/);
    // "running": no unit failed (ifupdown does not trip over the address set from outside).
    expect(answer.split("\n")[1]).toBe("running");
    expect(answer).toContain(`address ${host.address}/24`);
    expect(answer).toContain(`gateway ${state.gateway}`);
    expect(answer).toMatch(new RegExp(`inet ${host.address.replace(/\./g, "\\.")}/24`));
    // StrictHostKeyChecking=yes against known_hosts already proved the key; the file inside is the same one.
    expect(await readFile(`${host.root}/etc/ssh/ssh_host_ed25519_key.pub`, "utf8")).toBe(await readFile(`${dir}/hosts/h1/ssh_host_ed25519_key.pub`, "utf8"));
  });

  it("is idempotent: a second up keeps the running containers", async () => {
    const again = await labUp({ name, hosts: 2, dir, kind: "debian" });
    expect(again.hosts.map((host) => host.sshdPid)).toEqual(state.hosts.map((host) => host.sshdPid));
  });

  it("comes back after `systemctl reboot`: the supervisor relaunches nspawn and the host has a new boot id", async () => {
    const host = state.hosts[0]!;
    const nspawnBefore = Number(await readFile(`${dir}/hosts/h1/nspawn.pid`, "utf8"));
    seenPids.add(nspawnBefore);
    const { before, after, ms } = await rebootInside(state, host);
    console.info(`debian host reboot: ssh answers with a new boot id after ${ms} ms`);
    expect(after).not.toBe(before);
    expect(await ssh(state, host, "cat /proc/1/comm; systemctl is-active ssh.service")).toBe("systemd\nactive");
    const nspawnAfter = Number(await readFile(`${dir}/hosts/h1/nspawn.pid`, "utf8"));
    seenPids.add(nspawnAfter);
    expect(nspawnAfter).not.toBe(nspawnBefore);
    expect(await readFile(`${dir}/hosts/h1/supervisor.log`, "utf8")).toMatch(/rebooted \(exit 133\): relaunch 1 /);
    // The supervisor itself lives on, so the lab still counts the host as up.
    const again = await labUp({ name, hosts: 2, dir, kind: "debian" });
    expect(again.hosts[0]!.sshdPid).toBe(host.sshdPid);
  });

  it("runs a replaced /sbin/init after the relaunch (what pine's container install relies on)", async () => {
    const host = state.hosts[1]!;
    await ssh(
      state,
      host,
      [
        "rm -f /sbin/init /pine-init-marker",
        `printf '#!/bin/sh\\n${BOOT_ID} > /pine-init-marker\\nexec /lib/systemd/systemd "$@"\\n' > /sbin/init`,
        "chmod 755 /sbin/init",
      ].join(" && "),
    );
    const { after } = await rebootInside(state, host);
    expect(await ssh(state, host, "cat /pine-init-marker")).toBe(after);
    expect(await ssh(state, host, "cat /proc/1/comm")).toBe("systemd");
  });

  it("goes down leaving no supervisor, nspawn, container process, mount, cgroup, namespace or root", async () => {
    await ssh(state, state.hosts[0]!, "nohup sleep 300 >/dev/null 2>&1 &");
    for (const host of state.hosts) seenPids.add(Number(await readFile(`${dir}/hosts/${host.name}/nspawn.pid`, "utf8")));
    const started = Date.now();
    await labDown({ name, dir });
    console.info(`lab down, 2 debian hosts: ${Date.now() - started} ms`);
    expect(await labTraces(name, dir, [...seenPids])).toEqual(NO_TRACES);
  });

  it("also goes down cleanly when state.json was lost (found by namespace, host dir and process identity)", async () => {
    const again = await labUp({ name, hosts: 1, dir, kind: "debian" });
    const nspawn = Number(await readFile(`${dir}/hosts/h1/nspawn.pid`, "utf8"));
    await rm(`${dir}/state.json`);
    // A lost PID file too: the supervisor must be found by what it is, not by what was recorded.
    await writeFile(`${dir}/hosts/h1/supervisor.pid`, "");
    await labDown({ name, dir });
    expect(await labTraces(name, dir, [again.hosts[0]!.sshdPid, nspawn])).toEqual(NO_TRACES);
  });
});
