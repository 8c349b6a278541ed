// What each of the benchmark's five facts costs in CPU on the hosts (and the controller), alone and as the one batch
// pine sends, measured like command-cost.ts (every lab sshd in one cpuacct cgroup). EXTRA='cmd1;;cmd2' adds commands
// to compare (e.g. a candidate replacement for a fact's command).
//
//   npx tsx bench/fact-cost.ts            (root; brings up lab "pfc" with 50 hosts and removes it)
//   LAB=name npx tsx bench/fact-cost.ts   (another lab name and cgroup, so two runs on a shared machine do not collide)
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SshConnector } from "../src/connectors/ssh/index.js";
import { labDown, labUp } from "../src/lab/index.js";
import { buildBatch } from "../src/facts/batch.js";
import { factRegistry } from "../facts/index.js";
import type { Fact } from "../src/facts/define.js";
import { hostCpuGroup } from "./lib/host-cpu.js";

const hosts = 50, commands = 10;
const name = process.env.LAB || "pfc";
const dir = join(tmpdir(), `pine-bench-fact-cost-${name}`);
await labDown({ name, dir, removeDir: true });
const lab = await labUp({ name, hosts, dir });
const group = hostCpuGroup(`pine-bench-fact-cost-${name}`);
const connectors = lab.hosts.map((h) => new SshConnector({ host: h.address, user: "root", key: lab.key, knownHostsPath: lab.knownHosts, agent: false, sshConfigPath: false }));
const names = ["server.hostname", "server.distro", "server.kernel", "net.addresses", "block.devices"];
const facts = names.map((n) => factRegistry.get(n) as Fact<unknown>);
try {
  group.add(lab.hosts.map((h) => h.sshdPid));
  await Promise.all(connectors.map((c) => c.connect()));
  await Promise.all(connectors.map((c) => c.exec(":", { session: true })));
  const cases: [string, string][] = [["noop :", ":"], ["( : ) subshell", "( : ) </dev/null"], ["batch of 5", buildBatch(facts).script]];
  for (const f of facts) cases.push([f.name, f.command]);
  for (const extra of (process.env.EXTRA ?? "").split(";;").filter(Boolean)) cases.push([extra.slice(0, 40), extra]);
  for (const [label, command] of cases) {
    const host0 = group.usageMs();
    const cpu0 = process.cpuUsage();
    await Promise.all(connectors.map(async (c) => {
      for (let i = 0; i < commands; i++) {
        const r = await c.exec(command, { session: true });
        if (r.exitCode !== 0) throw new Error(`${label}: ${r.exitCode} ${r.stderr}`);
      }
    }));
    const cpu = process.cpuUsage(cpu0);
    const per = commands * hosts;
    console.log(`| ${label} | ${((group.usageMs() - host0) / per).toFixed(2)} ms | ${((cpu.user + cpu.system) / 1000 / per).toFixed(2)} ms |`);
  }
} finally {
  await Promise.all(connectors.map((c) => c.close()));
  await labDown({ name, dir, removeDir: true });
  await group.remove();
}
