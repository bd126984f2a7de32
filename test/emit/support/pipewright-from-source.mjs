// The pipewright CLI from src/, for tests that spawn it: `node --import register-ts.mjs <this file> compile ...`.
// PIPEWRIGHT_TEST_SRC points at another src/ tree (e.g. an export of an older commit, to show a
// test fails there).
import { pathToFileURL } from 'node:url';

const source = process.env.PIPEWRIGHT_TEST_SRC
  ? pathToFileURL(`${process.env.PIPEWRIGHT_TEST_SRC}/cli/main.ts`).href
  : new URL('../../../src/cli/main.ts', import.meta.url).href;
const { main } = await import(source);
process.exitCode = await main(process.argv.slice(2));
