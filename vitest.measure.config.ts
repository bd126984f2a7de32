import { defineConfig } from 'vitest/config';

/**
 * Measurements over third-party corpora (`npm run measure:corpora`): files that are not committed
 * to this repository (they live under /work/shared or in a fetched mirror), so they are not part
 * of the CI suite (vitest.config.ts runs `*.test.ts` only). Same Groovy parse JVM and environment
 * as the suite; whole corpora take longer than a unit test.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.measure.ts'],
    globalSetup: ['test/groovy/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
