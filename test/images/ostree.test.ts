// The OSTree stage: commits v1 and v2 on pine/x86_64/stable, and both static deltas applied offline as hosts will.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTestImages, type Manifest } from "../../images/index.js";
import { imagesSkipReason, removeTree, sh, sha256File, tempDir } from "./support.js";

const skip = imagesSkipReason();
if (skip) console.log(`skipping the OSTree test image tests: ${skip}`);

describe.skipIf(skip !== undefined)("test images: OSTree commits and static deltas", () => {
  let manifest: Manifest;
  let dir: string;

  beforeAll(async () => {
    manifest = await ensureTestImages("ostree");
    dir = tempDir("pine-images-ostree-");
  }, 20 * 60_000);

  afterAll(() => {
    if (dir) removeTree(dir);
  });

  it("lists every artifact with the sha256 and size of the file, and a .sha256 file beside it", async () => {
    expect(Object.keys(manifest.artifacts).sort()).toEqual(["delta.tar", "delta_base.tar"]);
    for (const [name, artifact] of Object.entries(manifest.artifacts)) {
      expect(await sha256File(artifact.path), name).toBe(artifact.sha256);
      expect(sh("stat", ["-c", "%s", artifact.path]).trim()).toBe(String(artifact.size));
      expect(sh("sha256sum", ["-c", `${name}.sha256`], { cwd: dirname(artifact.path) })).toBe(`${name}: OK\n`);
    }
  }, 60_000);

  it("has v2 on pine/x86_64/stable with v1 as its parent, each with its version metadata", () => {
    const repo = ["--repo", manifest.repo];
    expect(sh("ostree", ["rev-parse", ...repo, manifest.ref]).trim()).toBe(manifest.commits.v2);
    expect(sh("ostree", ["rev-parse", ...repo, `${manifest.ref}^`]).trim()).toBe(manifest.commits.v1);
    expect(sh("ostree", ["show", ...repo, "--print-metadata-key=version", manifest.commits.v1]).trim()).toBe("'v1'");
    expect(sh("ostree", ["show", ...repo, "--print-metadata-key=version", manifest.commits.v2]).trim()).toBe("'v2'");
    expect(sh("ostree", ["cat", ...repo, manifest.commits.v1, "/usr/etc/pine"])).toContain("PINE_VERSION=v1\n");
    expect(sh("ostree", ["cat", ...repo, manifest.commits.v2, "/usr/etc/pine"])).toContain("PINE_VERSION=v2\n");
    // What `ostree admin deploy` needs: the kernel and initramfs where it looks, /usr/etc and no /etc.
    const usrLib = sh("ostree", ["ls", ...repo, manifest.commits.v1, `/usr/lib/modules/${manifest.kernel}`]);
    expect(usrLib).toContain("vmlinuz");
    expect(usrLib).toContain("initramfs.img");
    expect(sh("ostree", ["ls", ...repo, manifest.commits.v1, "/"])).not.toMatch(/ \/etc\n/);
  });

  it("delta.tar applies offline to a repo holding only v1 and yields a complete v2", () => {
    const repo = join(dir, "v1-repo");
    sh("ostree", ["init", `--repo=${repo}`, "--mode=bare"]);
    sh("ostree", ["pull-local", `--repo=${repo}`, manifest.repo, manifest.commits.v1]);
    expect(() => sh("ostree", ["show", `--repo=${repo}`, manifest.commits.v2])).toThrow();

    sh("ostree", ["static-delta", "apply-offline", `--repo=${repo}`, manifest.artifacts["delta.tar"]!.path]);
    sh("ostree", ["fsck", `--repo=${repo}`]);
    expect(sh("ostree", ["cat", `--repo=${repo}`, manifest.commits.v2, "/usr/etc/pine"])).toContain("PINE_VERSION=v2\n");
    expect(sh("ostree", ["cat", `--repo=${repo}`, manifest.commits.v2, "/usr/share/pine/release-notes"])).toContain("v2");
  }, 120_000);

  it("delta_base.tar applies offline to an empty repo and yields a complete v1", () => {
    const repo = join(dir, "empty-repo");
    sh("ostree", ["init", `--repo=${repo}`, "--mode=bare"]);
    sh("ostree", ["static-delta", "apply-offline", `--repo=${repo}`, manifest.artifacts["delta_base.tar"]!.path]);
    sh("ostree", ["fsck", `--repo=${repo}`]);
    expect(sh("ostree", ["cat", `--repo=${repo}`, manifest.commits.v1, "/usr/etc/pine"])).toContain("PINE_VERSION=v1\n");
  }, 180_000);

  it("is reused, not rebuilt, when nothing changed (build.sh returns the same manifest at once)", () => {
    const script = fileURLToPath(new URL("../../images/build.sh", import.meta.url));
    const started = Date.now();
    const run = spawnSync("bash", [script, "--out", manifest.dir, "ostree"], { encoding: "utf8", timeout: 60_000 });
    const seconds = (Date.now() - started) / 1000;
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain("ostree: cached");
    expect(run.stdout.trim()).toBe(join(manifest.dir, `ostree-${manifest.key}`, "manifest.json"));
    console.log(`cached build.sh ostree: ${seconds.toFixed(2)} s`);
    expect(seconds).toBeLessThan(10);
  });
});
