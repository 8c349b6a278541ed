// Planning busybox.linkfarm from given facts: push only a different binary, link only when applets lack links.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { linkfarm, withFarm } from "../../operations/busybox/index.js";
import { missingApplets } from "../../facts/busybox/missing-applets.js";
import { content } from "../../facts/files/content.js";
import { file } from "../../facts/files/file.js";
import { fakeHost } from "./support/fake-host.js";
import { contentOf, stat } from "./support/facts.js";

const local = mkdtempSync(join(tmpdir(), "pine-bbplan-"));
afterAll(() => rmSync(local, { recursive: true, force: true }));
const src = join(local, "busybox");
const bytes = Buffer.from("\x7fELF pretend busybox");
writeFileSync(src, bytes);
const sum = createHash("sha256").update(bytes).digest("hex");
const dir = "/dev/shm/pine/bin";
const bin = `${dir}/busybox`;

describe("busybox.linkfarm", () => {
  it("pushes the binary (0755) and installs the links on a fresh host", async () => {
    const f = fakeHost([[file(bin), null], [content(bin), null], [missingApplets(dir), null]]);
    const r = await linkfarm(f.host, { dir, src, sha256: sum });
    expect(r.description).toBe(`busybox in ${dir}: install busybox (${bytes.length} bytes), link the applets`);
    expect(f.commands[0]).toBe(`mkdir -p -- ${dir}`);
    expect(f.connector.commands[1]!.stdin).toBe(bytes.toString("utf8"));
    expect(f.commands[1]).toContain("chmod 0755");
    expect(f.commands[2]).toBe(`${bin} --install -s ${dir}`);
  });
  it("only links when the binary is right but applets lack links; nothing when all is there", async () => {
    const right = [[file(bin), stat(bin, { mode: 0o755 })], [content(bin), contentOf(bytes)]] as const;
    const f = fakeHost([...right, [missingApplets(dir), ["ls", "wget"]]]);
    expect((await linkfarm(f.host, { dir, src, sha256: sum })).description).toBe(`busybox in ${dir}: link 2 applet(s)`);
    expect(f.commands).toEqual([`${bin} --install -s ${dir}`]);
    expect((await linkfarm(fakeHost([...right, [missingApplets(dir), []]]).host, { dir, src, sha256: sum })).status).toBe("unchanged");
  });
  it("refuses a local binary whose sha256 is not the expected one, before sending anything", async () => {
    const f = fakeHost([[file(bin), null], [content(bin), null], [missingApplets(dir), null]]);
    await expect(linkfarm(f.host, { dir, src, sha256: "0".repeat(64) })).rejects.toThrow(/has sha256 [0-9a-f]{64}, not the expected 0000/);
    expect(f.commands).toEqual([]);
    expect(withFarm("/x y", "ls")).toBe(`PATH='/x y':"$PATH"; export PATH; ls`);
  });
});
