// The net.* facts: addresses, routes and gateway, interfaces, DNS, ifupdown configuration.
export { addresses, type Address } from "./addresses.js";
