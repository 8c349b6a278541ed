// Fault: a host's sshd is killed (listener and session, by PID from the lab state) in the middle of a fact, a command
// and a file upload, through the real CLI. That host fails naming the step; the others finish; the target file is
// the old content or the new one, never half of it, and no temp file is left beside it.
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { labUp, type LabHostState } from "../../src/lab/index.js";
import { labSkipReason, useLab } from "../support/lab.js";
import { jsonEvents, killQuietly, killSshd, pineTemps, startPine, tempDir, waitFor, writeDeploy } from "./support.js";

const labSkip = await labSkipReason();
const UPLOAD_BYTES = 96 * 1024 * 1024;

// FAULT_PHASE picks the step; the victim's step is slow (and records its PID) so the test can strike mid-step.
const DEPLOY = `
import { defineDeploy, defineFact, files, server } from "PINE_API";
const dir = process.env.FAULT_DIR!;
const phase = process.env.FAULT_PHASE!;
const victim = process.env.FAULT_VICTIM!;
export default defineDeploy({
  name: "faulty",
  async run(host) {
    const slow = host.name === victim ? \`echo $$ > \${dir}/\${host.name}.pid; exec sleep 20\` : "true";
    if (phase === "fact") {
      await host.fact(defineFact({ name: "fault.slow", command: \`(\${slow}); echo ok\`, parse: (out) => out.stdout }));
    } else if (phase === "command") {
      await server.shell(host, { commands: slow });
    } else {
      const big = Buffer.alloc(${UPLOAD_BYTES}, host.name === victim ? 0x4e : 0x6f);
      big[0] = 0;
      await files.put(host, { path: \`\${dir}/\${host.name}.target\`, content: big });
    }
    await files.put(host, { path: \`\${dir}/\${host.name}.done\`, content: "done\\n" });
  },
});
`;

describe.skipIf(labSkip !== undefined)("sshd killed mid-step (CLI)", () => {
  const lab = useLab({ name: "fkill", hosts: 3 });
  const work = tempDir("kill");
  let deploy: string;
  beforeAll(() => {
    deploy = writeDeploy(work.dir, "faulty.mts", DEPLOY);
  });
  afterEach(async () => {
    for (const host of ["h1", "h2", "h3"]) {
      const pidFile = join(work.dir, `${host}.pid`);
      if (existsSync(pidFile)) killQuietly(Number(readFileSync(pidFile, "utf8")));
    }
    // Bring the killed host back (labUp restarts hosts whose sshd is gone) for the next test.
    await labUp({ name: "fkill", hosts: 3, dir: lab.dir });
  });
  afterAll(() => work.remove());

  async function strike(phase: string, victim: LabHostState, when: () => boolean) {
    const pine = startPine(["deploy", lab.inventory, deploy, "--json"], { FAULT_DIR: work.dir, FAULT_PHASE: phase, FAULT_VICTIM: victim.name });
    const started = Date.now();
    await waitFor(when, 30_000, `${victim.name} to be in the middle of its ${phase}`, 5);
    expect(killSshd(victim)).toBeGreaterThanOrEqual(2);
    const code = await pine.exit(60_000);
    const events = jsonEvents(pine.stdout());
    const failed = events.filter((e) => e.type === "host:failed");
    const done = events.filter((e) => e.type === "host:done").map((e) => e.host);
    return { code, failed, done, ms: Date.now() - started, stderr: pine.stderr() };
  }

  test("during a fact: the host fails in that fact, the others finish", async () => {
    const victim = lab.state.hosts[0]!;
    const result = await strike("fact", victim, () => existsSync(join(work.dir, `${victim.name}.pid`)));
    expect(result.code).toBe(1);
    expect(result.done.sort()).toEqual(["h2", "h3"]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]).toMatchObject({ host: victim.name, step: "fact fault.slow" });
    expect(String(result.failed[0]!.error)).toMatch(/fault\.slow/);
    expect(String(result.failed[0]!.error)).toMatch(/connection lost|stopped before this fact finished/);
    expect(existsSync(join(work.dir, `${victim.name}.done`))).toBe(false);
  });

  test("during a command: the host fails in server.shell with the command named", async () => {
    const victim = lab.state.hosts[1]!;
    const result = await strike("command", victim, () => existsSync(join(work.dir, `${victim.name}.pid`)));
    expect(result.code).toBe(1);
    expect(result.done.sort()).toEqual(["h1", "h3"]);
    expect(result.failed[0]).toMatchObject({ host: victim.name, step: "server.shell" });
    expect(String(result.failed[0]!.error)).toMatch(/connection lost/);
    expect(String(result.failed[0]!.error)).toMatch(/sleep 20/);
  });

  test("during a 96 MiB files.put: the host fails in files.put; the target is the old content, no temp file is left", async () => {
    const victim = lab.state.hosts[2]!;
    const target = join(work.dir, `${victim.name}.target`);
    writeFileSync(target, "old content\n");
    // Strike once the victim's temp file beside the target holds some but not all of the bytes. All three hosts
    // upload into this directory: the victim's bytes are 0x4e after the first, the others' 0x6f.
    const partial = () =>
      pineTemps(work.dir).some((name) => {
        try {
          const path = join(work.dir, name);
          const size = statSync(path).size;
          if (size <= 1024 * 1024 || size >= UPLOAD_BYTES / 2) return false;
          const head = Buffer.alloc(2);
          const fd = openSync(path, "r");
          try {
            readSync(fd, head, 0, 2, 0);
          } finally {
            closeSync(fd);
          }
          return head[1] === 0x4e;
        } catch {
          return false;
        }
      });
    const result = await strike("upload", victim, partial);
    expect(result.code).toBe(1);
    expect(result.done.sort()).toEqual(["h1", "h2"]);
    expect(result.failed[0]).toMatchObject({ host: victim.name, step: "files.put" });
    expect(String(result.failed[0]!.error)).toMatch(/connection lost/);
    // The host side notices its client is gone on its own time: give its shell a moment to run to its end.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const sha = createHash("sha256").update(readFileSync(target)).digest("hex");
    const wanted = Buffer.alloc(UPLOAD_BYTES, 0x4e);
    wanted[0] = 0;
    expect([createHash("sha256").update("old content\n").digest("hex"), createHash("sha256").update(wanted).digest("hex")]).toContain(sha);
    await waitFor(() => pineTemps(work.dir).length === 0, 5_000, "the temp file to be removed").catch(() => undefined);
    expect(pineTemps(work.dir)).toEqual([]);
    // The healthy hosts got the whole file.
    expect(statSync(join(work.dir, "h1.target")).size).toBe(UPLOAD_BYTES);
  });
});
