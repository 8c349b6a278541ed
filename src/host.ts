// The host context: one host's connection, data, fact cache and event stream, handed to deploys and operations.
import type { Connector, ExecOptions, ExecResult } from "./connectors/types.js";
import { CommandError, PineError } from "./errors.js";
import type { EmitEvent } from "./events.js";
import { FactUnavailable, type Fact } from "./facts/define.js";
import { buildBatch, splitBatch, type FactSlice } from "./facts/batch.js";

export type FactResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface HostInfo {
  name: string;
  address: string;
  groups: readonly string[];
  data: Readonly<Record<string, unknown>>;
}

export interface HostOptions {
  dry: boolean;
  emit: EmitEvent;
  /** Seconds before a fact script is abandoned. */
  factTimeoutMs?: number;
}

/** Thrown by host.fact() when the fact cannot be known on this host. */
export class FactError extends CommandError {}

export class HostContext {
  readonly name: string;
  readonly address: string;
  readonly groups: readonly string[];
  readonly data: Readonly<Record<string, unknown>>;
  readonly dry: boolean;
  /**
   * What operations remember about this host between each other during one run, keyed by family
   * ("disk.loops": the loop devices pine attached, so disk.loop_detach frees only those). Never shared across hosts.
   */
  readonly state = new Map<string, unknown>();
  private readonly cache = new Map<string, FactResult<unknown>>();
  private counts = { changed: 0, unchanged: 0 };

  constructor(
    info: HostInfo,
    readonly connector: Connector,
    private readonly options: HostOptions,
  ) {
    this.name = info.name;
    this.address = info.address;
    this.groups = info.groups;
    this.data = info.data;
    this.dry = options.dry;
  }

  get changed(): number {
    return this.counts.changed;
  }
  get unchanged(): number {
    return this.counts.unchanged;
  }

  /** Record an operation's outcome for the host's summary (used by the operation runner). */
  count(status: "changed" | "unchanged" | "planned"): void {
    if (status === "unchanged") this.counts.unchanged++;
    else this.counts.changed++;
  }

  emit: EmitEvent = (event) => this.options.emit(event);

  log(level: "info" | "warn" | "debug", message: string): void {
    this.options.emit({ type: "log", host: this.name, level, message });
  }

  progress(message: string): void {
    this.options.emit({ type: "host:progress", host: this.name, message });
  }

  /** One fact's value; throws FactError (with the reason) when the host cannot tell. */
  async fact<T>(fact: Fact<T>): Promise<T> {
    const [result] = await this.gather([fact]);
    if (!result || !result.ok) {
      throw new FactError(`fact ${fact.key} is unavailable: ${result?.reason ?? "no result"}`, { host: this.name, step: `fact ${fact.key}` });
    }
    return result.value as T;
  }

  /** Several facts' values, fetched together in one round trip; throws on the first unavailable one. */
  async facts<T extends readonly Fact<unknown>[]>(...facts: T): Promise<{ [K in keyof T]: T[K] extends Fact<infer V> ? V : never }> {
    const results = await this.gather(facts);
    return results.map((result, i) => {
      if (!result.ok) {
        const key = facts[i]!.key;
        throw new FactError(`fact ${key} is unavailable: ${result.reason}`, { host: this.name, step: `fact ${key}` });
      }
      return result.value;
    }) as { [K in keyof T]: T[K] extends Fact<infer V> ? V : never };
  }

  /** Results for many facts: cached ones from the cache, all others in ONE exec round trip. */
  async gather(facts: readonly Fact<unknown>[]): Promise<FactResult<unknown>[]> {
    const missing: Fact<unknown>[] = [];
    const seen = new Set<string>();
    for (const fact of facts) {
      if (!this.cache.has(fact.key) && !seen.has(fact.key)) {
        seen.add(fact.key);
        missing.push(fact);
      }
    }
    if (missing.length > 0) await this.fetch(missing);
    return facts.map((fact) => this.cache.get(fact.key) ?? { ok: false, reason: "not gathered" });
  }

  private async fetch(facts: Fact<unknown>[]): Promise<void> {
    const timeoutMs = this.options.factTimeoutMs ?? 120_000;
    const gathering = (error: unknown): never => {
      // A lost connection or a timeout while gathering is reported as that fact step, not as an anonymous exec.
      if (!(error instanceof PineError)) throw error;
      const step = `fact ${facts.map((f) => f.key).join(", ")}`;
      const Kind = error.constructor as typeof PineError;
      throw new Kind(`${error.message} (gathering ${step})`, { host: error.host, step, exitCode: error.exitCode, stderr: error.stderr, hint: error.hint, cause: error });
    };
    if (facts.length === 1) {
      // One fact (most operations need one) is its own command: the session frame or the exec channel already
      // delimits its output and exit code, so the batch's markers (4 more packets from the host) are not needed. It
      // runs in a subshell of the session (or a shell of its own), or in the session shell itself if inline.
      const fact = facts[0]!;
      const result = await this.connector.exec(fact.command, { timeoutMs, session: true, sessionSafe: fact.inline }).catch(gathering);
      // No exit status: the shell running it died (a fact that killed it, a signal) before the fact finished.
      const slice: FactSlice =
        result.exitCode === null
          ? { ok: false, reason: `the fact script stopped before this fact finished${result.signal ? ` (${result.signal})` : ""}` }
          : { ok: true, output: { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode } };
      this.store(fact, slice, result);
      return;
    }
    const batch = buildBatch(facts);
    const result = await this.connector.exec(batch.script, { timeoutMs, session: true, sessionSafe: true }).catch(gathering);
    splitBatch(batch, result.stdout, result.stderr).forEach((slice, i) => this.store(facts[i]!, slice, result));
  }

  private store(fact: Fact<unknown>, slice: FactSlice, result: ExecResult): void {
    if (!slice.ok) {
      const detail = result.exitCode !== 0 && result.stderr.trim() ? ` (exit ${result.exitCode}: ${result.stderr.trim().slice(0, 300)})` : "";
      this.cache.set(fact.key, { ok: false, reason: slice.reason + detail });
      return;
    }
    try {
      this.cache.set(fact.key, { ok: true, value: fact.parse(slice.output) });
    } catch (error) {
      const reason = error instanceof FactUnavailable ? error.reason : `could not parse the output of ${fact.key}: ${(error as Error).message}`;
      this.cache.set(fact.key, { ok: false, reason });
    }
  }

  /**
   * Forget cached facts so the next read asks the host again. A pattern is a fact key
   * (files.file("/etc/hosts")), a fact name (files.file: all its arguments), a prefix ending in ".*", "*" for all, or
   * `files@PATH`: the files.* facts about PATH, its ancestors and everything under it (what writing, creating or
   * removing PATH can change; a files fact with a relative path is always forgotten). A path reached through a symlink
   * elsewhere is not followed: an operation that writes through links should invalidate "files.*".
   */
  invalidate(...patterns: string[]): void {
    for (const key of [...this.cache.keys()]) {
      const name = key.replace(/\(.*$/s, "");
      if (patterns.some((pattern) => matchesPattern(key, name, pattern))) this.cache.delete(key);
    }
  }

  /** Run a command; the result says how it went (non-zero exit is not an exception). */
  exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    return this.connector.exec(command, options);
  }

  /** Run a command that must succeed: a non-zero exit throws a CommandError with its exit code and stderr. */
  async run(command: string, options?: ExecOptions & { step?: string }): Promise<ExecResult> {
    const result = await this.connector.exec(command, options);
    if (result.exitCode !== 0) {
      throw new CommandError(`command failed${options?.step ? ` during ${options.step}` : ""}`, {
        host: this.name,
        step: options?.step,
        command,
        exitCode: result.exitCode,
        stderr: result.stderr || result.stdout.slice(-2000),
      });
    }
    return result;
  }
}

function matchesPattern(key: string, name: string, pattern: string): boolean {
  if (pattern === "*" || key === pattern || name === pattern) return true;
  if (pattern.endsWith(".*")) return key.startsWith(pattern.slice(0, -1));
  if (!pattern.startsWith("files@") || !name.startsWith("files.")) return false;
  const path = firstArgument(key, name);
  if (typeof path !== "string" || !path.startsWith("/")) return true;
  return pathsOverlap(trimSlashes(path), trimSlashes(pattern.slice("files@".length)));
}

/** The first argument of a fact family's key, `name("a",1)` → "a"; undefined when the key has none or is not JSON. */
function firstArgument(key: string, name: string): unknown {
  if (key.length <= name.length + 2) return undefined;
  try {
    return (JSON.parse(`[${key.slice(name.length + 1, -1)}]`) as unknown[])[0];
  } catch {
    return undefined;
  }
}

function trimSlashes(path: string): string {
  const trimmed = path.replace(/\/+/g, "/").replace(/\/$/, "");
  return trimmed === "" ? "/" : trimmed;
}

/** One path is the other, or lies under it. */
function pathsOverlap(a: string, b: string): boolean {
  if (a === b || a === "/" || b === "/") return true;
  return a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}
