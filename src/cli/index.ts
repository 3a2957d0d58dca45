#!/usr/bin/env node
import { guardAgainstCrashes } from '../core/errors.js';
import { main } from './main.js';

guardAgainstCrashes((line) => process.stderr.write(`error: ${line}\n`));
process.exitCode = await main(process.argv.slice(2));
