// A HostContext for planning tests: facts come from a primed cache (no network), and every command an
// operation runs is recorded (and answered by a stub) so a test can assert on the exact command lines.
import type { Readable } from "node:stream";
import type { Connector, ExecOptions, ExecResult } from "../../../src/connectors/types.js";
import type { RunEvent } from "../../../src/events.js";
import type { Fact } from "../../../src/facts/define.js";
import { HostContext, type FactResult } from "../../../src/host.js";

export interface Recorded {
  command: string;
  /** The bytes the command is given to write: its stdin, or the content an atomic write embeds in a printf (UTF-8). */
  stdin?: string;
}

export type Responder = (command: string) => Partial<ExecResult> | undefined;

export class FakeConnector implements Connector {
  readonly kind = "local" as const;
  readonly target = "fake";
  readonly stats = { execs: 0, transfers: 0, channels: 0 };
  readonly commands: Recorded[] = [];
  readonly downloads: string[] = [];
  files = new Map<string, Buffer>();
  constructor(private readonly respond: Responder = () => undefined) {}

  async connect(): Promise<void> {}
  async close(): Promise<void> {}

  async exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    // A fact batch reaching the connector means a test forgot to prime a fact: say which.
    if (/'PINE[0-9a-f]{24}:B:0'/.test(command)) throw new Error(`unprimed fact(s) requested:\n${command}`);
    this.stats.execs++;
    const stdin = options?.stdin;
    const given = stdin === undefined ? embeddedContent(command) : await readAll(stdin);
    this.commands.push({ command, ...(given === undefined ? {} : { stdin: given }) });
    const answer = this.respond(command) ?? {};
    const stdout = answer.stdout ?? "";
    return { stdout, stderr: answer.stderr ?? "", exitCode: answer.exitCode === undefined ? 0 : answer.exitCode, stdoutBytes: Buffer.from(stdout) };
  }

  async upload(): Promise<void> {
    throw new Error("FakeConnector.upload is not expected");
  }

  async download(remotePath: string): Promise<Buffer> {
    this.downloads.push(remotePath);
    const bytes = this.files.get(remotePath);
    if (!bytes) throw new Error(`no such file ${remotePath}`);
    return bytes;
  }
}

/** The bytes an atomic write's `printf 'LITERAL' > "$pine_tmp"` prints (the inverse of printfLiteral). */
function embeddedContent(command: string): string | undefined {
  const literal = /^printf '([^']*)' > "\$pine_tmp"$/m.exec(command)?.[1];
  if (literal === undefined) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < literal.length; i++) {
    const c = literal[i]!;
    if (c === "%" && literal[i + 1] === "%") {
      bytes.push(0x25);
      i += 1;
    } else if (c === "\\" && literal[i + 1] === "\\") {
      bytes.push(0x5c);
      i += 1;
    } else if (c === "\\") {
      bytes.push(parseInt(literal.slice(i + 1, i + 4), 8));
      i += 3;
    } else bytes.push(c.charCodeAt(0));
  }
  return Buffer.from(bytes).toString("utf8");
}

async function readAll(stdin: string | Buffer | Readable): Promise<string> {
  if (typeof stdin === "string") return stdin;
  if (Buffer.isBuffer(stdin)) return stdin.toString("utf8");
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

export type Primed = ReadonlyArray<readonly [Fact<unknown>, unknown]>;

export interface FakeHost {
  host: HostContext;
  connector: FakeConnector;
  events: RunEvent[];
  /** The command lines run so far. */
  readonly commands: string[];
}

/** A host whose fact cache holds exactly `facts` (a value, or an Error for an unavailable fact). */
export function fakeHost(facts: Primed, options: { dry?: boolean; data?: Record<string, unknown>; respond?: Responder } = {}): FakeHost {
  const connector = new FakeConnector(options.respond);
  const events: RunEvent[] = [];
  const host = new HostContext({ name: "h1", address: "10.0.0.1", groups: [], data: options.data ?? {} }, connector, { dry: options.dry ?? false, emit: (e) => events.push(e) });
  prime(host, facts);
  return {
    host,
    connector,
    events,
    get commands() {
      return connector.commands.map((c) => c.command);
    },
  };
}

/** Put fact values into a host's cache, as if a round trip had fetched them. */
export function prime(host: HostContext, facts: Primed): void {
  const cache = host["cache"] as Map<string, FactResult<unknown>>;
  for (const [fact, value] of facts) {
    cache.set(fact.key, value instanceof Error ? { ok: false, reason: value.message } : { ok: true, value });
  }
}
