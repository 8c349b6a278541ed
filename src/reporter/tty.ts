// Live rows per host on a terminal (listr2), drawn on stderr so stdout keeps only results.
import { Listr, ProcessOutput, type ListrTaskWrapper } from "listr2";
import type { RunEvent } from "../events.js";
import { formatEvent } from "./plain.js";

/** Above this many hosts one summary row replaces a row per host. */
const MAX_ROWS = 30;

interface Row {
  settle(error?: Error): void;
  task?: ListrTaskWrapper<unknown, never, never>;
  lastLine?: string;
}

export interface TtyReporter {
  emit(event: RunEvent): void;
  /** Resolves when the rows have been drawn for the last time. */
  finished: Promise<void>;
}

export function ttyReporter(hosts: readonly string[], verbose: number): TtyReporter {
  const rows = new Map<string, Row>();
  const output = new ProcessOutput(process.stderr, process.stderr);
  const perHost = hosts.length <= MAX_ROWS;
  let done = 0;
  let failed = 0;
  let summary: { title: string; update?: (t: string) => void; settle?: () => void } = { title: "" };

  const tasks = perHost
    ? hosts.map((host) => ({
        title: host,
        task: (_: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
          new Promise<void>((resolve, reject) => {
            rows.set(host, { task, settle: (error) => (error ? reject(error) : resolve()) });
          }),
      }))
    : [
        {
          title: `${hosts.length} hosts`,
          task: (_: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
            new Promise<void>((resolve) => {
              summary = { title: task.title ?? "", update: (t) => (task.title = t), settle: resolve };
            }),
        },
      ];

  const list = new Listr(tasks as never, {
    concurrent: true,
    exitOnError: false,
    registerSignalListeners: false,
    rendererOptions: { processOutput: output, collapseErrors: false, showErrorMessage: true } as never,
  });
  const finished = list.run().then(
    () => undefined,
    () => undefined,
  );

  const emit = (event: RunEvent): void => {
    if (!("host" in event) || !event.host) {
      const line = formatEvent(event, verbose);
      if (line && event.type === "log") output.toStderr(line);
      return;
    }
    if (!perHost) {
      if (event.type === "host:done" || event.type === "host:failed") {
        done++;
        if (event.type === "host:failed") failed++;
        summary.update?.(`${done}/${hosts.length} hosts finished, ${failed} failed`);
        if (done === hosts.length) summary.settle?.();
      }
      return;
    }
    const row = rows.get(event.host);
    if (!row) return;
    if (event.type === "host:done") {
      if (row.task) row.task.title = `${event.host}: ${event.changed} changed, ${event.unchanged} unchanged`;
      row.settle();
    } else if (event.type === "host:failed") {
      row.settle(new Error(`${event.host}: ${event.error.split("\n")[0]}`));
    } else if (row.task) {
      const line = formatEvent(event, verbose);
      if (line) row.task.output = line.replace(/^\[[^\]]*\] /, "");
    }
  };
  return { emit, finished };
}
