// The Ansible peer: ansible.cfg for one lab size, the three command lines, and the checks of their output.
//
// Settings (bench/out/ansible-N/ansible.cfg): forks = pine's --parallel, pipelining on, host key checking on against the
// lab's known_hosts (StrictHostKeyChecking=yes), Ansible's default ssh_args (ControlMaster=auto, ControlPersist=60s)
// plus that known_hosts file, python3 from Debian on the hosts, no retry files. Each run starts cold: bench/lib/child.ts
// kills the ssh masters a run leaves behind (and counts their CPU), as pine's connections end with its process.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchHost } from "./labs.js";

export interface AnsibleSetup {
  /** Environment for every ansible run of this size. */
  env: NodeJS.ProcessEnv;
  inventory: string;
}

export function ansibleSetup(outDir: string, n: number, forks: number, inventory: string, knownHosts: string): AnsibleSetup {
  const dir = join(outDir, `ansible-${n}`);
  mkdirSync(join(dir, "tmp"), { recursive: true });
  mkdirSync(join(dir, "cp"), { recursive: true });
  const cfg = join(dir, "ansible.cfg");
  writeFileSync(
    cfg,
    [
      "[defaults]",
      "host_key_checking = True",
      `forks = ${forks}`,
      "timeout = 60",
      "interpreter_python = /usr/bin/python3",
      "retry_files_enabled = False",
      `local_tmp = ${join(dir, "tmp")}`,
      "",
      "[ssh_connection]",
      "pipelining = True",
      // The socket path must stay under 108 bytes: a short directory, %C is a 40-character hash.
      `control_path_dir = ${join(dir, "cp")}`,
      `ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes`,
      "",
    ].join("\n"),
  );
  return {
    inventory,
    env: { ...process.env, ANSIBLE_CONFIG: cfg, ANSIBLE_NOCOLOR: "1", ANSIBLE_FORCE_COLOR: "0", ANSIBLE_DEPRECATION_WARNINGS: "0" },
  };
}

export type AnsibleScenario = "adhoc" | "facts" | "deploy1" | "deploy2";

export function ansibleArgv(scenario: AnsibleScenario, setup: AnsibleSetup, forks: number, playbook: string, benchRoot: string): string[] {
  switch (scenario) {
    case "adhoc":
      // raw: Ansible's cheapest ad-hoc path (no Python module on the host); -m command costs more.
      return ["ansible", "all", "-i", setup.inventory, "-f", String(forks), "-o", "-m", "raw", "-a", "uname -a"];
    case "facts":
      return ["ansible", "all", "-i", setup.inventory, "-f", String(forks), "-o", "-m", "setup"];
    case "deploy1":
    case "deploy2":
      return ["ansible-playbook", "-i", setup.inventory, "-f", String(forks), "-e", `bench_root=${benchRoot}`, playbook];
  }
}

/** Why an ansible run is not a success (every host answered, and for the playbook: all changed / all unchanged), or null. */
export function checkAnsibleRun(scenario: AnsibleScenario, stdout: string, hosts: readonly BenchHost[]): string | null {
  const lines = stdout.split("\n");
  if (scenario === "adhoc" || scenario === "facts") {
    const seen = new Map<string, string>();
    for (const line of lines) {
      const m = /^(\S+) \| (\S+)/.exec(line);
      if (m) seen.set(m[1]!, line);
    }
    for (const host of hosts) {
      const line = seen.get(host.name);
      if (!line) return `host ${host.name} missing from the output`;
      if (scenario === "adhoc" && !new RegExp(`^\\S+ \\| CHANGED \\| rc=0 \\| \\(stdout\\) Linux ${host.hostname} `).test(line)) return `host ${host.name}: ${clip(line)}`;
      if (scenario === "facts" && !line.includes(" | SUCCESS => ")) return `host ${host.name}: ${clip(line)}`;
      if (scenario === "facts" && !new RegExp(`"ansible_hostname": ?"${host.hostname}"`).test(line)) return `host ${host.name}: ansible_hostname is not ${host.hostname}`;
    }
    return null;
  }
  // PLAY RECAP: "NAME : ok=10 changed=10 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"
  const recap = new Map<string, Record<string, number>>();
  for (const line of lines) {
    const m = /^(\S+)\s+:\s+(ok=.*)$/.exec(line);
    if (!m) continue;
    recap.set(m[1]!, Object.fromEntries([...m[2]!.matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1]!, Number(x[2])])));
  }
  const changed = scenario === "deploy1" ? 10 : 0;
  for (const host of hosts) {
    const r = recap.get(host.name);
    if (!r) return `host ${host.name} missing from the play recap`;
    if (r.ok !== 10 || r.changed !== changed || r.unreachable !== 0 || r.failed !== 0) {
      return `host ${host.name}: expected ok=10 changed=${changed}, got ${Object.entries(r).map(([k, v]) => `${k}=${v}`).join(" ")}`;
    }
  }
  return null;
}

function clip(text: string): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > 200 ? `${one.slice(0, 200)}…` : one;
}
