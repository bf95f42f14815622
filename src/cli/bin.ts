#!/usr/bin/env node
import { formatCliError } from './errors.js';
import { main } from './main.js';

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${formatCliError(err)}\n`);
    process.exitCode = 1;
  },
);
