// How a fact is defined: a POSIX sh command plus a pure parser from its output to a typed value.

export interface FactOutput {
  stdout: string;
  stderr: string;
  /** The command's exit status (null if it did not report one). */
  exitCode: number | null;
}

/** A fact that cannot be known on this host (missing tool, no permission, not applicable), with the reason. */
export class FactUnavailable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "FactUnavailable";
  }
}

export interface Fact<T> {
  /** Public name, e.g. "server.hostname" or "files.file". */
  readonly name: string;
  /** Cache key: the name plus its arguments, e.g. files.file("/etc/hosts"). */
  readonly key: string;
  readonly args: readonly unknown[];
  /** The POSIX sh command (dash, busybox ash, bash 4.3 safe) whose output parse() reads. */
  readonly command: string;
  /** The command may run in the batch's own shell instead of a subshell of its own (see FactSpec.inline). */
  readonly inline: boolean;
  /** Pure: output in, value out. Throws FactUnavailable when the host cannot tell. */
  parse(output: FactOutput): T;
}

export interface FactSpec<T> {
  name: string;
  command: string;
  /**
   * true when the command leaves the shell that runs it as it was: no `exit`, `return`, `exec`, `cd`, `set`, `trap`,
   * `export`, `unset`, no special builtin (`:`, `.`, `eval`, ...) with a redirection (its failure would end the shell),
   * and only `pine_*` variables assigned. Such a fact then runs in the batch's shell without the fork of a subshell
   * (~0.13 ms of host CPU each). test/facts/inline.test.ts holds every inline fact to this under dash and busybox.
   */
  inline?: boolean;
  parse(output: FactOutput): T;
}

export interface FactFamilySpec<A extends unknown[], T> {
  name: string;
  command(...args: A): string;
  /** As FactSpec.inline, for every argument. */
  inline?: boolean;
  parse(output: FactOutput, ...args: A): T;
}

/** A fact taking arguments, e.g. files.file(path): call it to get the Fact for those arguments. */
export interface FactFamily<A extends unknown[], T> {
  (...args: A): Fact<T>;
  readonly factName: string;
}

export function defineFact<T>(spec: FactSpec<T>): Fact<T> {
  return Object.freeze({ name: spec.name, key: spec.name, args: [], command: spec.command, inline: spec.inline === true, parse: spec.parse });
}

export function defineFactFamily<A extends unknown[], T>(spec: FactFamilySpec<A, T>): FactFamily<A, T> {
  const family = (...args: A): Fact<T> =>
    Object.freeze({
      name: spec.name,
      key: `${spec.name}(${args.map((a) => JSON.stringify(a)).join(",")})`,
      args,
      command: spec.command(...args),
      inline: spec.inline === true,
      parse: (output: FactOutput) => spec.parse(output, ...args),
    });
  Object.defineProperty(family, "factName", { value: spec.name });
  return family as FactFamily<A, T>;
}

/** Throw FactUnavailable unless the command exited 0; the reason names the exit code and stderr. */
export function requireSuccess(output: FactOutput, what: string): void {
  if (output.exitCode === 0) return;
  const err = output.stderr.trim().split("\n").slice(-3).join("; ");
  throw new FactUnavailable(`${what} failed (exit ${output.exitCode ?? "none"})${err ? `: ${err}` : ""}`);
}
