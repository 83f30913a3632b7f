import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start brokers, daemons and network namespaces: keep files from racing for ports.
    fileParallelism: true,
    pool: 'forks',
  },
});
