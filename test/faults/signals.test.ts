// Fault: SIGINT / SIGTERM to a running `pine deploy`: no new host is started, the running one finishes its work,
// the hosts never started are reported as such, the exit is non-zero; a second SIGINT forces an immediate exit.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { labSkipReason, useLab } from "../support/lab.js";
import { jsonEvents, killQuietly, startPine, tempDir, waitFor, writeDeploy } from "./support.js";

const labSkip = await labSkipReason();

const DEPLOY = `
import { defineDeploy, server } from "PINE_API";
const dir = process.env.FAULT_DIR!;
const seconds = process.env.FAULT_SLEEP!;
export default defineDeploy({
  name: "slow",
  async run(host) {
    await server.shell(host, { commands: \`sh -c 'echo $$ > \${dir}/\${host.name}.started; exec sleep \${seconds}'; touch \${dir}/\${host.name}.finished\` });
  },
});
`;

describe.skipIf(labSkip !== undefined)("signals to a running pine deploy", () => {
  const lab = useLab({ name: "fsig", hosts: 4 });
  const work = tempDir("sig");
  let deploy: string;
  beforeAll(() => {
    deploy = writeDeploy(work.dir, "slow.mts", DEPLOY);
  });
  afterEach(() => {
    // The forced test leaves its sleeps running on the hosts (that is what forcing means): stop them by PID.
    for (const sub of ["SIGINT", "SIGTERM", "twice"]) {
      for (const host of ["h1", "h2", "h3", "h4"]) {
        const pid = join(work.dir, sub, `${host}.started`);
        if (existsSync(pid)) killQuietly(Number(readFileSync(pid, "utf8")));
      }
    }
  });
  afterAll(() => work.remove());

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`${signal}: the running host finishes, the other three are never started and reported, exit 1`, async () => {
      const dir = join(work.dir, signal);
      mkdirSync(dir);
      const pine = startPine(["deploy", lab.inventory, deploy, "--parallel", "1", "--json"], { FAULT_DIR: dir, FAULT_SLEEP: "2" });
      await waitFor(() => existsSync(join(dir, "h1.started")), 30_000, "h1 to start");
      pine.child.kill(signal);
      const code = await pine.exit(30_000);
      expect(code).toBe(1);
      expect(pine.stderr()).toContain(`${signal}: no new hosts will be started`);
      const events = jsonEvents(pine.stdout());
      expect(events.find((e) => e.type === "host:done")).toMatchObject({ host: "h1", changed: 1 });
      expect(existsSync(join(dir, "h1.finished"))).toBe(true);
      for (const host of ["h2", "h3", "h4"]) expect(existsSync(join(dir, `${host}.started`))).toBe(false);
      expect(events.find((e) => e.type === "run:end")).toMatchObject({ ok: false, failed: ["h2", "h3", "h4"], stopped: "interrupted" });
    });
  }

  test("a second SIGINT forces: exit 130 at once, saying hosts may be left mid-step", async () => {
    const dir = join(work.dir, "twice");
    mkdirSync(dir);
    const pine = startPine(["deploy", lab.inventory, deploy, "--parallel", "2"], { FAULT_DIR: dir, FAULT_SLEEP: "30" });
    await waitFor(() => existsSync(join(dir, "h1.started")) && existsSync(join(dir, "h2.started")), 30_000, "h1 and h2 to start");
    pine.child.kill("SIGINT");
    await waitFor(() => pine.stderr().includes("SIGINT: no new hosts"), 5_000, "the first SIGINT to be acknowledged");
    const forced = Date.now();
    pine.child.kill("SIGINT");
    expect(await pine.exit(10_000)).toBe(130);
    expect(Date.now() - forced).toBeLessThan(3_000);
    expect(pine.stderr()).toContain("SIGINT again: stopping now; hosts may be left mid-step");
    expect(existsSync(join(dir, "h3.started"))).toBe(false);
  });
});
