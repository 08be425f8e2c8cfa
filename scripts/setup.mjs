#!/usr/bin/env node
// `npm run setup`: installs everything the app needs (see setup() in lib.mjs). --force reinstalls.
import { setup } from './lib.mjs';

process.exit(setup({ force: process.argv.includes('--force') }));
