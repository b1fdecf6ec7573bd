/**
 * The engine wants a libuv pool of one thread: node-llama-cpp runs each decode on whichever
 * pool thread is free, and with the default pool of four the decodes moved among all four and
 * a 2-thread decode on 2 cores took 36-44 ms per token against 26-28 ms. libuv sizes the pool
 * once, at its first use, which comes before an ES module's first line: only the environment
 * the process started with counts (bin/hearth.cjs sets it for `hearth serve`).
 */
export function libuvPoolIsOneThread(): boolean {
  return process.env.UV_THREADPOOL_SIZE === "1";
}

export const LIBUV_POOL_ADVICE = "UV_THREADPOOL_SIZE is not 1: decodes spread over a bigger libuv pool were 1.3-1.6x slower; set UV_THREADPOOL_SIZE=1 in its environment (bin/hearth.cjs does for `hearth serve`)";
