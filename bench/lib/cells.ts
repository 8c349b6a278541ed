// What the benchmark measures: cells (program × scenario × N), their samples, and time estimates for the budget.
import { median } from "./stats.js";

export type Program = "pine" | "ansible" | "floor";
export type Scenario = "floor" | "adhoc" | "facts" | "deploy1" | "deploy2";

export const SCENARIOS: Scenario[] = ["adhoc", "facts", "deploy1", "deploy2"];
export const SCENARIO_TITLE: Record<Scenario, string> = {
  floor: "floor (connect, `true`, disconnect)",
  adhoc: "ad-hoc `uname -a`",
  facts: "facts (5)",
  deploy1: "deploy, 1st run (all changed)",
  deploy2: "deploy, 2nd run (no change)",
};

export interface Sample {
  wallMs: number;
  cpuS: number;
  rssMb: number;
  groupMemMb: number;
  /** floor only: first connect to last disconnect, without Node start-up. */
  sshMs?: number;
}

export interface Cell {
  n: number;
  program: Program;
  scenario: Scenario;
  samples: Sample[];
  failures: string[];
  /** Runs not made, and why (budget). */
  skipped: string[];
}

export class Cells {
  private readonly map = new Map<string, Cell>();

  get(n: number, program: Program, scenario: Scenario): Cell {
    const key = `${n}/${program}/${scenario}`;
    let cell = this.map.get(key);
    if (!cell) {
      cell = { n, program, scenario, samples: [], failures: [], skipped: [] };
      this.map.set(key, cell);
    }
    return cell;
  }

  find(n: number, program: Program, scenario: Scenario): Cell | undefined {
    return this.map.get(`${n}/${program}/${scenario}`);
  }

  all(): Cell[] {
    return [...this.map.values()];
  }

  /**
   * Seconds one run of a cell is expected to take: its own median when measured; else the same cell at the largest
   * smaller N of at least N/4, scaled linearly past a fixed start-up cost, but never below a prior per host (measured
   * on this 2-core machine under other sessions' load: pine and floor at N=1000, Ansible at N=100). Padded by 15 %.
   * Small sizes are not extrapolated from: their times are mostly start-up.
   */
  estimateS(n: number, program: Program, scenario: Scenario): number {
    const own = this.find(n, program, scenario);
    if (own && own.samples.length) return (median(own.samples.map((s) => s.wallMs)) / 1000) * 1.15;
    const startup = program === "ansible" ? 1.5 : 0.3;
    const smaller = this.all()
      .filter((c) => c.program === program && c.scenario === scenario && c.n < n && c.n * 4 >= n && c.samples.length)
      .sort((a, b) => b.n - a.n)[0];
    const prior = startup + PRIOR_PER_HOST_S[program][scenario] * n;
    // Costs grow faster than N on 2 cores (N=250 → 1000 was 4.5-6×, not 4×): never below the prior.
    if (smaller) {
      const wall = median(smaller.samples.map((s) => s.wallMs)) / 1000;
      return Math.max(prior, startup + Math.max(0, wall - startup) * (n / smaller.n)) * 1.15;
    }
    return prior * 1.15;
  }
}

const PRIOR_PER_HOST_S: Record<Program, Record<Scenario, number>> = {
  floor: { floor: 0.014, adhoc: 0, facts: 0, deploy1: 0, deploy2: 0 },
  pine: { floor: 0, adhoc: 0.019, facts: 0.032, deploy1: 0.105, deploy2: 0.05 },
  ansible: { floor: 0, adhoc: 0.17, facts: 0.3, deploy1: 1.8, deploy2: 1.6 },
};
