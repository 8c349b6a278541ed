// The net.* facts: addresses, routes and gateway, interfaces, DNS, ifupdown configuration.
export { addresses, type Address } from "./addresses.js";
export { routes, type Route } from "./routes.js";
export { gateway, type Gateways, type DefaultRoute } from "./gateway.js";
export { interfaces, type NetInterface, type InterfaceKind } from "./interfaces.js";
export { dns, type Dns } from "./dns.js";
export { ifupdown, type Ifupdown, type IfaceStanza, type IfupdownSource } from "./ifupdown.js";
