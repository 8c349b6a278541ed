// The block.* facts: block devices, the disk under /, loop devices.
export { devices, type BlockDevice } from "./devices.js";
export { rootDisk, partitionName, type RootDisk, type Partition } from "./root-disk.js";
export { loops, type LoopDevice } from "./loops.js";
