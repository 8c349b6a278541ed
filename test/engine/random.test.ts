// The pooled random names: right length and alphabet, never repeated, refilled past the pool's end.
import { describe, expect, it } from "vitest";
import { randomHex } from "../../src/random.js";

describe("randomHex", () => {
  it("gives `bytes` random bytes as hex, 20,000 draws without a repeat (several pool refills)", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const h = randomHex(12);
      expect(h).toMatch(/^[0-9a-f]{24}$/);
      seen.add(h);
    }
    expect(seen.size).toBe(20_000);
  });

  it("serves draws larger than the pool", () => {
    const h = randomHex(5000);
    expect(h).toHaveLength(10_000);
    expect(new Set(h).size).toBeGreaterThan(10);
  });
});
