// The lab against the real thing: namespaces, veths, a bridge and one OpenSSH sshd per host, reached with the real ssh client.
import { execFile } from "node:child_process";
import { readFile, rm, stat } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labDown, labStatus, labUp, type LabHostState, type LabState } from "../../src/lab/index.js";
import { labSkipReason, testLabDir, useLab } from "../support/lab.js";

const run = promisify(execFile);
const labSkip = await labSkipReason();

function ssh(state: LabState, host: LabHostState, command: string, user = "root"): Promise<string> {
  const args = [
    "-F", "/dev/null",
    "-i", state.key,
    "-o", `UserKnownHostsFile=${state.knownHosts}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "StrictHostKeyChecking=yes",
    "-o", "BatchMode=yes",
    "-o", "ConnectTimeout=5",
    `${user}@${host.address}`,
    command,
  ];
  return run("ssh", args, { timeout: 15_000 }).then(({ stdout }) => stdout.trim());
}

/** Everything of a lab that could outlive it: namespaces, links, processes still running. */
async function traces(name: string, pids: number[]): Promise<{ namespaces: string[]; links: string[]; running: number[] }> {
  const namespaces = (await run("ip", ["netns", "list"])).stdout
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((namespace) => namespace.startsWith(`pine-${name}-`));
  const links = (await run("ip", ["-o", "link", "show"])).stdout
    .split("\n")
    .map((line) => line.split(":")[1]?.trim().split("@")[0] ?? "")
    .filter((link) => link === `pb-${name}` || link.startsWith(`pv-${name}-`));
  const running = [];
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (status && !/\) [ZX] /.test(status)) running.push(pid);
  }
  return { namespaces, links, running };
}

describe.skipIf(labSkip !== undefined)("lab lifecycle (3 hosts, then 2, then none)", () => {
  const name = "tlab";
  const dir = testLabDir(name);
  const loginUser = "pinetlab";
  const seenPids = new Set<number>();
  let state: LabState;

  beforeAll(async () => {
    await labDown({ name, dir, removeDir: true });
    const started = Date.now();
    state = await labUp({ name, hosts: 3, dir });
    console.info(`lab up, 3 hosts: ${Date.now() - started} ms`);
    state.hosts.forEach((host) => seenPids.add(host.sshdPid));
  });

  afterAll(async () => {
    await labDown({ name, dir, removeDir: true });
    await run("userdel", ["-r", loginUser]).catch(() => undefined);
  });

  it("records three hosts with their own addresses, namespaces and host keys", async () => {
    expect(state.hosts.map((host) => host.name)).toEqual(["h1", "h2", "h3"]);
    const octet = state.subnet.split(".")[2];
    expect(state.subnet).toMatch(/^10\.77\.\d+\.0\/24$/);
    expect(state.hosts.map((host) => host.address)).toEqual([11, 12, 13].map((last) => `10.77.${octet}.${last}`));
    expect(state.hosts.map((host) => host.namespace)).toEqual(["pine-tlab-1", "pine-tlab-2", "pine-tlab-3"]);
    expect(new Set(state.hosts.map((host) => host.hostKeyFingerprint)).size).toBe(3);
    expect((await stat(state.key)).mode & 0o777).toBe(0o600);
  });

  it("writes inventory.yaml in the documented shape", async () => {
    const [h1, h2, h3] = state.hosts.map((host) => host.address);
    expect(await readFile(state.inventory, "utf8")).toBe(
      [
        "defaults:",
        "  user: root",
        `  key: ${dir}/id_ed25519`,
        `  knownHosts: ${dir}/known_hosts`,
        "  hostKeyCheck: strict",
        "hosts:",
        `  h1: { address: ${h1}, data: { node: 1 } }`,
        `  h2: { address: ${h2}, data: { node: 2 } }`,
        `  h3: { address: ${h3}, data: { node: 3 } }`,
        "groups:",
        "  lab: { hosts: [h1, h2, h3] }",
        "",
      ].join("\n"),
    );
  });

  it("writes known_hosts with each host's real key, matching ssh-keygen's fingerprint", async () => {
    const lines = (await readFile(state.knownHosts, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const [i, host] of state.hosts.entries()) {
      expect(lines[i]).toMatch(new RegExp(`^${host.address.replace(/\./g, "\\.")} ssh-ed25519 AAAA\\S+$`));
      const keygen = await run("ssh-keygen", ["-l", "-f", `${dir}/hosts/${host.name}/ssh_host_ed25519_key.pub`]);
      expect(keygen.stdout).toContain(host.hostKeyFingerprint);
    }
  });

  it("answers SSH on every host with the real ssh client and strict host key checking", async () => {
    const names = await Promise.all(state.hosts.map((host) => ssh(state, host, "hostname")));
    expect(names).toEqual(["h1", "h2", "h3"]);
  });

  it("is idempotent: a second up keeps every sshd", async () => {
    const again = await labUp({ name, hosts: 3, dir });
    expect(again.hosts.map((host) => host.sshdPid)).toEqual(state.hosts.map((host) => host.sshdPid));
    expect(again.subnet).toBe(state.subnet);
  });

  it("restarts only a host whose sshd died, with the same host key", async () => {
    const victim = state.hosts[1]!;
    process.kill(victim.sshdPid, "SIGKILL");
    const repaired = await labUp({ name, hosts: 3, dir });
    repaired.hosts.forEach((host) => seenPids.add(host.sshdPid));
    expect(repaired.hosts[0]!.sshdPid).toBe(state.hosts[0]!.sshdPid);
    expect(repaired.hosts[2]!.sshdPid).toBe(state.hosts[2]!.sshdPid);
    expect(repaired.hosts[1]!.sshdPid).not.toBe(victim.sshdPid);
    expect(repaired.hosts[1]!.hostKeyFingerprint).toBe(victim.hostKeyFingerprint);
    expect(await ssh(repaired, repaired.hosts[1]!, "hostname")).toBe("h2");
    state = repaired;
  });

  it("scales down to 2 hosts, removing h3 entirely", async () => {
    const smaller = await labUp({ name, hosts: 2, dir });
    expect(smaller.hosts.map((host) => host.sshdPid)).toEqual(state.hosts.slice(0, 2).map((host) => host.sshdPid));
    const left = await traces(name, [state.hosts[2]!.sshdPid]);
    expect(left.namespaces.sort()).toEqual(["pine-tlab-1", "pine-tlab-2"]);
    expect(left.links.sort()).toEqual(["pb-tlab", "pv-tlab-1", "pv-tlab-2"]);
    expect(left.running).toEqual([]);
    expect(await readFile(smaller.inventory, "utf8")).toContain("lab: { hosts: [h1, h2] }");
    state = smaller;
  });

  it("reports status per host", async () => {
    const status = await labStatus({ name, dir });
    expect(status.bridgePresent).toBe(true);
    expect(status.subnet).toBe(state.subnet);
    expect(status.hosts).toEqual(
      state.hosts.map((host) => ({
        name: host.name,
        index: host.index,
        address: host.address,
        namespacePresent: true,
        sshdAlive: true,
        portAnswering: true,
      })),
    );
  });

  it("lets a plain login user in with the lab key, with no shell startup files", async () => {
    const withUser = await labUp({ name, hosts: 2, dir, loginUser });
    expect(withUser.hosts.map((host) => host.sshdPid)).toEqual(state.hosts.map((host) => host.sshdPid));
    const answer = await ssh(withUser, withUser.hosts[0]!, "id -un; ls -A \"$HOME\"", loginUser);
    expect(answer.split("\n")).toEqual([loginUser, ".ssh"]);
  });

  it("goes down leaving no namespace, veth, bridge or sshd", async () => {
    // A session left running inside a host must go too.
    await ssh(state, state.hosts[0]!, "nohup sleep 300 >/dev/null 2>&1 &");
    const started = Date.now();
    await labDown({ name, dir });
    console.info(`lab down, 2 hosts: ${Date.now() - started} ms`);
    expect(await traces(name, [...seenPids])).toEqual({ namespaces: [], links: [], running: [] });
    const status = await labStatus({ name, dir });
    expect(status.bridgePresent).toBe(false);
    expect(status.hosts.every((host) => !host.namespacePresent && !host.sshdAlive && !host.portAnswering)).toBe(true);
  });
});

describe.skipIf(labSkip !== undefined)("lab recovery and coexistence", () => {
  const crashed = { name: "tcrash", dir: testLabDir("tcrash") };
  const squatter = "pdx-tlab";

  afterAll(async () => {
    await labDown({ ...crashed, removeDir: true });
    await labDown({ name: "tpair1", dir: testLabDir("tpair1"), removeDir: true });
    await labDown({ name: "tpair2", dir: testLabDir("tpair2"), removeDir: true });
    await run("ip", ["link", "delete", squatter]).catch(() => undefined);
  });

  it("takes down a lab whose state.json was lost, from its namespaces, veths and PID files", async () => {
    await labDown({ ...crashed, removeDir: true });
    const state = await labUp({ ...crashed, hosts: 2 });
    await rm(`${crashed.dir}/state.json`);
    await labDown(crashed);
    expect(await traces(crashed.name, state.hosts.map((host) => host.sshdPid))).toEqual({
      namespaces: [],
      links: [],
      running: [],
    });
  });

  it("takes down a half-built host (a namespace with nothing in it)", async () => {
    await run("ip", ["netns", "add", "pine-tcrash-7"]);
    await labDown(crashed);
    expect((await traces(crashed.name, [])).namespaces).toEqual([]);
  });

  it("avoids a subnet already used by another interface, and two labs starting at once get distinct subnets", async () => {
    const first = { name: "tpair1", dir: testLabDir("tpair1") };
    await labDown({ ...first, removeDir: true });
    const probe = await labUp({ ...first, hosts: 0 });
    const preferred = probe.subnet.split(".")[2];
    await labDown({ ...first, removeDir: true });
    await run("ip", ["link", "add", squatter, "type", "bridge"]);
    await run("ip", ["addr", "add", `10.77.${preferred}.200/24`, "dev", squatter]);

    const second = { name: "tpair2", dir: testLabDir("tpair2") };
    const [a, b] = await Promise.all([labUp({ ...first, hosts: 1 }), labUp({ ...second, hosts: 1 })]);
    expect(a.subnet).not.toBe(`10.77.${preferred}.0/24`);
    expect(a.subnet).not.toBe(b.subnet);
    expect(await ssh(a, a.hosts[0]!, "hostname")).toBe("h1");
    expect(await ssh(b, b.hosts[0]!, "hostname")).toBe("h1");
  });
});

describe.skipIf(labSkip !== undefined)("useLab test helper", () => {
  const lab = useLab({ name: "tuse", hosts: 1 });

  it("provides a running lab and its inventory to a test file", async () => {
    expect(lab.inventory).toBe(`${lab.dir}/inventory.yaml`);
    expect(await ssh(lab.state, lab.state.hosts[0]!, "hostname")).toBe("h1");
  });
});
