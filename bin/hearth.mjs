#!/usr/bin/env node
// The daemon's libuv pool must be one thread (a bigger pool doubled per-token time here),
// and libuv reads the variable once, when the pool first starts: set it before anything runs.
if (process.argv[2] === "serve") process.env.UV_THREADPOOL_SIZE = "1";
await import("../dist/hearth.mjs");
