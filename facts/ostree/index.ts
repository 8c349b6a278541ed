// The ostree.* facts: deployments and refs of an OSTree system.
export { status, type OstreeDeployment } from "./status.js";
export { refs, type OstreeRef } from "./refs.js";
