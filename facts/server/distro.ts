// server.distro: which Linux distribution and release, from os-release with lsb-release / debian_version / alpine-release fallbacks.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { requireSmall, sections, shellAssignments } from "../output.js";

export interface Distro {
  /** Lower-case distribution id: "debian", "ubuntu", "alpine", ... */
  id: string;
  /** Human name, e.g. "Debian GNU/Linux". */
  name: string;
  /** The most precise version known: Debian's point release from /etc/debian_version ("8.11") when it extends VERSION_ID, else VERSION_ID ("14.04", "3.19.1"). Null if none. */
  version: string | null;
  major: number | null;
  minor: number | null;
  /** e.g. "jessie", "trusty", "bookworm"; null when the release has none (Alpine). */
  codename: string | null;
}

const FILES = ["/etc/os-release", "/usr/lib/os-release", "/etc/lsb-release", "/etc/debian_version", "/etc/alpine-release"];

export const distro = defineFact<Distro>({
  name: "server.distro",
  inline: true,
  // Shell builtins only (no cat per file: every program a host runs costs it ~0.5 ms). `read` returns non-zero on a
  // last line without a newline but has filled the variable: `|| [ -n "$l" ]` keeps that line.
  command: `for pine_f in ${FILES.join(" ")}; do [ -r "$pine_f" ] || continue; printf '@@file %s\\n' "$pine_f"; while IFS= read -r pine_l || [ -n "$pine_l" ]; do printf '%s\\n' "$pine_l"; done < "$pine_f"; done`,
  parse(output) {
    requireSmall(output, "server.distro", 256 * 1024);
    const all = sections(output.stdout).filter((s) => s.name === "file");
    const file = (path: string) => all.find((s) => s.arg === path)?.lines;
    const osRelease = file("/etc/os-release") ?? file("/usr/lib/os-release");
    const lsb = file("/etc/lsb-release");
    const debianVersion = firstLine(file("/etc/debian_version"));
    const alpineVersion = firstLine(file("/etc/alpine-release"));

    const os = osRelease ? shellAssignments(osRelease) : new Map<string, string>();
    const lsbMap = lsb ? shellAssignments(lsb) : new Map<string, string>();

    let id = (os.get("ID") ?? lsbMap.get("DISTRIB_ID") ?? "").toLowerCase();
    if (!id && debianVersion) id = "debian";
    if (!id && alpineVersion) id = "alpine";
    if (!id) throw new FactUnavailable("no /etc/os-release, /etc/lsb-release, /etc/debian_version or /etc/alpine-release");

    const name = os.get("NAME") ?? lsbMap.get("DISTRIB_ID") ?? defaultName(id);
    let version = os.get("VERSION_ID") ?? lsbMap.get("DISTRIB_RELEASE") ?? null;
    if (id === "debian" && debianVersion && /^\d+(\.\d+)*$/.test(debianVersion) && (!version || debianVersion.startsWith(`${version}.`) || debianVersion === version)) {
      version = debianVersion;
    }
    if (id === "alpine" && !version && alpineVersion) version = alpineVersion;

    const codename =
      nonEmpty(os.get("VERSION_CODENAME")) ??
      nonEmpty(os.get("UBUNTU_CODENAME")) ??
      nonEmpty(lsbMap.get("DISTRIB_CODENAME")) ??
      codenameFromVersion(os.get("VERSION")) ??
      (id === "debian" && debianVersion && /^[a-z]+\/sid$/.test(debianVersion) ? debianVersion.split("/")[0]! : null);

    const m = version ? /^(\d+)(?:\.(\d+))?/.exec(version) : null;
    return {
      id,
      name,
      version,
      major: m ? Number(m[1]) : null,
      minor: m && m[2] !== undefined ? Number(m[2]) : null,
      codename,
    };
  },
});

function firstLine(lines: string[] | undefined): string | null {
  const line = lines?.find((l) => l.trim() !== "")?.trim();
  return line ? line : null;
}

function nonEmpty(text: string | undefined): string | null {
  return text && text.trim() ? text.trim() : null;
}

/** Debian 8 writes VERSION="8 (jessie)", Ubuntu 14.04 VERSION="14.04.6 LTS, Trusty Tahr". */
function codenameFromVersion(version: string | undefined): string | null {
  if (!version) return null;
  const paren = /\(([A-Za-z]+)\)/.exec(version);
  if (paren) return paren[1]!.toLowerCase();
  const comma = /,\s*([A-Za-z]+)\s+[A-Za-z]+\s*$/.exec(version);
  return comma ? comma[1]!.toLowerCase() : null;
}

function defaultName(id: string): string {
  return id === "debian" ? "Debian GNU/Linux" : id === "alpine" ? "Alpine Linux" : id;
}
