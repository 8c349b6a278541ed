import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KnownHostsCache } from "../../src/connectors/ssh/known-hosts-cache.js";

describe("KnownHostsCache", () => {
  const dir = mkdtempSync(join(tmpdir(), "pine-khc-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

  it("parses a file once and again only after it changed", () => {
    const path = join(dir, "known_hosts");
    writeFileSync(path, `a.example ${key}\n`);
    const cache = new KnownHostsCache();
    const first = cache.entries(path);
    expect(first).toHaveLength(1);
    expect(cache.entries(path)).toBe(first);
    appendFileSync(path, `b.example ${key}\n`);
    const second = cache.entries(path);
    expect(second).not.toBe(first);
    expect(second).toHaveLength(2);
  });

  it("treats a missing file as empty", () => {
    expect(new KnownHostsCache().entries(join(dir, "absent"))).toEqual([]);
  });
});
