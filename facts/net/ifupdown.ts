// net.ifupdown: the parsed /etc/network/interfaces and the files its `source` / `source-directory` lines pull in.
import { defineFact, FactUnavailable } from "../../src/facts/define.js";
import { quote } from "../../src/shell.js";
import { requireSmall, sections } from "../output.js";

export interface IfaceStanza {
  name: string;
  /** "inet", "inet6", "ipx", "can". */
  family: string;
  /** "static", "dhcp", "manual", "loopback", "auto" (inet6 SLAAC), ... */
  method: string;
  /** Option lines in order of appearance; repeated keys (up, dns-nameservers) keep every value. */
  options: Record<string, string[]>;
  file: string;
}

export interface IfupdownSource {
  kind: "source" | "source-directory";
  pattern: string;
  file: string;
}

export interface Ifupdown {
  /** Every file read, the main one first. */
  files: string[];
  auto: string[];
  allowHotplug: string[];
  sources: IfupdownSource[];
  ifaces: IfaceStanza[];
}

/**
 * Prints each file between `@@file PATH` and `@@end`, following `source` globs and `source-directory`
 * directories (files named like run-parts wants: letters, digits, _ and -) two levels deep.
 * Relative paths are taken from /etc/network, as ifupdown does.
 */
export function ifupdownCommand(main = "/etc/network/interfaces"): string {
  return [
    `pine_emit() { printf '@@file %s\\n' "$1"; cat "$1"; printf '\\n@@end\\n'; }`,
    `pine_walk() {`,
    `  [ -r "$1" ] || return 0; pine_emit "$1"; [ "$2" -lt 3 ] || return 0`,
    // Two expressions, not \\| alternation: musl's (Alpine's) BRE has no alternation.
    `  sed -n -e 's/^[[:space:]]*source-directory[[:space:]][[:space:]]*/source-directory /p' -e 's/^[[:space:]]*source[[:space:]][[:space:]]*/source /p' "$1" | while read -r pine_k pine_p; do`,
    `    case $pine_p in /*) ;; *) pine_p=/etc/network/$pine_p;; esac`,
    `    if [ "$pine_k" = source ]; then for pine_f in $pine_p; do [ -f "$pine_f" ] && pine_walk "$pine_f" $(($2 + 1)); done`,
    `    else for pine_f in "$pine_p"/*; do case \${pine_f##*/} in *[!A-Za-z0-9_-]*) continue;; esac; [ -f "$pine_f" ] && pine_walk "$pine_f" $(($2 + 1)); done; fi`,
    `  done`,
    `}`,
    `if [ -r ${quote(main)} ]; then pine_walk ${quote(main)} 1; elif [ -e ${quote(main)} ]; then echo '@@unavailable ${main} is not readable'; else echo '@@absent'; fi`,
  ].join("\n");
}

export const ifupdown = defineFact<Ifupdown | null>({
  name: "net.ifupdown",
  command: ifupdownCommand(),
  parse(output) {
    requireSmall(output, "net.ifupdown", 4 * 1024 * 1024);
    return parseIfupdown(output.stdout);
  },
});

const STANZA_STARTS = new Set(["iface", "mapping", "auto", "source", "source-directory", "rename"]);

/** Null when the host has no /etc/network/interfaces (not an ifupdown host). */
export function parseIfupdown(stdout: string): Ifupdown | null {
  const all = sections(stdout);
  const unavailable = all.find((s) => s.name === "unavailable");
  if (unavailable) throw new FactUnavailable(unavailable.arg);
  if (all.some((s) => s.name === "absent")) return null;
  const result: Ifupdown = { files: [], auto: [], allowHotplug: [], sources: [], ifaces: [] };
  for (const s of all.filter((x) => x.name === "file")) {
    result.files.push(s.arg);
    let current: IfaceStanza | null = null;
    for (const line of joinContinuations(s.lines)) {
      const text = line.trim();
      if (text === "" || text.startsWith("#")) continue;
      const [key = "", ...rest] = text.split(/\s+/);
      if (key === "iface") {
        const [name, family, method] = rest;
        current = name && family && method ? { name, family, method, options: {}, file: s.arg } : null;
        if (current) result.ifaces.push(current);
      } else if (key === "auto" || /^allow-auto$/.test(key)) {
        result.auto.push(...rest);
        current = null;
      } else if (key === "allow-hotplug") {
        result.allowHotplug.push(...rest);
        current = null;
      } else if (key === "source" || key === "source-directory") {
        result.sources.push({ kind: key, pattern: rest.join(" "), file: s.arg });
        current = null;
      } else if (STANZA_STARTS.has(key) || key.startsWith("allow-")) {
        current = null;
      } else if (current) {
        (current.options[key] ??= []).push(rest.join(" "));
      }
    }
  }
  return result;
}

/** interfaces(5): a line ending in a backslash continues on the next. */
function joinContinuations(lines: readonly string[]): string[] {
  const out: string[] = [];
  let pending = "";
  for (const line of lines) {
    if (line.endsWith("\\")) pending += line.slice(0, -1) + " ";
    else { out.push(pending + line); pending = ""; }
  }
  if (pending) out.push(pending);
  return out;
}
