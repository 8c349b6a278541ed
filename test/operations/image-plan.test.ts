// Planning image.write from given facts: nothing when the device already holds the image; the write script verifies by reading back.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import * as image from "../../operations/image/index.js";
import { writeCommand } from "../../operations/image/write.js";
import { headSha256 } from "../../facts/block/head-sha256.js";
import { which } from "../../facts/server/which.js";
import { fakeHost } from "./support/fake-host.js";

const local = mkdtempSync(join(tmpdir(), "pine-imgplan-"));
afterAll(() => rmSync(local, { recursive: true, force: true }));
const raw = Buffer.alloc(4096, 7);
const sha = createHash("sha256").update(raw).digest("hex");
const gz = join(local, "image.pine.gz");
writeFileSync(gz, gzipSync(raw));
const dev = "/dev/vda";
const tools = [[which("wget"), null], [which("curl"), "/usr/bin/curl"], [which("busybox"), null]] as const;

describe("image.write", () => {
  it("is unchanged when the device's first bytes already hash to the image", async () => {
    const f = fakeHost([[headSha256(dev, 4096), { size: 1 << 30, sha256: sha }]]);
    expect((await image.write(f.host, { device: dev, src: gz, gzip: true, size: 4096, sha256: sha })).status).toBe("unchanged");
  });

  it("streams a controller file (checked on the controller first) through gzip -dc into dd, then reads back", async () => {
    const f = fakeHost([[headSha256(dev, 4096), { size: 1 << 30, sha256: "0".repeat(64) }]]);
    const r = await image.write(f.host, { device: dev, src: gz, gzip: true, size: 4096, sha256: sha });
    expect(r.status).toBe("changed");
    expect(f.connector.commands[0]!.command).toBe(writeCommand({ device: dev, fetch: "cat", gzip: true, size: 4096, sha, sourceSha: sha, label: gz }));
    const script = f.commands[0]!.split("\n");
    expect(script).toContain(`{ cat || echo "reading the source failed (exit $?)" >> "$pine_st"; } | { gzip -dc || echo "gzip -d failed (exit $?): the source is corrupt or truncated" >> "$pine_st"; } | dd of=/dev/vda bs=4M conv=fsync 2>/dev/null`);
    expect(script).toContain(`pine_sum=$(head -c 4096 /dev/vda | sha256sum | cut -c1-64)`);
    expect(f.connector.commands[0]!.stdin).toBe(gzipSync(raw).toString("utf8"));
  });

  it("refuses a controller file that is not the image, before anything is sent", async () => {
    const f = fakeHost([[headSha256(dev, 4096), { size: 1 << 30, sha256: null }]]);
    await expect(image.write(f.host, { device: dev, src: gz, gzip: true, size: 4096, sha256: "1".repeat(64) })).rejects.toThrow(/is 4096 bytes with sha256 [0-9a-f]+, not 4096 bytes with 1111.*nothing was written/);
    expect(f.commands).toEqual([]);
  });

  it("downloads on the host; with staging the source's sha256 is checked before dd runs", async () => {
    const f = fakeHost([[headSha256(dev, 4096), { size: 1 << 30, sha256: null }], ...tools]);
    await image.write(f.host, { device: dev, url: "https://x/image.pine.gz", gzip: true, size: 4096, sha256: sha, sourceSha256: "a".repeat(64), staging: "/dev/shm/pine" });
    const script = f.commands[0]!;
    const check = script.indexOf(`if [ "$pine_sum" != ${"a".repeat(64)} ]`);
    expect(script).toContain(`curl -fsSL -k -o - https://x/image.pine.gz > "$pine_src"`);
    expect(check).toBeGreaterThan(0);
    expect(script.indexOf("dd of=")).toBeGreaterThan(check);
  });

  it("refuses a device smaller than the image and demands the raw sha256", async () => {
    await expect(image.write(fakeHost([[headSha256(dev, 4096), { size: 512, sha256: null }]]).host, { device: dev, src: gz, size: 4096, sha256: sha })).rejects.toThrow(
      "image.write /dev/vda: the device is 512 bytes, smaller than the 4096-byte image",
    );
    await expect(image.write(fakeHost([]).host, { device: dev, src: gz, size: 4096, sha256: "" })).rejects.toThrow(/sha256 of the raw image is required/);
    await expect(image.write(fakeHost([]).host, { device: dev, url: "https://x/a.gz", gzip: true, size: 1, sha256: sha, staging: "/tmp" })).rejects.toThrow(/staging a gzip source needs sourceSha256/);
  });
});
