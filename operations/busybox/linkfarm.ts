// busybox.linkfarm: a static busybox from the controller (sha256 checked before it is sent) sits in DIR with a link
// for every applet, so later commands can run with DIR first on PATH even after the host's own tools are gone.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { UsageError } from "../../src/errors.js";
import { defineOperation, type Plan } from "../../src/operations/define.js";
import { command, quote } from "../../src/shell.js";
import { missingApplets } from "../../facts/busybox/missing-applets.js";
import { requireAbsolute } from "../files/path.js";
import { planWrite, writeFacts } from "../files/write.js";

export interface LinkfarmArgs {
  /** The directory (created if missing) that receives busybox and its applet links. */
  dir: string;
  /** The busybox binary on the controller. */
  src: string;
  /** Required: sha256 of src; a different local file is refused before anything is sent. */
  sha256: string;
}

function check(a: LinkfarmArgs): { dir: string; bytes: Buffer } {
  const dir = requireAbsolute(a.dir, "busybox.linkfarm");
  if (typeof a.sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(a.sha256)) throw new UsageError(`busybox.linkfarm ${dir}: sha256 is required (64 hex digits)`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(a.src);
  } catch (error) {
    throw new UsageError(`busybox.linkfarm ${dir}: cannot read local busybox ${a.src}: ${(error as Error).message}`);
  }
  const sum = createHash("sha256").update(bytes).digest("hex");
  if (sum !== a.sha256.toLowerCase()) throw new UsageError(`busybox.linkfarm ${dir}: ${a.src} has sha256 ${sum}, not the expected ${a.sha256.toLowerCase()}`);
  return { dir, bytes };
}

/** `PATH=DIR:$PATH cmd` — a command that prefers the farm's applets. */
export function withFarm(dir: string, cmd: string): string {
  return `PATH=${quote(dir)}:"$PATH"; export PATH; ${cmd}`;
}

export const linkfarm = defineOperation<LinkfarmArgs>({
  name: "busybox.linkfarm",
  describe: (a) => `busybox and its applet links in ${a.dir}`,
  facts: (a) => {
    const dir = requireAbsolute(a.dir, "busybox.linkfarm");
    return [...writeFacts(`${dir}/busybox`), missingApplets(dir)];
  },
  async plan(host, a) {
    const { dir, bytes } = check(a);
    const binary = `${dir}/busybox`;
    const missing = await host.fact(missingApplets(dir));
    const write = await planWrite(host, binary, bytes, { mode: 0o755 }, "busybox.linkfarm");
    const plan: Plan = { description: "", steps: [], invalidates: ["files.*", "busybox.*", "server.which"] };
    const changes: string[] = [];
    if (write) {
      plan.steps.push({ command: command("mkdir", "-p", "--", dir) }, ...write.steps.map((s) => ({ ...s, display: s.display ?? s.command })));
      changes.push(`${write.description.startsWith("create") ? "install" : "replace"} busybox (${bytes.length} bytes)`);
    }
    if (write || missing === null || missing.length > 0) {
      plan.steps.push({ command: command(binary, "--install", "-s", dir) });
      changes.push(missing?.length ? `link ${missing.length} applet(s)` : "link the applets");
    }
    if (plan.steps.length === 0) return null;
    plan.description = `busybox in ${dir}: ${changes.join(", ")}`;
    return plan;
  },
});
