// Planning the disk.* operations from given facts: loops found by backing file and offset, mkfs never over another filesystem.
import { describe, expect, it } from "vitest";
import * as disk from "../../operations/disk/index.js";
import { attachCommand } from "../../operations/disk/loop.js";
import { sizeOption } from "../../operations/disk/tmpfs.js";
import { loops, type LoopDevice } from "../../facts/block/loops.js";
import { fsSignature } from "../../facts/block/fs-signature.js";
import { mounts } from "../../facts/server/mounts.js";
import { file } from "../../facts/files/file.js";
import { fakeHost } from "./support/fake-host.js";

const loop = (over: Partial<LoopDevice>): LoopDevice => ({ name: "loop3", device: "/dev/loop3", backingFile: "/srv/image.pine", offset: 0, sizeLimit: 0, autoclear: false, partscan: false, readOnly: false, ...over });

describe("disk.loop_attach / loop_detach", () => {
  it("attaches a slice by offset and size; unchanged when that exact slice is attached", async () => {
    const f = fakeHost([[loops, [loop({})]]]);
    await disk.loop_attach(f.host, { file: "/srv/image.pine", offset: 1048576, sizeLimit: 41943040 });
    expect(f.commands).toEqual([attachCommand("/srv/image.pine", 1048576, 41943040, false, false)]);
    expect(f.commands[0]).toBe(
      "if losetup --version 2>/dev/null | grep -q util-linux; then losetup -f --show -o 1048576 --sizelimit 41943040 -- /srv/image.pine; else echo 'this host'\\''s losetup (busybox) has no --sizelimit; install util-linux or attach without sizeLimit' >&2; exit 1; fi",
    );
    const g = fakeHost([[loops, [loop({ offset: 1048576, sizeLimit: 41943040 })]]]);
    expect((await disk.loop_attach(g.host, { file: "/srv/image.pine", offset: 1048576, sizeLimit: 41943040 })).status).toBe("unchanged");
  });
  it("detaches only the loops over the given file, never all", async () => {
    const f = fakeHost([[loops, [loop({}), loop({ name: "loop4", device: "/dev/loop4", offset: 512 }), loop({ name: "loop0", device: "/dev/loop0", backingFile: "/var/lib/snapd/x.snap" })]]]);
    await disk.loop_detach(f.host, { file: "/srv/image.pine" });
    expect(f.commands).toEqual(["losetup -d /dev/loop3", "losetup -d /dev/loop4"]);
    expect((await disk.loop_detach(fakeHost([[loops, [loop({ backingFile: "/other" })]]]).host, { file: "/srv/image.pine" })).status).toBe("unchanged");
    await expect(disk.loop_attach(fakeHost([]).host, { file: "/srv/x", offset: -1 })).rejects.toThrow("disk.loop_attach: offset must be a whole number of bytes >= 0, got -1");
  });
});

describe("disk.mkfs", () => {
  it("formats a blank device, leaves one with the right filesystem, refuses another without force", async () => {
    const f = fakeHost([[fsSignature("/dev/loop3"), null]]);
    await disk.mkfs(f.host, { device: "/dev/loop3", fstype: "xfs", label: "sysroot", options: ["-l", "logdev=/dev/loop4,size=128m"] });
    expect(f.commands).toEqual(["mkfs.xfs -q -L sysroot -l logdev=/dev/loop4,size=128m /dev/loop3"]);
    expect((await disk.mkfs(fakeHost([[fsSignature("/dev/loop3"), "ext"]]).host, { device: "/dev/loop3", fstype: "ext2" })).status).toBe("unchanged");
    await expect(disk.mkfs(fakeHost([[fsSignature("/dev/loop3"), "ext"]]).host, { device: "/dev/loop3", fstype: "xfs" })).rejects.toThrow(
      "disk.mkfs: /dev/loop3 already holds an ext2/3/4 filesystem; refusing to format it as xfs without force: true",
    );
    const g = fakeHost([[fsSignature("/dev/loop3"), "ext"]]);
    await disk.mkfs(g.host, { device: "/dev/loop3", fstype: "swap", force: true });
    expect(g.commands).toEqual(["mkswap /dev/loop3"]);
    await expect(disk.mkfs(fakeHost([]).host, { device: "/dev/x", fstype: "btrfs" as "xfs" })).rejects.toThrow(/fstype must be one of/);
  });
});

describe("disk.tmpfs", () => {
  it("mounts with the size as the kernel lists it, so a second run compares equal", async () => {
    expect(sizeOption("64m")).toBe("size=65536k");
    expect(sizeOption(1048576)).toBe("size=1024k");
    const f = fakeHost([[mounts, []], [file("/dev/shm/pine"), null]]);
    await disk.tmpfs(f.host, { path: "/dev/shm/pine", size: "16m", mode: "0700" });
    expect(f.commands).toEqual(["mkdir -p -- /dev/shm/pine && mount -t tmpfs -o size=16384k,mode=700 -- tmpfs /dev/shm/pine"]);
    const g = fakeHost([[mounts, [{ device: "tmpfs", mountpoint: "/dev/shm/pine", fstype: "tmpfs", options: ["rw", "relatime", "size=16384k", "mode=700"] }]], [file("/dev/shm/pine"), null]]);
    expect((await disk.tmpfs(g.host, { path: "/dev/shm/pine", size: "16m", mode: 0o700 })).status).toBe("unchanged");
  });
});
