import { describe, expect, it } from "vitest";
import { LocalConnector } from "../../src/connectors/local.js";
import { buildBatch, splitBatch } from "../../src/facts/batch.js";
import { defineFact, defineFactFamily, FactUnavailable, requireSuccess, type Fact } from "../../src/facts/define.js";
import { HostContext } from "../../src/host.js";

const fact = (name: string, command: string): Fact<string> => defineFact({ name, command, parse: (o) => o.stdout });

describe("fact batch script", () => {
  const facts = [
    fact("t.plain", "echo hello"),
    fact("t.nonl", "printf 'no newline'"),
    fact("t.empty", "true"),
    fact("t.fail", "echo partial; echo oops >&2; exit 3"),
    fact("t.blank", "printf '\\n\\n'"),
    fact("t.stdin", "cat"),
  ];

  for (const shell of ["/bin/sh", "/bin/busybox sh"]) {
    it(`returns each fact's exact stdout, stderr and exit code under ${shell}`, async () => {
      const batch = buildBatch(facts);
      const local = new LocalConnector();
      const result = await local.exec(`${shell} -s`, { stdin: `echo login noise\n${batch.script}` });
      const slices = splitBatch(batch, result.stdout, result.stderr);
      expect(slices.map((s) => (s.ok ? s.output : s.reason))).toEqual([
        { stdout: "hello\n", stderr: "", exitCode: 0 },
        { stdout: "no newline", stderr: "", exitCode: 0 },
        { stdout: "", stderr: "", exitCode: 0 },
        { stdout: "partial\n", stderr: "oops\n", exitCode: 3 },
        { stdout: "\n\n", stderr: "", exitCode: 0 },
        // stdin is /dev/null inside the batch: a fact can never swallow the rest of the script
        { stdout: "", stderr: "", exitCode: 0 },
      ]);
    });
  }

  it("ignores markers a host prints that are not this run's (fake markers)", async () => {
    const batch = buildBatch([fact("t.fake", "echo 'PINE000:E:0:0'; echo real")]);
    const result = await new LocalConnector().exec(batch.script);
    const [slice] = splitBatch(batch, `PINE000:B:0\n${result.stdout}`, result.stderr);
    expect(slice).toEqual({ ok: true, output: { stdout: "PINE000:E:0:0\nreal\n", stderr: "", exitCode: 0 } });
  });

  it("reports facts cut off by a dying script as not gathered, with a reason", async () => {
    const batch = buildBatch([fact("a", "echo one"), fact("b", "echo two")]);
    const result = await new LocalConnector().exec(batch.script);
    const cut = result.stdout.slice(0, result.stdout.indexOf("two"));
    const slices = splitBatch(batch, cut, "");
    expect(slices[0]).toMatchObject({ ok: true, output: { stdout: "one\n" } });
    expect(slices[1]).toMatchObject({ ok: false, reason: expect.stringContaining("stopped before this fact finished") });
  });

  it("uses a fresh unguessable marker per batch", () => {
    const a = buildBatch([fact("a", "true")]);
    const b = buildBatch([fact("a", "true")]);
    expect(a.marker).not.toEqual(b.marker);
    expect(a.marker).toMatch(/^PINE[0-9a-f]{24}$/);
  });
});

describe("HostContext fact cache", () => {
  const events: unknown[] = [];
  const newHost = () => {
    const connector = new LocalConnector();
    return { connector, host: new HostContext({ name: "local", address: "localhost", groups: [], data: {} }, connector, { dry: false, emit: (e) => events.push(e) }) };
  };

  it("gathers many facts in one exec and serves repeats from the cache", async () => {
    const { connector, host } = newHost();
    const many = Array.from({ length: 10 }, (_, i) => fact(`t.f${i}`, `echo ${i}`));
    const values = await host.gather(many);
    expect(values.map((v) => (v.ok ? v.value : v.reason))).toEqual(many.map((_, i) => `${i}\n`));
    expect(connector.stats.execs).toBe(1);
    await host.fact(many[3]!);
    expect(connector.stats.execs).toBe(1);
    host.invalidate("t.f3");
    expect(await host.fact(many[3]!)).toBe("3\n");
    expect(connector.stats.execs).toBe(2);
  });

  it("sends a lone fact as its own command (no batch markers): exact output and exit code; no exit status means unavailable", async () => {
    const { connector, host } = newHost();
    const seen: string[] = [];
    const exec = connector.exec.bind(connector);
    connector.exec = (command, options) => (seen.push(command), exec(command, options));
    const failing = defineFact({ name: "t.lone", command: "printf 'out'; echo err >&2; exit 4", parse: (o) => `${o.stdout}|${o.stderr}|${o.exitCode}` });
    expect(await host.fact(failing)).toBe("out|err\n|4");
    expect(seen).toEqual([failing.command]);
    const killed = fact("t.killed", "kill -9 $$");
    const [result] = await host.gather([killed]);
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/stopped before this fact finished \(SIGKILL\)/) });
  });

  it("files@PATH forgets the file facts about PATH, its ancestors and what lies under it, and nothing else", async () => {
    const { host, connector } = newHost();
    const fileFact = defineFactFamily<[string], string>({ name: "files.t", command: (p) => `echo ${JSON.stringify(p)}`, parse: (o) => o.stdout });
    const paths = ["/srv", "/srv/app", "/srv/app/conf/x", "/srv/application", "/etc/hosts", "relative/app"];
    const other = defineFact({ name: "server.t", command: "echo s", parse: (o) => o.stdout });
    await host.gather([...paths.map((p) => fileFact(p)), other]);
    expect(connector.stats.execs).toBe(1);
    host.invalidate("files@/srv/app/");
    const before = connector.stats.execs;
    // Still cached: a sibling with a common prefix, another tree, a non-file fact.
    await host.gather([fileFact("/srv/application"), fileFact("/etc/hosts"), other]);
    expect(connector.stats.execs).toBe(before);
    // Forgotten: the ancestor, the path, a descendant, and the relative path (it may be anything).
    for (const p of ["/srv", "/srv/app", "/srv/app/conf/x", "relative/app"]) {
      const at = connector.stats.execs;
      await host.fact(fileFact(p));
      expect(connector.stats.execs, p).toBe(at + 1);
    }
  });

  it("turns FactUnavailable and parser bugs into typed unavailable results, never a crash", async () => {
    const { host } = newHost();
    const unavailable = defineFact({ name: "t.u", command: "echo no >&2; exit 4", parse: (o) => { requireSuccess(o, "the probe"); return 1; } });
    const buggy = defineFact({ name: "t.bug", command: "echo x", parse: () => { throw new TypeError("boom"); } });
    const explicit = defineFact({ name: "t.e", command: "true", parse: () => { throw new FactUnavailable("no such tool"); } });
    const [u, b, e] = await host.gather([unavailable, buggy, explicit]);
    expect(u).toEqual({ ok: false, reason: "the probe failed (exit 4): no" });
    expect(b).toEqual({ ok: false, reason: expect.stringContaining("could not parse the output of t.bug: boom") });
    expect(e).toEqual({ ok: false, reason: "no such tool" });
    await expect(host.fact(explicit)).rejects.toThrow(/fact t\.e is unavailable: no such tool/);
  });

  it("parses a 10 MB fact output", async () => {
    const { host } = newHost();
    const big = defineFact({ name: "t.big", command: "head -c 10485760 /dev/zero | tr '\\0' a", parse: (o) => o.stdout.length });
    expect(await host.fact(big)).toBe(10 * 1024 * 1024);
  });
});
