// Inline facts (FactSpec.inline) run in the batch's own shell, without a subshell: each must leave that shell as it
// was. Every inline fact, with each of its sample arguments, runs here between two snapshots of the shell's state
// (working directory, options, every variable but pine_*) under dash and busybox sh; the shell must also live on.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { factRegistry, isFactFamily } from "../../facts/index.js";
import type { Fact } from "../../src/facts/define.js";
import { BUSYBOX, hasBusybox } from "./local-shell.js";
import { SAMPLE_ARGS } from "./sample-args.js";

const inlineFacts: Fact<unknown>[] = [];
for (const [name, entry] of factRegistry) {
  const variants = isFactFamily(entry) ? (SAMPLE_ARGS[name] ?? []).map((args) => entry(...args)) : [entry as Fact<unknown>];
  for (const fact of variants) if (fact.inline) inlineFacts.push(fact);
}

// pine_* variables are the facts' own: dropped (their values may span lines) before every other variable is listed.
const SNAPSHOT = [
  "pine_snap() {",
  "  for snap_v in $(set | sed -n 's/^\\(pine_[A-Za-z0-9_]*\\)=.*/\\1/p'); do unset \"$snap_v\"; done; unset snap_v",
  "  printf 'pwd=%s\\nopts=%s\\n' \"$PWD\" \"$-\"; set | grep -v -e '^_=' -e '^PPID=' -e '^OLDPWD=' | sort",
  "}",
].join("\n");

function run(shell: string[], fact: Fact<unknown>): { before: string; after: string; alive: boolean; stderr: string } {
  const script = [
    SNAPSHOT,
    "cd /tmp",
    "pine_snap > /tmp/pine-inline-before.$$",
    `{\n${fact.command}\n} </dev/null >/dev/null 2>&1`,
    "pine_snap > /tmp/pine-inline-after.$$",
    "echo @@alive",
    "cat /tmp/pine-inline-before.$$; echo @@split; cat /tmp/pine-inline-after.$$; rm -f /tmp/pine-inline-before.$$ /tmp/pine-inline-after.$$",
  ].join("\n");
  const r = spawnSync(shell[0]!, [...shell.slice(1), "-c", script], { encoding: "utf8", timeout: 30_000 });
  const [head, tail = ""] = r.stdout.split("@@alive\n");
  const [before = "", after = ""] = tail.split("@@split\n");
  return { before, after, alive: head !== undefined && r.stdout.includes("@@alive\n"), stderr: r.stderr };
}

const shells: Array<[string, string[]]> = [["dash", ["/bin/dash"]]];
if (hasBusybox) shells.push(["busybox sh", [BUSYBOX, "sh"]]);
else console.log(`test/facts/inline.test.ts: ${BUSYBOX} is missing, busybox sh not checked`);

describe.each(shells)("inline facts leave %s as it was", (_label, shell) => {
  it("there are inline facts to check (the bench's and the file facts)", () => {
    const names = new Set(inlineFacts.map((f) => f.name));
    for (const name of ["server.hostname", "server.distro", "server.kernel", "net.addresses", "files.file", "files.content", "files.sha256"]) expect(names).toContain(name);
  });
  for (const fact of inlineFacts) {
    it(`${fact.key}`, () => {
      const r = run(shell, fact);
      expect(r.alive, r.stderr).toBe(true);
      expect(r.after).toBe(r.before);
      expect(r.before).toMatch(/^pwd=\/tmp\n/);
    });
  }
});

describe("the check can fail", () => {
  it("a fact that changes directory, sets an option or a variable, or exits is caught", () => {
    const bad = (command: string) => ({ name: "t.bad", key: "t.bad", args: [], command, inline: true, parse: () => null }) as Fact<unknown>;
    for (const command of ["cd /", "set -u", "HOME=/nowhere", "exit 3"]) {
      const r = run(["/bin/dash"], bad(command));
      expect(r.alive && r.after === r.before, command).toBe(false);
    }
  });
});
