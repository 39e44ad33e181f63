import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no servers; `integration` runs on the real local stack that
// test/stack/global-setup.ts starts once per run (kube-apiserver, OpenBao, registry, git, sops, age).
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{cli,daemon,keys,bench,scripts}/**/*.test.ts', 'test/**/*.test.ts'],
          // scripts/testdata holds fixture trees for the architecture check, not tests.
          exclude: ['**/*.int.test.ts', 'node_modules/**', 'dist/**', 'scripts/testdata/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ['node_modules/**', 'dist/**'],
          globalSetup: ['test/stack/global-setup.ts'],
          setupFiles: ['test/stack/on-failure.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
