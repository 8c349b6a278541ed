// server.script: a script from the controller (a local file or text) is sent over stdin into a temp file on the
// host and run there with its arguments — one round trip, no SFTP, nothing left behind.
// Guards as in server.shell: `creates` (a path that exists when the work is done) and `unless` (exits 0 when nothing is needed).
import { readFileSync } from "node:fs";
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { command, quote } from "../../src/shell.js";
import { file } from "../../facts/files/file.js";

export interface ScriptArgs {
  /** A script on the controller. Exactly one of src / content. */
  src?: string;
  content?: string;
  /** Arguments passed to the script, each quoted. */
  args?: Array<string | number>;
  creates?: string;
  unless?: string;
  /** Human description; default "run script <src>". */
  name?: string;
  timeoutMs?: number;
  /** Facts the script changes (default all). */
  invalidates?: string[];
}

function scriptText(a: ScriptArgs): string {
  if ((a.src === undefined) === (a.content === undefined)) throw new UsageError("server.script: give exactly one of src or content");
  if (a.content !== undefined) {
    if (typeof a.content !== "string" || a.content === "") throw new UsageError("server.script: content must be a non-empty string");
    return a.content;
  }
  try {
    return readFileSync(a.src!, "utf8");
  } catch (error) {
    throw new UsageError(`server.script: cannot read local script ${a.src}: ${(error as Error).message}`);
  }
}

/** The interpreter from a `#!` line as words (the script then runs even from a noexec /tmp); `sh` without one. */
export function interpreter(text: string): string[] {
  const m = /^#!\s*(\S.*)$/m.exec(text.split("\n", 1)[0]!);
  return m ? m[1]!.trim().split(/\s+/) : ["sh"];
}

export function scriptCommand(text: string, args: ReadonlyArray<string | number>): string {
  return [
    "set -e",
    `pine_tmp=$(mktemp "\${TMPDIR:-/tmp}/pine-script.XXXXXXXX")`,
    `trap 'rm -f "$pine_tmp"' EXIT`,
    `cat > "$pine_tmp"`,
    `${command(...interpreter(text))} "$pine_tmp"${args.length ? ` ${command(...args)}` : ""} </dev/null`,
  ].join("\n");
}

const label = (a: ScriptArgs) => a.name ?? `run script ${a.src ?? "(inline)"}${a.args?.length ? ` ${command(...a.args)}` : ""}`;

export const script = defineOperation<ScriptArgs>({
  name: "server.script",
  describe: label,
  facts: (a) => (a.creates ? [file(a.creates)] : []),
  async plan(host, a) {
    const text = scriptText(a);
    const args = a.args ?? [];
    if (!Array.isArray(args) || args.some((x) => typeof x !== "string" && typeof x !== "number")) throw new UsageError("server.script: args must be a list of strings or numbers");
    if (a.creates && (await host.fact(file(a.creates)))) return null;
    if (a.unless && (await host.exec(a.unless, { timeoutMs: a.timeoutMs })).exitCode === 0) return null;
    return {
      description: label(a),
      steps: [{ command: scriptCommand(text, args), stdin: text, display: `${label(a)} (${Buffer.byteLength(text)} bytes via stdin, run with ${quote(interpreter(text).join(" "))})`, timeoutMs: a.timeoutMs }],
      invalidates: a.invalidates ?? ["*"],
    };
  },
});
