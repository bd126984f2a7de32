import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One Groovy 2.4.21 parse JVM serves the whole run (started once, reached over local HTTP
    // by every worker); see test/groovy/global-setup.ts and test/groovy/client.ts.
    globalSetup: ['test/groovy/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
