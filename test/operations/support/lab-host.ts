// A HostContext on a lab host over the real SshConnector, plus a scratch directory under /tmp that the test
// owns (lab hosts share this machine's filesystem, so every path a test touches lives in it).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SshConnector } from "../../../src/connectors/ssh/index.js";
import type { RunEvent } from "../../../src/events.js";
import { HostContext } from "../../../src/host.js";
import type { LabState } from "../../../src/lab/index.js";

export interface LabHost {
  host: HostContext;
  connector: SshConnector;
  events: RunEvent[];
  /** Run a command on the host and return its stdout (throws on non-zero exit). */
  sh(command: string): Promise<string>;
}

export function labHost(state: LabState, index = 0, options: { dry?: boolean; data?: Record<string, unknown>; user?: string } = {}): LabHost {
  const info = state.hosts[index]!;
  const connector = new SshConnector({
    host: info.address,
    name: info.name,
    user: options.user ?? "root",
    key: state.key,
    knownHostsPath: state.knownHosts,
    agent: false,
    sshConfigPath: false,
    retry: { attempts: 1 },
  });
  const events: RunEvent[] = [];
  const host = new HostContext({ name: info.name, address: info.address, groups: [], data: options.data ?? {} }, connector, { dry: options.dry ?? false, emit: (e) => events.push(e) });
  return {
    host,
    connector,
    events,
    async sh(command) {
      const r = await connector.exec(command);
      if (r.exitCode !== 0) throw new Error(`${command} exited ${r.exitCode}: ${r.stderr}`);
      return r.stdout;
    },
  };
}

export function scratchDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "pine-ops-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
