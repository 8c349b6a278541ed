// The busybox.* facts: what a busybox link farm still lacks.
export { missingApplets as missing_applets } from "./missing-applets.js";
