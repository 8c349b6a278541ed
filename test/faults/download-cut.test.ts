// Fault: the server a host downloads from dies mid-transfer (its process SIGKILLed by PID), for files.download through
// the real CLI. The download goes to a temp file beside the target and is renamed only once it checks out: the victim
// fails in files.download saying what arrived, its old target stays, no temp file is left; the other host finishes.
// Two ways a cut looks to the host's downloader: a Content-Length response cut short (the tool notices and fails), and
// a close-delimited response (no length: the tool thinks the file ended and exits 0; only pine's checks catch it).
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { labSkipReason, useLab } from "../support/lab.js";
import { jsonEvents, killQuietly, pineTemps, startPine, tempDir, waitFor, writeDeploy } from "./support.js";

const labSkip = await labSkipReason();
const BYTES = 16 * 1024 * 1024;
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

// A file server in its own process, so the test can kill it like a crashed server: raw HTTP/1.0 over TCP, so a
// response without a length really is close-delimited (node's http would switch to chunked encoding). SLOW: after the
// first MiB it trickles 64 KiB every 20 ms. LENGTH: send Content-Length.
const SERVER = `
const net = require("node:net");
const body = Buffer.alloc(${BYTES}, 0x6e);
body[0] = 0;
const slow = process.env.SLOW === "1", length = process.env.LENGTH === "1";
const server = net.createServer((socket) => {
  socket.on("error", () => {});
  socket.once("data", () => {
    socket.write("HTTP/1.0 200 OK\\r\\nContent-Type: application/octet-stream\\r\\n" + (length ? "Content-Length: " + body.length + "\\r\\n" : "") + "Connection: close\\r\\n\\r\\n");
    if (!slow) return socket.end(body);
    socket.write(body.subarray(0, 1 << 20));
    let at = 1 << 20;
    const timer = setInterval(() => {
      if (at >= body.length) { clearInterval(timer); return socket.end(); }
      socket.write(body.subarray(at, at + 65536)); at += 65536;
    }, 20);
  });
});
server.listen(0, process.env.ADDRESS, () => console.log(server.address().port));
`;

const DEPLOY = `
import { defineDeploy, files } from "PINE_API";
const dir = process.env.FAULT_DIR!;
export default defineDeploy({
  name: "download",
  async run(host) {
    const size = process.env.FAULT_SIZE ? Number(process.env.FAULT_SIZE) : undefined;
    await files.download(host, { url: process.env["FAULT_URL_" + host.name]!, path: \`\${dir}/\${host.name}/target\`, sha256: process.env.FAULT_SHA!, ...(size ? { size } : {}) });
  },
});
`;

interface Server {
  child: ChildProcess;
  url: string;
}

describe.skipIf(labSkip !== undefined)("files.download: the server dies mid-transfer (CLI)", () => {
  const lab = useLab({ name: "fdl", hosts: 2 });
  const work = tempDir("dl");
  const servers: Server[] = [];
  let deploy: string;
  let serverScript: string;
  const wanted = Buffer.alloc(BYTES, 0x6e);
  wanted[0] = 0;

  beforeAll(() => {
    deploy = writeDeploy(work.dir, "download.mts", DEPLOY);
    serverScript = join(work.dir, "server.cjs");
    writeFileSync(serverScript, SERVER);
  });
  afterEach(() => {
    for (const server of servers.splice(0)) killQuietly(server.child.pid!);
  });
  afterAll(() => work.remove());

  async function serve(env: { SLOW: "0" | "1"; LENGTH: "0" | "1" }): Promise<Server> {
    const child = spawn(process.execPath, [serverScript], { env: { ...process.env, ...env, ADDRESS: lab.state.gateway }, stdio: ["ignore", "pipe", "inherit"] });
    const server = { child, url: "" };
    servers.push(server);
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the test file server did not start in 10 s")), 10_000);
      createInterface({ input: child.stdout! }).once("line", (line) => {
        clearTimeout(timer);
        resolve(line.trim());
      });
    });
    server.url = `http://${lab.state.gateway}:${port}/file`;
    return server;
  }

  async function cut(dir: string, length: boolean, size?: number) {
    for (const host of ["h1", "h2"]) mkdirSync(join(dir, host));
    writeFileSync(join(dir, "h1/target"), "old content\n");
    const flaky = await serve({ SLOW: "1", LENGTH: length ? "1" : "0" });
    const good = await serve({ SLOW: "0", LENGTH: "1" });
    const pine = startPine(["deploy", lab.inventory, deploy, "--json"], {
      FAULT_DIR: dir,
      FAULT_URL_h1: flaky.url,
      FAULT_URL_h2: good.url,
      FAULT_SHA: sha(wanted),
      ...(size ? { FAULT_SIZE: String(size) } : {}),
    });
    // Strike once the victim's temp file holds some but not all of the bytes.
    await waitFor(
      () =>
        pineTemps(join(dir, "h1")).some((name) => {
          const bytes = statSync(join(dir, "h1", name), { throwIfNoEntry: false })?.size ?? 0;
          return bytes > 1024 * 1024 && bytes < BYTES / 2;
        }),
      30_000,
      "h1's download to be under way",
      5,
    );
    killQuietly(flaky.child.pid!);
    const code = await pine.exit(60_000);
    const events = jsonEvents(pine.stdout());
    const said = events.find((e) => e.type === "host:failed")?.error;
    console.log(`download cut (${length ? "Content-Length" : "close-delimited"}${size ? ", size given" : ""}): ${/stderr: (.*)/.exec(String(said))?.[1] ?? String(said)}`);
    return {
      code,
      failed: events.filter((e) => e.type === "host:failed"),
      done: events.filter((e) => e.type === "host:done").map((e) => e.host),
      stderr: pine.stderr(),
    };
  }

  function expectOldTargetAndNoTemp(dir: string) {
    expect(readFileSync(join(dir, "h1/target"), "utf8")).toBe("old content\n");
    expect(pineTemps(join(dir, "h1"))).toEqual([]);
    expect(sha(readFileSync(join(dir, "h2/target")))).toBe(sha(wanted));
  }

  /** A cut in a fresh directory, with what every case expects: h1 failed in files.download, its old target intact and no temp file left, h2's download whole. */
  async function cutIn(prefix: string, length: boolean, size?: number) {
    const dir = tempDir(prefix);
    try {
      const r = await cut(dir.dir, length, size);
      expect(r.code, r.stderr).toBe(1);
      expect(r.failed[0]).toMatchObject({ host: "h1", step: "files.download" });
      expectOldTargetAndNoTemp(dir.dir);
      return { ...r, error: String(r.failed[0]!.error) };
    } finally {
      dir.remove();
    }
  }

  test("a Content-Length response cut short: h1 fails in files.download, the old target stays, no temp file", async () => {
    const r = await cutIn("dl-length", true);
    expect(r.done).toEqual(["h2"]);
    expect(r.failed).toHaveLength(1);
    expect(r.error).toMatch(/download.*failed|exited|exit code/i);
    expect(r.error).toContain("left unchanged");
  });

  test("a close-delimited response cut short (the tool exits 0): with the size known, refused by the byte count", async () => {
    const r = await cutIn("dl-size", false, BYTES);
    expect(r.done).toEqual(["h2"]);
    expect(r.error).toMatch(new RegExp(`received \\d+ of ${BYTES} bytes`));
    expect(r.error).toContain("cut short");
  });

  test("a close-delimited response cut short, size not given: refused by the sha256", async () => {
    const r = await cutIn("dl-sha", false);
    expect(r.error).toMatch(/sha256 mismatch/);
  });
});
