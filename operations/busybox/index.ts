// busybox operations: a self-contained toolbox on the host for when its own tools are about to disappear.
export { linkfarm, withPath, withFarm, type LinkfarmArgs } from "./linkfarm.js";
