// The benchmark's deploy: 10 idempotent operations per host, the same 10 tasks as bench/playbook.yml.
// Lab hosts share this machine's filesystem, so each host works under its own directory:
// data.benchRoot (default /tmp/pine-bench-deploy/pine) + "/" + host.name.
//
//   pine deploy INVENTORY bench/deploy.ts --json      first run: 10 changed per host; second run: 10 unchanged
import { defineDeploy, files, server } from "pine";

export default defineDeploy({
  name: "bench",
  description: "10 idempotent operations under <benchRoot>/<host>",
  async run(host) {
    const root = typeof host.data.benchRoot === "string" ? host.data.benchRoot : "/tmp/pine-bench-deploy/pine";
    const dir = `${root}/${host.name}`;
    // 3 directories
    await files.directory(host, { path: dir, mode: "0755" });
    await files.directory(host, { path: `${dir}/etc`, mode: "0755" });
    await files.directory(host, { path: `${dir}/data`, mode: "0750" });
    // 2 files with content
    await files.put(host, { path: `${dir}/etc/app.conf`, content: `name=${host.name}\nlisten=0.0.0.0:8080\nworkers=4\n`, mode: "0644" });
    await files.put(host, { path: `${dir}/etc/motd`, content: `Welcome to ${host.name}, configured by the benchmark.\n`, mode: "0644" });
    // 2 lines in a file
    await files.line(host, { path: `${dir}/etc/settings.conf`, line: "managed_by=bench" });
    await files.line(host, { path: `${dir}/etc/settings.conf`, line: "log_level=info" });
    // 1 symlink
    await files.link(host, { path: `${dir}/current`, target: `${dir}/etc` });
    // 1 empty file with a mode
    await files.put(host, { path: `${dir}/data/empty`, content: "", mode: "0600" });
    // 1 shell command (guarded: runs once)
    await server.shell(host, { name: "stamp the first run", commands: `date -u > ${dir}/data/stamp`, creates: `${dir}/data/stamp` });
  },
});
