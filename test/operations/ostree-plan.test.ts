// Planning the ostree.* operations from given deployments.
import { describe, expect, it } from "vitest";
import * as ostree from "../../operations/ostree/index.js";
import { deployments } from "../../facts/ostree/deployments.js";
import { hasCommit } from "../../facts/ostree/has-commit.js";
import type { OstreeDeployment } from "../../facts/ostree/status.js";
import { fakeHost } from "./support/fake-host.js";

const C = (n: number) => String(n).repeat(64).slice(0, 64);
const d = (n: number, over: Partial<OstreeDeployment> = {}): OstreeDeployment => ({ osname: "pine", commit: C(n), serial: 0, booted: false, pending: false, rollback: false, staged: false, version: null, origin: null, ...over });

describe("ostree operations", () => {
  it("apply_delta: unchanged when the repo has the commit; else applies and checks the commit arrived", async () => {
    expect((await ostree.apply_delta(fakeHost([[hasCommit("/ostree/repo", C(2)), true]]).host, { delta: "/dev/shm/delta.tar", commit: C(2) })).status).toBe("unchanged");
    const f = fakeHost([[hasCommit("/ostree/repo", C(2)), false]]);
    await ostree.apply_delta(f.host, { delta: "/dev/shm/delta.tar", commit: C(2) });
    expect(f.commands[0]).toBe(
      `ostree --repo=/ostree/repo static-delta apply-offline /dev/shm/delta.tar && if ! ostree --repo=/ostree/repo show ${C(2)} >/dev/null 2>&1; then echo 'the delta /dev/shm/delta.tar did not bring commit ${C(2)}' >&2; exit 1; fi`,
    );
  });
  it("deploy: unchanged when the next boot is the commit; refuses a commit the repo lacks", async () => {
    const next = [[deployments("/"), [d(2, { pending: true }), d(1, { booted: true })]], [hasCommit("/ostree/repo", C(2)), true]] as const;
    expect((await ostree.deploy(fakeHost(next).host, { commit: C(2) })).status).toBe("unchanged");
    const f = fakeHost([[deployments("/mnt/sysroot"), [d(1, { booted: true })]], [hasCommit("/mnt/sysroot/ostree/repo", C(2)), true]]);
    await ostree.deploy(f.host, { commit: C(2), sysroot: "/mnt/sysroot" });
    expect(f.commands).toEqual([`ostree admin deploy --sysroot=/mnt/sysroot --os=pine ${C(2)}`]);
    await expect(ostree.deploy(fakeHost([[deployments("/"), []], [hasCommit("/ostree/repo", C(3)), false]]).host, { commit: C(3) })).rejects.toThrow(/has no commit 3{64}; apply its delta first/);
  });
  it("keep: undeploys from the highest index, always keeping the next boot and the booted one", async () => {
    const f = fakeHost([[deployments("/"), [d(4, { pending: true }), d(3), d(2, { booted: true }), d(1, { rollback: true })]]]);
    await ostree.keep(f.host, {});
    expect(f.commands).toEqual(["ostree admin undeploy 3", "ostree admin undeploy 1", "ostree admin cleanup"]);
    expect((await ostree.keep(fakeHost([[deployments("/"), [d(2, { pending: true }), d(1, { booted: true })]]]).host, {})).status).toBe("unchanged");
  });
  it("rollback: deploys the commit below the booted one; unchanged when that is already next", async () => {
    const f = fakeHost([[deployments("/"), [d(2, { booted: true }), d(1, { rollback: true })]]]);
    await ostree.rollback(f.host, {});
    expect(f.commands).toEqual([`ostree admin deploy --os=pine ${C(1)}`]);
    expect((await ostree.rollback(fakeHost([[deployments("/"), [d(1, { pending: true }), d(2, { booted: true }), d(1, { rollback: true })]]]).host, {})).status).toBe("unchanged");
    await expect(ostree.rollback(fakeHost([[deployments("/"), [d(2, { booted: true })]]]).host, {})).rejects.toThrow(/no earlier pine deployment/);
  });
});
