// net.gateway: the default gateway for IPv4 and IPv6 — from the DEFAULT route of the main table only, never "the first route line".
import { defineFact } from "../../src/facts/define.js";
import { requireSmall } from "../output.js";
import { parseRoutes, routesCommand, type Route } from "./routes.js";

export interface DefaultRoute {
  /** Null for a device route ("default dev venet0": OpenVZ venet has no gateway address). */
  gateway: string | null;
  dev: string | null;
  onlink: boolean;
  metric: number | null;
}

export interface Gateways {
  v4: DefaultRoute | null;
  v6: DefaultRoute | null;
}

export function pickDefault(routes: readonly Route[], family: 4 | 6): DefaultRoute | null {
  const defaults = routes
    .filter((r) => r.family === family && r.destination === "default" && r.type === "unicast")
    // The kernel prefers the lowest metric; ip prints v4 routes without one as metric 0.
    .sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0));
  const best = defaults[0];
  return best ? { gateway: best.gateway, dev: best.dev, onlink: best.onlink, metric: best.metric } : null;
}

export const gateway = defineFact<Gateways>({
  name: "net.gateway",
  command: routesCommand,
  parse(output) {
    requireSmall(output, "net.gateway", 8 * 1024 * 1024);
    const routes = parseRoutes(output.stdout);
    return { v4: pickDefault(routes, 4), v6: pickDefault(routes, 6) };
  },
});
