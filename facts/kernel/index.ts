// The kernel.* facts: modules and what the running kernel can do.
export { modules, type KernelModules, type KernelSupport, type SupportHow } from "./modules.js";
