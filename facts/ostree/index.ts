// The ostree.* facts: deployments and refs of an OSTree system, and whether a repository holds a commit.
export { status, type OstreeDeployment } from "./status.js";
export { refs, type OstreeRef } from "./refs.js";
// ostree.status is `ostree admin status` of the running system (/); ostree.deployments(sysroot) is the same listing
// for any sysroot and is what the ostree operations use. Same parser, same values: for "/" either will do.
export { deployments } from "./deployments.js";
export { hasCommit as has_commit } from "./has-commit.js";
