// The shared libraries a dynamically linked program loads, as `ldd` lists them, so a chroot can hold exactly those.
import { runLocal } from "./local-command.js";

/**
 * Absolute paths from `ldd` output: `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)` and the loader's own
 * `/lib64/ld-linux-x86-64.so.2 (0x...)`. The vDSO has no file; a missing library is an error, not a skip.
 */
export function parseLdd(output: string): string[] {
  const paths: string[] = [];
  for (const line of output.split("\n").map((text) => text.trim())) {
    if (line === "" || line.startsWith("linux-vdso") || line.startsWith("linux-gate")) continue;
    if (/=> not found/.test(line)) throw new Error(`ldd: a library is missing: ${line}`);
    const resolved = /=>\s+(\/\S+)\s+\(0x[0-9a-f]+\)$/.exec(line) ?? /^(\/\S+)\s+\(0x[0-9a-f]+\)$/.exec(line);
    if (resolved?.[1]) paths.push(resolved[1]);
  }
  return [...new Set(paths)];
}

export async function sharedLibraries(program: string): Promise<string[]> {
  const { stdout } = await runLocal("ldd", [program], { step: `list the libraries of ${program}` });
  return parseLdd(stdout);
}
