// Disk operations: tmpfs workspaces, loop devices, dos partition tables, filesystems.
export { tmpfs, sizeOption, type TmpfsArgs } from "./tmpfs.js";
export { loop_attach, loop_detach, detachAttachedLoops, findLoop, type LoopAttachArgs, type LoopAttachResult, type LoopDetachArgs } from "./loop.js";
export { attachedLoops, type AttachedLoop } from "./loops-attached.js";
export { partition, type PartitionArgs } from "./partition.js";
export { placeLayout, LayoutError, type Amount, type PartitionSpec, type Placed, type LayoutPlan } from "./layout.js";
export { mkfs, mkfsCommand, type MkfsArgs, type FsType } from "./mkfs.js";
