// The supervisor script's relaunch rules, driven by a stand-in for systemd-nspawn that exits with chosen codes.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REBOOT_EXIT_CODE } from "../../src/lab/index.js";
import { SUPERVISOR_SCRIPT } from "../../src/lab/nspawn-supervisor.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pine-supervisor-"));
  await writeFile(join(dir, "supervise.sh"), SUPERVISOR_SCRIPT);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fake nspawn: the Nth run exits with codes[N] (the last code repeats); "sleep" runs until signalled. */
async function fakeNspawn(codes: Array<number | "sleep">): Promise<string> {
  const path = join(dir, "fake-nspawn.sh");
  const cases = codes.map((code, i) => `${i + 1}) ${code === "sleep" ? "exec sleep 30" : `exit ${code}`} ;;`).join("\n");
  const last = codes[codes.length - 1];
  await writeFile(
    path,
    `n=$(( $(cat "${dir}/runs" 2>/dev/null || echo 0) + 1 )); echo $n > "${dir}/runs"\ncase $n in\n${cases}\n*) ${last === "sleep" ? "exec sleep 30" : `exit ${last}`} ;;\nesac\n`,
  );
  return path;
}

function supervise(command: string, maxRelaunches = 20) {
  const child = spawn("/bin/sh", [join(dir, "supervise.sh"), "/bin/sh", command], {
    env: {
      PATH: "/usr/bin:/bin",
      HOST_CGROUPS: "",
      CONSOLE_LOG: join(dir, "console.log"),
      NSPAWN_PID_FILE: join(dir, "nspawn.pid"),
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

describe("nspawn supervisor script", () => {
  it(`relaunches on exit ${REBOOT_EXIT_CODE} (a reboot inside) and stops, with nspawn's code, on any other exit`, async () => {
    const run = supervise(await fakeNspawn([REBOOT_EXIT_CODE, REBOOT_EXIT_CODE, 0]));
    expect(await run.exited).toBe(0);
    expect(await runs()).toBe(3);
    expect(run.log()).toMatch(/relaunch 1 of at most 20 per hour[\s\S]*relaunch 2 of at most 20[\s\S]*exited with code 0: the host stays down/);
  });

  it("does not relaunch after a crash (exit code other than 133)", async () => {
    const run = supervise(await fakeNspawn([7]));
    expect(await run.exited).toBe(7);
    expect(await runs()).toBe(1);
  });

  it("gives up after the hourly relaunch budget, so a reboot loop ends by itself", async () => {
    const run = supervise(await fakeNspawn([REBOOT_EXIT_CODE]), 3);
    expect(await run.exited).toBe(1);
    expect(await runs()).toBe(4);
    expect(run.log()).toContain("rebooted 4 times within an hour: not relaunching");
  });

  it("on SIGTERM stops nspawn and itself, without relaunching", async () => {
    const run = supervise(await fakeNspawn(["sleep"]));
    const deadline = Date.now() + 5_000;
    let nspawnPid = 0;
    while (!nspawnPid && Date.now() < deadline) {
      nspawnPid = Number(await readFile(join(dir, "nspawn.pid"), "utf8").catch(() => "0"));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(nspawnPid).toBeGreaterThan(1);
    // `runs` is written by the fake before it becomes sleep; wait for it so the count below is not racy.
    while ((await runs().catch(() => 0)) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(await runs()).toBe(1);
    expect(run.log()).toMatch(/stopped\n$/);
    expect(() => process.kill(nspawnPid, 0)).toThrow();
    await expect(readFile(join(dir, "nspawn.pid"), "utf8")).rejects.toThrow();
  });
});
