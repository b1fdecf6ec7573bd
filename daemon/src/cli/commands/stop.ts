import { once } from "node:events";
import { openSocket } from "../../client/connect.js";
import { HearthClient } from "../../client/hearth-client.js";
import { isProcessAlive, readDiscovery } from "../../discovery.js";
import { parseArgs, UsageError } from "../../args.js";
import { homeFrom } from "../common.js";

export const stopHelp = `Usage: hearth stop [--home DIR]

Stops the daemon of this home (it saves its state first). Does nothing when none runs.
`;

export async function stop(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: ["help"], value: ["home"] });
  if (args.flags.has("help")) {
    process.stdout.write(stopHelp);
    return 0;
  }
  if (args.positional.length > 0) throw new UsageError("stop takes no arguments");
  const home = homeFrom(args);
  const info = readDiscovery(home);
  if (info === null || !isProcessAlive(info.pid)) {
    process.stderr.write(`hearth: no daemon runs for ${home}\n`);
    return 0;
  }
  const client = new HearthClient(await openSocket(info));
  const closed = once(client.socket, "close");
  await client.stopDaemon();
  // The daemon closes every socket as its last act before exiting.
  await closed;
  client.dispose();
  // The socket closes before the model is freed; report success once the process is gone.
  const deadline = Date.now() + 15_000;
  while (isProcessAlive(info.pid)) {
    if (Date.now() > deadline) throw new Error(`daemon pid ${info.pid} is still running 15 s after it was asked to stop`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  process.stderr.write(`hearth: stopped daemon pid ${info.pid}\n`);
  return 0;
}
