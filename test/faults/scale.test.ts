// Fault at scale: 200 hosts, 20 with nothing at their address and 20 refusing our key. The run finishes in bounded
// time, the 160 others answer, and the report names each of the 40 with the reason it failed.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runPine } from "../support/cli.js";
import { labSkipReason, useLab } from "../support/lab.js";
import { tempDir } from "./support.js";

const labSkip = await labSkipReason();
const GOOD = 160;
const WRONG_KEY = 20;
const UNREACHABLE = 20;

describe.skipIf(labSkip !== undefined)("200 hosts: 20 unreachable, 20 refusing auth", () => {
  const lab = useLab({ name: "fscale", hosts: GOOD + WRONG_KEY });
  const work = tempDir("scale");
  afterAll(() => work.remove());

  test("the run finishes, 160 succeed, the 40 are listed by reason, in bounded time", async () => {
    const wrongKey = join(work.dir, "not-authorized");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", wrongKey]);
    const subnet = lab.state.hosts[0]!.address.split(".").slice(0, 3).join(".");
    const lines = ["defaults:", "  user: root", `  key: ${lab.state.key}`, `  knownHosts: ${lab.state.knownHosts}`, "  connectTimeout: 5", "hosts:"];
    lab.state.hosts.forEach((host, i) => {
      const name = i < GOOD ? `ok${i + 1}` : `auth${i - GOOD + 1}`;
      lines.push(`  ${name}: { address: ${host.address}${i < GOOD ? "" : `, key: ${wrongKey}`} }`);
    });
    // Past the lab's last host: addresses on the bridge's subnet where nothing answers ARP.
    for (let i = 0; i < UNREACHABLE; i++) lines.push(`  gone${i + 1}: { address: ${subnet}.${230 + i} }`);
    const inventory = join(work.dir, "inventory.yaml");
    writeFileSync(inventory, `${lines.join("\n")}\n`);

    const started = Date.now();
    const result = await runPine(["facts", inventory, "server.hostname", "--json"], { timeoutMs: 120_000, env: { SSH_AUTH_SOCK: "" } });
    const ms = Date.now() - started;
    expect(result.code).toBe(1);
    const document = JSON.parse(result.stdout) as { hosts: Record<string, unknown>; errors: Record<string, string> };
    expect(Object.keys(document.hosts)).toHaveLength(GOOD);
    const errors = Object.entries(document.errors);
    expect(errors).toHaveLength(WRONG_KEY + UNREACHABLE);
    for (const [name, message] of errors) {
      if (name.startsWith("auth")) {
        expect(message, name).toMatch(/authentication failed/);
        expect(message, name).toMatch(/step: auth/);
      } else {
        expect(name).toMatch(/^gone/);
        expect(message, name).toMatch(/unreachable|timed out|no route|EHOSTUNREACH|did not answer/i);
        expect(message, name).toMatch(/step: connect/);
      }
    }
    console.log(`200 hosts (20 unreachable, 20 wrong key): ${ms} ms`);
    expect(ms).toBeLessThan(90_000);
  }, 150_000);
});
