// The supervisor of a VM host: a detached sh script in the VM's namespace that runs qemu and relaunches it after a guest reboot.
//
// Under `-no-reboot` qemu exits when the guest reboots, so the supervisor is what makes the VM behave like a
// real one across reboots: the same disk boots again, whatever was written to it (pine's flashed image).
// It tells a guest reboot from everything else by qemu's exit code and the logs of that launch:
//   - exit code not 0: qemu crashed or was killed (SIGKILL) → the VM stays down;
//   - exit 0 with "terminating on signal" in qemu's log: stopped from outside (SIGTERM/SIGINT) → stays down;
//   - exit 0 with "reboot: Power down" on the console: the guest powered off → stays down, as a real VM would;
//   - exit 0 otherwise: the guest reset ("reboot: Restarting system", or a firmware/triple-fault reset) → relaunch.
// Relaunches are bounded per hour, so a guest in a reboot loop stops by itself.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile, realpath, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { PineError } from "../../errors.js";
import { command } from "../../shell.js";
import { findLabProcesses, isLabProcess, isRunning, readPidFile, signal, waitUntilGone, type LabProcessIdentity } from "../lab-process.js";
import type { VmFiles } from "./layout.js";
import { diskOption, QEMU } from "./qemu.js";

export const MAX_VM_RELAUNCHES_PER_HOUR = 10;

/**
 * Run as `sh SCRIPT QEMU ARGS...` with its settings in the environment. `wait` returns early when a trapped
 * signal arrives, so it waits again until qemu is really gone. Log offsets are taken before each launch, so
 * only what this launch wrote decides what its exit means.
 */
export const VM_SUPERVISOR_SCRIPT = `# pine lab VM supervisor (generated): keeps one VM's qemu running across guest reboots.
set -u
log() { printf '%s %s\\n' "$(date '+%Y-%m-%dT%H:%M:%S')" "$*"; }
size_of() { if [ -f "$1" ]; then wc -c < "$1"; else echo 0; fi; }
since() { tail -c "+$(($2 + 1))" "$1" 2>/dev/null; }
stopping=0
child=
trap 'stopping=1; if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; fi' TERM INT HUP
recent=
while [ "$stopping" = 0 ]; do
  console_from=$(size_of "$CONSOLE_LOG")
  qemu_from=$(size_of "$QEMU_LOG")
  "$@" </dev/null >>"$QEMU_LOG" 2>&1 &
  child=$!
  echo "$child" > "$QEMU_PID_FILE"
  log "started qemu (pid $child)"
  while :; do
    wait "$child"
    code=$?
    kill -0 "$child" 2>/dev/null || break
  done
  child=
  rm -f "$QEMU_PID_FILE"
  [ "$stopping" = 0 ] || break
  if [ "$code" -ne 0 ]; then
    log "qemu exited with code $code (crashed or killed): the VM stays down"
    exit 1
  fi
  if since "$QEMU_LOG" "$qemu_from" | grep -q 'terminating on signal'; then
    log "qemu was stopped by a signal from outside the supervisor: the VM stays down"
    exit 1
  fi
  if since "$CONSOLE_LOG" "$console_from" | grep -q 'reboot: Power down'; then
    log "the guest powered off: the VM stays down"
    exit 0
  fi
  evidence="no kernel message: a firmware or triple-fault reset"
  if since "$CONSOLE_LOG" "$console_from" | grep -q 'reboot: Restarting system'; then evidence="reboot: Restarting system"; fi
  now=$(date +%s)
  kept=
  count=0
  for at in $recent; do
    if [ $((now - at)) -lt 3600 ]; then kept="$kept $at"; count=$((count + 1)); fi
  done
  if [ "$count" -ge "$MAX_RELAUNCHES" ]; then
    log "the guest rebooted $((count + 1)) times within an hour: not relaunching"
    exit 1
  fi
  recent="$kept $now"
  log "the guest rebooted ($evidence): relaunch $((count + 1)) of at most $MAX_RELAUNCHES per hour"
done
log "stopped"
`;

export interface VmSupervisorStart {
  namespace: string;
  files: VmFiles;
  args: readonly string[];
}

/**
 * Writes the script and starts it inside the VM's namespace in its own session, so it outlives the pine
 * process; returns its PID (`ip netns exec` execs in place, so it is the script's). Fails with qemu's log
 * when qemu does not get going (a busy tap, a missing disk).
 */
export async function startVmSupervisor(start: VmSupervisorStart): Promise<number> {
  const { files, namespace } = start;
  await writeFile(files.supervisorScript, VM_SUPERVISOR_SCRIPT, { mode: 0o644 });
  const log = openSync(files.supervisorLog, "a");
  let pid: number | undefined;
  try {
    const child = spawn("ip", ["netns", "exec", namespace, "/bin/sh", files.supervisorScript, QEMU, ...start.args], {
      detached: true,
      stdio: ["ignore", log, log],
      env: {
        PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        CONSOLE_LOG: files.console,
        QEMU_LOG: files.qemuLog,
        QEMU_PID_FILE: files.qemuPid,
        MAX_RELAUNCHES: String(MAX_VM_RELAUNCHES_PER_HOUR),
      },
    });
    child.on("error", () => undefined);
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(log);
  }
  if (pid === undefined) throw new PineError(`could not start the VM supervisor in ${namespace}`, { step: "start VM supervisor" });
  await writeFile(files.supervisorPid, `${pid}\n`);
  await waitForQemu(pid, files, command(QEMU, ...start.args));
  return pid;
}

/** qemu gives up within a second on a bad option, tap or disk; alive after this long, it has started the guest. */
const QEMU_SETTLE_MS = 1_500;
const QEMU_START_TIMEOUT_MS = 10_000;

async function waitForQemu(supervisor: number, files: VmFiles, qemuCommand: string): Promise<void> {
  const deadline = Date.now() + QEMU_START_TIMEOUT_MS;
  let since: number | undefined;
  while (Date.now() < deadline) {
    const qemu = await currentQemuPid(files);
    if (qemu !== undefined) {
      since ??= Date.now();
      if (Date.now() - since >= QEMU_SETTLE_MS) return;
    } else if (!(await isRunning(supervisor))) {
      // Just spawned by us, so its PID is its own; by identity it is not yet (`ip netns exec` has not exec'd sh).
      break;
    }
    await sleep(50);
  }
  const logs = [await readFile(files.qemuLog, "utf8").catch(() => ""), await readFile(files.supervisorLog, "utf8").catch(() => "")];
  throw new PineError(`qemu did not start for ${files.dir}`, {
    step: "start qemu",
    command: qemuCommand,
    stderr: logs.join("\n").trim().slice(-3_000),
    hint: `see ${files.qemuLog} and ${files.supervisorLog} (qemu missing: apt-get install qemu-system-x86)`,
  });
}

export async function vmSupervisorIdentity(files: VmFiles): Promise<LabProcessIdentity> {
  return { executables: [await realpath("/bin/sh")], marker: files.supervisorScript };
}

export async function qemuIdentity(files: VmFiles): Promise<LabProcessIdentity> {
  const executables = await Promise.all(["/usr/bin/qemu-system-x86_64", "/bin/qemu-system-x86_64"].map((path) => realpath(path).catch(() => path)));
  return { executables, marker: diskOption(files) };
}

/** The PID of the qemu running now (it changes at every guest reboot), if any. */
export async function currentQemuPid(files: VmFiles): Promise<number | undefined> {
  const pid = await readPidFile(files.qemuPid);
  return pid !== undefined && (await isLabProcess(pid, await qemuIdentity(files))) ? pid : undefined;
}

export async function isVmSupervisorRunning(files: VmFiles, pid?: number): Promise<boolean> {
  return isLabProcess(pid ?? (await readPidFile(files.supervisorPid)), await vmSupervisorIdentity(files));
}

/**
 * Stops the supervisor (TERM: it stops qemu and exits) and then any qemu still running on this VM's disk, each
 * found by identity (binary and command line), so a crashed supervisor's orphan is found too. Bounded: TERM,
 * a grace period, SIGKILL.
 */
export async function stopVmSupervisor(files: VmFiles): Promise<void> {
  const supervisors = await findLabProcesses(await vmSupervisorIdentity(files), [await readPidFile(files.supervisorPid)]);
  for (const pid of supervisors) signal(pid, "SIGTERM");
  for (const pid of supervisors) {
    if (!(await waitUntilGone(pid, 10_000))) signal(pid, "SIGKILL");
  }
  const qemus = await findLabProcesses(await qemuIdentity(files), [await readPidFile(files.qemuPid)]);
  for (const pid of qemus) signal(pid, "SIGTERM");
  for (const pid of qemus) {
    if (!(await waitUntilGone(pid, 5_000))) signal(pid, "SIGKILL");
  }
  for (const pid of [...supervisors, ...qemus]) await waitUntilGone(pid, 2_000);
}
