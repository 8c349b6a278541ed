// The claim on a test VM name: two test runs never take each other's VM down, and a crashed run's claim is taken over.
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { holdVmName } from "../support/vm.js";

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("holdVmName", () => {
  it("claims a name for this process and releases it", async () => {
    const release = await holdVmName("tclaim1");
    expect((await readFile("/run/pine-test-vm-tclaim1.lock/owner", "utf8")).split(" ")[0]).toBe(String(process.pid));
    await release();
    await expect(access("/run/pine-test-vm-tclaim1.lock")).rejects.toThrow(/ENOENT/);
  });

  it("takes over the claim of a process that is gone", async () => {
    await mkdir("/run/pine-test-vm-tclaim2.lock", { recursive: true });
    // PID 1 exists, but not with this start time: the stamp of a process long gone.
    await writeFile("/run/pine-test-vm-tclaim2.lock/owner", "1 999999999999");
    const release = await holdVmName("tclaim2");
    expect((await readFile("/run/pine-test-vm-tclaim2.lock/owner", "utf8")).split(" ")[0]).toBe(String(process.pid));
    await release();
  });
});
