// Run one task per host: connect, hand the task a host context, close; bounded parallelism,
// rolling batches with a failure budget, and an unreachable host never stops the others.
import pLimit from "p-limit";
import type { Connector } from "../connectors/types.js";
import { ConnectError, PineError, errorMessage } from "../errors.js";
import type { EmitEvent } from "../events.js";
import { HostContext, type HostInfo } from "../host.js";
import { splitIntoBatches, type BatchSize } from "./batches.js";

export interface RunOptions<H extends HostInfo> {
  /** Hosts worked on at once. */
  parallel: number;
  dry: boolean;
  emit: EmitEvent;
  /** Builds (does not connect) the connector for a host. */
  connectorFor(host: H): Connector;
  /** Rolling plan; default: one batch of all hosts. */
  batches?: readonly BatchSize[];
  /** Hosts allowed to fail before further batches are not started (default: no limit). */
  maxFail?: number;
  /** Aborting stops starting new hosts; running ones finish their current step. */
  signal?: AbortSignal;
}

export interface HostOutcome<T> {
  host: string;
  ok: boolean;
  value?: T;
  error?: string;
  /** Step the host failed in, when known ("connect", an operation name, ...). */
  step?: string;
  /** The host was never started (budget exhausted or interrupted). */
  skipped?: boolean;
  changed: number;
  unchanged: number;
  ms: number;
}

export interface RunSummary<T> {
  ok: boolean;
  outcomes: HostOutcome<T>[];
  failed: string[];
  /** Why the run stopped early, if it did. */
  stopped?: string;
}

export async function runOnHosts<H extends HostInfo, T>(
  hosts: readonly H[],
  task: (host: HostContext) => Promise<T>,
  options: RunOptions<H>,
): Promise<RunSummary<T>> {
  const limit = pLimit(Math.max(1, options.parallel));
  const batches = splitIntoBatches(hosts, options.batches ?? [hosts.length || 1]);
  const outcomes = new Map<string, HostOutcome<T>>();
  const budget = options.maxFail ?? Number.POSITIVE_INFINITY;
  let failures = 0;
  let stopped: string | undefined;

  for (const [index, batch] of batches.entries()) {
    if (stopped) break;
    if (batches.length > 1) options.emit({ type: "batch:start", batch: index + 1, batches: batches.length, hosts: batch.map((h) => h.name) });
    await Promise.all(
      batch.map((host) =>
        limit(async () => {
          if (options.signal?.aborted) {
            outcomes.set(host.name, { host: host.name, ok: false, skipped: true, error: "not started: the run was interrupted", changed: 0, unchanged: 0, ms: 0 });
            return;
          }
          const outcome = await runOne(host, task, options);
          outcomes.set(host.name, outcome);
          if (!outcome.ok) failures++;
        }),
      ),
    );
    if (failures > budget) stopped = `failure budget exceeded: ${failures} host(s) failed, at most ${budget} allowed`;
    else if (options.signal?.aborted) stopped = "interrupted";
  }

  const ordered = hosts.map(
    (h) =>
      outcomes.get(h.name) ?? {
        host: h.name,
        ok: false,
        skipped: true,
        error: `not started: ${stopped ?? "run stopped"}`,
        changed: 0,
        unchanged: 0,
        ms: 0,
      },
  );
  const failed = ordered.filter((o) => !o.ok).map((o) => o.host);
  return { ok: failed.length === 0, outcomes: ordered, failed, stopped };
}

async function runOne<H extends HostInfo, T>(host: H, task: (host: HostContext) => Promise<T>, options: RunOptions<H>): Promise<HostOutcome<T>> {
  const started = Date.now();
  options.emit({ type: "host:start", host: host.name });
  let connector: Connector | undefined;
  let context: HostContext | undefined;
  let step = "connect";
  try {
    connector = options.connectorFor(host);
    await connector.connect();
    options.emit({ type: "host:connected", host: host.name, ms: Date.now() - started });
    step = "run";
    context = new HostContext(host, connector, { dry: options.dry, emit: options.emit });
    const value = await task(context);
    const ms = Date.now() - started;
    options.emit({ type: "host:done", host: host.name, ok: true, changed: context.changed, unchanged: context.unchanged, ms });
    return { host: host.name, ok: true, value, changed: context.changed, unchanged: context.unchanged, ms };
  } catch (error) {
    const ms = Date.now() - started;
    const failedStep = error instanceof PineError && error.step ? error.step : error instanceof ConnectError ? "connect" : step;
    const message = errorMessage(error);
    const changed = context?.changed ?? 0;
    const unchanged = context?.unchanged ?? 0;
    options.emit({ type: "host:failed", host: host.name, ok: false, error: message, step: failedStep, changed, unchanged, ms });
    return { host: host.name, ok: false, error: message, step: failedStep, changed, unchanged, ms };
  } finally {
    await connector?.close().catch(() => undefined);
  }
}
