// A real OpenSSH server for tests: its own host key, client keys and config in a temp dir, on 127.0.0.1 and a free port.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SshdOptions {
  /** Offer the SFTP subsystem (default true). */
  sftp?: boolean;
  /** Also generate an encrypted client key with this passphrase (`encryptedClientKey`). */
  passphrase?: string;
  /** More authorized public keys (e.g. another sshd's clientKeyPub, so one key logs in to both). */
  authorize?: string[];
  /** More sshd_config lines. */
  extraConfig?: string[];
  /** sshd LogLevel (default INFO; DEBUG1 shows forwarding). */
  logLevel?: string;
}

export interface Sshd {
  host: "127.0.0.1";
  port: number;
  /** The login user (tests run as root). */
  user: string;
  dir: string;
  /** Host public key, `ssh-ed25519 AAAA... comment`. */
  hostKeyPub: string;
  /** known_hosts line for this server: `[127.0.0.1]:PORT ssh-ed25519 AAAA...`. */
  knownHostsLine: string;
  /** Unencrypted client private key path (authorized). */
  clientKey: string;
  clientKeyPub: string;
  /** Encrypted client key path (authorized), when `passphrase` was given. */
  encryptedClientKey?: string;
  /** sshd's stderr so far. */
  log(): string;
  /** SIGKILL the per-connection sshd processes (not the commands they run), leaving the listener up. Returns how many were killed. */
  killSessions(): number;
  /** Send `signal` to the per-connection sshd processes (SIGSTOP freezes them: a silent peer, like a cut link). */
  signalSessions(signal: NodeJS.Signals): number;
  /** Stop the listener and every session by PID; remove the temp dir. */
  stop(): Promise<void>;
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), "pine-sshd-"));
  try {
    return await launch(dir, options);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function launch(dir: string, options: SshdOptions): Promise<Sshd> {
  const keygen = (file: string, passphrase = "") =>
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", `pine-test-${file}`, "-f", join(dir, file)]);
  keygen("host_key");
  keygen("client_key");
  const authorized = [readFileSync(join(dir, "client_key.pub"), "utf8")];
  if (options.passphrase !== undefined) {
    keygen("client_key_encrypted", options.passphrase);
    authorized.push(readFileSync(join(dir, "client_key_encrypted.pub"), "utf8"));
  }
  for (const line of options.authorize ?? []) authorized.push(`${line.trim()}\n`);
  writeFileSync(join(dir, "authorized_keys"), authorized.join(""), { mode: 0o600 });
  const hostKeyPub = readFileSync(join(dir, "host_key.pub"), "utf8").trim();

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${join(dir, "host_key")}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "UsePAM no",
      "StrictModes no",
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "AllowTcpForwarding yes",
      "MaxStartups 100:30:200",
      `LogLevel ${options.logLevel ?? "INFO"}`,
      ...(options.sftp === false ? [] : ["Subsystem sftp /usr/lib/openssh/sftp-server"]),
      ...(options.extraConfig ?? []),
    ];
    writeFileSync(join(dir, "sshd_config"), `${config.join("\n")}\n`);
    const child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString("utf8");
    });
    const started = await listening(child, () => log);
    if (started === "ok") return handle(dir, port, child, () => log, hostKeyPub, options);
    if (attempt >= 3 || !/Address already in use/.test(log)) throw new Error(`sshd did not start: ${log}`);
  }
}

function handle(dir: string, port: number, child: ChildProcess, log: () => string, hostKeyPub: string, options: SshdOptions): Sshd {
  const [type, base64] = hostKeyPub.split(" ");
  return {
    host: "127.0.0.1",
    port,
    user: "root",
    dir,
    hostKeyPub,
    knownHostsLine: `[127.0.0.1]:${port} ${type} ${base64}`,
    clientKey: join(dir, "client_key"),
    clientKeyPub: readFileSync(join(dir, "client_key.pub"), "utf8").trim(),
    ...(options.passphrase !== undefined ? { encryptedClientKey: join(dir, "client_key_encrypted") } : {}),
    log,
    killSessions: () => signalSessions(child.pid!, "SIGKILL"),
    signalSessions: (signal) => signalSessions(child.pid!, signal),
    stop: async () => {
      const all = [child.pid!, ...descendants(child.pid!)];
      const exited = child.exitCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once("exit", () => resolve()));
      for (const pid of all) killQuietly(pid);
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function listening(child: ChildProcess, log: () => string): Promise<"ok" | "failed"> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (/Server listening on/.test(log())) finish("ok");
    };
    const finish = (result: "ok" | "failed"): void => {
      child.stderr!.off("data", check);
      child.off("exit", onExit);
      clearTimeout(timer);
      resolve(result);
    };
    const onExit = (): void => finish("failed");
    const timer = setTimeout(() => {
      killQuietly(child.pid!);
      finish("failed");
    }, 10_000);
    child.stderr!.on("data", check);
    child.once("exit", onExit);
    check();
  });
}

/** All descendant PIDs of `pid`, from /proc (children of every thread). */
function descendants(pid: number): number[] {
  const found: number[] = [];
  const visit = (parent: number): void => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      return;
    }
    for (const task of tasks) {
      let children = "";
      try {
        children = readFileSync(`/proc/${parent}/task/${task}/children`, "utf8");
      } catch {
        continue;
      }
      for (const text of children.trim().split(/\s+/).filter(Boolean)) {
        const child = Number(text);
        found.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}

function signalSessions(listener: number, signal: NodeJS.Signals): number {
  const sessions = descendants(listener).filter((pid) => processName(pid) === "sshd");
  for (const pid of sessions) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
  return sessions.length;
}

function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
