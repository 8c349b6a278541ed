// What the numbers were measured on: machine, versions, and the pine commit.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, release, totalmem } from "node:os";

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  openssh: string;
  ssh2: string;
  commit: string;
}

function quiet(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 }).trim();
  } catch {
    return "unknown";
  }
}

export function describeMachine(repo: string): MachineInfo {
  const head = quiet("git", ["-C", repo, "rev-parse", "--short=12", "HEAD"]);
  // Uncommitted changes outside bench/ change what was measured: say so next to the commit.
  const dirty = quiet("git", ["-C", repo, "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)bench"]);
  const ssh2Version = (JSON.parse(readFileSync(`${repo}/node_modules/ssh2/package.json`, "utf8")) as { version: string }).version;
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    openssh: quiet("dpkg-query", ["-W", "-f=${Version}", "openssh-server"]),
    ssh2: ssh2Version,
    commit: dirty && dirty !== "unknown" ? `${head} + uncommitted changes in ${dirty.split("\n").length} file(s) outside bench/` : head,
  };
}
