#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built from src/ by `npm ci` / `npm run build`). A command
// that uses the compiler runs dist/cli.cjs with the V8 code cache the build made for it
// (src/cli/code-cache.ts); usage, version, and a build without that script run dist/cli/main.js.
import { existsSync } from 'node:fs';

const argv = process.argv.slice(2);
const launcher = new URL('../dist/cli/code-cache.js', import.meta.url);
const cached = existsSync(launcher) ? (await import(launcher.href)).cachedCliMain(argv) : undefined;
const main = cached ?? (await import('../dist/cli/main.js')).main;
process.exitCode = await main(argv);
