// Speed by design: facts for an operation cost one exec round trip; a deploy's channels are counted.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SshConnector } from "../../src/connectors/ssh/index.js";
import { HostContext } from "../../src/host.js";
import { files, server } from "../../operations/index.js";
import { factRegistry } from "../../facts/index.js";
import type { Fact } from "../../src/facts/define.js";
import { labSkipReason, useLab } from "../support/lab.js";

const skip = await labSkipReason();

describe.skipIf(skip !== undefined)("round trips", () => {
  const lab = useLab({ name: "rtt", hosts: 1 });
  const work = mkdtempSync(join(tmpdir(), "pine-rtt-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  async function connect(dry = false): Promise<{ host: HostContext; connector: SshConnector }> {
    const h = lab.state.hosts[0]!;
    const connector = new SshConnector({ host: h.address, user: "root", key: lab.state.key, knownHostsPath: lab.state.knownHosts, agent: false, sshConfigPath: false });
    await connector.connect();
    return { connector, host: new HostContext({ name: h.name, address: h.address, groups: [], data: {} }, connector, { dry, emit: () => undefined }) };
  }

  it("every argument-free fact of the library in one exec", async () => {
    const { host, connector } = await connect();
    try {
      const facts = [...factRegistry.values()].filter((f): f is Fact<unknown> => typeof f !== "function");
      expect(facts.length).toBeGreaterThanOrEqual(5);
      const results = await host.gather(facts);
      expect(results.filter((r) => r.ok).length).toBeGreaterThanOrEqual(5);
      expect(connector.stats.execs).toBe(1);
    } finally {
      await connector.close();
    }
  });

  it("an operation costs one round trip for its facts plus one per command; a repeat costs only the facts", async () => {
    const { host, connector } = await connect();
    try {
      const path = join(work, "one.conf");
      await files.put(host, { path, content: "x=1\n", mode: "0600" });
      expect(connector.stats.execs).toBe(2); // facts (stat + content together), then the atomic write
      await files.put(host, { path, content: "x=1\n", mode: "0600" });
      expect(connector.stats.execs).toBe(3); // the write invalidated the cache: one fact round trip, nothing to do
      await files.directory(host, { path: join(work, "d") });
      await server.shell(host, { commands: "true", name: "noop" });
      expect(connector.stats.execs).toBe(3 + 2 + 1);
    } finally {
      await connector.close();
    }
  });

  it("--dry reads facts but runs no command", async () => {
    const { host, connector } = await connect(true);
    try {
      const result = await files.put(host, { path: join(work, "dry.conf"), content: "y\n" });
      expect(result.status).toBe("planned");
      expect(result.diff).toContain("+y");
      expect(connector.stats.execs).toBe(1);
    } finally {
      await connector.close();
    }
  });
});
