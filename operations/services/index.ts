// Service operations: one operation for every init system pine meets (systemd, upstart, sysvinit, openrc).
export { service, type ServiceArgs } from "./service.js";
