#!/usr/bin/env node
"use strict";
// The daemon's libuv pool must be one thread. node-llama-cpp runs each decode on a pool
// thread, and every pool thread that has decoded keeps its own team of ggml threads, which
// spin: with the default pool of four, a 2-thread decode on 2 cores took 36-44 ms per token
// against 26-28 ms with one. libuv reads the variable once, when the pool first starts, and
// the ES module loader starts the pool to read an .mjs entry before its first line runs:
// this entry is CommonJS so that the assignment comes first.
if (process.argv[2] === "serve") process.env.UV_THREADPOOL_SIZE = "1";
import("../dist/hearth.mjs");
