// Plain progress lines on stderr (not a TTY, CI, or logs): one line per event that matters.
import type { RunEvent } from "../events.js";

export interface PlainOptions {
  verbose: number;
  write(line: string): void;
}

export function plainReporter(options: PlainOptions): (event: RunEvent) => void {
  return (event) => {
    const line = formatEvent(event, options.verbose);
    if (line !== undefined) options.write(`${line}\n`);
  };
}

export function formatEvent(event: RunEvent, verbose: number): string | undefined {
  switch (event.type) {
    case "run:start":
      return `pine ${event.command}: ${event.hosts.length} host(s)${event.dry ? " (dry run: nothing will be changed)" : ""}`;
    case "batch:start":
      return `-- batch ${event.batch}/${event.batches}: ${event.hosts.join(", ")}`;
    case "host:start":
      return verbose >= 2 ? `[${event.host}] connecting` : undefined;
    case "host:connected":
      return verbose >= 1 ? `[${event.host}] connected in ${event.ms} ms` : undefined;
    case "host:progress":
      return `[${event.host}] ${event.message}`;
    case "op:start":
      return verbose >= 2 ? `[${event.host}] ${event.op}: ${event.description}` : undefined;
    case "op:result": {
      const head = `[${event.host}] ${event.status.padEnd(9)} ${event.op}: ${event.description}`;
      const parts = [head];
      if (event.status === "failed" && event.error) parts.push(indent(event.error));
      if (event.diff && (event.status === "planned" || verbose >= 1)) parts.push(indent(event.diff));
      if (event.commands?.length && (event.status === "planned" ? verbose >= 1 : verbose >= 2)) {
        parts.push(...event.commands.map((c) => indent(`$ ${c}`)));
      }
      return parts.join("\n");
    }
    case "exec:result":
      return undefined;
    case "host:done":
      return `[${event.host}] done: ${event.changed} changed, ${event.unchanged} unchanged (${event.ms} ms)`;
    case "host:failed":
      return `[${event.host}] FAILED${event.step ? ` in ${event.step}` : ""}:\n${indent(event.error)}`;
    case "log":
      if (event.level === "debug" && verbose < 2) return undefined;
      if (event.level === "info" && verbose < 1) return undefined;
      return `${event.host ? `[${event.host}] ` : ""}${event.level === "warn" ? "warning: " : ""}${event.message}`;
    case "run:end":
      return event.stopped ? `run stopped: ${event.stopped}` : undefined;
  }
}

function indent(text: string): string {
  return text.replace(/^/gm, "    ");
}
