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

  it("indexes the file once per version: lookups see appended lines", () => {
    const path = join(dir, "indexed");
    writeFileSync(path, `a.example ${key}\n`);
    const cache = new KnownHostsCache();
    const first = cache.index(path);
    expect(cache.index(path)).toBe(first);
    expect(first.matching("a.example", 22).map((e) => e.line)).toEqual([1]);
    expect(first.matching("b.example", 22)).toEqual([]);
    appendFileSync(path, `b.example,a.example ${key}\n`);
    const second = cache.index(path);
    expect(second).not.toBe(first);
    expect(second.matching("b.example", 22).map((e) => e.line)).toEqual([2]);
    expect(second.matching("a.example", 22).map((e) => e.line)).toEqual([1, 2]);
    expect(new KnownHostsCache().index(join(dir, "absent")).matching("a.example", 22)).toEqual([]);
  });

  it("treats a missing file as empty", () => {
    expect(new KnownHostsCache().entries(join(dir, "absent"))).toEqual([]);
  });
});
