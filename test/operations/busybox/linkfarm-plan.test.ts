// Planning busybox.linkfarm from given facts: the binary is checked on the controller before anything is sent, checked
// again on the host by running the uploaded binary's own sha256sum, and only links are added when only links are missing.
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { linkfarm, withPath } from "../../../operations/busybox/index.js";
import { installCommand } from "../../../operations/busybox/linkfarm.js";
import { missingApplets } from "../../../facts/busybox/missing-applets.js";
import { content } from "../../../facts/files/content.js";
import { file } from "../../../facts/files/file.js";
import { fakeHost } from "../support/fake-host.js";
import { contentOf, stat } from "../support/facts.js";

const local = mkdtempSync(join(tmpdir(), "pine-bbplan-"));
afterAll(() => rmSync(local, { recursive: true, force: true }));
const binary = join(local, "busybox");
const bytes = Buffer.from("\x7fELF pretend busybox");
writeFileSync(binary, bytes);
const sum = createHash("sha256").update(bytes).digest("hex");
const dir = "/dev/shm/pine ws/bin";
const bin = `${dir}/busybox`;
const fresh = [[file(bin), null], [content(bin), null], [missingApplets(dir), null]] as const;

describe("busybox.linkfarm plan", () => {
  it("on a fresh host: mkdir, the checked install with the bytes on stdin, then --install -s", async () => {
    const f = fakeHost(fresh);
    const r = await linkfarm(f.host, { dir, binary, sha256: sum.toUpperCase() });
    expect(r.status).toBe("changed");
    expect(r.description).toBe(`busybox in ${dir}: install busybox (${bytes.length} bytes), link the applets`);
    expect(f.commands).toEqual([`mkdir -p -- '${dir}'`, installCommand(dir, sum), `'${bin}' --install -s '${dir}'`]);
    expect(f.connector.commands[1]!.stdin).toBe(bytes.toString("utf8"));
    expect(r.commands[1]).toBe(`write ${bytes.length} bytes to ${bin} (temp file, chmod 0755, sha256 checked by the binary itself, rename)`);
  });

  it("replaces a binary with another sha256 or without exec bits; only links when only links are missing; else unchanged", async () => {
    const other = fakeHost([[file(bin), stat(bin, { mode: 0o755 })], [content(bin), contentOf("old busybox")], [missingApplets(dir), []]]);
    expect((await linkfarm(other.host, { dir, binary, sha256: sum })).description).toBe(`busybox in ${dir}: replace busybox (${bytes.length} bytes), link the applets`);
    const noExec = fakeHost([[file(bin), stat(bin, { mode: 0o644 })], [content(bin), contentOf(bytes)], [missingApplets(dir), []]]);
    expect((await linkfarm(noExec.host, { dir, binary, sha256: sum })).status).toBe("changed");
    const right = [[file(bin), stat(bin, { mode: 0o755 })], [content(bin), contentOf(bytes)]] as const;
    const links = fakeHost([...right, [missingApplets(dir), ["ls", "wget"]]]);
    expect((await linkfarm(links.host, { dir, binary, sha256: sum })).description).toBe(`busybox in ${dir}: link 2 applet(s)`);
    expect(links.commands).toEqual([`'${bin}' --install -s '${dir}'`]);
    const done = fakeHost([...right, [missingApplets(dir), []]]);
    expect((await linkfarm(done.host, { dir, binary, sha256: sum })).status).toBe("unchanged");
    expect(done.commands).toEqual([]);
  });

  it("refuses a wrong local binary, a missing one, a bad sha256 and a relative dir before sending anything", async () => {
    const f = fakeHost(fresh);
    await expect(linkfarm(f.host, { dir, binary, sha256: "0".repeat(64) })).rejects.toThrow(`has sha256 ${sum}, not the expected ${"0".repeat(64)}; nothing was sent`);
    await expect(linkfarm(f.host, { dir, binary: join(local, "nope"), sha256: sum })).rejects.toThrow(/cannot read local busybox/);
    await expect(linkfarm(f.host, { dir, binary, sha256: "abc" })).rejects.toThrow(/sha256 is required/);
    await expect(linkfarm(f.host, { dir: "farm", binary, sha256: sum })).rejects.toThrow(/absolute path/);
    await expect(linkfarm(f.host, { dir, sha256: sum })).rejects.toThrow(/binary .* is required/);
    expect(f.commands).toEqual([]);
    await expect(linkfarm(fakeHost([[file(bin), stat(bin, { type: "directory" })], [content(bin), null], [missingApplets(dir), null]]).host, { dir, binary, sha256: sum })).rejects.toThrow(/is a directory, not a regular file/);
  });

  it("withPath puts the farm first on PATH, quoted", () => {
    expect(withPath("/x y/bin", "losetup -f")).toBe(`PATH='/x y/bin':"$PATH"; export PATH; losetup -f`);
  });
});

// The install script itself, run here with the real static busybox: it keeps only a binary that hashes right.
describe.skipIf(!existsSync("/bin/busybox"))("busybox.linkfarm install script (run locally)", () => {
  const real = "/bin/busybox";
  const realSum = spawnSync("sha256sum", [real], { encoding: "utf8" }).stdout.slice(0, 64);
  const run = (farm: string, sha: string, input: Buffer) => spawnSync("sh", ["-c", installCommand(farm, sha)], { input, encoding: "utf8" });

  it("installs a binary whose own sha256sum agrees, and leaves nothing behind when it does not", () => {
    const farm = mkdtempSync(join(local, "farm "));
    const good = run(farm, realSum, readFileSync(real));
    expect(good.stderr).toBe("");
    expect(good.status).toBe(0);
    expect(existsSync(join(farm, "busybox"))).toBe(true);

    const other = mkdtempSync(join(local, "farm2-"));
    const bad = run(other, "1".repeat(64), readFileSync(real));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`busybox arrived with sha256 ${realSum}, not ${"1".repeat(64)}: the upload was damaged`);
    expect(readdirSync(other)).toEqual([]);
  });

  it("says so when the binary cannot run there (here: not executable, as on a noexec mount)", () => {
    const farm = mkdtempSync(join(local, "farm3-"));
    // A file that is not a program at all: exec fails like on a noexec mount (126) or with "not found" (127).
    const r = run(farm, realSum, Buffer.from("#!/nonexistent/interpreter\n"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/cannot execute busybox|does not run on this host/);
    expect(readdirSync(farm)).toEqual([]);
    // A binary cut short in transit crashes (or fails its own hash): refused either way.
    const cut = mkdtempSync(join(local, "farm4-"));
    expect(run(cut, realSum, readFileSync(real).subarray(0, 1 << 20)).status).not.toBe(0);
    expect(readdirSync(cut)).toEqual([]);
  });
});
