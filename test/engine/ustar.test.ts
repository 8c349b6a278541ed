import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ustar } from "../../src/ustar.js";

describe("ustar writer", () => {
  const dir = mkdtempSync(join(tmpdir(), "pine-ustar-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const archive = ustar([
    { path: "etc", type: "directory", mode: 0o755 },
    { path: "etc/ssh", type: "directory", mode: 0o755 },
    { path: "etc/ssh/ssh_host_ed25519_key", type: "file", mode: 0o600, content: "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n" },
    { path: "etc/hostname", type: "file", mode: 0o644, content: "web1\n" },
    { path: "etc/empty", type: "file", mode: 0o640, content: "" },
    { path: "etc/block", type: "file", mode: 0o644, content: Buffer.alloc(1024, 7) },
  ]);

  for (const [name, tar] of [["GNU tar", ["tar"]], ["busybox tar", ["/bin/busybox", "tar"]]] as const) {
    it(`${name} extracts names, content and modes exactly`, () => {
      const out = join(dir, name.replace(" ", "-"));
      execFileSync("mkdir", ["-p", out]);
      const file = join(dir, `${name.replace(" ", "-")}.tar`);
      writeFileSync(file, archive);
      execFileSync(tar[0], [...tar.slice(1), "-xf", file, "-C", out]);
      expect(readFileSync(join(out, "etc/hostname"), "utf8")).toBe("web1\n");
      expect(readFileSync(join(out, "etc/ssh/ssh_host_ed25519_key"), "utf8")).toContain("secret");
      expect(statSync(join(out, "etc/ssh/ssh_host_ed25519_key")).mode & 0o777).toBe(0o600);
      expect(statSync(join(out, "etc/empty")).mode & 0o777).toBe(0o640);
      expect(readFileSync(join(out, "etc/block"))).toEqual(Buffer.alloc(1024, 7));
    });
  }

  it("refuses paths that would leave the target directory or do not fit", () => {
    expect(() => ustar([{ path: "../etc/passwd", type: "file", mode: 0o644 }])).toThrow(/stay inside/);
    expect(() => ustar([{ path: "/etc/passwd", type: "file", mode: 0o644 }])).toThrow(/relative/);
    expect(() => ustar([{ path: "a".repeat(101), type: "file", mode: 0o644 }])).toThrow(/too long/);
  });
});
