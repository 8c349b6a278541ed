// The demo deploy: a small, idempotent site (a directory, a config file, a line, a link, a guarded command)
// that shows pine's changed / unchanged reporting on the lab. Run it twice: the second run changes nothing.
import { defineDeploy } from "../src/deploys/define.js";
import { files, server } from "../operations/index.js";
import { hostname } from "../facts/server/hostname.js";

export default defineDeploy({
  name: "demo",
  description: "a small idempotent site under /srv/pine-demo",
  async run(host) {
    const name = await host.fact(hostname);
    await files.directory(host, { path: "/srv/pine-demo", mode: "0755" });
    await files.put(host, {
      path: "/srv/pine-demo/motd",
      content: `Welcome to ${name}, configured by pine (node ${String(host.data.node ?? "?")}).\n`,
      mode: "0644",
    });
    await files.line(host, { path: "/srv/pine-demo/settings.conf", line: "managed_by=pine" });
    await files.link(host, { path: "/srv/pine-demo/current", target: "/srv/pine-demo/motd" });
    await server.shell(host, { name: "record first deploy time", commands: "date -u > /srv/pine-demo/first-deploy", creates: "/srv/pine-demo/first-deploy" });
  },
});
