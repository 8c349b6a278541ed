// A build that fails half-way: a clear error, and no mount or loop device left behind (they are detached by name).
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTestImages, type Manifest } from "../../images/index.js";
import { imagesSkipReason, removeTree, sh, tempDir } from "./support.js";

const skip = imagesSkipReason();
if (skip) console.log(`skipping the image build failure tests: ${skip}`);

const BUILD = fileURLToPath(new URL("../../images/build.sh", import.meta.url));

/** Loop devices whose backing file is under `dir`, and mount points under it. */
function leftovers(dir: string): { loops: string[]; mounts: string[] } {
  const loops = sh("/usr/sbin/losetup", ["-l", "-n", "-O", "NAME,BACK-FILE"])
    .split("\n")
    .filter((line) => line.includes(dir));
  const mounts = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .filter((line) => line.split(" ")[1]?.startsWith(dir));
  return { loops, mounts };
}

describe.skipIf(skip !== undefined)("test images: a failed build", () => {
  let manifest: Manifest;
  let out: string;

  beforeAll(async () => {
    manifest = await ensureTestImages("ostree");
    // Reuse the built ostree stage so only the vm stage (seconds) runs, and fails.
    out = tempDir("pine-images-fail-");
    sh("cp", ["-a", join(manifest.dir, `ostree-${manifest.key}`), out]);
    sh("cp", ["-a", join(manifest.dir, "downloads"), out]);
  }, 20 * 60_000);

  afterAll(() => {
    if (out) removeTree(out);
  });

  it("exits non-zero with the reason, after unmounting and detaching everything it attached", () => {
    const run = spawnSync("bash", [BUILD, "--out", out, "vm"], {
      encoding: "utf8",
      timeout: 300_000,
      env: { ...process.env, PINE_IMAGES_FAIL_AT: "vm-deployed" },
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("images: error: failing at checkpoint 'vm-deployed'");
    expect(run.stderr).toContain("ostree: cached");
    expect(leftovers(out)).toEqual({ loops: [], mounts: [] });
    expect(readdirSync(out).filter((name) => name.startsWith(".work-") || name.startsWith("vm-") || name.endsWith(".building"))).toEqual([]);
  }, 300_000);

  it("ensureTestImages rejects with the command, the exit code and the builder's last lines", async () => {
    process.env.PINE_IMAGES_FAIL_AT = "vm-deployed";
    try {
      await expect(ensureTestImages("vm", { outDir: out, log: () => undefined })).rejects.toThrow(
        /building the vm test images failed: bash .*build\.sh --out .* vm exited with code 1\n[\s\S]*failing at checkpoint 'vm-deployed'/,
      );
    } finally {
      delete process.env.PINE_IMAGES_FAIL_AT;
    }
    expect(leftovers(out)).toEqual({ loops: [], mounts: [] });
  }, 300_000);

  it("rejects an unknown kind by name", async () => {
    // @ts-expect-error: the point is a kind outside the type
    await expect(ensureTestImages("iso")).rejects.toThrow(/kind must be ostree, vm, container or all, not "iso"/);
    const run = spawnSync("bash", [BUILD, "iso"], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("unknown argument 'iso'");
  });
});
