/**
 * Switch Precision: the quick pick lists the daemon's variants; switching the weights and
 * the KV cache type changes the memory figure in the status bar.
 */
import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { SwitchOutcome } from "../../../extension/src/precision/switch-precision.js";
import { copyFileSync, existsSync } from "node:fs";
import path from "node:path";
import { connected, hearth, modelReady, nextEvent, onTemporaryDaemon, screenshot, workspaceFolder } from "./helpers.js";

const memoryFigure = (text: string): string | undefined => /(\d+(\.\d+)? (B|KB|MB|GB) V?RAM)/.exec(text)?.[1];

describe("Switch Precision", function () {
  this.timeout(180_000);

  it("switches weights and KV cache type, and the status bar's memory figure follows", async () => {
    const api = await hearth();
    const state = await connected(api);
    await modelReady(api);
    assert.ok(state.methods.has("hearth/precision/list") && state.methods.has("hearth/precision/set"), "the daemon advertises the precision methods");

    // The picker, closed without choosing: nothing changes.
    const menu = vscode.commands.executeCommand<SwitchOutcome>("hearth.switchPrecision");
    await screenshot("switch-precision");
    await vscode.commands.executeCommand("workbench.action.closeQuickOpen");
    assert.deepEqual(await menu, { status: "cancelled" });

    const status = await api.refreshDaemonStatus();
    assert.ok(status);
    const original = { variant: status.model.variant, kvCacheType: status.model.kvCacheType };
    const before = memoryFigure(api.statusBar().text);
    assert.ok(before, api.statusBar().text);
    const target = { variant: original.variant === "Q4_0" ? "Q8_0" : "Q4_0", kvCacheType: original.kvCacheType === "q8_0" ? "f16" : "q8_0" };
    const changed = nextEvent("the status bar's memory figure to change", api.onDidRenderStatusBar, (v) => memoryFigure(v.text) !== undefined && memoryFigure(v.text) !== before, 120_000);
    const outcome = await vscode.commands.executeCommand<SwitchOutcome>("hearth.switchPrecision", target);
    assert.equal(outcome.status, "switched", JSON.stringify(outcome));
    await changed;
    assert.deepEqual({ variant: api.daemonStatus()?.model.variant, kvCacheType: api.daemonStatus()?.model.kvCacheType }, target);

    // Back to where the suite started, for the tests after this one.
    const back = await vscode.commands.executeCommand<SwitchOutcome>("hearth.switchPrecision", original);
    assert.equal(back.status, "switched", JSON.stringify(back));
  });

  it("refuses an unknown variant with the daemon's reason and keeps the model loaded", async () => {
    const api = await hearth();
    const before = (await api.refreshDaemonStatus())?.model.variant;
    const outcome = await vscode.commands.executeCommand<SwitchOutcome>("hearth.switchPrecision", { variant: "Q3_NOPE" });
    assert.equal(outcome.status, "failed");
    assert.ok(outcome.status === "failed" && outcome.message.includes("Q3_NOPE"), JSON.stringify(outcome));
    assert.equal((await api.refreshDaemonStatus())?.model.variant, before);
    assert.equal(api.daemonStatus()?.modelState.state, "ready");
  });

  it("derives a variant locally from an F16 file with the installed extension's quantizer, and switches to it", async function () {
    this.timeout(300_000);
    const api = await hearth();
    const main = await connected(api);
    await modelReady(api);
    // The generated model at F16, as a plain file: the kind a variant is derived from.
    const original = (await api.refreshDaemonStatus())?.model;
    assert.ok(original);
    const f16 = await vscode.commands.executeCommand<SwitchOutcome>("hearth.switchPrecision", { variant: "F16" });
    assert.equal(f16.status, "switched", JSON.stringify(f16));
    const f16Path = (await api.refreshDaemonStatus())?.model.path;
    assert.ok(f16Path && existsSync(f16Path), `the F16 file: ${f16Path}`);
    const file = path.join(workspaceFolder().uri.fsPath, "derive-source-F16.gguf");
    copyFileSync(f16Path, file);
    const back = await vscode.commands.executeCommand<SwitchOutcome>("hearth.switchPrecision", { variant: original.variant, kvCacheType: original.kvCacheType });
    assert.equal(back.status, "switched", JSON.stringify(back));

    await onTemporaryDaemon(api, "derive", { "model.path": file }, { linkModels: false }, async (home) => {
      await connected(api, 120_000, (state) => state.info.pid !== main.info.pid);
      await modelReady(api, 120_000);
      assert.equal(api.daemonStatus()?.model.path, file);
      const outcome = await vscode.commands.executeCommand<SwitchOutcome>("hearth.switchPrecision", { variant: "Q4_0" });
      assert.equal(outcome.status, "switched", JSON.stringify(outcome));
      const status = await api.refreshDaemonStatus();
      assert.equal(status?.model.variant, "Q4_0");
      assert.ok(status?.model.path?.startsWith(path.join(home, "models", "derived")), `derived into the home: ${status?.model.path}`);
      assert.equal(status?.modelState.state, "ready");
    });
    await connected(api, 60_000, (state) => state.info.pid === main.info.pid);
  });
});
