// Image operations: raw disk images written onto block devices, verified by reading them back.
export { write, type ImageWriteArgs } from "./write.js";
