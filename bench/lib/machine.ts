// What the numbers were measured on: machine, versions, and the pine commit.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, release, totalmem } from "node:os";

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  os: string;
  node: string;
  pine: string;
  openssh: string;
  sshClient: string;
  ssh2: string;
  ansible: string;
  python: string;
  commit: string;
}

function quiet(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 20_000 }).trim();
  } catch {
    return "unknown";
  }
}

export function describeMachine(repo: string): MachineInfo {
  const head = quiet("git", ["-C", repo, "rev-parse", "--short=12", "HEAD"]);
  // Uncommitted changes outside bench/ change what was measured: say so next to the commit.
  const dirty = quiet("git", ["-C", repo, "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)bench"]);
  const version = (path: string): string => (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
  const osRelease = (() => {
    try {
      return /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "unknown";
    } catch {
      return "unknown";
    }
  })();
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    os: osRelease,
    node: process.version,
    pine: version(`${repo}/package.json`),
    openssh: quiet("dpkg-query", ["-W", "-f=${Version}", "openssh-server"]),
    sshClient: quiet("sh", ["-c", "ssh -V 2>&1"]),
    ssh2: version(`${repo}/node_modules/ssh2/package.json`),
    ansible: quiet("sh", ["-c", "ansible --version 2>/dev/null | head -1"]).replace(/^ansible /, "") || "not installed",
    python: quiet("/usr/bin/python3", ["--version"]),
    commit: dirty && dirty !== "unknown" ? `${head} + uncommitted changes in ${dirty.split("\n").length} file(s) outside bench/` : head,
  };
}
