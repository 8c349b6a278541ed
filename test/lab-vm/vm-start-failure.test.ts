// A VM that fails to start leaves nothing behind: no namespace, veth, process, mount or loop device; its logs say why.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labDown, labUp, type LabState } from "../../src/lab/index.js";
import { listLinks, listNamespaces, namespacePids } from "../../src/lab/interfaces.js";
import { listMountsUnder } from "../../src/lab/mounts.js";
import { ensureVmDisk, startVmHost, stopVmHost, vmFiles, vmNames, type VmHostOptions } from "../../src/lab/vm/index.js";
import { holdVmName, testVmDir, VM_HOOK_TIMEOUT_MS, vmSkipReason } from "../support/vm.js";

const run = promisify(execFile);
const skip = await vmSkipReason();

describe.skipIf(skip !== undefined)("VM host start failures", () => {
  const name = "tvmf";
  const root = testVmDir(name);
  const labDir = join(root, "lab");
  const dir = join(root, "vm");
  const files = vmFiles(dir);
  let lab: LabState;
  let disk: string;
  let release: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    release = await holdVmName(name);
    await stopVmHost({ name, dir });
    await labDown({ name, dir: labDir, removeDir: true });
    disk = await ensureVmDisk();
    lab = await labUp({ name, hosts: 0, dir: labDir });
  }, VM_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    try {
      await stopVmHost({ name, dir });
      await labDown({ name, dir: labDir, removeDir: true });
    } finally {
      await release?.();
    }
  });

  const options = (overrides: Partial<VmHostOptions>): VmHostOptions => ({
    name,
    dir,
    address: lab.gateway.replace(/\.1$/, ".11"),
    prefix: 24,
    gateway: lab.gateway,
    bridge: lab.bridge,
    key: lab.key,
    disk,
    ...overrides,
  });

  async function expectNothingLeft(): Promise<void> {
    const names = vmNames(name);
    expect(await listNamespaces()).not.toContain(names.namespace);
    expect(await listLinks()).not.toContain(names.veth);
    expect(await listMountsUnder(files.mount)).toEqual([]);
    expect((await run("losetup", ["-j", files.disk, "-n"])).stdout.trim()).toBe("");
    expect((await run("ps", ["-eo", "args"])).stdout).not.toContain(files.supervisorScript);
  }

  it("names the missing bridge, after writing the disk's identity through a loop device it has detached again", async () => {
    await expect(startVmHost(options({ bridge: "pb-nosuch" }))).rejects.toThrow(/the bridge pb-nosuch does not exist/);
    await expectNothingLeft();
  });

  it("reports qemu's own error when qemu cannot start, and takes the network down again", async () => {
    const error = await startVmHost(options({ memoryMiB: 64 * 1024 * 1024 })).then(
      () => undefined,
      (caught: unknown) => caught as Error & { stderr?: string },
    );
    expect(error?.message).toMatch(/qemu did not start/);
    expect(error?.stderr).toMatch(/memory/i);
    expect(await namespacePids(vmNames(name).namespace)).toEqual([]);
    await expectNothingLeft();
  });

  it("refuses bad network options before touching anything", async () => {
    await expect(startVmHost(options({ address: "10.77.1" }))).rejects.toThrow(/invalid address "10.77.1"/);
    await expect(startVmHost(options({ prefix: 33 }))).rejects.toThrow(/invalid prefix 33/);
    await expectNothingLeft();
  });
});
