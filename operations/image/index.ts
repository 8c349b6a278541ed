// Image operations: disk images written onto block devices, checked before and read back after.
export { write, type ImageWriteArgs, type ImageWriteResult, type WriteStats } from "./write.js";
export type { ImageSource, ImageFormat } from "./source.js";
