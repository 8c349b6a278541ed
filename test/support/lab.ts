// Vitest helper: a real lab of SSH hosts for one describe block (up in beforeAll, down in afterAll).
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll } from "vitest";
import { findLabProblems, labDown, labUp, type LabHostKind, type LabState } from "../../src/lab/index.js";

const run = promisify(execFile);

export interface UseLabOptions {
  /** Fixed per test file (1-6 of [a-z0-9]) so a crashed earlier run's leftovers are found and removed. */
  name: string;
  hosts: number;
  loginUser?: string;
  /** What the hosts are made of; default "plain". "debian" may build the cached rootfs first (once, ~30 s). */
  kind?: LabHostKind;
}

export interface LabFixture {
  /** The lab's state once beforeAll has run: hosts, addresses, key, known_hosts, inventory path. */
  readonly state: LabState;
  readonly inventory: string;
  readonly dir: string;
}

/** Building the Debian rootfs on a fresh machine (mmdebstrap, 20-60 s here) must fit in the first beforeAll. */
export const ROOTFS_HOOK_TIMEOUT_MS = 20 * 60_000;

/** The state directory a test lab uses: derived from its name, so a later run finds an earlier one's files. */
export function testLabDir(name: string): string {
  return join(tmpdir(), `pine-test-lab-${name}`);
}

/**
 * Why lab tests of this kind cannot run here (printed), or undefined when they can. Use with describe.skipIf:
 *   const labSkip = await labSkipReason();
 *   describe.skipIf(labSkip !== undefined)("...", () => { const lab = useLab({ name: "x", hosts: 2 }); ... });
 * For debian and busybox hosts a missing package is installed first (scripts/setup-system.sh, as `npm test`
 * does): a fresh CI machine runs these tests rather than skipping them. Only what cannot be fixed skips.
 */
export async function labSkipReason(kind: LabHostKind = "plain"): Promise<string | undefined> {
  let problems = await findLabProblems(kind);
  if (problems.length > 0 && kind !== "plain" && process.getuid?.() === 0) {
    const setup = fileURLToPath(new URL("../../scripts/setup-system.sh", import.meta.url));
    const installed = await run("bash", [setup], { timeout: 10 * 60_000 }).then(
      () => undefined,
      (error: Error & { stderr?: string }) => `scripts/setup-system.sh failed: ${(error.stderr ?? error.message).trim().split("\n").pop()}`,
    );
    problems = [...(installed ? [installed] : []), ...(await findLabProblems(kind))];
  }
  if (problems.length === 0) return undefined;
  const reason = `${kind} lab tests skipped: ${problems.join("; ")}`;
  console.warn(reason);
  return reason;
}

export function useLab(options: UseLabOptions): LabFixture {
  const dir = testLabDir(options.name);
  let state: LabState | undefined;
  beforeAll(async () => {
    // Leftovers of a crashed run with the same name: namespaces, veths, bridge, sshd processes, containers, roots.
    await labDown({ name: options.name, dir, removeDir: true });
    state = await labUp({ name: options.name, hosts: options.hosts, dir, loginUser: options.loginUser, kind: options.kind });
  }, options.kind === "debian" ? ROOTFS_HOOK_TIMEOUT_MS : undefined);
  afterAll(async () => {
    await labDown({ name: options.name, dir, removeDir: true });
  });
  return {
    get state(): LabState {
      if (!state) throw new Error(`lab ${options.name} is not up (its beforeAll failed or has not run)`);
      return state;
    },
    get inventory(): string {
      return this.state.inventory;
    },
    dir,
  };
}
