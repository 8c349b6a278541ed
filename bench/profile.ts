// Summarize a V8 CPU profile (`node --cpu-prof`): where the controller's CPU goes, by function (self and inclusive time,
// file:line) and by file. Used to find what to change in pine when a target is missed (see RESULTS.md).
//
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bin/pine.js deploy INVENTORY bench/deploy.ts --json --parallel 100
//   npx tsx bench/profile.ts /tmp/prof/CPU.*.cpuprofile [--top 25] [--filter dist/]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "25" }, filter: { type: "string", default: "" } },
});
const top = Number(values.top);

for (const path of positionals) {
  const profile = JSON.parse(readFileSync(path, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Self time per node from the sample stream.
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const label = (n: Node): string => {
    const url = n.callFrame.url.replace(/^file:\/\//, "").replace(/^.*?\/(dist\/|node_modules\/)/, "$1");
    return `${n.callFrame.functionName || "(anonymous)"} ${url ? `${url}:${n.callFrame.lineNumber + 1}` : ""}`.trim();
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const files = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    self.set(label(node), (self.get(label(node)) ?? 0) + us);
    const url = node.callFrame.url.replace(/^file:\/\//, "") || `(${node.callFrame.functionName || "native"})`;
    files.set(url, (files.get(url) ?? 0) + us);
    // Inclusive: every distinct frame on the stack gets the sample once.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const l = label(byId.get(at)!);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + us);
    }
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = self.get("(idle)") ?? 0;
  const ms = (us: number): string => `${(us / 1000).toFixed(0)} ms`;
  const pct = (us: number): string => `${((100 * us) / total).toFixed(1)}%`;
  const show = (title: string, map: Map<string, number>): void => {
    process.stdout.write(`\n${title}\n`);
    [...map]
      .filter(([k]) => !values.filter || k.includes(values.filter))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .forEach(([k, us]) => process.stdout.write(`  ${ms(us).padStart(8)} ${pct(us).padStart(6)}  ${k}\n`));
  };
  process.stdout.write(`${path}\n  profiled ${ms(profile.endTime - profile.startTime)}; busy ${ms(total - idle)} (${pct(total - idle)}), idle ${ms(idle)}\n`);
  show("self time by function:", self);
  show("inclusive time by function:", inclusive);
  show("self time by file:", files);
}
