// Secrets: a canary password and a canary key passphrase never appear in any process's argv (controller and host
// share this machine, so /proc covers both sides), in -vv logs, in --json output or in error messages. Host keys are
// checked strictly by default; `off` warns on every run.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { SshConnector } from "../../src/connectors/ssh/index.js";
import { errorMessage } from "../../src/errors.js";
import { runPine } from "../support/cli.js";
import { labSkipReason, useLab } from "../support/lab.js";
import { startSshd } from "../support/sshd.js";
import { tempDir, watchArgv } from "./support.js";

const labSkip = await labSkipReason();

describe.skipIf(labSkip !== undefined)("secrets and host keys", () => {
  const lab = useLab({ name: "fsec", hosts: 2 });
  const work = tempDir("sec");
  afterAll(() => work.remove());
  const hosts = () => lab.state.hosts.map((h) => `  ${h.name}: { address: ${h.address} }`).join("\n");

  test("an inventory password never shows in argv, -vv logs, --json output or errors", async () => {
    const canary = `canary-pw-${process.pid}-7f3a`;
    const inventory = join(work.dir, "password.yaml");
    writeFileSync(inventory, `defaults:\n  user: root\n  password: ${canary}\n  knownHosts: ${lab.state.knownHosts}\nhosts:\n${hosts()}\n`);
    const watch = watchArgv(canary);
    const env = { SSH_AUTH_SOCK: "", HOME: work.dir };
    const runs = await Promise.all([
      runPine(["facts", inventory, "server.hostname", "-vv", "--json"], { env }),
      runPine(["exec", inventory, "-vv", "--", "true"], { env }),
      runPine(["exec", inventory, "-vv", "--json", "--", "true"], { env }),
      runPine(["deploy", inventory, "demo", "-vv", "--dry"], { env }),
      runPine(["inventory", inventory, "--json"], { env }),
      runPine(["inventory", inventory], { env }),
    ]);
    const holders = watch.stop();
    expect(watch.scans()).toBeGreaterThan(5);
    expect(holders).toEqual([]);
    // The hosts refuse passwords: every host run fails, with an error that must not quote the secret.
    expect(runs.slice(0, 4).map((r) => r.code)).toEqual([1, 1, 1, 1]);
    expect(runs[0]!.stdout).toMatch(/authentication failed/);
    for (const run of runs) {
      expect(run.stdout).not.toContain(canary);
      expect(run.stderr).not.toContain(canary);
    }
  });

  test("a key passphrase asked through askSecret never shows in argv or in the error of a wrong one", async () => {
    const canary = `canary-pass-${process.pid}-91c2`;
    const sshd = await startSshd({ passphrase: canary });
    const home = tempDir("home");
    try {
      writeFileSync(join(home.dir, "known_hosts"), `${sshd.knownHostsLine}\n`);
      const options = {
        host: sshd.host,
        port: sshd.port,
        user: sshd.user,
        key: sshd.encryptedClientKey!,
        agent: false as const,
        sshConfigPath: false as const,
        homeDir: home.dir,
        knownHostsPath: join(home.dir, "known_hosts"),
        retry: { attempts: 1 },
      };
      const watch = watchArgv(canary);
      let asked = 0;
      const good = new SshConnector({ ...options, askSecret: async () => (asked++, canary) });
      const result = await good.exec("sleep 0.3; echo ok");
      await good.close();
      expect(result.stdout).toBe("ok\n");
      expect(asked).toBe(1);
      const bad = new SshConnector({ ...options, askSecret: async () => `${canary}-wrong` });
      const error = await bad.connect().then(
        () => undefined,
        (e: unknown) => e,
      );
      await bad.close();
      expect(watch.stop()).toEqual([]);
      expect(error).toBeDefined();
      const text = `${errorMessage(error)}\n${JSON.stringify(error)}\n${String((error as Error).stack)}`;
      expect(text).toMatch(/passphrase|decrypt|key/i);
      expect(text).not.toContain(canary);
      expect(sshd.log()).not.toContain(canary);
    } finally {
      await sshd.stop();
      home.remove();
    }
  });

  test("host keys: strict by default refuses an unknown host; `off` warns on every run", async () => {
    const empty = join(work.dir, "empty_known_hosts");
    writeFileSync(empty, "");
    const strict = join(work.dir, "strict.yaml");
    writeFileSync(strict, `defaults:\n  user: root\n  key: ${lab.state.key}\n  knownHosts: ${empty}\nhosts:\n${hosts()}\n`);
    const refused = await runPine(["exec", strict, "--", "true"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toMatch(/host key/i);
    expect(refused.stdout + refused.stderr).not.toMatch(/=== h1 \(exit 0\) ===/);
    expect(readFileSync(empty, "utf8")).toBe("");

    const off = join(work.dir, "off.yaml");
    writeFileSync(off, `defaults:\n  user: root\n  key: ${lab.state.key}\n  knownHosts: ${empty}\n  hostKeyCheck: "off"\nhosts:\n${hosts()}\n`);
    for (let run = 0; run < 2; run++) {
      const result = await runPine(["exec", off, "--", "true"]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/host key checking is off/);
    }
    expect(readFileSync(empty, "utf8")).toBe("");
  });
});
