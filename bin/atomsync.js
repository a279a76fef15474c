#!/usr/bin/env node
// Runs the TypeScript entry point through tsx, so `npx atomsync` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../shared/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), process.env);
