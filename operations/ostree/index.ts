// OSTree operations: bring a commit by static delta, deploy it, keep two deployments, roll back.
export { applyDelta as apply_delta, type ApplyDeltaArgs } from "./apply-delta.js";
export { deploy, type DeployArgs } from "./deploy.js";
export { keep, type KeepArgs } from "./keep.js";
export { rollback } from "./rollback.js";
