// The supervisor of a debian host: a detached sh script that runs systemd-nspawn and relaunches it when the container reboots.
//
// A reboot inside the container (`systemctl reboot`, `busybox reboot -f`) ends nspawn with exit code 133.
// Relaunching it on the same root is what an OpenVZ/LXC host does for a guest: whatever is /sbin/init now
// runs next, which is how pine's container install takes over. Bounded, so a crash loop stops by itself.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { realpath, writeFile } from "node:fs/promises";
import { PineError } from "../errors.js";
import { findLabProcesses, isLabProcess, readPidFile, signal, waitUntilGone, type LabProcessIdentity } from "./lab-process.js";
import type { RootHostFiles } from "./layout.js";

/** nspawn's exit code when the container's init called reboot(2). */
export const REBOOT_EXIT_CODE = 133;
export const MAX_RELAUNCHES_PER_HOUR = 20;

/**
 * The script, run as `sh SCRIPT NSPAWN ARGS...` with its settings in the environment. It first moves itself
 * into the host's own cgroups (see host-cgroup.ts). `wait` returns early when a trapped signal arrives, so it
 * waits again until nspawn is really gone; a zombie still answers kill -0, so its status is never lost.
 */
export const SUPERVISOR_SCRIPT = `# pine lab supervisor (generated): keeps one debian host's systemd-nspawn running across reboots.
set -u
log() { printf '%s %s\\n' "$(date '+%Y-%m-%dT%H:%M:%S')" "$*"; }
for dir in $HOST_CGROUPS; do
  if ! { mkdir -p "$dir" && echo $$ > "$dir/cgroup.procs"; }; then
    log "cannot move into cgroup $dir; not starting (containers sharing a cgroup disturb each other)"
    exit 1
  fi
done
stopping=0
child=
trap 'stopping=1; if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; fi' TERM INT HUP
recent=
while [ "$stopping" = 0 ]; do
  "$@" </dev/null >>"$CONSOLE_LOG" 2>&1 &
  child=$!
  echo "$child" > "$NSPAWN_PID_FILE"
  log "started systemd-nspawn (pid $child)"
  while :; do
    wait "$child"
    code=$?
    kill -0 "$child" 2>/dev/null || break
  done
  child=
  rm -f "$NSPAWN_PID_FILE"
  [ "$stopping" = 0 ] || break
  if [ "$code" -ne ${REBOOT_EXIT_CODE} ]; then
    log "systemd-nspawn exited with code $code: the host stays down"
    exit "$code"
  fi
  now=$(date +%s)
  kept=
  count=0
  for at in $recent; do
    if [ $((now - at)) -lt 3600 ]; then kept="$kept $at"; count=$((count + 1)); fi
  done
  if [ "$count" -ge "$MAX_RELAUNCHES" ]; then
    log "the container rebooted $((count + 1)) times within an hour: not relaunching"
    exit 1
  fi
  recent="$kept $now"
  log "the container rebooted (exit ${REBOOT_EXIT_CODE}): relaunch $((count + 1)) of at most $MAX_RELAUNCHES per hour"
done
log "stopped"
`;

export interface SupervisorStart {
  /** Machine name inside nspawn, and the network namespace the container joins. */
  namespace: string;
  files: RootHostFiles;
  cgroups: readonly string[];
}

/** Writes the script and starts it in its own session, so it outlives the pine process; returns its PID. */
export async function startSupervisor(start: SupervisorStart): Promise<number> {
  const { files, namespace } = start;
  await writeFile(files.supervisorScript, SUPERVISOR_SCRIPT, { mode: 0o644 });
  const nspawn = [
    "systemd-nspawn",
    "-q",
    "-D", files.root,
    "-M", namespace,
    // This machine's PID 1 is not systemd: no machined to register with, no unit to move into.
    "--register=no",
    "--keep-unit",
    `--network-namespace-path=/run/netns/${namespace}`,
    // ifupdown and pine's own network steps inside need to change eth0.
    "--capability=CAP_NET_ADMIN",
    "--link-journal=no",
    "/sbin/init",
  ];
  const log = openSync(files.supervisorLog, "a");
  try {
    const child = spawn("/bin/sh", [files.supervisorScript, ...nspawn], {
      detached: true,
      stdio: ["ignore", log, log],
      env: {
        PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        HOST_CGROUPS: start.cgroups.join(" "),
        CONSOLE_LOG: files.console,
        NSPAWN_PID_FILE: files.nspawnPid,
        MAX_RELAUNCHES: String(MAX_RELAUNCHES_PER_HOUR),
      },
    });
    child.on("error", () => undefined);
    child.unref();
    if (child.pid === undefined) throw new PineError(`could not start the supervisor of ${namespace}`, { step: "start nspawn supervisor" });
    await writeFile(files.supervisorPid, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

export async function supervisorIdentity(files: RootHostFiles): Promise<LabProcessIdentity> {
  return { executables: [await realpath("/bin/sh")], marker: files.supervisorScript };
}

async function nspawnIdentity(files: RootHostFiles): Promise<LabProcessIdentity> {
  const executables = await Promise.all(["/usr/bin/systemd-nspawn", "/bin/systemd-nspawn"].map((path) => realpath(path).catch(() => path)));
  return { executables, marker: files.root };
}

/**
 * Stops the supervisor (TERM: it stops nspawn, nspawn kills the container) and then any nspawn still running
 * on this root, each found by identity so a crashed supervisor's orphan is found too. Bounded: TERM, a grace
 * period, SIGKILL. What may be left inside the container is swept by namespace and cgroup afterwards.
 */
export async function stopSupervisor(files: RootHostFiles, recordedPid?: number): Promise<void> {
  const supervisor = await supervisorIdentity(files);
  const supervisors = await findLabProcesses(supervisor, [recordedPid, await readPidFile(files.supervisorPid)]);
  for (const pid of supervisors) signal(pid, "SIGTERM");
  for (const pid of supervisors) {
    if (!(await waitUntilGone(pid, 8_000))) signal(pid, "SIGKILL");
  }
  const nspawn = await nspawnIdentity(files);
  const containers = await findLabProcesses(nspawn, [await readPidFile(files.nspawnPid)]);
  for (const pid of containers) signal(pid, "SIGTERM");
  for (const pid of containers) {
    if (!(await waitUntilGone(pid, 5_000))) signal(pid, "SIGKILL");
  }
  for (const pid of [...supervisors, ...containers]) await waitUntilGone(pid, 2_000);
}

/** Whether the recorded supervisor is alive and still this host's. */
export async function isSupervisorRunning(files: RootHostFiles, pid: number): Promise<boolean> {
  return isLabProcess(pid, await supervisorIdentity(files));
}

/** The PID of the nspawn running now (it changes at every reboot), if any. */
export async function currentNspawnPid(files: RootHostFiles): Promise<number | undefined> {
  const pid = await readPidFile(files.nspawnPid);
  return pid !== undefined && (await isLabProcess(pid, await nspawnIdentity(files))) ? pid : undefined;
}
