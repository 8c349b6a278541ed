// Find and kill a command's processes on the host after a timeout or abort, by an id exported into its environment.
import { randomHex } from "../../random.js";

const VARIABLE = "PINE_EXEC_ID";

/**
 * Prefix `command` with an exported, unguessable id. Every process it starts inherits it, so killCommand can find the
 * whole tree in /proc/<pid>/environ (Linux hosts; elsewhere the kill finds nothing and the command runs to its end).
 */
export function tagCommand(command: string): { id: string; command: string } {
  const id = randomHex(8);
  return { id, command: `${VARIABLE}=${id}; export ${VARIABLE}; ${command}` };
}

/** POSIX sh: SIGKILL every process whose environment holds the id. The killer itself does not carry it. */
export function killCommand(id: string): string {
  return `for f in $(grep -l ${VARIABLE}=${id} /proc/[0-9]*/environ 2>/dev/null); do p=\${f#/proc/}; kill -KILL "\${p%/environ}" 2>/dev/null; done; true`;
}
