// Capture a fixture from a running lab host over SSH, the way pine gathers it (one exec, the fact between batch markers):
//   npx tsx test/facts/capture-lab.ts LAB_DIR HOST FACT CASE [ARGS_JSON]
// e.g. after `pine lab up --kind busybox --name bb1 --dir /tmp/bb1`: capture-lab.ts /tmp/bb1 h1 server.shell pine-busybox-host
import { SshConnector } from "../../src/connectors/ssh/index.js";
import { buildBatch, splitBatch } from "../../src/facts/batch.js";
import { readLabState } from "../../src/lab/state.js";
import { factRegistry, isFactFamily } from "../../facts/index.js";
import { writeFixture } from "./write-fixture.js";

const [dir, hostName, name, caseName, argsJson] = process.argv.slice(2);
const entry = name ? factRegistry.get(name) : undefined;
const state = dir ? await readLabState(dir) : undefined;
const host = state?.hosts.find((h) => h.name === hostName);
if (!entry || !caseName || !state || !host) {
  console.error(`usage: capture-lab.ts LAB_DIR HOST FACT CASE [ARGS_JSON]\n${state ? `hosts: ${state.hosts.map((h) => h.name).join(" ")}` : `no lab state in ${dir ?? "(none)"}`}`);
  process.exit(2);
}
const args = argsJson ? (JSON.parse(argsJson) as unknown[]) : [];
const fact = isFactFamily(entry) ? entry(...args) : entry;
const connector = new SshConnector({ host: host.address, user: "root", key: state.key, knownHostsPath: state.knownHosts, agent: false, sshConfigPath: false });
try {
  const batch = buildBatch([fact]);
  const result = await connector.exec(batch.script);
  const [slice] = splitBatch(batch, result.stdout, result.stderr);
  if (!slice?.ok) throw new Error(`no output for ${fact.key}: ${slice?.reason ?? "none"} (exit ${result.exitCode}: ${result.stderr})`);
  console.log(writeFixture(fact, isFactFamily(entry), caseName, slice.output));
} finally {
  await connector.close();
}
