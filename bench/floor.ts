// The SSH floor: connect to every host of a lab inventory in parallel (same caps as pine: --parallel hosts,
// --max-handshakes handshakes in flight), run `true` once on each, disconnect. Nothing else: the cost of SSH alone.
//
//   node bench/out/floor.js INVENTORY [--parallel N] [--max-handshakes M]   (bench/bench.ts transpiles it)
//
// For the profile of round trips (not the floor itself): --commands K runs `true` K times per host one after the
// other, each on its own exec channel (--mode channel, what a command per SSH exec costs) or all through one `sh`
// on a single channel, each answered before the next is sent (--mode shell, what a persistent remote shell costs).
// --command-file F runs F's text instead of `true` (e.g. pine's fact script: the host-side cost of the same work
// without pine).
//
// Prints one JSON document: {"hosts": N, "ok": [...], "errors": {NAME: message}, "sshMs": ms}. Exit 0 only if every host ran `true`.
// Reads only the shape `pine lab up` writes: defaults.user/key/knownHosts and hosts.NAME.address (port 22).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import pLimit from "p-limit";
import ssh2 from "ssh2";
import { parse } from "yaml";

interface LabInventory {
  defaults: { user: string; key: string; knownHosts: string };
  hosts: Record<string, { address: string }>;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    parallel: { type: "string", default: "50" },
    "max-handshakes": { type: "string", default: "20" },
    commands: { type: "string", default: "1" },
    mode: { type: "string", default: "channel" },
    "command-file": { type: "string" },
  },
});
const inventory = parse(readFileSync(positionals[0] ?? "", "utf8")) as LabInventory;
const privateKey = readFileSync(inventory.defaults.key);
// known_hosts as the lab writes it: `ADDRESS TYPE BASE64` per line.
const knownKeys = new Map(
  readFileSync(inventory.defaults.knownHosts, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => line.split(/\s+/))
    .map(([address, type, blob]) => [address!, { type: type!, blob: blob! }]),
);
const hostLimit = pLimit(Number(values.parallel));
const handshakeLimit = pLimit(Number(values["max-handshakes"]));

function connect(address: string): Promise<ssh2.Client> {
  const known = knownKeys.get(address);
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on("ready", () => {
      client.setNoDelay(true);
      resolve(client);
    });
    client.on("error", reject);
    client.connect({
      host: address,
      port: 22,
      username: inventory.defaults.user,
      privateKey,
      readyTimeout: 20_000,
      algorithms: known ? { serverHostKey: [known.type as ssh2.ServerHostKeyAlgorithm] } : {},
      hostVerifier: (key: Buffer) => known !== undefined && key.toString("base64") === known.blob,
    });
  });
}

const remoteCommand = values["command-file"] ? readFileSync(values["command-file"], "utf8") : "true";

function runTrue(client: ssh2.Client): Promise<void> {
  return new Promise((resolve, reject) => {
    client.exec(remoteCommand, (error, stream) => {
      if (error) return reject(error);
      stream.resume();
      stream.stderr.resume();
      stream.on("close", (code: number | null) => (code === 0 ? resolve() : reject(new Error(`the command exited ${code}`))));
    });
  });
}

/** K commands through one `sh` on one channel, each sent after the previous one's marker came back. */
function runThroughShell(client: ssh2.Client, commands: number): Promise<void> {
  return new Promise((resolve, reject) => {
    client.exec("sh", (error, stream) => {
      if (error) return reject(error);
      let buffered = "";
      let done = 0;
      const next = (): void => void stream.write(`true; echo "@@floor $?"\n`);
      stream.stderr.resume();
      stream.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8");
        let at: number;
        while ((at = buffered.indexOf("\n")) !== -1) {
          const line = buffered.slice(0, at);
          buffered = buffered.slice(at + 1);
          if (line !== "@@floor 0") return reject(new Error(`unexpected output ${JSON.stringify(line)}`));
          if (++done === commands) stream.end();
          else next();
        }
      });
      stream.on("close", () => (done === commands ? resolve() : reject(new Error(`shell closed after ${done} of ${commands} commands`))));
      next();
    });
  });
}

const commands = Number(values.commands);

async function oneHost(address: string): Promise<void> {
  const client = await handshakeLimit(() => connect(address));
  try {
    if (values.mode === "shell") await runThroughShell(client, commands);
    else for (let i = 0; i < commands; i++) await runTrue(client);
  } finally {
    client.end();
  }
}

const started = process.hrtime.bigint();
const names = Object.keys(inventory.hosts);
const results = await Promise.allSettled(names.map((name) => hostLimit(() => oneHost(inventory.hosts[name]!.address))));
const sshMs = Number(process.hrtime.bigint() - started) / 1e6;
const errors: Record<string, string> = {};
results.forEach((result, i) => {
  if (result.status === "rejected") errors[names[i]!] = String((result.reason as Error)?.message ?? result.reason);
});
const ok = names.filter((name) => !(name in errors));
process.stdout.write(`${JSON.stringify({ hosts: names.length, ok, errors, sshMs })}\n`);
process.exitCode = ok.length === names.length ? 0 : 1;
