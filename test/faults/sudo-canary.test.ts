// Secrets: a canary sudo password through the real CLI. pine asks for it once on the terminal (there is no inventory
// key for it: a password in a file would be one more place to leak it) and hands it to the real sudo on stdin. Lab
// hosts log in as a plain account whose sudo asks for its own password; pine runs under script(1) so it has a
// terminal to ask on. The canary, right or wrong, must never be in any process's argv (controller and hosts share
// this machine: /proc is scanned every 10 ms), in the output at -vv or --json, nor in an error message.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { quote } from "../../src/shell.js";
import { PINE_BIN, REPO_ROOT } from "../support/cli.js";
import { labSkipReason, useLab } from "../support/lab.js";
import { jsonEvents, killQuietly, tempDir, watchArgv, writeDeploy } from "./support.js";

const USER = "pinefsu";
const SUDOERS = "/etc/sudoers.d/pine-fsudo";
const PROMPT = "sudo password (asked once for all hosts): ";

/** Real sudo is needed (a stand-in proves nothing about what sudo does with the password); installed like the lab's packages. */
async function sudoSkipReason(): Promise<string | undefined> {
  const has = () => spawnSync("sh", ["-c", "command -v sudo && command -v visudo && command -v script"]).status === 0;
  if (!has() && process.getuid?.() === 0) {
    const setup = fileURLToPath(new URL("../../scripts/setup-system.sh", import.meta.url));
    spawnSync("bash", [setup, "sudo"], { timeout: 10 * 60_000, stdio: "ignore" });
  }
  const reason = process.getuid?.() !== 0 ? "needs root (creates a user and a sudoers rule)" : has() ? undefined : "sudo, visudo or script(1) missing and scripts/setup-system.sh sudo could not install them";
  if (reason) console.warn(`sudo canary tests skipped: ${reason}`);
  return reason;
}

const skip = (await labSkipReason()) ?? (await sudoSkipReason());

interface PtyRun {
  code: number;
  output: string;
  prompts: number;
}

/** bin/pine.js on a pseudo-terminal (script(1)); answers the sudo prompt with `answer` once it appears. */
function pineOnTerminal(args: string[], answer: string, env: NodeJS.ProcessEnv = {}, ms = 20_000): Promise<PtyRun> {
  const line = [process.execPath, PINE_BIN, ...args].map((w) => quote(w)).join(" ");
  const child = spawn("script", ["-q", "-e", "-E", "never", "-c", line, "/dev/null"], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", CI: "1", PINE_PLAIN: "1", SSH_AUTH_SOCK: "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  let answered = false;
  const take = (d: Buffer) => {
    output += d.toString();
    if (!answered && output.includes(PROMPT)) {
      answered = true;
      child.stdin.write(`${answer}\r`);
    }
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killQuietly(child.pid!);
      reject(new Error(`pine ${args.join(" ")} on a terminal did not finish in ${ms} ms:\n${output}`));
    }, ms);
    child.on("close", (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code: code ?? -1, output, prompts: output.split(PROMPT).length - 1 });
    });
  });
}

const DEPLOY = `
import { defineDeploy, files, server } from "PINE_API";
export default defineDeploy({
  name: "as-root",
  async run(host) {
    // A root-only directory: only sudo gets the upload (stdin data) in.
    await files.put(host, { path: \`\${process.env.FAULT_DIR}/\${host.name}\`, content: "written through sudo\\n", mode: 0o600 });
    await server.shell(host, { commands: "id -u > /dev/null" });
  },
});
`;

describe.skipIf(skip !== undefined)("sudo password canary (CLI, real sudo)", () => {
  const canary = `canary-sudo-${process.pid}-c4e1`;
  const work = tempDir("sudo");
  let inventory: string;
  let rootOnly: string;
  let deploy: string;

  beforeAll(() => {
    // The account (machine-wide: lab hosts share /etc/passwd); its password set on stdin, never in argv.
    if (spawnSync("id", ["-u", USER]).status !== 0) execFileSync("useradd", ["-M", "-d", `/home/${USER}`, "-s", "/bin/sh", USER]);
    execFileSync("chpasswd", { input: `${USER}:${canary}\n` });
    // Ask every time (no cached credentials between pine's many sudo runs), 3 tries as sudo's default.
    const rule = join(work.dir, "sudoers");
    writeFileSync(rule, `Defaults:${USER} timestamp_timeout=0, !lecture, passwd_tries=3\n${USER} ALL=(ALL:ALL) ALL\n`, { mode: 0o440 });
    execFileSync("visudo", ["-c", "-q", "-f", rule]);
    writeFileSync(SUDOERS, readFileSync(rule), { mode: 0o440 });
  });
  const lab = useLab({ name: "fsudo", hosts: 2, loginUser: USER });
  beforeAll(() => {
    // sudo resolves the host's own name first; a lab host's name ("h1") is in no hosts file and its namespace reaches
    // no DNS server, which costs sudo 20 s per run. A real server lists its name in /etc/hosts: so does each lab host,
    // in its own mount namespace only.
    const hostsFile = readFileSync("/etc/hosts", "utf8");
    for (const host of lab.state.hosts) {
      const file = join(work.dir, `hosts-${host.name}`);
      writeFileSync(file, `${hostsFile}${hostsFile.endsWith("\n") ? "" : "\n"}127.0.1.1 ${host.name}\n`);
      execFileSync("nsenter", ["-t", String(host.sshdPid), "-m", "--", "mount", "--bind", file, "/etc/hosts"], { timeout: 10_000 });
    }
    rootOnly = join(work.dir, "root-only");
    mkdirSync(rootOnly, { mode: 0o700 });
    const hosts = lab.state.hosts.map((h) => `  ${h.name}: { address: ${h.address} }`).join("\n");
    inventory = join(work.dir, "inventory.yaml");
    writeFileSync(inventory, `defaults:\n  user: ${USER}\n  key: ${lab.state.key}\n  knownHosts: ${lab.state.knownHosts}\n  sudo: true\nhosts:\n${hosts}\n`);
    deploy = writeDeploy(work.dir, "as-root.mts", DEPLOY);
  });
  afterAll(() => {
    rmSync(SUDOERS, { force: true });
    spawnSync("userdel", ["-r", USER], { stdio: "ignore" });
    rmSync(`/home/${USER}`, { recursive: true, force: true });
    work.remove();
  });

  test("the right password: asked once for two hosts, commands and uploads run as root, the canary nowhere", async () => {
    const watch = watchArgv(canary);
    const env = { FAULT_DIR: rootOnly, HOME: work.dir };
    const runs: Array<[string, PtyRun]> = [];
    for (const args of [
      ["exec", inventory, "-vv", "--", "id -u"],
      ["exec", inventory, "-vv", "--json", "--", "id -u"],
      ["facts", inventory, "server.login", "--json", "-vv"],
      ["deploy", inventory, deploy, "-vv"],
      ["deploy", inventory, deploy, "-vv", "--json"],
    ]) {
      runs.push([args.join(" "), await pineOnTerminal(args, canary, env)]);
    }
    const holders = watch.stop();
    expect(watch.scans()).toBeGreaterThan(20);
    expect(holders).toEqual([]);
    for (const [what, run] of runs) {
      expect(run.code, `${what}\n${run.output}`).toBe(0);
      expect(run.prompts, what).toBeLessThanOrEqual(1);
      expect(run.output, what).not.toContain(canary);
    }
    // Every run needed the password (sudo asks each time: timestamp_timeout=0) and got it right.
    expect(runs.map(([, r]) => r.prompts)).toEqual([1, 1, 1, 1, 1]);
    expect(runs[0]![1].output).toMatch(/=== h1 \(exit 0\) ===\r?\n0\r?\n/);
    expect(runs[0]![1].output).toMatch(/=== h2 \(exit 0\) ===\r?\n0\r?\n/);
    // The facts document (stderr's -vv lines share the terminal with it): each host's login is root, through sudo.
    expect(runs[2]![1].output.match(/"server\.login": \{\s*"uid": 0,\s*"user": "root"\s*\}/g), runs[2]![1].output).toHaveLength(2);
    for (const host of ["h1", "h2"]) {
      expect(readFileSync(join(rootOnly, host), "utf8")).toBe("written through sudo\n");
      expect(statSync(join(rootOnly, host)).uid).toBe(0);
    }
    for (const host of lab.state.hosts) expect(readFileSync(join(lab.dir, "hosts", host.name, "sshd.log"), "utf8")).not.toContain(canary);
  });

  test("a wrong password: rejected, said so, no retry loop, the wrong canary nowhere either", async () => {
    const wrong = `${canary}-wrong`;
    const watch = watchArgv(canary);
    const runs = [
      await pineOnTerminal(["exec", inventory, "-vv", "--", "id -u"], wrong),
      await pineOnTerminal(["exec", inventory, "-vv", "--json", "--", "id -u"], wrong),
      await pineOnTerminal(["deploy", inventory, deploy, "-vv", "--json"], wrong, { FAULT_DIR: join(work.dir, "never") }),
    ];
    expect(watch.stop()).toEqual([]);
    for (const run of runs) {
      expect(run.code, run.output).toBe(1);
      expect(run.prompts).toBe(1);
      expect(run.output).toMatch(/sudo rejected the password/);
      expect(run.output).not.toContain(canary);
    }
    const failed = jsonEvents(runs[2]!.output.replace(/\r/g, "")).filter((e) => e.type === "host:failed");
    expect(failed.map((e) => e.host).sort()).toEqual(["h1", "h2"]);
    expect(existsSync(join(work.dir, "never"))).toBe(false);
  });
});
