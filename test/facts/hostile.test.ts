// Hostile input: file names with spaces, quotes, newlines and $(), a 10 MB output, login noise, and all facts in one batch script.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBatch, splitBatch } from "../../src/facts/batch.js";
import { FactUnavailable, type Fact } from "../../src/facts/define.js";
import { factRegistry, files, isFactFamily } from "../../facts/index.js";
import { BUSYBOX, busyboxFarm, hasBusybox, runCommand, VARIANTS } from "./local-shell.js";
import { defaultArgs } from "./sample-args.js";

const NAMES = ["with space", "it's", 'dq"uote', "new\nline", "$(touch PWNED)", "`touch PWNED2`", "-leading-dash", "tab\there", "star*glob?"];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pine-hostile-"));
  for (const name of NAMES) writeFileSync(join(dir, name), `first\nneedle ${name}\nlast\n`);
  mkdirSync(join(dir, "dir with 'quote'"));
  symlinkSync("target\nwith newline $(x)", join(dir, "link$(x)"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const variants = VARIANTS.filter((v) => v === "dash" || hasBusybox);

describe.each(variants)("hostile file names under %s", (variant) => {
  it.each(NAMES)("files.file, sha256 and find_in_file read %j exactly, running nothing", (name) => {
    const path = join(dir, name);
    const st = lstatSync(path);
    const stat = files.file(path).parse(runCommand(files.file(path).command, variant));
    expect(stat).toMatchObject({ path, type: "file", size: st.size, mode: st.mode & 0o7777, uid: st.uid });
    const hash = files.sha256(path).parse(runCommand(files.sha256(path).command, variant));
    expect(hash).toBe(createHash("sha256").update(`first\nneedle ${name}\nlast\n`).digest("hex"));
    const found = files.find_in_file(path, "^needle").parse(runCommand(files.find_in_file(path, "^needle").command, variant));
    // A name with a newline puts a newline into the file's content too: grep sees two lines, the first matching.
    expect(found).toEqual([`needle ${name}`.split("\n")[0]]);
    expect(existsSync(join(process.cwd(), "PWNED")) || existsSync(join(dir, "PWNED")) || existsSync(join(process.cwd(), "PWNED2"))).toBe(false);
  });

  it("files.link returns a target with a newline and $() verbatim; files.directory handles quotes", () => {
    const link = join(dir, "link$(x)");
    const l = files.link(link).parse(runCommand(files.link(link).command, variant));
    expect(l?.linkTarget).toBe(readlinkSync(link));
    const d = join(dir, "dir with 'quote'");
    expect(files.directory(d).parse(runCommand(files.directory(d).command, variant))?.type).toBe("directory");
  });
});

describe("a 10 MB output", () => {
  const big = `${"x".repeat(99)}\n`.repeat(100 * 1024);

  it("every fact's parser either returns or refuses with FactUnavailable, quickly", () => {
    for (const [name, entry] of factRegistry) {
      const fact: Fact<unknown> = isFactFamily(entry) ? entry(...defaultArgs(name)) : entry;
      const started = Date.now();
      try {
        fact.parse({ stdout: big, stderr: "", exitCode: 0 });
      } catch (e) {
        expect(e, name).toBeInstanceOf(FactUnavailable);
      }
      expect(Date.now() - started, name).toBeLessThan(3000);
    }
  });

  it("files.find_in_file parses 10 MB of matching lines from a real file, line for line", () => {
    const path = join(dir, "big file");
    writeFileSync(path, big);
    const fact = files.find_in_file(path, "^x");
    const lines = fact.parse(runCommand(fact.command, "dash"));
    expect(lines).toHaveLength(100 * 1024);
    expect(lines![0]).toBe("x".repeat(99));
  });

  it("server.hostname refuses a 10 MB answer with a reason that says so", () => {
    expect(() => factRegistry.get("server.hostname")!).not.toThrow();
    const hostname = factRegistry.get("server.hostname") as Fact<string>;
    expect(() => hostname.parse({ stdout: big, stderr: "", exitCode: 0 })).toThrow(/refusing/);
  });
});

describe.each(variants)("all facts in ONE batch script under %s", (variant) => {
  it("login noise before the script is ignored and every fact parses from its slice", () => {
    const facts = [...factRegistry].flatMap(([name, entry]) => (isFactFamily(entry) ? [entry(...defaultArgs(name))] : [entry]));
    const batch = buildBatch(facts);
    const script = `echo 'Welcome to Ubuntu 14.04 (login noise)'\n${batch.script}`;
    const shell = variant === "dash" ? ["/bin/sh", ["-c", script]] as const : [BUSYBOX, ["sh", "-c", script]] as const;
    const env = { ...process.env, LC_ALL: "C", ...(variant === "dash" ? {} : { PATH: variant === "busybox" ? `${busyboxFarm()}:${process.env.PATH ?? ""}` : busyboxFarm() }) };
    const r = spawnSync(shell[0], [...shell[1]], { encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
    const slices = splitBatch(batch, r.stdout, r.stderr);
    slices.forEach((slice, i) => {
      const fact = facts[i]!;
      expect(slice.ok, fact.key).toBe(true);
      if (!slice.ok) return;
      const alone = runCommand(fact.command, variant);
      try {
        const batched = fact.parse(slice.output);
        // Same answer batched as alone, for facts that do not move while other tests run lab hosts, loops and installs.
        if (STABLE.test(fact.name)) expect(batched, fact.key).toEqual(fact.parse(alone));
      } catch (e) {
        expect(e, fact.key).toBeInstanceOf(FactUnavailable);
      }
    });
  });
});

const STABLE = /^(server\.(hostname|kernel|distro|arch|shell|which|init|virt)|boot\.firmware|block\.rootDisk|files\.\w+|net\.dns|ostree\.\w+|pine\.release)$/;
