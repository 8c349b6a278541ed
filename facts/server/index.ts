// The server.* facts: identity, kernel, distribution, init, virtualisation, resources, users, services.
export { hostname } from "./hostname.js";
export { kernel, type Kernel } from "./kernel.js";
export { distro, type Distro } from "./distro.js";
export { init, type InitSystem } from "./init.js";
export { virt, type Virt, type VirtKind } from "./virt.js";
export { memory, type Memory } from "./memory.js";
export { arch, type Arch } from "./arch.js";
export { users, type User } from "./users.js";
export { which } from "./which.js";
export { uptime, type Uptime } from "./uptime.js";
export { shell, type Shell } from "./shell.js";
export { services, type Service, type Services } from "./services.js";
export { mounts, type Mount } from "./mounts.js";
export { login, type Login } from "./login.js";
export { kernelIdentity, type KernelIdentity } from "./kernel-identity.js";
// Three facts read /proc/sys/kernel/random/boot_id. To tell that a host rebooted, prefer server.kernelIdentity: an
// OpenVZ, LXC or Docker container shows its host kernel's boot id, which does NOT change when the container restarts,
// while its PID namespace does (systemd-nspawn alone mounts a fresh boot id per container boot). server.boot_id is
// the bare id (enough for a VM or bare metal); server.uptime carries it too.
export { bootId as boot_id } from "./boot-id.js";
export { groups, type Group } from "./groups.js";
export { sysctl, sysctlPath } from "./sysctl.js";
