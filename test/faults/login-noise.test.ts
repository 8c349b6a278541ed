// Hostile login on the deploy path: root's ~/.bashrc prints to stdout and stderr on every command sshd runs (Debian's
// bash reads it for ssh commands). test/facts/login-noise.test.ts proves the facts read right through it; here the
// operations that read a command's own output (losetup's device name, the boot id server.reboot polls, the image
// script's report), the idempotence of a second run, `pine exec` and its --json must too. The noise lives in h1's own
// mount namespace only (bind-mounted over root's .bashrc there); h2 is quiet and must give the same results.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SshConnector } from "../../src/connectors/ssh/index.js";
import { runPine } from "../support/cli.js";
import { labSkipReason, useLab } from "../support/lab.js";
import { jsonEvents, tempDir, writeDeploy } from "./support.js";

const labSkip = await labSkipReason();
const LOSETUP = "/sbin/losetup";
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/** What a chatty .bashrc prints: a banner, lines shaped like pine's own output, stderr, and no final newline. */
const BASHRC = [
  `echo "Welcome to Ubuntu 14.04.6 LTS (GNU/Linux 3.13.0-170-generic x86_64) -- noise from ~/.bashrc"`,
  `echo "boot_id=00000000-0000-0000-0000-000000000000"`,
  `echo "/dev/loop7"`,
  `echo "@@pine-image reason=ok bytes=1"`,
  `echo "stderr noise from ~/.bashrc" >&2`,
  // A login that stops before the command (as a disabled account's shell does), while DISABLED exists.
  `[ -e DISABLED ] && { echo "This account is currently not available."; exit 7; }`,
  `printf 'no newline at the end of the noise'`,
  "",
].join("\n");

const DEPLOY = `
import { defineDeploy, files, server, operations } from "PINE_API";
const root = process.env.FAULT_DIR!;
export default defineDeploy({
  name: "noisy",
  async run(host) {
    const dir = \`\${root}/\${host.name}\`;
    if (process.env.FAULT_MODE === "reboot") {
      // Does not reboot: the host must be found still in its old boot, not "back" because the noise looked like a boot id.
      await server.reboot(host, { command: "true", timeoutMs: 2_500, settleMs: 100, pollMs: 300, allowController: true });
      return;
    }
    await files.directory(host, { path: dir, mode: 0o750 });
    await files.put(host, { path: \`\${dir}/a\`, content: "hello\\n", mode: 0o640 });
    await files.line(host, { path: \`\${dir}/b\`, line: "second", create: true });
    await files.link(host, { path: \`\${dir}/l\`, target: \`\${dir}/a\` });
    await files.get(host, { path: \`\${dir}/a\`, dest: \`\${dir}.fetched\` });
    const attached = await operations.disk.loop_attach(host, { file: \`\${dir}.disk\` });
    host.log("info", \`loop=\${attached.loop}\`);
    const image = process.env.FAULT_IMAGE!;
    const written = await operations.image.write(host, { device: attached.loop!, source: { localFile: image }, sha256: process.env.FAULT_SHA! });
    host.log("info", \`written=\${written.written?.bytes ?? "none"}\`);
    await operations.disk.loop_detach(host, { device: attached.loop! });
  },
});
`;

describe.skipIf(labSkip !== undefined)("operations, deploys and exec through a login that prints noise (CLI)", () => {
  const lab = useLab({ name: "fnoise", hosts: 2 });
  const work = tempDir("noise");
  let deploy: string;
  let image: string;
  const bytes = randomBytes(3 * 1024 * 1024 + 512);

  beforeAll(() => {
    const bashrc = join(work.dir, "bashrc");
    writeFileSync(bashrc, BASHRC.replace("DISABLED", join(work.dir, "disabled")));
    // root's shell here is bash: it reads ~/.bashrc for commands sshd runs. Only in h1's mount namespace.
    execFileSync("nsenter", ["-t", String(lab.state.hosts[0]!.sshdPid), "-m", "--", "mount", "--bind", bashrc, "/root/.bashrc"], { timeout: 10_000 });
    deploy = writeDeploy(work.dir, "noisy.mts", DEPLOY);
    image = join(work.dir, "image.raw");
    writeFileSync(image, bytes);
    for (const host of ["h1", "h2"]) execFileSync("truncate", ["-s", "16M", join(work.dir, `${host}.disk`)]);
  });
  afterAll(() => {
    // The deploy detaches its loops; these are the leftovers of a failed run (only this test's files, never -D).
    for (const host of ["h1", "h2"]) {
      const attached = spawnSync(LOSETUP, ["-j", join(work.dir, `${host}.disk`)], { encoding: "utf8", timeout: 10_000 }).stdout;
      for (const line of attached.split("\n").filter(Boolean)) spawnSync(LOSETUP, ["-d", line.split(":")[0]!], { timeout: 10_000 });
    }
    work.remove();
  });

  test("the login really is noisy on h1 (and only there), and pine's connector hands back only the command's output", async () => {
    for (const [index, noisy] of [[0, true], [1, false]] as const) {
      const h = lab.state.hosts[index]!;
      // OpenSSH's own client shows what the host really sends.
      const raw = spawnSync("ssh", ["-i", lab.state.key, "-o", `UserKnownHostsFile=${lab.state.knownHosts}`, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", `root@${h.address}`, "echo real-output"], { encoding: "utf8", timeout: 20_000 });
      expect(raw.status, raw.stderr).toBe(0);
      expect(raw.stdout.includes("Welcome to Ubuntu 14.04.6 LTS"), h.name).toBe(noisy);
      expect(raw.stderr.includes("stderr noise from ~/.bashrc"), h.name).toBe(noisy);
      const ssh = new SshConnector({ host: h.address, user: "root", key: lab.state.key, knownHostsPath: lab.state.knownHosts, agent: false, sshConfigPath: false });
      try {
        expect(await ssh.exec("echo real-output; echo real-error >&2; exit 4")).toMatchObject({ stdout: "real-output\n", stderr: "real-error\n", exitCode: 4 });
        // Streamed output and stdin data see no noise either.
        const chunks: Buffer[] = [];
        const r = await ssh.exec("cat", { stdin: "through stdin\n", onStdout: (c) => chunks.push(c) });
        expect(Buffer.concat(chunks).toString()).toBe("through stdin\n");
        expect(r.stdout).toBe("through stdin\n");
      } finally {
        await ssh.close();
      }
    }
  });

  const connect = (index: number, sudo?: { user: string }) => {
    const h = lab.state.hosts[index]!;
    return new SshConnector({ host: h.address, user: "root", key: lab.state.key, knownHostsPath: lab.state.knownHosts, agent: false, sshConfigPath: false, ...(sudo ? { sudo } : {}) });
  };

  const noSudo = spawnSync("sh", ["-c", "command -v sudo"]).status !== 0 ? "sudo is not installed here (test/faults/sudo-canary.test.ts installs it)" : undefined;
  if (noSudo) console.warn(`login noise through sudo skipped: ${noSudo}`);
  test.skipIf(noSudo !== undefined)("through sudo: its markers are found after the noise; stdin reaches the command", async () => {
    const ssh = connect(0, { user: "root" });
    try {
      expect(await ssh.exec("id -u; cat; echo done >&2", { stdin: "data" })).toMatchObject({ stdout: "0\ndata", stderr: "done\n", exitCode: 0 });
    } finally {
      await ssh.close();
    }
  });

  test("a login that stops before the command starts: what it said is kept as the output, with its exit code", async () => {
    writeFileSync(join(work.dir, "disabled"), "");
    const ssh = connect(0);
    try {
      const r = await ssh.exec("echo never");
      expect(r.exitCode).toBe(7);
      expect(r.stdout).toContain("This account is currently not available.");
      expect(r.stdout).not.toContain("never");
    } finally {
      await ssh.close();
      rmSync(join(work.dir, "disabled"));
    }
  });

  test("a deploy (files, losetup's device name, image.write's report) runs the same on the noisy host, and a second run changes nothing", async () => {
    const env = { FAULT_DIR: work.dir, FAULT_IMAGE: image, FAULT_SHA: sha(bytes) };
    const first = await runPine(["deploy", lab.inventory, deploy, "--json"], { env, timeoutMs: 90_000 });
    expect(first.code, first.stdout.slice(-3000) + first.stderr).toBe(0);
    const events = jsonEvents(first.stdout);
    for (const host of ["h1", "h2"]) {
      const logs = events.filter((e) => e.type === "log" && e.host === host).map((e) => String(e.message));
      expect(logs.find((m) => m.startsWith("loop="))).toMatch(/^loop=\/dev\/loop\d+$/);
      expect(logs).toContain(`written=${bytes.length}`);
      expect(readFileSync(join(work.dir, host, "a"), "utf8")).toBe("hello\n");
      expect(readFileSync(join(work.dir, host, "b"), "utf8")).toBe("second\n");
      expect(readFileSync(join(work.dir, `${host}.fetched`), "utf8")).toBe("hello\n");
      const statuses = events.filter((e) => e.type === "op:result" && e.host === host).map((e) => `${String(e.op)}:${String(e.status)}`);
      expect(statuses, host).toEqual(["files.directory:changed", "files.put:changed", "files.line:changed", "files.link:changed", "files.get:changed", "disk.loop_attach:changed", "image.write:changed", "disk.loop_detach:changed"]);
    }
    expect(readFileSync(join(work.dir, "h1", "a"))).toEqual(readFileSync(join(work.dir, "h2", "a")));
    const head = execFileSync("sh", ["-c", `head -c ${bytes.length} ${join(work.dir, "h1.disk")} | sha256sum`], { encoding: "utf8" }).slice(0, 64);
    expect(head).toBe(sha(bytes));

    const again = await runPine(["deploy", lab.inventory, deploy, "--json"], { env, timeoutMs: 90_000 });
    expect(again.code, again.stdout.slice(-3000) + again.stderr).toBe(0);
    for (const host of ["h1", "h2"]) {
      const statuses = jsonEvents(again.stdout).filter((e) => e.type === "op:result" && e.host === host).map((e) => `${String(e.op)}:${String(e.status)}`);
      // The loop is attached again (the file is free), and the device already holds the image: unchanged.
      expect(statuses, host).toEqual(["files.directory:unchanged", "files.put:unchanged", "files.line:unchanged", "files.link:unchanged", "files.get:unchanged", "disk.loop_attach:changed", "image.write:unchanged", "disk.loop_detach:changed"]);
    }
  });

  test("server.reboot polling a noisy host that did not reboot: still in its old boot, not fooled by a boot id in the noise", async () => {
    const r = await runPine(["deploy", lab.inventory, deploy, "--json", "--limit", "h1"], { env: { FAULT_DIR: work.dir, FAULT_MODE: "reboot" }, timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    const failed = jsonEvents(r.stdout).find((e) => e.type === "host:failed")!;
    expect(failed).toMatchObject({ host: "h1", step: "server.reboot" });
    expect(String(failed.error)).toMatch(/did not come back in a new boot within 3s/);
    expect(String(failed.error)).toContain("last check: the host still answered from the old boot");
  });

  test("`pine exec` and --json: the command's own output, exit codes right, clean JSON lines", async () => {
    const plain = await runPine(["exec", lab.inventory, "--", "echo out; echo err >&2"]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain("=== h1 (exit 0) ===\nout\n");
    expect(plain.stdout).toContain("=== h2 (exit 0) ===\nout\n");
    expect(plain.stdout).not.toMatch(/Welcome|noise/);
    const json = await runPine(["exec", lab.inventory, "--json", "--", "echo out; exit 3"]);
    expect(json.code).toBe(1);
    const lines = json.stdout.split("\n").filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    const results = jsonEvents(json.stdout).filter((e) => e.type === "exec:result");
    expect(results.map((e) => [e.host, e.exitCode, e.stdout]).sort()).toEqual([
      ["h1", 3, "out\n"],
      ["h2", 3, "out\n"],
    ]);
  });
});
