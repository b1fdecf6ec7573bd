#!/usr/bin/env node
"use strict";
// The daemon's libuv pool must be one thread (why: daemon/src/engine/libuv-pool.ts). libuv
// reads the variable once, when the pool first starts, and the ES module loader starts the
// pool to read an .mjs entry before its first line runs: this entry is CommonJS so that the
// assignment comes first.
if (process.argv[2] === "serve") process.env.UV_THREADPOOL_SIZE = "1";
import("../dist/hearth.mjs");
