// Server operations: commands, scripts, accounts and system settings.
export { shell, type ShellArgs } from "./shell.js";
export { script, type ScriptArgs } from "./script.js";
export { user, type UserArgs } from "./user.js";
export { hostname, type HostnameArgs } from "./hostname.js";
export { sysctl, type SysctlArgs } from "./sysctl.js";
export { mount, type MountArgs } from "./mount.js";
export { wait, type WaitArgs } from "./wait.js";
export { reboot, type RebootArgs } from "./reboot.js";
