// kernel.modules: loaded modules, known filesystems, and whether loop devices and XFS can be used (built in, loaded, or loadable).
import { defineFact } from "../../src/facts/define.js";
import { requireSmall, section, sections } from "../output.js";

export type SupportHow = "builtin" | "loaded" | "loadable";

export interface KernelSupport {
  usable: boolean;
  how: SupportHow | null;
}

export interface KernelModules {
  loaded: string[];
  /** Filesystem types the running kernel knows now (/proc/filesystems). */
  filesystems: string[];
  loop: KernelSupport;
  xfs: KernelSupport;
}

export const modules = defineFact<KernelModules>({
  name: "kernel.modules",
  command: [
    `echo @@loaded; cut -d ' ' -f 1 /proc/modules 2>/dev/null`,
    `echo @@filesystems; cat /proc/filesystems 2>/dev/null`,
    `echo @@sys; for m in loop xfs; do [ -d "/sys/module/$m" ] && echo "$m"; done; [ -e /dev/loop-control ] && echo loop-control`,
    `pine_k=/lib/modules/$(uname -r)`,
    `echo @@builtin; grep -E '/(loop|xfs)\\.ko' "$pine_k/modules.builtin" 2>/dev/null`,
    `echo @@dep; grep -E '/(loop|xfs)\\.ko[^:]*:' "$pine_k/modules.dep" 2>/dev/null | cut -d : -f 1`,
    `true`,
  ].join("\n"),
  parse(output) {
    requireSmall(output, "kernel.modules", 4 * 1024 * 1024);
    const all = sections(output.stdout);
    const lines = (name: string) => section(all, name)?.lines.map((l) => l.trim()).filter(Boolean) ?? [];
    const loaded = lines("loaded");
    const filesystems = lines("filesystems").map((l) => l.split(/\s+/).pop()!);
    const sys = new Set(lines("sys"));
    const builtin = lines("builtin").map(moduleName);
    const dep = lines("dep").map(moduleName);
    const support = (name: string, inKernelNow: boolean): KernelSupport => {
      if (loaded.includes(name)) return { usable: true, how: "loaded" };
      if (builtin.includes(name) || inKernelNow) return { usable: true, how: "builtin" };
      if (dep.includes(name)) return { usable: true, how: "loadable" };
      return { usable: false, how: null };
    };
    return {
      loaded,
      filesystems,
      loop: support("loop", sys.has("loop") || sys.has("loop-control")),
      xfs: support("xfs", filesystems.includes("xfs") || sys.has("xfs")),
    };
  },
});

function moduleName(path: string): string {
  return (path.split("/").pop() ?? "").replace(/\.ko(\.\w+)?$/, "");
}

