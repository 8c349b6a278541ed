// The demo deploy: a small, idempotent site (a directory, a config file, a line, a link, a guarded command)
// that shows pine's changed / unchanged reporting on the lab. Run it twice: the second run changes nothing.
// Lab hosts share this machine's filesystem (only network and hostname are their own), so each host
// works under its own directory: data.demoDir, default /tmp/pine-demo/<host name>.
import { defineDeploy } from "../src/deploys/define.js";
import { files, server } from "../operations/index.js";
import { hostname } from "../facts/server/hostname.js";
import { quote } from "../src/shell.js";

export default defineDeploy({
  name: "demo",
  description: "a small idempotent site under /tmp/pine-demo/<host>",
  async run(host) {
    const name = await host.fact(hostname);
    const dir = typeof host.data.demoDir === "string" ? host.data.demoDir : `/tmp/pine-demo/${host.name}`;
    await files.directory(host, { path: dir, mode: "0755" });
    await files.put(host, {
      path: `${dir}/motd`,
      content: `Welcome to ${name}, configured by pine (node ${String(host.data.node ?? "?")}).\n`,
      mode: "0644",
    });
    await files.line(host, { path: `${dir}/settings.conf`, line: "managed_by=pine" });
    await files.link(host, { path: `${dir}/current`, target: `${dir}/motd` });
    await server.shell(host, {
      name: "record the first deploy's time",
      commands: `date -u > ${quote(`${dir}/first-deploy`)}`,
      creates: `${dir}/first-deploy`,
    });
  },
});
