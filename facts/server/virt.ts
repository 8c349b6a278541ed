// server.virt: VM, container (OpenVZ, LXC, Docker) or bare metal — decides between the disk and the container install.
import { defineFact } from "../../src/facts/define.js";
import { keyValues, requireSmall, splitLines } from "../output.js";

export type VirtKind = "vm" | "openvz" | "lxc" | "docker" | "none" | "unknown";

export interface Virt {
  kind: VirtKind;
  /** For a VM: "kvm", "xen", "vmware", "hyperv", "virtualbox", "qemu", ... when the host says; null if unknown. */
  hypervisor: string | null;
  /** The evidence the decision rests on, for humans. */
  evidence: string;
}

export const virtCommand = [
  `[ -e /proc/vz ] && echo proc_vz=1`,
  `[ -e /proc/bc ] && echo proc_bc=1`,
  `[ -e /proc/user_beancounters ] && echo beancounters=1`,
  `c=$(tr '\\000' '\\n' < /proc/1/environ 2>/dev/null | sed -n 's/^container=//p' | head -n 1); [ -n "$c" ] && printf 'env_container=%s\\n' "$c"`,
  `[ -r /run/systemd/container ] && printf 'systemd_container=%s\\n' "$(head -n 1 /run/systemd/container)"`,
  `[ -e /.dockerenv ] && echo dockerenv=1`,
  `[ -e /run/.containerenv ] && echo containerenv=1`,
  `g=$(grep -E -m 1 '/(docker|lxc|libpod|kubepods)' /proc/1/cgroup 2>/dev/null); [ -n "$g" ] && printf 'cgroup=%s\\n' "$g"`,
  `grep -q '^flags.* hypervisor' /proc/cpuinfo 2>/dev/null && echo cpu_hypervisor=1`,
  `[ -r /sys/hypervisor/type ] && printf 'sys_hypervisor=%s\\n' "$(cat /sys/hypervisor/type)"`,
  `[ -r /sys/class/dmi/id/sys_vendor ] && printf 'dmi_vendor=%s\\n' "$(cat /sys/class/dmi/id/sys_vendor)"`,
  `[ -r /sys/class/dmi/id/product_name ] && printf 'dmi_product=%s\\n' "$(cat /sys/class/dmi/id/product_name)"`,
  `command -v systemd-detect-virt >/dev/null 2>&1 && printf 'detect_vm=%s\\n' "$(systemd-detect-virt --vm 2>/dev/null)"`,
  `true`,
].join("\n");

const DMI: Array<[RegExp, string]> = [
  [/^KVM|^RHEV/i, "kvm"], [/^QEMU/i, "qemu"], [/VMware/i, "vmware"], [/VirtualBox|innotek/i, "virtualbox"],
  [/^Xen/i, "xen"], [/Microsoft Corporation/i, "hyperv"], [/Amazon EC2/i, "amazon"], [/Parallels/i, "parallels"], [/Bochs/i, "bochs"],
];

export function detectVirt(kv: Map<string, string>): Virt {
  // Containers first: a container on a VM also sees the hypervisor CPU flag.
  if (kv.get("proc_vz") === "1" && kv.get("proc_bc") !== "1") return { kind: "openvz", hypervisor: null, evidence: "/proc/vz without /proc/bc (OpenVZ container)" };
  const declared = kv.get("env_container") ?? kv.get("systemd_container");
  if (declared) {
    const kind = declaredKind(declared);
    return { kind, hypervisor: null, evidence: `container=${declared}${declared === "systemd-nspawn" ? " (a system container like LXC: own init, shared kernel)" : ""}` };
  }
  const cgroup = kv.get("cgroup");
  if (cgroup) return { kind: /lxc/.test(cgroup) ? "lxc" : "docker", hypervisor: null, evidence: `PID 1 cgroup ${cgroup}` };

  const hv = hypervisorName(kv);
  if (kv.get("cpu_hypervisor") === "1" || hv) {
    return { kind: "vm", hypervisor: hv, evidence: kv.get("cpu_hypervisor") === "1" ? "hypervisor CPU flag" : `hypervisor ${hv}` };
  }
  if (kv.get("dockerenv") === "1" || kv.get("containerenv") === "1") return { kind: "docker", hypervisor: null, evidence: "/.dockerenv or /run/.containerenv" };
  if (kv.get("proc_vz") === "1") return { kind: "none", hypervisor: null, evidence: "OpenVZ hardware node (/proc/bc)" };
  return { kind: "none", hypervisor: null, evidence: "no container or hypervisor signal" };
}

/**
 * The `container=` value PID 1 was started with (systemd's convention). systemd-nspawn counts as "lxc": the kinds
 * are public and have no nspawn, and what the install decides by kind holds for nspawn exactly as for LXC — a
 * system container with its own init and root filesystem on a shared kernel, installed by replacing its root and
 * "rebooted" by restarting its init. Reporting "unknown" would make the install refuse a host it can handle.
 */
function declaredKind(declared: string): VirtKind {
  if (/lxc/.test(declared) || declared === "systemd-nspawn") return "lxc";
  if (/docker|podman|oci/.test(declared)) return "docker";
  return "unknown";
}

function hypervisorName(kv: Map<string, string>): string | null {
  const detect = kv.get("detect_vm");
  if (detect && detect !== "none") return detect;
  const xen = kv.get("sys_hypervisor");
  if (xen) return xen;
  for (const text of [kv.get("dmi_vendor"), kv.get("dmi_product")]) {
    if (!text) continue;
    for (const [re, name] of DMI) if (re.test(text)) return name;
  }
  return null;
}

export const virt = defineFact<Virt>({
  name: "server.virt",
  command: virtCommand,
  parse(output) {
    requireSmall(output, "server.virt", 16 * 1024);
    return detectVirt(keyValues(splitLines(output.stdout)));
  },
});
