/**
 * The `hearth` CLI end to end: real processes, a real daemon started detached by the CLI
 * itself, the exit codes (0 ok, 1 error, 2 usage).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { discoveryPath, isProcessAlive, readDiscovery } from "../../daemon/src/discovery.js";
import type { StatusResult } from "../../daemon/src/protocol.js";
import { runCli, tempHome } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";

describe("hearth CLI", function () {
  this.timeout(120_000);
  let home: string;
  let work: string;
  let file: string;
  let model: string;

  before(async () => {
    model = (await testModels()).target;
    home = tempHome("hearth-cli-");
    work = mkdtempSync(path.join(os.tmpdir(), "hearth-cli-work-"));
    file = path.join(work, "sum.ts");
    writeFileSync(file, "export function sum(values: number[]): number {\n  let total = 0;\n  for (const v of values) {\n    \n  }\n  return total;\n}\n");
  });
  after(async () => {
    await runCli(["stop", "--home", home]);
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it("prints usage and exits 2 for no command, an unknown command or a bad option", async () => {
    assert.equal((await runCli([])).code, 2);
    const unknown = await runCli(["frobnicate"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const badOption = await runCli(["complete", "x.ts:1:1", "--bogus"]);
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /unknown option --bogus/);
    assert.equal((await runCli(["complete", "x.ts:0:1"])).code, 2);
  });

  it("has --help on every command", async () => {
    for (const command of ["serve", "complete", "explain", "status", "stop"]) {
      const help = await runCli([command, "--help"]);
      assert.equal(help.code, 0, command);
      assert.match(help.stdout, new RegExp(`Usage: hearth ${command}`));
    }
  });

  it("fails with one line and exit 1 when --no-spawn finds no daemon", async () => {
    const result = await runCli(["status", "--home", home, "--no-spawn"]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split("\n").length, 1);
    assert.match(result.stderr, /no Hearth daemon runs/);
  });

  it("starts a detached daemon on first use and completes FILE:LINE:COL", async () => {
    const result = await runCli(["complete", `${file}:4:5`, "--home", home, "--model", model, "--threads", "1", "--max-tokens", "12", "--json", "--workspace", work]);
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout) as { completion: string; metrics: { promptTokens: number; generatedTokens: number } };
    assert.ok(output.metrics.promptTokens > 0);
    assert.ok(output.metrics.generatedTokens > 0);
    const info = readDiscovery(home);
    assert.ok(info && isProcessAlive(info.pid), "the daemon outlives the CLI");
  });

  it("streams a completion and its metrics in human form", async () => {
    const result = await runCli(["complete", `${file}:4:5`, "--home", home, "--no-spawn", "--max-tokens", "8"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /completion #\d+: prompt \d+ tokens \(reused \d+, evaluated \d+\)/);
  });

  it("explains a line range as streamed markdown", async () => {
    const result = await runCli(["explain", `${file}:1-7`, "--home", home, "--no-spawn", "--max-tokens", "16", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout) as { markdown: string; metrics: { kind: string; generatedTokens: number } };
    assert.equal(output.metrics.kind, "explain");
    assert.ok(output.metrics.generatedTokens > 0);
  });

  it("reports device, memory and the last requests in status --json", async () => {
    const result = await runCli(["status", "--home", home, "--no-spawn", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as StatusResult;
    assert.equal(status.device.kind, "cpu");
    assert.ok(status.device.threads >= 1);
    assert.equal(status.modelState.state, "ready");
    assert.ok(status.memory.modelBytes > 0);
    assert.ok(status.memory.kvBytes > 0);
    assert.ok(status.memory.ramTotalBytes > status.memory.ramFreeBytes);
    const kinds = status.recentRequests.map((r) => r.kind);
    assert.ok(kinds.includes("completion") && kinds.includes("explain"));
    for (const r of status.recentRequests) {
      for (const key of ["promptTokens", "reusedTokens", "evaluatedTokens", "generatedTokens", "queueMs", "prefillMs", "totalMs"] as const) {
        assert.equal(typeof r[key], "number", key);
      }
      assert.ok(r.stopReason.length > 0);
    }
  });

  it("fails with exit 1 and a reason for a missing file", async () => {
    const result = await runCli(["complete", path.join(work, "missing.ts:1:1"), "--home", home, "--no-spawn"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /ENOENT|no such file/);
  });

  it("stops the daemon, which removes its discovery file", async () => {
    const info = readDiscovery(home);
    assert.ok(info);
    const result = await runCli(["stop", "--home", home]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(existsSync(discoveryPath(home)), false);
    assert.equal(isProcessAlive(info.pid), false);
  });
});
