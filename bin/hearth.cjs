#!/usr/bin/env node
"use strict";
// The daemon's libuv pool must be one thread. node-llama-cpp runs each decode on whichever
// pool thread is free, and each decode starts its ggml threads from there: with the default
// pool of four the decodes moved among all four (their CPU time shows it), and a 2-thread
// decode on 2 cores took 36-44 ms per token against 26-28 ms with a pool of one. libuv
// reads the variable once, when the pool first starts, and
// the ES module loader starts the pool to read an .mjs entry before its first line runs:
// this entry is CommonJS so that the assignment comes first.
if (process.argv[2] === "serve") process.env.UV_THREADPOOL_SIZE = "1";
import("../dist/hearth.mjs");
