// Host key checking through the CLI on real lab hosts: strict refuses unknown and changed keys, accept-new appends.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { labSkipReason, useLab } from "../support/lab.js";
import { runPine } from "../support/cli.js";

const skip = await labSkipReason();

describe.skipIf(skip !== undefined)("host keys", () => {
  const lab = useLab({ name: "keys", hosts: 2 });
  const work = mkdtempSync(join(tmpdir(), "pine-keys-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const exec = (knownHosts: string, mode: string) =>
    runPine(["exec", lab.inventory, "--known-hosts", knownHosts, "--host-key-check", mode, "--", "hostname"]);

  it("strict: a host missing from known_hosts is refused, with how to add it", async () => {
    const empty = join(work, "empty_known_hosts");
    writeFileSync(empty, "");
    const r = await exec(empty, "strict");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/h1/);
    expect(r.stderr).toMatch(/not in|unknown|no host key/i);
    expect(r.stderr).toMatch(/accept-new|ssh-keyscan/);
    expect(readFileSync(empty, "utf8")).toBe("");
  });

  it("accept-new: appends exactly the new hosts' keys and keeps the file's existing bytes", async () => {
    const file = join(work, "kh_accept");
    const existing = "# my hosts\nexample.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n";
    writeFileSync(file, existing);
    const first = await exec(file, "accept-new");
    expect(first.code).toBe(0);
    const after = readFileSync(file, "utf8");
    expect(after.startsWith(existing)).toBe(true);
    const added = after.slice(existing.length).trim().split("\n");
    expect(added).toHaveLength(2);
    for (const host of lab.state.hosts) {
      const keyBlob = host.hostKey.split(" ")[1]!;
      expect(added.some((line) => line.includes(host.address) && line.includes(keyBlob))).toBe(true);
    }
    const second = await exec(file, "accept-new");
    expect(second.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(after);
  });

  it("a changed host key is a hard failure in every mode but off, which warns", async () => {
    const file = join(work, "kh_wrong");
    copyFileSync(lab.state.knownHosts, file);
    const wrong = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    const h1 = lab.state.hosts[0]!;
    const text = readFileSync(file, "utf8").split("\n").map((l) => (l.startsWith(`${h1.address} `) ? `${h1.address} ${wrong}` : l)).join("\n");
    writeFileSync(file, text);
    for (const mode of ["strict", "accept-new"]) {
      const r = await exec(file, mode);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("=== h2 (exit 0) ===");
      expect(r.stdout).not.toContain("=== h1");
      expect(r.stderr).toContain(h1.hostKeyFingerprint);
      expect(r.stderr).toMatch(/ssh-keygen -R/);
      expect(readFileSync(file, "utf8")).toBe(text);
    }
    const off = await exec(file, "off");
    expect(off.code).toBe(0);
    expect(off.stderr).toMatch(/host key checking is off/);
  });
});
