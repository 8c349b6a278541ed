// Vitest helper: a real lab of SSH hosts for one describe block (up in beforeAll, down in afterAll).
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { findLabProblems, labDown, labUp, type LabState } from "../../src/lab/index.js";

export interface UseLabOptions {
  /** Fixed per test file (1-6 of [a-z0-9]) so a crashed earlier run's leftovers are found and removed. */
  name: string;
  hosts: number;
  loginUser?: string;
}

export interface LabFixture {
  /** The lab's state once beforeAll has run: hosts, addresses, key, known_hosts, inventory path. */
  readonly state: LabState;
  readonly inventory: string;
  readonly dir: string;
}

/** The state directory a test lab uses: derived from its name, so a later run finds an earlier one's files. */
export function testLabDir(name: string): string {
  return join(tmpdir(), `pine-test-lab-${name}`);
}

/**
 * Why lab tests cannot run here (printed), or undefined when they can. Use with describe.skipIf:
 *   const labSkip = await labSkipReason();
 *   describe.skipIf(labSkip !== undefined)("...", () => { const lab = useLab({ name: "x", hosts: 2 }); ... });
 */
export async function labSkipReason(): Promise<string | undefined> {
  const problems = await findLabProblems();
  if (problems.length === 0) return undefined;
  const reason = `lab tests skipped: ${problems.join("; ")}`;
  console.warn(reason);
  return reason;
}

export function useLab(options: UseLabOptions): LabFixture {
  const dir = testLabDir(options.name);
  let state: LabState | undefined;
  beforeAll(async () => {
    // Leftovers of a crashed run with the same name: namespaces, veths, bridge, sshd processes.
    await labDown({ name: options.name, dir, removeDir: true });
    state = await labUp({ name: options.name, hosts: options.hosts, dir, loginUser: options.loginUser });
  });
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
