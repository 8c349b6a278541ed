import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/build.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Lab tests create network namespaces and sshd processes; two cores, so keep workers few.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
