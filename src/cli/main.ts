#!/usr/bin/env node
// The `udt` / `user-data-transformer` command. Exit codes: 0 success, 1 runtime failure, 2 usage error.
import { runCli } from './program.js';

// A reader that stops early (`udt query … | head`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// Set, not process.exit(): pending output still drains, and `serve` keeps running.
process.exitCode = await runCli(process.argv);
