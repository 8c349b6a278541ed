// Disk operations: loop devices over image files, filesystems, tmpfs workspaces.
export { loopAttach as loop_attach, loopDetach as loop_detach, findLoop, type LoopAttachArgs, type LoopDetachArgs } from "./loop.js";
export { mkfs, type MkfsArgs, type FsType } from "./mkfs.js";
export { tmpfs, type TmpfsArgs } from "./tmpfs.js";
