// What every host-running command shares: load and select hosts, pick a reporter, build connectors,
// run, print the summary, remember failed hosts, and turn the outcome into an exit code.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EmitEvent, RunEvent } from "../events.js";
import type { HostContext } from "../host.js";
import { openInventory, selectHosts, type ResolvedHost } from "../inventory/index.js";
import { plainReporter } from "../reporter/plain.js";
import { summaryTable } from "../reporter/summary-table.js";
import type { BatchSize } from "../runner/batches.js";
import { runOnHosts, type RunSummary } from "../runner/run-hosts.js";
import { connectorFactory } from "./connectors.js";
import type { CommonArgs } from "./options.js";
import { secretAsker } from "./prompt.js";

export interface SessionOptions {
  command: string;
  /** Events go to stdout as JSON lines (deploy/exec --json). */
  jsonEvents: boolean;
  /** Show live rows/lines for hosts (false for commands whose stdout is a single document). */
  progress: boolean;
  summary: boolean;
  batches?: BatchSize[];
  maxFail?: number;
}

export function loadHosts(args: CommonArgs): ResolvedHost[] {
  const inventory = openInventory(args.inventory, {
    connection: {
      ...(args.user !== undefined ? { user: args.user } : {}),
      ...(args.port !== undefined ? { port: args.port } : {}),
      ...(args.key !== undefined ? { key: args.key } : {}),
      ...(args.knownHosts !== undefined ? { knownHosts: args.knownHosts } : {}),
      ...(args.hostKeyCheck !== undefined ? { hostKeyCheck: args.hostKeyCheck } : {}),
      ...(args.sudo !== undefined ? { sudo: args.sudo } : {}),
    },
    data: args.data ?? [],
  });
  return args.limit?.length ? selectHosts(inventory, args.limit) : inventory.hosts;
}

export async function runSession<T>(
  args: CommonArgs,
  hosts: ResolvedHost[],
  task: (host: HostContext) => Promise<T>,
  options: SessionOptions,
): Promise<RunSummary<T>> {
  const started = Date.now();
  const color = !process.env.NO_COLOR && process.stdout.isTTY === true;
  const listeners: EmitEvent[] = [];
  let ttyFinished: Promise<void> | undefined;
  if (options.jsonEvents) {
    listeners.push((event) => process.stdout.write(`${JSON.stringify(event)}\n`));
  } else if (options.progress) {
    if (process.stderr.isTTY && !process.env.CI && !process.env.PINE_PLAIN) {
      const { ttyReporter } = await import("../reporter/tty.js");
      const tty = ttyReporter(hosts.map((h) => h.name), args.verbose);
      listeners.push(tty.emit);
      ttyFinished = tty.finished;
    } else {
      listeners.push(plainReporter({ verbose: args.verbose, write: (line) => process.stderr.write(line) }));
    }
  } else {
    // No progress lines, but a failure is never silent: each failed host's error goes to stderr.
    listeners.push((event) => {
      if (event.type === "log" && event.level === "warn") process.stderr.write(`${event.host ? `[${event.host}] ` : ""}warning: ${event.message}\n`);
      if (event.type === "host:failed") process.stderr.write(`[${event.host}] FAILED${event.step ? ` in ${event.step}` : ""}:\n${event.error.replace(/^/gm, "    ")}\n`);
    });
  }
  const emit: EmitEvent = (event: RunEvent) => {
    for (const listener of listeners) listener(event);
  };

  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) {
      process.stderr.write(`\n${signal} again: stopping now; hosts may be left mid-step\n`);
      process.exit(130);
    }
    process.stderr.write(`\n${signal}: no new hosts will be started; running hosts finish their current step (press Ctrl-C again to force)\n`);
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    emit({ type: "run:start", command: options.command, hosts: hosts.map((h) => h.name), dry: args.dry ?? false, time: new Date().toISOString() });
    const connectorFor = await connectorFactory({ askSecret: secretAsker(), emit, maxHandshakes: args.maxHandshakes });
    const summary = await runOnHosts(hosts, task, {
      parallel: args.parallel,
      dry: args.dry ?? false,
      emit,
      connectorFor,
      batches: options.batches,
      maxFail: options.maxFail,
      signal: abort.signal,
    });
    const stopped = summary.stopped ?? (abort.signal.aborted ? "interrupted" : undefined);
    emit({ type: "run:end", ok: summary.ok, failed: summary.failed, ms: Date.now() - started, ...(stopped ? { stopped } : {}) });
    await ttyFinished;
    if (options.summary && !options.jsonEvents) process.stdout.write(summaryTable(summary.outcomes, args.dry ?? false, color));
    rememberFailed(summary.failed);
    return summary;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

const FAILED_FILE = join(".pine", "last-failed.txt");

/** Write the failed hosts where `--limit @.pine/last-failed.txt` finds them; clear it after a clean run. */
function rememberFailed(failed: string[]): void {
  try {
    if (failed.length === 0) {
      rmSync(FAILED_FILE, { force: true });
      return;
    }
    mkdirSync(".pine", { recursive: true });
    writeFileSync(FAILED_FILE, `${failed.join("\n")}\n`);
    process.stderr.write(`${failed.length} host(s) failed; run again on just those with: --limit @${FAILED_FILE}\n`);
  } catch {
    // A read-only working directory must not turn a finished run into a crash.
  }
}
