// Fault: a host's link is cut (eth0 down in its namespace: a silent peer, no reset) mid-fact, mid-command and
// mid-upload, and a host that never comes back after a reboot. Run through the runner API with short keepalives so
// the loss is detected in about a second. The target file must never be half-written, even once the link is back
// and the host's sshd finally notices its client is gone.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import type { RunEvent } from "../../src/events.js";
import { defineFact } from "../../src/facts/define.js";
import type { HostContext } from "../../src/host.js";
import type { LabHostState } from "../../src/lab/index.js";
import { runOnHosts } from "../../src/runner/run-hosts.js";
import { put } from "../../operations/files/put.js";
import { reboot } from "../../operations/server/reboot.js";
import { shell } from "../../operations/server/shell.js";
import { labSkipReason, useLab } from "../support/lab.js";
import { fastFailConnector, pineTemps, setLink, tempDir, waitFor } from "./support.js";

const labSkip = await labSkipReason();
const UPLOAD_BYTES = 64 * 1024 * 1024;
const sha = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

describe.skipIf(labSkip !== undefined)("link cut mid-step, host that never comes back (runner API)", () => {
  const lab = useLab({ name: "fcut", hosts: 3 });
  const work = tempDir("cut");
  afterEach(async () => {
    for (const host of lab.state.hosts) await setLink(host, "up").catch(() => undefined);
  });
  afterAll(() => work.remove());

  async function run(task: (host: HostContext) => Promise<void>, strike?: { victim: LabHostState; when: () => boolean }) {
    const events: RunEvent[] = [];
    const hosts = lab.state.hosts.map((h) => ({ name: h.name, address: h.address, groups: [], data: {} }));
    const started = Date.now();
    const running = runOnHosts(hosts, task, {
      parallel: 10,
      dry: false,
      emit: (event) => events.push(event),
      connectorFor: (host) => fastFailConnector(lab.state, host),
    });
    if (strike) {
      await waitFor(strike.when, 20_000, `${strike.victim.name} to be mid-step`, 5);
      await setLink(strike.victim, "down");
    }
    const summary = await running;
    return { summary, events, ms: Date.now() - started };
  }

  test("during a fact: failed in that fact within seconds, others finish", async () => {
    const victim = lab.state.hosts[0]!;
    const marker = join(work.dir, "fact-started");
    const slow = defineFact({ name: "fault.slow", command: `touch ${marker}; sleep 5; echo ok`, parse: (out) => out.stdout });
    const quick = defineFact({ name: "fault.slow", command: "echo ok", parse: (out) => out.stdout });
    const { summary, ms } = await run(async (host) => void (await host.fact(host.name === victim.name ? slow : quick)), {
      victim,
      when: () => statSync(marker, { throwIfNoEntry: false }) !== undefined,
    });
    const failed = summary.outcomes.find((o) => o.host === victim.name)!;
    expect(summary.outcomes.filter((o) => o.ok).map((o) => o.host)).toEqual(["h2", "h3"]);
    expect(failed).toMatchObject({ ok: false, step: "fact fault.slow" });
    expect(failed.error).toMatch(/keepalive|connection lost/i);
    expect(ms).toBeLessThan(10_000);
  });

  test("during a command: failed in server.shell naming the command", async () => {
    const victim = lab.state.hosts[1]!;
    const marker = join(work.dir, "command-started");
    const { summary } = await run(
      async (host) => void (await shell(host, { commands: host.name === victim.name ? `touch ${marker}; sleep 5` : "true" })),
      { victim, when: () => statSync(marker, { throwIfNoEntry: false }) !== undefined },
    );
    const failed = summary.outcomes.find((o) => o.host === victim.name)!;
    expect(summary.outcomes.filter((o) => o.ok)).toHaveLength(2);
    expect(failed).toMatchObject({ ok: false, step: "server.shell" });
    expect(failed.error).toMatch(/sleep 5/);
  });

  test("during a 64 MiB files.put: failed in files.put; once the link is back the target is still old or new, no temp file", async () => {
    const victim = lab.state.hosts[2]!;
    // Only the victim writes into work.dir, so the strike below sees its temp file, not another host's.
    const others = join(work.dir, "others");
    mkdirSync(others, { recursive: true });
    const target = (name: string) => join(name === victim.name ? work.dir : others, `${name}.target`);
    writeFileSync(target(victim.name), "old\n");
    const wanted = Buffer.alloc(UPLOAD_BYTES, 0x41);
    wanted[0] = 0;
    const partial = () =>
      pineTemps(work.dir).some((name) => {
        const size = statSync(join(work.dir, name), { throwIfNoEntry: false })?.size ?? 0;
        return size > 1024 * 1024 && size < UPLOAD_BYTES / 2;
      });
    const { summary } = await run(async (host) => void (await put(host, { path: target(host.name), content: wanted })), { victim, when: partial });
    const failed = summary.outcomes.find((o) => o.host === victim.name)!;
    expect(failed).toMatchObject({ ok: false, step: "files.put" });
    expect(failed.error).toMatch(/keepalive|connection lost/i);
    expect(statSync(target("h1")).size).toBe(UPLOAD_BYTES);
    // The cable goes back in: the host's sshd learns its client is gone (a reset), its shell sees stdin end...
    await setLink(victim, "up");
    const oldOrNew = [sha("old\n"), sha(wanted)];
    // ...and whatever the host's shell does then, it must never put a half file in place.
    await waitFor(() => pineTemps(work.dir).length === 0, 20_000, "the host to drop the dead session and its temp file").catch(() => undefined);
    expect(oldOrNew).toContain(sha(readFileSync(target(victim.name))));
    expect(pineTemps(work.dir)).toEqual([]);
  });

  test("a host that never comes back in a new boot: bounded wait, failed with the last thing seen", async () => {
    const { summary, ms } = await run(async (host) => {
      // `true` does not reboot: the host keeps answering from the old boot.
      await reboot(host, { command: "true", timeoutMs: 3_000, settleMs: 100, pollMs: 300, allowController: true });
    });
    expect(ms).toBeLessThan(15_000);
    for (const outcome of summary.outcomes) {
      expect(outcome).toMatchObject({ ok: false, step: "server.reboot" });
      expect(outcome.error).toMatch(/did not come back in a new boot within 3s/);
      expect(outcome.error).toMatch(/last check: the host still answered from the old boot/);
    }
  });

  test("a host that goes dark instead of rebooting: failed with the connection error as its last known state", async () => {
    const victim = lab.state.hosts[0]!;
    const marker = join(work.dir, "reboot-scheduled");
    const { summary, ms } = await run(
      async (host) => {
        const command = host.name === victim.name ? `touch ${marker}` : "true";
        await reboot(host, { command, timeoutMs: 4_000, settleMs: 300, pollMs: 200, allowController: true });
      },
      { victim, when: () => statSync(marker, { throwIfNoEntry: false }) !== undefined },
    );
    expect(ms).toBeLessThan(20_000);
    const failed = summary.outcomes.find((o) => o.host === victim.name)!;
    expect(failed).toMatchObject({ ok: false, step: "server.reboot" });
    expect(failed.error).toMatch(/did not come back in a new boot within 4s/);
    expect(failed.error).toMatch(/last check: .*(handshake|timed out|no answer|unreachable)/i);
  });
});
