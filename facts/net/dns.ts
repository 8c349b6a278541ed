// net.dns: resolv.conf nameservers, search domains and options, and whether /etc/resolv.conf is a symlink (resolvconf, systemd-resolved).
import { defineFact } from "../../src/facts/define.js";
import { requireSmall, section, sections, throwIfUnavailable } from "../output.js";

export interface Dns {
  servers: string[];
  search: string[];
  options: string[];
  /** /etc/resolv.conf is a symlink; target is what it points to as stored, resolved the fully resolved path. */
  symlink: boolean;
  target: string | null;
  resolved: string | null;
}

export const dns = defineFact<Dns>({
  name: "net.dns",
  command: [
    `pine_f=/etc/resolv.conf`,
    `if [ -L $pine_f ]; then printf '@@link %s\\n' "$(readlink $pine_f)"; printf '@@resolved %s\\n' "$(readlink -f $pine_f)"; fi`,
    `if [ -r $pine_f ]; then echo @@conf; cat $pine_f; elif [ ! -L $pine_f ]; then echo @@missing; else echo @@dangling; fi`,
  ].join("\n"),
  parse(output) {
    requireSmall(output, "net.dns", 1024 * 1024);
    const all = sections(output.stdout);
    throwIfUnavailable(all);
    const link = section(all, "link");
    const resolved = section(all, "resolved");
    const servers: string[] = [];
    let search: string[] = [];
    const options: string[] = [];
    for (const raw of section(all, "conf")?.lines ?? []) {
      const w = raw.replace(/[#;].*$/, "").trim().split(/\s+/).filter(Boolean);
      // resolver(5): the last "search" or "domain" line wins.
      if (w[0] === "nameserver" && w[1]) servers.push(w[1]);
      else if (w[0] === "search" || w[0] === "domain") search = w.slice(1);
      else if (w[0] === "options") options.push(...w.slice(1));
    }
    return { servers, search, options, symlink: link !== undefined, target: link ? link.arg : null, resolved: resolved?.arg || null };
  },
});
