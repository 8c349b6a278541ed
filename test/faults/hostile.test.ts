// Hostile input: bad inventories through the CLI (exit 2, bounded), data with shell metacharacters used by a deploy
// (a canary that must never fire), and host output that is binary, gigantic, marker-less or carries fake markers.
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { REPO_ROOT, runPine } from "../support/cli.js";
import { labSkipReason, useLab } from "../support/lab.js";
import { jsonEvents, startPine, tempDir, writeDeploy } from "./support.js";

const labSkip = await labSkipReason();
const BAD_INVENTORIES = join(REPO_ROOT, "test/fixtures/inventory");

describe("hostile inventories through the CLI", () => {
  const work = tempDir("inv");
  afterAll(() => work.remove());

  test("bad inventories (alias bombs, duplicate keys, wrong types, shell metacharacters and newlines in names) exit 2 naming the file, fast", async () => {
    // The inventory tests load every fixture in-process; here a representative few go through the real CLI.
    const wanted = /alias-bomb|alias-cycle|duplicate-key|duplicate-setting|host-name-newline|host-name-shell|address-shell|data-binary|connect-timeout|host-key-check|multi-doc/;
    const files = readdirSync(BAD_INVENTORIES).filter((f) => /^bad-.*\.ya?ml$/.test(f) && wanted.test(f));
    expect(files.length).toBe(11);
    const started = Date.now();
    for (let i = 0; i < files.length; i += 8) {
      const results = await Promise.all(files.slice(i, i + 8).map((f) => runPine(["inventory", join(BAD_INVENTORIES, f), "--json"], { timeoutMs: 20_000 })));
      results.forEach((result, j) => {
        const file = files[i + j]!;
        expect(result.code, `${file}: ${result.stderr}`).toBe(2);
        expect(result.stderr, file).toContain(file);
        expect(result.stderr, file).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
        expect(result.stdout, file).toBe("");
      });
    }
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  test("a 17 MiB inventory is refused with exit 2 before it is parsed", async () => {
    const huge = join(work.dir, "huge.yaml");
    writeFileSync(huge, `hosts:\n  a: { address: 10.0.0.1 }\n# ${"x".repeat(17 * 1024 * 1024)}\n`);
    const result = await runPine(["inventory", huge], { timeoutMs: 20_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/huge\.yaml/);
    expect(result.stderr).toMatch(/MiB|too large|larger/i);
  });
});

// Data straight from the inventory, used by a deploy as file names, contents, lines and shell arguments.
const HOSTILE = [`$(touch CANARY)`, "`touch CANARY`", `'; touch CANARY; '`, `"; touch CANARY; "`, `a\nb; touch CANARY`, `*`, `-rf`, "$HOME ${IFS}"];

const QUOTING_DEPLOY = `
import { defineDeploy, files, server, quote } from "PINE_API";
const dir = process.env.FAULT_DIR!;
export default defineDeploy({
  name: "quoting",
  async run(host) {
    const values = host.data.values as string[];
    for (const [i, value] of values.entries()) {
      const sub = \`\${dir}/d\${i} \${value.replace(/[\\/\\n]/g, "_")}\`;
      await files.directory(host, { path: sub });
      await files.put(host, { path: \`\${sub}/f \${value.replace(/[\\/\\n]/g, "_")}\`, content: value });
      await files.line(host, { path: \`\${sub}/lines\`, line: value.replace(/\\n/g, " ") });
      await server.shell(host, { commands: \`printf '%s' \${quote(value)} > \${quote(sub + "/echo")}\` });
    }
  },
});
`;

const OUTPUT_DEPLOY = `
import { defineDeploy, defineFact } from "PINE_API";
export default defineDeploy({
  name: "output",
  async run(host) {
    const mode = process.env.FAULT_MODE;
    if (mode === "fake") {
      // A fact whose output imitates the batch's markers: the real markers are random, so the value comes back whole.
      const fake = "PINE000000000000000000000000:E:0:0";
      const value = await host.fact(defineFact({ name: "fault.fake", command: \`printf '\\\\n%s\\\\n%s\\\\n' '\${fake}' tail\`, parse: (o) => o.stdout }));
      host.log("info", \`fact value: \${JSON.stringify(value)}\`);
    } else if (mode === "kill") {
      // A fact that kills the batch script itself: its end marker never comes.
      await host.fact(defineFact({ name: "fault.killer", command: "kill -9 $$", parse: (o) => o.stdout }));
    } else if (mode === "binary") {
      const value = await host.fact(defineFact({ name: "fault.binary", command: "head -c 65536 /dev/urandom; printf end", parse: (o) => o.stdout.length }));
      host.log("info", \`binary fact length: \${value}\`);
    }
  },
});
`;

describe.skipIf(labSkip !== undefined)("hostile data and host output on a lab host", () => {
  const lab = useLab({ name: "fhost", hosts: 1 });
  const work = tempDir("hostile");
  let canary: string;
  let inventory: string;
  beforeAll(() => {
    canary = `/tmp/pine-pwned-${process.pid}-${Date.now()}`;
    rmSync(canary, { force: true });
    const values = HOSTILE.map((v) => v.replaceAll("CANARY", canary));
    const base = readFileSync(lab.inventory, "utf8").replace(/data: \{ node: 1 \}/, `data: { node: 1, values: ${JSON.stringify(values)} }`);
    inventory = join(work.dir, "inventory.yaml");
    writeFileSync(inventory, base);
  });
  afterAll(() => {
    rmSync(canary, { force: true });
    work.remove();
  });

  test("data with $(), backticks, quotes, newlines and globs is written verbatim; the canary never fires", async () => {
    const dir = join(work.dir, "out");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir);
    const deploy = writeDeploy(work.dir, "quoting.mts", QUOTING_DEPLOY);
    const result = await runPine(["deploy", inventory, deploy, "--json"], { env: { FAULT_DIR: dir }, timeoutMs: 60_000 });
    expect(result.code, result.stderr + result.stdout.slice(-2000)).toBe(0);
    expect(existsSync(canary)).toBe(false);
    const values = HOSTILE.map((v) => v.replaceAll("CANARY", canary));
    values.forEach((value, i) => {
      const sub = join(dir, `d${i} ${value.replace(/[/\n]/g, "_")}`);
      expect(readFileSync(join(sub, `f ${value.replace(/[/\n]/g, "_")}`), "utf8")).toBe(value);
      expect(readFileSync(join(sub, "echo"), "utf8")).toBe(value);
      expect(readFileSync(join(sub, "lines"), "utf8")).toBe(`${value.replace(/\n/g, " ")}\n`);
    });
    // And again: the files operations find nothing to change (server.shell has no guard: it runs again), still no canary.
    const again = await runPine(["deploy", inventory, deploy, "--json"], { env: { FAULT_DIR: dir }, timeoutMs: 60_000 });
    expect(again.code).toBe(0);
    expect(jsonEvents(again.stdout).filter((e) => e.type === "op:result" && e.status === "changed" && e.op !== "server.shell")).toEqual([]);
    expect(existsSync(canary)).toBe(false);
  });

  test("gigantic output (beyond the 64 MiB cap): a clear error, and the controller's memory stays bounded", async () => {
    const pine = startPine(["exec", lab.inventory, "--", "head -c 200000000 /dev/zero"]);
    let peakKiB = 0;
    const sampler = setInterval(() => {
      try {
        const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pine.child.pid}/status`, "utf8"));
        if (rss) peakKiB = Math.max(peakKiB, Number(rss[1]));
      } catch {
        // Exited.
      }
    }, 20);
    const code = await pine.exit(60_000).finally(() => clearInterval(sampler));
    expect(code).toBe(1);
    expect(pine.stdout() + pine.stderr()).toMatch(/stdout exceeded 67108864 bytes/);
    expect(peakKiB).toBeGreaterThan(0);
    expect(peakKiB / 1024).toBeLessThan(400);
  });

  test("binary output: a fact reads 64 KiB of random bytes without breaking the batch", async () => {
    const deploy = writeDeploy(work.dir, "output.mts", OUTPUT_DEPLOY);
    const result = await runPine(["deploy", lab.inventory, deploy, "--json"], { env: { FAULT_MODE: "binary" } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/binary fact length: \d{5}/);
  });

  test("fake markers in a fact's output: the value comes back whole", async () => {
    const deploy = writeDeploy(work.dir, "output.mts", OUTPUT_DEPLOY);
    const result = await runPine(["deploy", lab.inventory, deploy, "--json"], { env: { FAULT_MODE: "fake" } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(String.raw`fact value: \"\\nPINE000000000000000000000000:E:0:0\\ntail\\n\"`);
  });

  test("missing end markers (the fact kills its batch script): the fact is unavailable, named, with the reason", async () => {
    const deploy = writeDeploy(work.dir, "output.mts", OUTPUT_DEPLOY);
    const result = await runPine(["deploy", lab.inventory, deploy, "--json"], { env: { FAULT_MODE: "kill" } });
    expect(result.code).toBe(1);
    const failed = jsonEvents(result.stdout).find((e) => e.type === "host:failed")!;
    expect(failed.step).toBe("fact fault.killer");
    expect(String(failed.error)).toMatch(/fault\.killer is unavailable: the fact script stopped before this fact finished/);
  });

  test("a deploy file that throws: the error names the file and line", async () => {
    const deploy = writeDeploy(work.dir, "throws.mts", `export default async function () {\n  const x = 1;\n  throw new Error("boom " + x);\n}\n`);
    const result = await runPine(["deploy", lab.inventory, deploy]);
    expect(result.code).toBe(1);
    expect(result.stderr + result.stdout).toContain(`at ${deploy}:3:9`);
    expect(result.stderr + result.stdout).toContain("boom 1");
  });

  test("a .ts deploy file outside any package (no package.json with type: module) loads", async () => {
    const { mkdtempSync } = await import("node:fs");
    const dir = mkdtempSync("/tmp/pine-faults-nopkg-");
    try {
      const deploy = writeDeploy(dir, "site.ts", `import { defineDeploy } from "PINE_API";\nexport default defineDeploy({ name: "plain", async run(host) { await host.run("true"); } });\n`);
      const result = await runPine(["deploy", lab.inventory, deploy]);
      expect(result.code, result.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
