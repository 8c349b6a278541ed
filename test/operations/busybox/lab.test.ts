// busybox.linkfarm for real, over SSH to a lab host: Debian's static busybox pushed into a tmpfs of its own (Debian's
// /run is noexec), checked on the host by the binary itself, linked; then unchanged; a wrong binary never leaves the
// controller; a noexec directory is named as the problem. Everything lives in a scratch dir, unmounted at the end.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as busybox from "../../../operations/busybox/index.js";
import * as disk from "../../../operations/disk/index.js";
import { labSkipReason, useLab } from "../../support/lab.js";
import { labHost, type LabHost } from "../support/lab-host.js";

const labSkip = (await labSkipReason()) ?? (existsSync("/bin/busybox") ? undefined : "no /bin/busybox (busybox-static) on this machine");
const BUSYBOX = "/bin/busybox";

describe.skipIf(labSkip !== undefined)("busybox.linkfarm on a lab host", () => {
  const lab = useLab({ name: "bbx", hosts: 1 });
  let h: LabHost;
  let dir: string;
  const sum = existsSync(BUSYBOX) ? createHash("sha256").update(readFileSync(BUSYBOX)).digest("hex") : "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pine-bb-lab-"));
    h = labHost(lab.state, 0);
  });
  afterAll(async () => {
    // The lab host has its own mount namespace: unmount through it, by name.
    await h?.sh(`grep -o ' ${dir}/[^ ]*' /proc/mounts | sort -r | while read -r m; do umount "$m"; done; true`).catch(() => undefined);
    await h?.connector.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("pushes busybox into a tmpfs workspace, links every applet, then is unchanged; later commands run from the farm", async () => {
    const ws = join(dir, "ws");
    const farm = join(ws, "bin");
    expect((await disk.tmpfs(h.host, { path: ws, sizeMiB: 8, mode: "0700" })).status).toBe("changed");
    const first = await busybox.linkfarm(h.host, { dir: farm, binary: BUSYBOX, sha256: sum });
    expect(first.status).toBe("changed");
    expect(first.description).toMatch(/^busybox in .*: install busybox \(\d+ bytes\), link the applets$/);
    expect((await busybox.linkfarm(h.host, { dir: farm, binary: BUSYBOX, sha256: sum })).status).toBe("unchanged");
    expect((await h.sh(`${farm}/busybox sha256sum ${farm}/busybox`)).slice(0, 64)).toBe(sum);
    expect((await h.sh(busybox.withPath(farm, "command -v losetup"))).trim()).toBe(join(farm, "losetup"));
    const applets = (await h.sh(`${farm}/busybox --list | wc -l`)).trim();
    // `busybox --list` names busybox itself, which is the binary, not a link.
    expect(Number((await h.sh(`find ${farm} -type l | wc -l`)).trim())).toBe(Number(applets) - 1);
    // A link gone behind pine's back is put back, and only that.
    await h.sh(`rm ${farm}/wget`);
    h.host.invalidate("busybox.*");
    expect((await busybox.linkfarm(h.host, { dir: farm, binary: BUSYBOX, sha256: sum })).description).toMatch(/: link 1 applet\(s\)$/);
  });

  it("refuses a binary whose sha256 is not the expected one before anything reaches the host", async () => {
    const execs = h.connector.stats.execs;
    await expect(busybox.linkfarm(h.host, { dir: join(dir, "nofarm"), binary: BUSYBOX, sha256: "0".repeat(64) })).rejects.toThrow(/has sha256 [0-9a-f]{64}, not the expected 0{64}; nothing was sent/);
    expect(h.connector.stats.execs).toBe(execs);
    expect(existsSync(join(dir, "nofarm"))).toBe(false);
  });

  it("names a noexec directory as the problem and leaves nothing there", async () => {
    const nx = join(dir, "noexec");
    await h.sh(`mkdir -p ${nx} && mount -t tmpfs -o size=8m,noexec tmpfs ${nx}`);
    const error = await busybox.linkfarm(h.host, { dir: join(nx, "bin"), binary: BUSYBOX, sha256: sum }).then(
      () => "succeeded?!",
      (e: Error & { describe?(): string }) => e.describe?.() ?? e.message,
    );
    expect(error).toContain("is it on a noexec mount (Debian's /run is)? Use a tmpfs of its own or /dev/shm");
    expect(error).toContain("exit code: 126");
    expect((await h.sh(`ls -A ${nx}/bin`)).trim()).toBe("");
  });
});
