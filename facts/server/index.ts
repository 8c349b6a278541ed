// The server.* facts: identity, kernel, distribution, init, virtualisation, resources, users, services.
export { hostname } from "./hostname.js";
export { kernel, type Kernel } from "./kernel.js";
export { distro, type Distro } from "./distro.js";
