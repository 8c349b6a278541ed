// What one command costs, in CPU on the hosts and on the controller: through pine's shell session with no program
// (`:`), with one program (`/bin/true`, `stat`), and on an exec channel of its own. The host side is measured exactly:
// every lab sshd (and so every process a command starts) is put in one cpuacct cgroup whose usage is read before and
// after, so other work on the machine does not count. This is where RESULTS.md's "a program costs ~0.8 ms, a session
// round trip ~0.3 ms, a channel ~2 ms" comes from.
//
//   npx tsx bench/command-cost.ts [--hosts 100] [--commands 20]     (root; brings up lab "pcc" and removes it)
//   --facts         also the benchmark's five facts, each alone and as the one batch pine sends (what each costs)
//   --extra 'A;;B'  also these commands (e.g. a candidate replacement for a fact's command)
//   --lab NAME      another lab name and cgroup, so two runs on a shared machine do not collide
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SshConnector } from "../src/connectors/ssh/index.js";
import { buildBatch } from "../src/facts/batch.js";
import type { Fact } from "../src/facts/define.js";
import { labDown, labUp } from "../src/lab/index.js";
import { factRegistry } from "../facts/index.js";
import { hostCpuGroup } from "./lib/host-cpu.js";

const { values } = parseArgs({
  options: {
    hosts: { type: "string", default: "100" },
    commands: { type: "string", default: "20" },
    facts: { type: "boolean", default: false },
    extra: { type: "string", default: "" },
    lab: { type: "string", default: "pcc" },
  },
});
const hosts = Number(values.hosts);
const commands = Number(values.commands);
const name = values.lab;
const dir = join(tmpdir(), `pine-bench-command-cost-${name}`);
const cases: [label: string, command: string, session: boolean][] = [
  ["session, no program (:)", ":", true],
  ["session, a subshell (( : ))", "( : ) </dev/null", true],
  ["session, one program (/bin/true)", "/bin/true", true],
  ["session, stat", "stat -c %a /tmp", true],
  ["own exec channel (:)", ":", false],
];
if (values.facts) {
  const facts = ["server.hostname", "server.distro", "server.kernel", "net.addresses", "block.devices"].map((n) => factRegistry.get(n) as Fact<unknown>);
  cases.push(["session, the 5 facts as one batch", buildBatch(facts).script, true], ...facts.map((f): [string, string, boolean] => [`session, ${f.name}`, f.command, true]));
}
for (const extra of values.extra.split(";;").filter(Boolean)) cases.push([`session, ${extra.slice(0, 40)}`, extra, true]);
await labDown({ name, dir, removeDir: true });
const lab = await labUp({ name, hosts, dir });
const group = hostCpuGroup(`pine-bench-command-cost-${name}`);
const connectors = lab.hosts.map((h) => new SshConnector({ host: h.address, user: "root", key: lab.key, knownHostsPath: lab.knownHosts, agent: false, sshConfigPath: false }));
try {
  group.add(lab.hosts.map((h) => h.sshdPid));
  await Promise.all(connectors.map((c) => c.connect()));
  await Promise.all(connectors.map((c) => c.exec(":", { session: true })));
  console.log(`${hosts} hosts, ${commands} commands each, one after the other per host, all hosts at once`);
  console.log("| command | host CPU per command | controller CPU per command | wall per round |\n|---|---:|---:|---:|");
  for (const [label, command, session] of cases) {
    const host0 = group.usageMs();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(connectors.map(async (c) => {
      for (let i = 0; i < commands; i++) {
        const result = await c.exec(command, { session });
        if (result.exitCode !== 0) throw new Error(`${label} failed on ${c.target} (exit ${result.exitCode}): ${result.stderr}`);
      }
    }));
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const per = commands * hosts;
    console.log(`| ${label} | ${((group.usageMs() - host0) / per).toFixed(2)} ms | ${((cpu.user + cpu.system) / 1000 / per).toFixed(2)} ms | ${(wall / commands).toFixed(1)} ms |`);
  }
} finally {
  await Promise.all(connectors.map((c) => c.close()));
  await labDown({ name, dir, removeDir: true });
  await group.remove(); // once the last sshd of the lab has exited
}
