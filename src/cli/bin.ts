#!/usr/bin/env node
// The package's `bin`: always runs the command, however it was reached (npx, a
// symlink in node_modules/.bin, a shim on Windows), so it can never be a silent no-op.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
