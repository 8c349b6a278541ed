// The block.* facts: block devices, the disk under /, loop devices, partition tables, what a device holds.
export { devices, type BlockDevice } from "./devices.js";
export { rootDisk, partitionName, type RootDisk, type Partition } from "./root-disk.js";
export { loops, type LoopDevice } from "./loops.js";
export { losetup, type LosetupTool } from "./losetup.js";
export { partitions, parseDump, normalizeType, type PartitionTable, type TablePartition } from "./partitions.js";
// block.filesystem and block.fs_signature both read magic bytes. Prefer block.filesystem: it asks blkid where there is
// one, names ext2/3/4, reads labels and UUIDs, and knows partition tables and XFS external logs. block.fs_signature
// (xfs | ext | swap, three od reads) stays for scripts that need only that and a host with no dd.
export { filesystem, readMagic, type FilesystemProbe } from "./filesystem.js";
export { fsSignature as fs_signature, type FsSignature } from "./fs-signature.js";
// block.head_sha256(device, bytes) hashes the first BYTES of a device or image and sizes it (blockdev for a block
// device): use it to check an image written to a disk. files.sha256(path) hashes a whole regular file.
export { headSha256 as head_sha256, type HeadSha256 } from "./head-sha256.js";
