/** A daemon home where no file can live is refused before anything touches it. */
import assert from "node:assert/strict";
import { homeProblem } from "../../extension/src/daemon-launcher.js";

describe("homeProblem", () => {
  it("refuses a home under /proc, /sys or /dev, saying which setting and what to do", () => {
    for (const home of ["/proc/self/hearth", "/proc", "/sys/kernel/x", "/dev/shm/../null/h"]) {
      assert.match(homeProblem(home) ?? "", /hearth\.daemon\.home .* kernel file system .* folder on disk/, home);
    }
  });

  it("accepts a home on disk, including names that only start like those folders", () => {
    for (const home of ["/home/u/.cache/hearth", "/tmp/h", "/process/h", "/devices", "/dev/shm/hearth"]) assert.equal(homeProblem(home), null, home);
  });
});
