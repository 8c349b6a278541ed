// The block.* facts: block devices, the disk under /, loop devices.
export { devices, type BlockDevice } from "./devices.js";
