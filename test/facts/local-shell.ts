// Runs fact commands on this machine under dash or busybox sh, the way the engine's batch runs them (stdin from /dev/null).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FactOutput } from "../../src/facts/define.js";

/** dash with the host's tools; busybox sh with busybox applets first on PATH; busybox sh with ONLY busybox applets (no lsblk, no ip from iproute2). */
export type ShellVariant = "dash" | "busybox" | "busybox-only";
export const VARIANTS: readonly ShellVariant[] = ["dash", "busybox", "busybox-only"];

export const BUSYBOX = "/bin/busybox";
export const hasBusybox = existsSync(BUSYBOX);

let farm: string | undefined;

/** A temp dir of `busybox --install -s` links, made once per process. */
export function busyboxFarm(): string {
  if (farm) return farm;
  const dir = mkdtempSync(join(tmpdir(), "pine-bb-"));
  const r = spawnSync(BUSYBOX, ["--install", "-s", dir]);
  if (r.status !== 0) throw new Error(`busybox --install failed: ${r.stderr}`);
  farm = dir;
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A PATH holding only the given tools of this host (symlinks), to exercise fallbacks when e.g. `ip` is missing. */
export function pathWithOnly(tools: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "pine-path-"));
  for (const tool of tools) {
    const r = spawnSync("/bin/sh", ["-c", `command -v ${tool}`], { encoding: "utf8" });
    const target = r.stdout.trim();
    if (r.status === 0 && target.startsWith("/")) symlinkSync(target, join(dir, tool));
  }
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A busybox farm without some applets (e.g. hide `ip` to read the ifconfig fallback). */
export function busyboxFarmWithout(hidden: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "pine-bbx-"));
  const r = spawnSync(BUSYBOX, ["--install", "-s", dir]);
  if (r.status !== 0) throw new Error(`busybox --install failed: ${r.stderr}`);
  for (const h of hidden) rmSync(join(dir, h), { force: true });
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function runCommand(command: string, variant: ShellVariant, options: { path?: string; maxBuffer?: number } = {}): FactOutput {
  const maxBuffer = options.maxBuffer ?? 64 * 1024 * 1024;
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C" };
  let file = "/bin/sh";
  let args = ["-c", command];
  if (variant !== "dash") {
    file = BUSYBOX;
    args = ["sh", "-c", command];
    env.PATH = variant === "busybox" ? `${busyboxFarm()}:${process.env.PATH ?? ""}` : busyboxFarm();
  }
  if (options.path !== undefined) env.PATH = options.path;
  const r = spawnSync(file, args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer, timeout: 30_000 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status };
}
