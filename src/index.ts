// pine's programmatic API: inventories, facts, operations, deploys and running them on hosts.
export { loadInventory, openInventory, inventoryFromHosts, selectHosts } from "./inventory/index.js";
export type { Inventory, ResolvedHost, ConnectionSettings, HostKeyCheck } from "./inventory/index.js";
export { HostContext, FactError, type FactResult, type HostInfo } from "./host.js";
export { defineFact, defineFactFamily, FactUnavailable, requireSuccess, type Fact, type FactFamily, type FactOutput } from "./facts/define.js";
export { defineOperation, type Operation, type OperationResult, type Plan, type Step } from "./operations/define.js";
export { defineDeploy, type Deploy, type DeployController } from "./deploys/define.js";
export { loadDeploy } from "./deploys/load.js";
export { runOnHosts, type RunOptions, type RunSummary, type HostOutcome } from "./runner/run-hosts.js";
export { parseBatchPlan, splitIntoBatches, parseFailureBudget } from "./runner/batches.js";
export type { Connector, ExecOptions, ExecResult } from "./connectors/types.js";
export { LocalConnector } from "./connectors/local.js";
export { SshConnector } from "./connectors/ssh/index.js";
export type { RunEvent, OperationStatus } from "./events.js";
export { PineError, UsageError, CommandError, ConnectError } from "./errors.js";
export { quote, command } from "./shell.js";
export * as facts from "../facts/index.js";
export * as operations from "../operations/index.js";
export { files, server } from "../operations/index.js";
