/**
 * Switch Precision: the quick pick lists the daemon's variants; switching the weights and
 * the KV cache type changes the memory figure in the status bar.
 */
import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { SwitchOutcome } from "../../../extension/src/precision/switch-precision.js";
import { connected, hearth, modelReady, nextEvent, screenshot } from "./helpers.js";

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
});
