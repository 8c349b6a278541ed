// Helpers for the test-image tests: commands, loop devices and mounts removed by name, qemu and nspawn guests.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Why these tests cannot run here, or undefined when they can. */
export function imagesSkipReason(): string | undefined {
  if (process.platform !== "linux") return "test images need Linux";
  if (process.getuid?.() !== 0) return "test images need root (loop devices, mounts, chroot)";
  return undefined;
}

/** Runs a command and returns its stdout; a failure throws with the command, exit code and stderr. */
export function sh(command: string, args: string[], options: { input?: string; timeoutMs?: number; cwd?: string } = {}): string {
  const result = spawnSync(command, args, { encoding: "utf8", input: options.input, cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20 });
  if (result.error) throw new Error(`${command} ${args.join(" ")}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited with ${result.status ?? result.signal}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** rm -rf that also clears the immutable bit ostree sets on each deployment's top directory. */
export function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  spawnSync("sh", ["-c", 'find "$1" -maxdepth 8 -type d -path "*/ostree/deploy/*/deploy/*.[0-9]*" -prune -exec chattr -i {} + 2>/dev/null', "sh", dir]);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Loop devices and mounts a test makes, undone in reverse order by device name and mount point
 * (never `losetup -D`: other tests and the lab have loop devices too).
 */
export class Attachments {
  private loops: string[] = [];
  private mounts: string[] = [];

  /** A loop device over `size` bytes of `file` from `offset` (the kernel here has no loop partition nodes). */
  loop(file: string, offset: number, size: number, readOnly = false): string {
    const device = sh("/usr/sbin/losetup", ["-f", "--show", ...(readOnly ? ["-r"] : []), "-o", String(offset), "--sizelimit", String(size), file]).trim();
    this.loops.push(device);
    return device;
  }

  mount(device: string, target: string, type: string, options: string): void {
    sh("mount", ["-t", type, "-o", options, device, target]);
    this.mounts.push(target);
  }

  unmount(target: string): void {
    sh("umount", [target]);
    this.mounts = this.mounts.filter((m) => m !== target);
  }

  detach(device: string): void {
    sh("/usr/sbin/losetup", ["-d", device]);
    this.loops = this.loops.filter((d) => d !== device);
  }

  /** Best effort, for afterAll: every mount, then every loop device this object made. */
  releaseAll(): void {
    for (const target of this.mounts.reverse()) {
      if (spawnSync("umount", [target]).status !== 0) spawnSync("umount", ["-l", target]);
    }
    for (const device of this.loops.reverse()) spawnSync("/usr/sbin/losetup", ["-d", device]);
    this.mounts = [];
    this.loops = [];
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The host key sshd at host:port presents (`ssh-ed25519 AAAA...`), or undefined when it does not answer. */
export function scanHostKey(port: number, prefix: string[] = []): string | undefined {
  const [command, ...args] = [...prefix, "ssh-keyscan", "-T", "3", "-t", "ed25519", "-p", String(port), "127.0.0.1"];
  const result = spawnSync(command as string, args, { encoding: "utf8", timeout: 10_000 });
  const line = result.stdout?.split("\n").find((l) => l.includes(" ssh-ed25519 "));
  return line ? line.split(" ").slice(1, 3).join(" ") : undefined;
}

export interface Vm {
  pid: number;
  port: number;
  consoleLog: string;
  console(): string;
  exited(): boolean;
  /** Waits until sshd answers; returns its host key and the seconds since launch. */
  waitForSsh(timeoutMs: number): Promise<{ hostKey: string; seconds: number }>;
  kill(): void;
}

/** Boots a raw disk image under qemu TCG with user-mode networking (restrict=on), sshd forwarded to a free port. */
export async function bootVm(image: string, dir: string, options: { snapshot: boolean; virtio?: boolean }): Promise<Vm> {
  const port = await freePort();
  const consoleLog = join(dir, `console-${port}.log`);
  const args = [
    "-accel", "tcg,thread=multi", "-m", "512", "-nographic", "-monitor", "none",
    "-serial", `file:${consoleLog}`, "-no-reboot",
    // qemu's defaults are an IDE disk and an e1000 NIC; virtio is what KVM VPSes give.
    "-drive", `file=${image},format=raw${options.snapshot ? ",snapshot=on" : ""}${options.virtio ? ",if=virtio" : ""}`,
    "-nic", `user,restrict=on,hostfwd=tcp:127.0.0.1:${port}-:22${options.virtio ? ",model=virtio-net-pci" : ""}`,
  ];
  const started = Date.now();
  const child: ChildProcess = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  let exited = false;
  child.on("exit", () => (exited = true));
  if (!child.pid) throw new Error("qemu-system-x86_64 did not start");
  const pid = child.pid;
  const console_ = () => (existsSync(consoleLog) ? readFileSync(consoleLog, "latin1") : "");
  return {
    pid,
    port,
    consoleLog,
    console: console_,
    exited: () => exited,
    async waitForSsh(timeoutMs) {
      while (Date.now() - started < timeoutMs) {
        if (exited) throw new Error(`qemu exited before sshd answered; stderr: ${stderr}\nconsole tail:\n${console_().slice(-3000)}`);
        const hostKey = scanHostKey(port);
        if (hostKey) return { hostKey, seconds: (Date.now() - started) / 1000 };
        await sleep(1000);
      }
      throw new Error(`sshd did not answer on 127.0.0.1:${port} within ${timeoutMs / 1000} s; console tail:\n${console_().slice(-3000)}`);
    },
    kill() {
      if (!exited) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
  };
}

export interface Container {
  /** nspawn's console output (all boots). */
  console(): string;
  /** PID (on this machine) of the container's init, of the current boot. */
  initPid(): number;
  /** Runs a command inside the booted deployment (all namespaces, the deployment as root). */
  exec(args: string[]): string;
  /** How many times the container has been (re)started. */
  boots(): number;
  waitForConsole(text: string, timeoutMs: number, after?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs a root filesystem under systemd-nspawn with a private network, relaunching it when its init
 * reboots (nspawn exit 133), as an OpenVZ/LXC host restarts a container (LAB-NOTES).
 */
export function startContainer(root: string, name: string, maxBoots = 3): Container {
  let output = "";
  let child: ChildProcess | undefined;
  let boots = 0;
  let stopping = false;
  const launch = () => {
    boots += 1;
    output += `\n--- boot ${boots}\n`;
    const c = spawn("systemd-nspawn", ["-q", "-D", root, "-M", name, "--register=no", "--keep-unit", "--private-network", "/sbin/init"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = c;
    c.stdout?.setEncoding("utf8").on("data", (d: string) => (output += d));
    c.stderr?.setEncoding("utf8").on("data", (d: string) => (output += d));
    c.on("exit", (code) => {
      output += `\n--- exit ${code}\n`;
      if (code === 133 && !stopping && boots < maxBoots) launch();
    });
  };
  launch();
  const initPid = () => {
    const nspawn = child?.pid;
    const pid = nspawn ? Number(spawnSync("pgrep", ["-P", String(nspawn)], { encoding: "utf8" }).stdout.trim().split("\n")[0]) : NaN;
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`container ${name} has no init process; console:\n${output}`);
    return pid;
  };
  return {
    console: () => output,
    initPid,
    boots: () => boots,
    exec(args) {
      // The deployment is the root of the container's init's children (init chroots, then execs busybox init).
      const init = initPid();
      return sh("nsenter", ["-t", String(init), "-a", "-r", "-w", ...args]);
    },
    async waitForConsole(text, timeoutMs, after = 0) {
      const started = Date.now();
      while (Date.now() - started < timeoutMs) {
        if (output.indexOf(text, after) >= 0) return;
        await sleep(250);
      }
      throw new Error(`container ${name}: "${text}" did not appear within ${timeoutMs / 1000} s; console:\n${output}`);
    },
    async stop() {
      stopping = true;
      const c = child;
      if (!c?.pid || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => c.on("exit", () => resolve()));
      c.kill("SIGTERM");
      const timeout = sleep(10_000).then(() => c.kill("SIGKILL"));
      await Promise.race([gone, timeout]);
    },
  };
}

/** Names of the entries of a directory, or [] when it does not exist. */
export function list(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}
