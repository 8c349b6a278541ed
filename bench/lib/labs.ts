// N benchmark hosts across as many labs as needed (one lab is one /24: at most MAX_HOSTS hosts), one login key,
// one known_hosts, and the inventories the three programs read: pine's YAML, Ansible's INI, the floor's (pine's YAML).
//
// Every host is a plain lab host (own network namespace, own address, own sshd and host key, own hostname hI);
// all log in as the plain account LOGIN_USER (clean HOME, /bin/sh), not root. Lab k is named `${prefix}${k}` and
// lives in `${dir}/${prefix}${k}`; its hosts are called l{k}h{i} in the inventories (their hostname stays hI).
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { labDown, labUp, MAX_HOSTS } from "../../src/lab/index.js";
import pLimit from "p-limit";
import type { LabHostState } from "../../src/lab/index.js";

export const LOGIN_USER = "pinebench";

const execFileAsync = promisify(execFile);
async function run(file: string, args: string[]): Promise<void> {
  await execFileAsync(file, args, { timeout: 30_000 });
}

export interface BenchHost {
  /** Inventory name, unique across labs: l{lab}h{index}. */
  name: string;
  /** What `hostname` says on it: h{index}. */
  hostname: string;
  address: string;
  /** The host's sshd (plain lab hosts: the process itself), for strace. */
  sshdPid: number;
}

export interface BenchLab {
  hosts: BenchHost[];
  key: string;
  knownHosts: string;
  /** pine and floor inventory (YAML). */
  inventory: string;
  /** Ansible inventory (INI). */
  ansibleInventory: string;
}

export interface LabSet {
  /** Grow (never shrink) to n hosts; returns the first n hosts and inventories for exactly them. */
  ensure(n: number): Promise<BenchLab>;
  /** Tear every lab down (idempotent, tolerant of half-built labs). */
  down(): Promise<void>;
  labNames(): string[];
}

/** How many hosts lab k gets when the set has n hosts: fill lab 0 first, then lab 1, ... */
export function splitHosts(n: number, perLab = MAX_HOSTS): number[] {
  const counts: number[] = [];
  for (let left = n; left > 0; left -= perLab) counts.push(Math.min(perLab, left));
  return counts;
}

export function createLabSet(options: { prefix: string; dir: string; log: (m: string) => void }): LabSet {
  const { prefix, dir, log } = options;
  const keyDir = join(dir, "key");
  const key = join(keyDir, "id_ed25519");
  // Lab k's hosts as last brought up.
  const labs: LabHostState[][] = [];
  let touched = 0;

  const labName = (k: number): string => `${prefix}${k}`;
  const labDir = (k: number): string => join(dir, labName(k));

  /**
   * A Debian server resolves its own name from /etc/hosts (127.0.1.1 NAME). Lab hosts see the machine's
   * /etc/hosts, which lacks hI, so a lookup of the host's own name goes to a DNS server the lab namespace
   * cannot reach and waits 10 s (Ansible's setup calls getfqdn(): 10.8 s per host, where 0.9 s is its real
   * cost). Each host's sshd runs in a private mount namespace; a hosts file naming h1..hMAX is bind-mounted
   * over /etc/hosts in that namespace only (nothing outside the lab changes).
   */
  const hostsFile = join(dir, "etc-hosts");
  const fixedHosts = new Set<number>();
  async function fixHostsFile(states: LabHostState[]): Promise<void> {
    if (!existsSync(hostsFile)) {
      const names = Array.from({ length: MAX_HOSTS }, (_, i) => `h${i + 1}`).join(" ");
      await writeFile(hostsFile, `127.0.0.1 localhost\n127.0.1.1 ${names}\n::1 localhost ip6-localhost ip6-loopback\n`);
    }
    const limit = pLimit(16);
    await Promise.all(
      states
        .filter((h) => !fixedHosts.has(h.sshdPid))
        .map((h) =>
          limit(async () => {
            await run("nsenter", ["-t", String(h.sshdPid), "-m", "mount", "--bind", hostsFile, "/etc/hosts"]);
            fixedHosts.add(h.sshdPid);
          }),
        ),
    );
  }

  async function sharedKey(): Promise<void> {
    if (existsSync(key)) return;
    await mkdir(keyDir, { recursive: true, mode: 0o700 });
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "pine-bench", "-f", key], { stdio: "ignore", timeout: 30_000 });
  }

  return {
    labNames: () => Array.from({ length: touched }, (_, k) => labName(k)),
    async ensure(n) {
      await sharedKey();
      const counts = splitHosts(n);
      // Labs come up in parallel (each starts 8 hosts at a time); only labs that must grow are touched.
      await Promise.all(
        counts.map(async (count, k) => {
          if ((labs[k]?.length ?? 0) >= count) return;
          touched = Math.max(touched, k + 1);
          await mkdir(labDir(k), { recursive: true, mode: 0o700 });
          // One login key for every lab, so one inventory and one Ansible key serve all hosts.
          for (const file of ["id_ed25519", "id_ed25519.pub"]) await copyFile(join(keyDir, file), join(labDir(k), file));
          const state = await labUp({ name: labName(k), hosts: count, dir: labDir(k), loginUser: LOGIN_USER });
          await fixHostsFile(state.hosts);
          labs[k] = state.hosts;
        }),
      );
      const hosts: BenchHost[] = counts.flatMap((count, k) =>
        labs[k]!.slice(0, count).map((h) => ({ name: `l${k}h${h.index}`, hostname: h.name, address: h.address, sshdPid: h.sshdPid })),
      );
      const setDir = join(dir, `n${n}`);
      await mkdir(setDir, { recursive: true });
      const knownHosts = join(setDir, "known_hosts");
      // Each lab's known_hosts holds its own hosts (addresses differ across labs): the union serves all.
      const lines = await Promise.all(counts.map((_, k) => readFile(join(labDir(k), "known_hosts"), "utf8")));
      await writeFile(knownHosts, lines.join(""));
      const inventory = join(setDir, "inventory.yaml");
      await writeFile(
        inventory,
        [
          "defaults:",
          `  user: ${LOGIN_USER}`,
          `  key: ${key}`,
          `  knownHosts: ${knownHosts}`,
          "  hostKeyCheck: strict",
          "hosts:",
          ...hosts.map((h) => `  ${h.name}: { address: ${h.address} }`),
          "",
        ].join("\n"),
      );
      const ansibleInventory = join(setDir, "ansible-hosts.ini");
      await writeFile(
        ansibleInventory,
        [
          "[lab]",
          ...hosts.map((h) => `${h.name} ansible_host=${h.address}`),
          "",
          "[lab:vars]",
          `ansible_user=${LOGIN_USER}`,
          `ansible_ssh_private_key_file=${key}`,
          "ansible_python_interpreter=/usr/bin/python3",
          "",
        ].join("\n"),
      );
      return { hosts, key, knownHosts, inventory, ansibleInventory };
    },
    async down() {
      // Every lab that may exist, also half-built ones; one at a time would take long at 1000 hosts.
      const names = Array.from({ length: Math.max(touched, 1) }, (_, k) => k);
      await Promise.all(
        names.map((k) =>
          labDown({ name: labName(k), dir: labDir(k), removeDir: true }).catch((error: unknown) => log(`lab ${labName(k)} down failed: ${String(error)}`)),
        ),
      );
    },
  };
}
