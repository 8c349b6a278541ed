// The shell-session wire format, run through real shells reading their script from a pipe: dash (Debian's sh),
// busybox ash (pine OS, Alpine) and bash. Many framed commands in one stream, parsed back by FrameReader.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { FrameReader, frameCommand, frameMarkers } from "../../src/connectors/ssh/session-frame.js";
import { buildBatch, splitBatch } from "../../src/facts/batch.js";
import type { Fact } from "../../src/facts/define.js";
import { printfLiteral } from "../../src/shell.js";

const SHELLS: { name: string; argv: string[] }[] = [
  { name: "dash", argv: ["dash"] },
  { name: "busybox ash", argv: ["busybox", "sh"] },
  { name: "bash", argv: ["bash"] },
];

function available(argv: string[]): boolean {
  return spawnSync(argv[0]!, [...argv.slice(1), "-c", "true"]).status === 0;
}

interface Parsed {
  stdout: Buffer;
  stderr: Buffer;
  code: number | null;
}

/** Feed `commands` framed into one shell, in chunks of `chunk` bytes of output, and parse every frame back. */
async function runFramed(argv: string[], commands: { command: string; stdin?: Buffer; safe?: boolean }[], noise = ""): Promise<Parsed[]> {
  const marker = "PINEtest0123456789abcdef";
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => out.push(c));
  child.stderr.on("data", (c: Buffer) => err.push(c));
  if (noise) child.stdin.write(`printf '%s' ${JSON.stringify(noise)}; printf '%s' ${JSON.stringify(noise)} >&2\n`);
  commands.forEach((c, i) => child.stdin.write(frameCommand(marker, i + 1, c.command, "PINE_EXEC_ID=t; export PINE_EXEC_ID", c.stdin, c.safe), "latin1"));
  child.stdin.end();
  await new Promise((resolve) => child.on("close", resolve));
  let outRest: Buffer = Buffer.concat(out);
  let errRest: Buffer = Buffer.concat(err);
  return commands.map((_, i) => {
    const so: Buffer[] = [];
    const se: Buffer[] = [];
    const outReader = new FrameReader(frameMarkers(marker, i + 1), (chunk) => (so.push(Buffer.from(chunk)), true));
    const errReader = new FrameReader(frameMarkers(marker, i + 1), (chunk) => (se.push(Buffer.from(chunk)), true));
    outRest = readFrame(outReader, outRest, `stdout of command ${i + 1}`);
    errRest = readFrame(errReader, errRest, `stderr of command ${i + 1}`);
    return { stdout: Buffer.concat(so), stderr: Buffer.concat(se), code: outReader.code };
  });
}

/** Feed in seven-byte pieces (markers split across chunks on purpose); returns what follows the frame. */
function readFrame(reader: FrameReader, stream: Buffer, what: string): Buffer {
  for (let p = 0; p < stream.length; p += 7) {
    const left = reader.feed(stream.subarray(p, p + 7));
    if (left !== undefined) return Buffer.concat([left, stream.subarray(p + 7)]);
  }
  throw new Error(`${what}: frame incomplete`);
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe.each(SHELLS)("session frames in $name", ({ name, argv }) => {
  const missing = !available(argv);
  if (missing) console.warn(`session frame tests in ${name} skipped: ${argv[0]} is not installed`);

  test.skipIf(missing)("output, stderr and exit codes of consecutive commands; exit, cd and syntax errors stay inside one command", async () => {
    const results = await runFramed(
      argv,
      [
        { command: "printf out; printf err >&2; exit 7" },
        { command: "cd /tmp && pwd" },
        { command: "pwd" },
        { command: "if then fi (" },
        { command: "echo still here; echo \"$PINE_EXEC_ID\"" },
        { command: "printf 'no newline'" },
        { command: "cat" },
      ],
      "login banner\n",
    );
    expect(results.map((r) => r.code)).toEqual([7, 0, 0, 2, 0, 0, 0]);
    expect(results[0]!.stdout.toString()).toBe("out");
    expect(results[0]!.stderr.toString()).toBe("err");
    expect(results[1]!.stdout.toString()).toBe("/tmp\n");
    expect(results[2]!.stdout.toString()).not.toBe("/tmp\n");
    expect(results[3]!.stderr.toString()).toMatch(/syntax|unexpected/i);
    expect(results[4]!.stdout.toString()).toBe("still here\nt\n");
    expect(results[5]!.stdout.toString()).toBe("no newline");
    expect(results[6]!.stdout.length).toBe(0); // stdin is /dev/null without data
  });

  test.skipIf(missing)("a fact batch runs in the session shell itself (sessionSafe): a fact's exit, cd or syntax error stays in that fact", async () => {
    const fact = (key: string, command: string, inline = false) => ({ name: key, key, args: [], command, inline, parse: () => null }) as Fact<unknown>;
    const batch = buildBatch([
      fact("t.exit", "printf a; exit 3"),
      fact("t.cd", "cd / && pwd"),
      fact("t.syntax", "if then fi ("),
      fact("t.inline", "pine_seen=1; printf '%s' \"$PWD\"", true),
    ]);
    const results = await runFramed(argv, [
      { command: "cd /tmp" }, // in its own subshell: the session stays where it started
      { command: "pine_marker=session; cd /tmp", safe: true }, // session-safe: this one does move the session
      { command: batch.script, safe: true },
      { command: 'echo "$pine_marker $pine_seen"; pwd' },
    ]);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const slices = splitBatch(batch, results[2]!.stdout.toString(), results[2]!.stderr.toString());
    expect(slices.map((s) => (s.ok ? s.output.exitCode : s.reason))).toEqual([3, 0, 2, 0]);
    expect(slices.map((s) => (s.ok ? s.output.stdout : ""))).toEqual(["a", "/\n", "", "/tmp"]);
    // The batch's inline fact ran in the session shell (its variable is there); the others' cd did not leak.
    expect(results[3]!.stdout.toString()).toBe("session 1\n/tmp\n");
  });

  test.skipIf(missing)("stdin bytes arrive exactly: every byte value, quotes, %, backslashes, a marker look-alike", async () => {
    const text = Buffer.from("it's 100% \\done\\ \"q\" $HOME `x` PINEtest0123456789abcdef:E:1:0\nlast line without newline");
    const big = Buffer.concat(Array.from({ length: 64 }, (_, i) => Buffer.concat([ALL_BYTES, Buffer.from(String(i))])));
    const results = await runFramed(argv, [
      { command: "cat", stdin: ALL_BYTES },
      { command: "cat", stdin: text },
      { command: "sha256sum | cut -c1-64", stdin: big },
      { command: "wc -c", stdin: Buffer.alloc(0) },
      { command: "cat", stdin: Buffer.from("-rf --") },
    ]);
    expect(results[0]!.stdout.equals(ALL_BYTES)).toBe(true);
    expect(results[1]!.stdout.equals(text)).toBe(true);
    expect(results[2]!.stdout.toString().trim()).toBe(sha(big));
    expect(results[3]!.stdout.toString().trim()).toBe("0");
    expect(results[4]!.stdout.toString()).toBe("-rf --"); // not taken for printf options
  });
});

describe("printfLiteral", () => {
  test("plain ASCII stays readable; everything else is escaped", () => {
    expect(printfLiteral(Buffer.from("a=1 b"))).toBe("a=1 b");
    expect(printfLiteral(Buffer.from("'%\\\n\0é"))).toBe("\\047%%\\\\\\012\\000\\303\\251");
    expect(printfLiteral(Buffer.from("-n-"))).toBe("\\055n-");
  });
});

describe("FrameReader", () => {
  const m = frameMarkers("PINEx", 3);
  test("skips noise and an earlier command's frame, stops at its own end, hands back the rest", () => {
    const body: Buffer[] = [];
    const reader = new FrameReader(m, (c) => (body.push(Buffer.from(c)), true));
    const stream = Buffer.from("noise PINEx:B:2\nold\nPINEx:E:2:0\nPINEx:B:3\nmine\n\nPINEx:E:3:5\nnext");
    const rest = reader.feed(stream);
    expect(Buffer.concat(body).toString()).toBe("mine\n");
    expect(reader.code).toBe(5);
    expect(rest?.toString()).toBe("next");
  });

  test("a sink that refuses more stops the reader", () => {
    const reader = new FrameReader(m, () => false);
    expect(reader.feed(Buffer.from(`PINEx:B:3\n${"y".repeat(100)}`))).toBeUndefined();
    expect(reader.done).toBe(false);
  });
});
