// pine's operations library, by family: files, server, packages, services, busybox, disk, image, ostree, lock.
export * as files from "./files/index.js";
export * as server from "./server/index.js";
export * as packages from "./packages/index.js";
export * as services from "./services/index.js";
export * as busybox from "./busybox/index.js";
export * as disk from "./disk/index.js";
export * as image from "./image/index.js";
export * as ostree from "./ostree/index.js";
export * as lock from "./lock/index.js";
