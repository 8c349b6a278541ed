// The VM supervisor's relaunch rules, driven by a stand-in for qemu that writes what a real launch would and exits.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VM_SUPERVISOR_SCRIPT } from "../../src/lab/vm/supervisor.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pine-vm-supervisor-"));
  await writeFile(join(dir, "supervise.sh"), VM_SUPERVISOR_SCRIPT);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What one launch of the fake qemu does: the console line the guest prints, qemu's own stderr, its exit code. */
interface Launch {
  console?: string;
  stderr?: string;
  exit: number | "sleep";
}

/** A fake qemu: its Nth run does launches[N] (the last one repeats). */
async function fakeQemu(launches: Launch[]): Promise<string> {
  const path = join(dir, "fake-qemu.sh");
  const step = (launch: Launch) =>
    [
      launch.console ? `printf '%s\\n' '${launch.console}' >> "$CONSOLE_LOG"` : ":",
      launch.stderr ? `printf '%s\\n' '${launch.stderr}' >&2` : ":",
      launch.exit === "sleep" ? "exec sleep 30" : `exit ${launch.exit}`,
    ].join("; ");
  const cases = launches.map((launch, i) => `${i + 1}) ${step(launch)} ;;`).join("\n");
  await writeFile(
    path,
    `n=$(( $(cat "${dir}/runs" 2>/dev/null || echo 0) + 1 )); echo $n > "${dir}/runs"\ncase $n in\n${cases}\n*) ${step(launches[launches.length - 1]!)} ;;\nesac\n`,
  );
  return path;
}

function supervise(command: string, maxRelaunches = 10) {
  const child = spawn("/bin/sh", [join(dir, "supervise.sh"), "/bin/sh", command], {
    env: {
      PATH: "/usr/bin:/bin",
      CONSOLE_LOG: join(dir, "console.log"),
      QEMU_LOG: join(dir, "qemu.log"),
      QEMU_PID_FILE: join(dir, "qemu.pid"),
      MAX_RELAUNCHES: String(maxRelaunches),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, log: () => log };
}

async function runs(): Promise<number> {
  return Number(await readFile(join(dir, "runs"), "utf8"));
}

const REBOOT: Launch = { console: "[   42.1] reboot: Restarting system", exit: 0 };

describe("VM supervisor script", () => {
  it("relaunches qemu after each guest reboot and lets a guest power-off keep the VM down", async () => {
    const run = supervise(await fakeQemu([REBOOT, REBOOT, { console: "[   9.0] reboot: Power down", exit: 0 }]));
    expect(await run.exited).toBe(0);
    expect(await runs()).toBe(3);
    expect(run.log()).toMatch(/rebooted \(reboot: Restarting system\): relaunch 1 of at most 10[\s\S]*relaunch 2 of at most 10[\s\S]*powered off/);
  });

  it("judges each launch by its own output: an old reboot line on the console does not relaunch a later power-off", async () => {
    const run = supervise(await fakeQemu([REBOOT, { console: "reboot: Power down", exit: 0 }]));
    expect(await run.exited).toBe(0);
    expect(await runs()).toBe(2);
  });

  it("treats a silent exit 0 as a reset (firmware or triple fault) and relaunches", async () => {
    const run = supervise(await fakeQemu([{ exit: 0 }, { exit: 3 }]));
    expect(await run.exited).toBe(1);
    expect(run.log()).toMatch(/no kernel message[\s\S]*relaunch 1[\s\S]*exited with code 3/);
  });

  it("keeps the VM down when qemu was killed, crashed, or stopped by a signal from outside", async () => {
    const killed = supervise(await fakeQemu([{ exit: 137 }]));
    expect(await killed.exited).toBe(1);
    expect(killed.log()).toMatch(/exited with code 137 \(crashed or killed\)/);
    await rm(join(dir, "runs"));
    const terminated = supervise(await fakeQemu([{ stderr: "qemu-system-x86_64: terminating on signal 15 from pid 1", exit: 0 }]));
    expect(await terminated.exited).toBe(1);
    expect(terminated.log()).toMatch(/stopped by a signal from outside/);
    expect(await runs()).toBe(1);
  });

  it("stops relaunching a guest in a reboot loop", async () => {
    const run = supervise(await fakeQemu([REBOOT]), 3);
    expect(await run.exited).toBe(1);
    expect(await runs()).toBe(4);
    expect(run.log()).toMatch(/rebooted 4 times within an hour: not relaunching/);
  });

  it("on TERM stops qemu and itself, without relaunching", async () => {
    const run = supervise(await fakeQemu([{ exit: "sleep" }]));
    const deadline = Date.now() + 5_000;
    // Both written: the supervisor has recorded qemu, and the stand-in has started.
    const started = async () => Boolean((await readFile(join(dir, "qemu.pid"), "utf8").catch(() => "")) && (await readFile(join(dir, "runs"), "utf8").catch(() => "")));
    while (!(await started()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const qemu = Number(await readFile(join(dir, "qemu.pid"), "utf8"));
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(run.log()).toMatch(/stopped/);
    expect(() => process.kill(qemu, 0)).toThrow();
    expect(await runs()).toBe(1);
  });
});
