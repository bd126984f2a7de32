import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Groovy parse runs once for the whole suite (one JVM), after every test file has
    // written its Jenkinsfiles; see test/groovy/global-setup.ts.
    globalSetup: ['test/groovy/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
