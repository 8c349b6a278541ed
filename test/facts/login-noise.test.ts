// Hostile login: an account whose shell startup prints to stdout and stderr on every command sshd runs (Debian's bash
// reads ~/.bashrc for ssh commands, even non-interactive ones). Facts gathered over it must read exactly what they
// read without the noise, and `pine facts --json` must still print clean JSON.
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SshConnector } from "../../src/connectors/ssh/index.js";
import { HostContext } from "../../src/host.js";
import type { Fact } from "../../src/facts/define.js";
import { factRegistry, files, isFactFamily, net, server } from "../../facts/index.js";
import { runPine } from "../support/cli.js";
import { labSkipReason, useLab } from "../support/lab.js";

const skip = await labSkipReason();
const NOISY_USER = "pinefknz";
const HOME = `/home/${NOISY_USER}`;
/** What a chatty .bashrc prints: a banner, lines shaped like pine's own markers, stderr, and no final newline. */
const BASHRC = [
  `echo "Welcome to Ubuntu 14.04.6 LTS (GNU/Linux 3.13.0-170-generic x86_64) -- noise from ~/.bashrc"`,
  `echo "@@unavailable this line is login noise"`,
  `printf '%s\\n' 'PINE0123456789abcdef01234567:B:0' 'PINE0123456789abcdef01234567:E:0:0'`,
  `echo "stderr noise from ~/.bashrc" >&2`,
  `printf 'no newline at the end of the noise'`,
  "",
].join("\n");

describe.skipIf(skip !== undefined)("facts through a login that prints noise", () => {
  beforeAll(() => {
    // bash, not the lab's default /bin/sh: dash reads no startup file for `sh -c`, bash reads ~/.bashrc under sshd.
    if (spawnSync("id", ["-u", NOISY_USER]).status === 0) execFileSync("usermod", ["-s", "/bin/bash", NOISY_USER]);
    else execFileSync("useradd", ["-M", "-d", HOME, "-s", "/bin/bash", "-p", "*", NOISY_USER]);
    mkdirSync(HOME, { recursive: true });
    writeFileSync(`${HOME}/.bashrc`, BASHRC);
    const [uid, gid] = [Number(execFileSync("id", ["-u", NOISY_USER], { encoding: "utf8" })), Number(execFileSync("id", ["-g", NOISY_USER], { encoding: "utf8" }))];
    chownSync(HOME, uid, gid);
    chownSync(`${HOME}/.bashrc`, uid, gid);
  });
  const lab = useLab({ name: "fknz", hosts: 1, loginUser: NOISY_USER });
  afterAll(() => {
    spawnSync("userdel", [NOISY_USER]);
    rmSync(HOME, { recursive: true, force: true });
  });

  function connect(user: string): { connector: SshConnector; host: HostContext } {
    const h = lab.state.hosts[0]!;
    const connector = new SshConnector({ host: h.address, user, key: lab.state.key, knownHostsPath: lab.state.knownHosts, agent: false, sshConfigPath: false });
    return { connector, host: new HostContext({ name: h.name, address: h.address, groups: [], data: {} }, connector, { dry: false, emit: () => undefined }) };
  }

  it("the login really is noisy: a bare command's stdout and stderr carry the .bashrc output (pine's connector drops it)", async () => {
    const h = lab.state.hosts[0]!;
    // OpenSSH's own client shows what the host sends; pine's connector hands back only the command's output.
    const raw = spawnSync("ssh", ["-i", lab.state.key, "-o", `UserKnownHostsFile=${lab.state.knownHosts}`, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", `${NOISY_USER}@${h.address}`, "echo real-output"], { encoding: "utf8", timeout: 20_000 });
    expect(raw.stdout).toContain("Welcome to Ubuntu 14.04.6 LTS");
    expect(raw.stdout).toContain("no newline at the end of the noise");
    expect(raw.stdout.endsWith("real-output\n")).toBe(true);
    expect(raw.stderr).toContain("stderr noise from ~/.bashrc");
    const { connector } = connect(NOISY_USER);
    try {
      expect(await connector.exec("echo real-output")).toMatchObject({ stdout: "real-output\n", stderr: "" });
    } finally {
      await connector.close();
    }
  });

  it("every fact parses as it does without the noise (one round trip), and the noise shows up in no value", async () => {
    const argumentFree = [...factRegistry.values()].filter((f): f is Fact<unknown> => !isFactFamily(f));
    const families = [files.file("/etc/hosts"), files.sha256("/etc/hosts"), files.find_in_file("/etc/hosts", "localhost"), files.content("/etc/hostname"), server.which("sh"), server.sysctl("kernel.ostype")];
    const facts = [...argumentFree, ...families];
    const noisy = connect(NOISY_USER);
    const clean = connect("root");
    try {
      const [heard, quiet] = await Promise.all([noisy.host.gather(facts), clean.host.gather(facts)]);
      expect(noisy.connector.stats.execs).toBe(1);
      // Facts that do not depend on who asks, or on the moment, must be identical; the rest parse (value or reason).
      const same = [server.hostname, server.kernel, server.distro, server.arch, server.shell, net.addresses, net.gateway, net.dns, server.users, server.groups, ...families];
      for (const fact of same) expect(heard[facts.indexOf(fact)], fact.key).toEqual(quiet[facts.indexOf(fact)]);
      for (const [i, r] of heard.entries()) {
        if (!r.ok) expect(r.reason, facts[i]!.key).not.toMatch(/^could not parse the output|^not gathered|^the fact script stopped/);
        expect(JSON.stringify(r), facts[i]!.key).not.toMatch(/noise|Welcome to Ubuntu/);
      }
      expect(heard[facts.indexOf(server.login)]).toEqual({ ok: true, value: { uid: Number(execFileSync("id", ["-u", NOISY_USER], { encoding: "utf8" })), user: NOISY_USER } });
      expect(heard[facts.indexOf(server.hostname)]).toEqual({ ok: true, value: lab.state.hosts[0]!.name });
    } finally {
      await Promise.all([noisy.connector.close(), clean.connector.close()]);
    }
  });

  it("`pine facts --json` over the noisy login prints clean JSON with the right values", async () => {
    const r = await runPine(["facts", lab.inventory, "server.hostname", "server.login", "files.file:/etc/hosts", "--json", "--user", NOISY_USER]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { hosts: Record<string, Record<string, unknown>>; errors: Record<string, string> };
    expect(doc.errors).toEqual({});
    const h = doc.hosts[lab.state.hosts[0]!.name]!;
    expect(h["server.hostname"]).toBe(lab.state.hosts[0]!.name);
    expect(h["server.login"]).toMatchObject({ user: NOISY_USER });
    expect(h['files.file("/etc/hosts")']).toMatchObject({ path: "/etc/hosts", type: "file" });
  });
});
