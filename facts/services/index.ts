// The services.* facts: one service's state, asked the way the host's init system answers (server.services lists them all).
export { status, statusCommand, parseStatus, unitName, type ServiceStatus, type ServiceManager } from "./status.js";
