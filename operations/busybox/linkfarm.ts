// busybox.linkfarm: a static busybox from the controller (sha256 checked before it is sent, and again on the host by
// the uploaded binary itself) sits in DIR with a link for every applet, so later commands can run with DIR first on
// PATH even after the host's own tools are gone. DIR must allow exec: Debian mounts /run noexec, so use a tmpfs of its
// own (disk.tmpfs) or /dev/shm; a noexec DIR is reported as such, and the binary is not left behind.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { UsageError } from "../../src/errors.js";
import { defineOperation, type Plan } from "../../src/operations/define.js";
import { command, quote } from "../../src/shell.js";
import { missingApplets } from "../../facts/busybox/missing-applets.js";
import { content } from "../../facts/files/content.js";
import { file } from "../../facts/files/file.js";
import { requireAbsolute } from "../files/path.js";

export interface LinkfarmArgs {
  /** The directory (created if missing) that receives busybox and its applet links; on an exec-capable fs. */
  dir: string;
  /** The static busybox binary on the controller, e.g. /bin/busybox from Debian's busybox-static. */
  binary?: string;
  /** The same as `binary` (the name this operation first had). */
  src?: string;
  /** Required: sha256 of the binary; a different local file is refused before anything is sent. */
  sha256: string;
}

const NAME = "busybox.linkfarm";

function check(a: LinkfarmArgs): { dir: string; local: string; sha: string } {
  const dir = requireAbsolute(a.dir, NAME);
  const local = a.binary ?? a.src;
  if (typeof local !== "string" || local === "") throw new UsageError(`${NAME} ${dir}: binary (the local busybox to push) is required`);
  if (typeof a.sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(a.sha256)) throw new UsageError(`${NAME} ${dir}: sha256 is required (64 hex digits)`);
  return { dir, local, sha: a.sha256.toLowerCase() };
}

/** The local binary's bytes, refused unless they hash to the expected sha256. */
function readChecked(dir: string, local: string, sha: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(local);
  } catch (error) {
    throw new UsageError(`${NAME} ${dir}: cannot read local busybox ${local}: ${(error as Error).message}`);
  }
  const sum = createHash("sha256").update(bytes).digest("hex");
  if (sum !== sha) throw new UsageError(`${NAME} ${dir}: ${local} has sha256 ${sum}, not the expected ${sha}; nothing was sent`);
  return bytes;
}

/**
 * `PATH=DIR:$PATH cmd`: run a command with the farm's applets first. Note the applets then shadow the host's own
 * tools of the same name (busybox `losetup` has no `--show`): call a tool by full path where options differ.
 */
export function withPath(dir: string, cmd: string): string {
  return `PATH=${quote(dir)}:"$PATH"; export PATH; ${cmd}`;
}

/** The same as withPath. */
export const withFarm = withPath;

/**
 * stdin → a temp file in DIR whose name starts with "busybox" (busybox runs as the multi-call binary only under such a
 * name), checked by running that very binary's sha256sum, then renamed to DIR/busybox. A failed check leaves nothing.
 */
export function installCommand(dir: string, sha: string): string {
  const target = quote(`${dir}/busybox`);
  return [
    "set -e",
    `pine_tmp=$(mktemp ${quote(`${dir}/busybox.XXXXXX`)})`,
    `trap 'rm -f "$pine_tmp"' EXIT`,
    `cat > "$pine_tmp"`,
    `chmod 0755 "$pine_tmp"`,
    `pine_rc=0; pine_sum=$("$pine_tmp" sha256sum "$pine_tmp") || pine_rc=$?`,
    `if [ "$pine_rc" = 126 ]; then echo ${quote(`${NAME}: cannot execute busybox in ${dir}: is it on a noexec mount (Debian's /run is)? Use a tmpfs of its own or /dev/shm`)} >&2; exit 126; fi`,
    `if [ "$pine_rc" != 0 ]; then echo ${quote(`${NAME}: the uploaded busybox does not run on this host (exit`)} "$pine_rc)" >&2; exit "$pine_rc"; fi`,
    `pine_sum=\${pine_sum%% *}`,
    `if [ "$pine_sum" != ${sha} ]; then echo ${quote(`${NAME}: busybox arrived with sha256`)} "$pine_sum," ${quote(`not ${sha}: the upload was damaged`)} >&2; exit 1; fi`,
    `mv -f "$pine_tmp" ${target}`,
    "trap - EXIT",
  ].join("\n");
}

export const linkfarm = defineOperation<LinkfarmArgs>({
  name: NAME,
  describe: (a) => `busybox and its applet links in ${a.dir}`,
  facts: (a) => {
    // A wrong local binary is refused here, before even the fact round trip reaches the host.
    const { dir, local, sha } = check(a);
    readChecked(dir, local, sha);
    return [file(`${dir}/busybox`), content(`${dir}/busybox`), missingApplets(dir)];
  },
  async plan(host, a) {
    const { dir, local, sha } = check(a);
    const bytes = readChecked(dir, local, sha);
    const binary = `${dir}/busybox`;
    const [stat, current, missing] = await host.facts(file(binary), content(binary), missingApplets(dir));
    if (stat && stat.type !== "file") throw new Error(`${NAME}: ${binary} exists and is a ${stat.type}, not a regular file: remove it first`);
    const rightBinary = current !== null && current.sha256 === sha && stat !== null && (stat.mode & 0o111) === 0o111;
    const plan: Plan = { description: "", steps: [], invalidates: ["files.*", "busybox.*", "server.which"] };
    const changes: string[] = [];
    if (!rightBinary) {
      plan.steps.push(
        { command: command("mkdir", "-p", "--", dir) },
        { command: installCommand(dir, sha), stdin: bytes, display: `write ${bytes.length} bytes to ${binary} (temp file, chmod 0755, sha256 checked by the binary itself, rename)` },
      );
      changes.push(`${current ? "replace" : "install"} busybox (${bytes.length} bytes)`);
    }
    if (!rightBinary || missing === null || missing.length > 0) {
      plan.steps.push({ command: command(binary, "--install", "-s", dir) });
      changes.push(missing?.length ? `link ${missing.length} applet(s)` : "link the applets");
    }
    if (plan.steps.length === 0) return null;
    plan.description = `busybox in ${dir}: ${changes.join(", ")}`;
    return plan;
  },
});
