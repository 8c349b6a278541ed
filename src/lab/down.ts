// `pine lab down`: stop and remove everything a lab started (processes, containers, mounts, roots, network), even when it was left half-built or crashed.
import { rm } from "node:fs/promises";
import pLimit from "p-limit";
import { removeBridge } from "./bridge.js";
import { stopLabHost } from "./lab-host.js";
import { findHostIndexes } from "./lab-members.js";
import { labLayout } from "./layout.js";
import { removeTree } from "./mounts.js";
import { assertLabName } from "./names.js";
import { assertRoot } from "./preconditions.js";
import { readLabState, statePath } from "./state.js";

export interface LabDownOptions {
  name: string;
  dir: string;
  /** Also delete the state directory (keys, logs). Default: keep keys and sshd logs for a later `up` or a post-mortem. */
  removeDir?: boolean;
}

export async function labDown(options: LabDownOptions): Promise<void> {
  assertLabName(options.name);
  const layout = labLayout(options.dir);
  assertRoot();
  const lab = options.name;
  const state = await readLabState(layout.dir);
  const recordedPids = new Map(state?.name === lab ? state.hosts.map((host) => [host.index, host.sshdPid]) : []);
  const limit = pLimit(8);
  const indexes = await findHostIndexes(lab, layout, state);
  await Promise.all(indexes.map((index) => limit(() => stopLabHost(lab, index, layout, recordedPids.get(index)))));
  await removeBridge(lab);
  if (options.removeDir) {
    // Host roots are gone by now; removeTree still refuses to reach through anything left mounted.
    await removeTree(layout.dir);
  } else {
    await Promise.all([statePath(layout.dir), layout.inventory, layout.knownHosts].map((path) => rm(path, { force: true })));
  }
}
