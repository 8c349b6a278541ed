// Arguments to try each fact family with, on this machine and on lab hosts; the first set is each family's default.
// Block facts read regular files as they read devices (an image file is what disk operations start from).

export const SAMPLE_ARGS: Record<string, unknown[][]> = {
  "server.which": [["sh"], ["no-such-tool-pine"]],
  "server.sysctl": [["net.ipv4.ip_forward"], ["kernel.printk"], ["net.ipv4.no_such_key_pine"]],
  "files.file": [["/etc/hosts"], ["/nonexistent"], ["/"]],
  "files.sha256": [["/etc/hosts"], ["/nonexistent"]],
  "files.directory": [["/etc"], ["/etc/hosts"]],
  "files.link": [["/bin/sh"], ["/etc"]],
  "files.find_in_file": [["/etc/hosts", "localhost"], ["/etc/hosts", "("]],
  "files.content": [["/etc/hosts"]],
  "services.status": [["ssh", "systemd"], ["ssh", "sysvinit"], ["cron", "upstart"], ["sshd", "openrc"], ["no-such-service-pine", "sysvinit"]],
  "busybox.missing_applets": [["/bin"], ["/nonexistent"]],
  "block.partitions": [["/etc/hosts"], ["/nonexistent"]],
  "block.filesystem": [["/etc/hosts"], ["/nonexistent"]],
  "block.fs_signature": [["/etc/hosts"], ["/nonexistent"]],
  "block.head_sha256": [["/etc/hosts", 16], ["/etc/hosts", 1 << 30], ["/nonexistent", 16]],
  "ostree.deployments": [["/"], ["/nonexistent"]],
  "ostree.has_commit": [["/ostree/repo", "0000000000000000000000000000000000000000000000000000000000000000"], ["/nonexistent", "abc"]],
};

/** The first sample arguments of a family (throws if it has none: add them above). */
export function defaultArgs(name: string): unknown[] {
  const samples = SAMPLE_ARGS[name];
  if (!samples) throw new Error(`add sample arguments for family ${name} to test/facts/sample-args.ts`);
  return samples[0]!;
}
