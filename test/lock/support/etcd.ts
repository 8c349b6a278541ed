// A real etcd for the lock tests, started by scripts/etcd.sh (which installs Debian's etcd-server if missing)
// and stopped by its PID — at afterAll, and at worker exit if the tests died before that.
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../..", import.meta.url));
const script = join(root, "scripts/etcd.sh");

export interface EtcdServer {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

export type EtcdStart = { ok: true; server: EtcdServer } | { ok: false; reason: string };

export async function startEtcd(): Promise<EtcdStart> {
  const dir = await mkdtemp(join(tmpdir(), "pine-etcd-"));
  // Cleanup even if the worker dies before afterAll: kill by PID, remove the data directory.
  let pid = 0;
  const onExit = (): void => {
    if (pid) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", onExit);
  try {
    await run("bash", [script, "start", dir], { timeout: 600_000, maxBuffer: 16 << 20 });
  } catch (error) {
    pid = Number(await readFile(join(dir, "pid"), "utf8").catch(() => "0"));
    onExit();
    process.removeListener("exit", onExit);
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
    // Only a machine where etcd cannot be installed skips; an etcd that is there but fails is a failure.
    const installed = await run("sh", ["-c", "command -v etcd"]).then(
      () => true,
      () => false,
    );
    if (!installed) return { ok: false, reason: `etcd could not be installed: ${stderr.split("\n").slice(-3).join(" | ")}` };
    throw new Error(`scripts/etcd.sh start failed:\n${stderr}`);
  }
  pid = Number(await readFile(join(dir, "pid"), "utf8"));
  const endpoint = (await readFile(join(dir, "endpoint"), "utf8")).trim();
  return {
    ok: true,
    server: {
      endpoint,
      pid,
      async stop() {
        process.removeListener("exit", onExit);
        await run("bash", [script, "stop", dir], { timeout: 30_000 }).catch(() => onExit());
      },
    },
  };
}
