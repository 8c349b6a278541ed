// The events a run emits, one stream for every reporter (TTY rows, plain lines, JSON lines).

export type OperationStatus = "changed" | "unchanged" | "failed" | "planned";

export type RunEvent =
  | { type: "run:start"; command: string; hosts: string[]; dry: boolean; time: string }
  | { type: "batch:start"; batch: number; batches: number; hosts: string[] }
  | { type: "host:start"; host: string }
  | { type: "host:connected"; host: string; ms: number }
  | { type: "host:progress"; host: string; message: string }
  | { type: "op:start"; host: string; op: string; description: string }
  | {
      type: "op:result";
      host: string;
      op: string;
      description: string;
      status: OperationStatus;
      diff?: string;
      commands?: string[];
      ms: number;
      error?: string;
    }
  | { type: "exec:result"; host: string; command: string; exitCode: number | null; stdout: string; stderr: string; ms: number }
  | { type: "host:done"; host: string; ok: true; changed: number; unchanged: number; ms: number }
  | { type: "host:failed"; host: string; ok: false; error: string; step?: string; changed: number; unchanged: number; ms: number }
  | { type: "log"; host?: string; level: "warn" | "info" | "debug"; message: string }
  | { type: "run:end"; ok: boolean; failed: string[]; ms: number; stopped?: string };

export type EmitEvent = (event: RunEvent) => void;
