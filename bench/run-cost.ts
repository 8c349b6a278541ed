// Where a whole pine command's CPU goes: on the hosts (every lab sshd and what it starts, in one cpuacct cgroup) and on
// the controller (the command's own user+system time), per host, for the benchmark's scenarios and the ssh2 floor.
// The hosts' share is what pine's shell scripts cost; the controller's is pine's JavaScript and Node's start-up.
//
//   npx tsx bench/run-cost.ts [--hosts 50] [--runs 3]     (root; after `npm run build`; lab "prc", removed after)
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { labDown, labUp } from "../src/lab/index.js";
import { buildFloor } from "./lib/floor-build.js";
import { hostCpuGroup } from "./lib/host-cpu.js";

const { values } = parseArgs({ options: { hosts: { type: "string", default: "50" }, runs: { type: "string", default: "3" } } });
const hosts = Number(values.hosts);
const runs = Number(values.runs);
const name = "prc";
const dir = join(tmpdir(), "pine-bench-run-cost");
if (!existsSync("dist/src/cli/main.js")) throw new Error("run `npm run build` first");
let lastChildTicks = 0;

await labDown({ name, dir, removeDir: true });
const lab = await labUp({ name, hosts, dir });
const group = hostCpuGroup("pine-bench-run-cost");
const floorJs = buildFloor();
const inv = join(dir, "inventory.yaml");
const deployRoot = join(tmpdir(), "pine-bench-run-cost-deploy");
const caps = ["--parallel", String(hosts), "--max-handshakes", "20"];
const cases: Array<[string, string[], (() => void)?]> = [
  ["floor (ssh2, true)", [floorJs, inv, ...caps]],
  ["pine exec uname -a", ["bin/pine.js", "exec", inv, "--json", ...caps, "--", "uname", "-a"]],
  ["pine facts (5)", ["bin/pine.js", "facts", inv, "server.hostname", "server.distro", "server.kernel", "net.addresses", "block.devices", "--json", ...caps]],
  ["pine deploy, 1st run", ["bin/pine.js", "deploy", inv, "bench/deploy.ts", "--json", "--data", `benchRoot=${deployRoot}`, ...caps], () => rmSync(deployRoot, { recursive: true, force: true })],
  ["pine deploy, 2nd run", ["bin/pine.js", "deploy", inv, "bench/deploy.ts", "--json", "--data", `benchRoot=${deployRoot}`, ...caps]],
];
try {
  group.add(lab.hosts.map((h) => h.sshdPid));
  childCpuPerHost(1); // start counting here: the processes that set the lab up were reaped (and counted) before
  console.log(`${hosts} lab hosts; medians of ${runs} runs; CPU per host = total / ${hosts}`);
  console.log("| command | wall s | controller CPU ms/host | hosts' CPU ms/host |\n|---|---:|---:|---:|");
  for (const [label, args, before] of cases) {
    const rows: Array<[wall: number, hostMs: number]> = [];
    for (let i = 0; i < runs; i++) {
      before?.();
      const host0 = group.usageMs();
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 300_000, maxBuffer: 64 << 20 });
      const wall = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`${label}: exit ${r.status}\n${r.stderr.slice(-2000)}`);
      const host = group.usageMs() - host0;
      rows.push([wall, host]);
    }
    // The controller's CPU: the reaped children's times from /proc/self/stat (cutime + cstime), once per case.
    const med = (k: 0 | 1) => rows.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
    console.log(`| ${label} | ${med(0).toFixed(2)} | ${childCpuPerHost(runs).toFixed(2)} | ${(med(1) / hosts).toFixed(2)} |`);
  }
} finally {
  await labDown({ name, dir, removeDir: true });
  rmSync(deployRoot, { recursive: true, force: true });
  await group.remove();
}

/** Mean controller CPU per host of the runs since the last call, from this process's reaped children's times. */
function childCpuPerHost(n: number): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(fields[13]) + Number(fields[14]); // cutime, cstime (fields 16 and 17 of stat)
  const delta = ticks - lastChildTicks;
  lastChildTicks = ticks;
  return (delta * 10) / n / hosts; // 100 ticks per second
}
