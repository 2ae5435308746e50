#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size
// The V8 flags keep the client small: a 1 MB young generation per thread and V8's memory-saving mode
// hold resident memory at 1,000 connections near 140 MB instead of ~200 MB, for no measurable CPU
// per statement (see scripts/vs-sysbench.ts). They apply when the file is run as a program (npx, or
// ./bin/reinvent-bench.js), which is how users and scripts/vs-sysbench.ts run it.
// The compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import "../dist/bench/cli.js";
