// Server operations: commands and system settings.
export { shell, type ShellArgs } from "./shell.js";
