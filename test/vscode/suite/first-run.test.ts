/**
 * What a new user meets when the model or the server is wrong from the start: the daemon
 * fails before the extension connects, so the failure is learnt from its status at connect.
 * One notice in VS Code's words with the actions that fix it, the same in the output
 * channel, and nothing left once fixed. Each case runs on a daemon of its own home.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import * as vscode from "vscode";
import type { SwitchOutcome } from "../../../extension/src/precision/switch-precision.js";
import { connected, hearth, onTemporaryDaemon, screenshot, waitUntil } from "./helpers.js";

describe("first run", function () {
  this.timeout(180_000);

  it("a missing model file raises one notice that says file not found, with the setting and a file picker, and clears when fixed", async () => {
    const api = await hearth();
    const main = await connected(api);
    const missing = path.join(workspaceTemp(), "no-such-model-Q8_0.gguf");
    await onTemporaryDaemon(api, "missing-model", { "model.path": missing }, { linkModels: true }, async () => {
      const notice = await waitUntil(
        "the notice for the missing model file",
        () => api.notices().find((n) => n.severity === "error" && n.message.includes(missing)),
        [api.onDidShowNotice],
        90_000,
      );
      assert.match(notice.message, /^Hearth: model file not found \(.*\)\. Check hearth\.model\.path, or choose a \.gguf file\.$/);
      assert.ok(!/download|network|--model|`/.test(notice.message), notice.message);
      assert.deepEqual(notice.actions, ["Choose Model File…", "Open Settings"]);
      assert.ok(api.recentLog().some((line) => line.includes("[error]") && line.includes("model file not found")), "the output channel says it too");
      await waitUntil("the status bar to say the model was not found", () => (api.statusBar().text === "$(error) Hearth: model not found" ? true : undefined), [api.onDidRenderStatusBar]);
      await screenshot("first-run-missing-model");
      // Another look at the same failure (a poll, a reconnect) raises nothing new.
      await api.refreshDaemonStatus();
      assert.equal(api.notices().filter((n) => n.message === notice.message).length, 1);
      // Restart Daemon with the same mistake says so again, not nothing.
      assert.equal(await vscode.commands.executeCommand<boolean>("hearth.restartDaemon"), true);
      await waitUntil("the notice again from the restarted daemon", () => (api.notices().filter((n) => n.message === notice.message).length === 2 ? true : undefined), [api.onDidShowNotice], 90_000);

      // Fixed: no model path (the default model). The failed daemon served nothing, so the
      // change restarts it at once, without asking.
      const failedPid = (api.connection() as { info?: { pid: number } }).info?.pid;
      const noticesBefore = api.notices().length;
      await vscode.workspace.getConfiguration("hearth").update("model.path", undefined, vscode.ConfigurationTarget.Global);
      await connected(api, 120_000, (state) => state.info.pid !== failedPid);
      assert.deepEqual(api.notices().slice(noticesBefore).filter((n) => n.message.includes("takes effect")), [], "no offer to restart: it restarted");
      await waitUntil("the problem to clear", () => (api.activeProblem() === null && api.daemonStatus()?.modelState.state === "ready" ? true : undefined), [api.onDidRenderStatusBar], 120_000);
      assert.ok(api.recentLog().some((line) => line.includes("fixed: Hearth: model file not found")));
    });
    const back = await connected(api, 60_000, (state) => state.info.pid === main.info.pid);
    assert.equal(back.info.pid, main.info.pid);
  });

  it("a server that refuses the key shows unauthorized, with Set Remote API Key; a leftover model path raises no mismatch; no precision switch", async () => {
    const api = await hearth();
    const main = await connected(api);
    let asked = 0;
    // A real server on 127.0.0.1 that refuses every request as a server with a key would.
    const server = http.createServer((request, response) => {
      asked++;
      request.resume();
      response.writeHead(401, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { code: 401, message: "Invalid API Key", type: "authentication_error" } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const firstNotice = api.notices().length;
    try {
      await onTemporaryDaemon(api, "remote-401", { backend: `llama-server=${url}`, "model.path": path.join(workspaceTemp(), "old-local-Q8_0.gguf") }, { linkModels: false }, async () => {
        const notice = await waitUntil(
          "the unauthorized notice",
          () => api.notices().slice(firstNotice).find((n) => n.severity === "error" && /refused the API key/.test(n.message)),
          [api.onDidShowNotice],
          90_000,
        );
        assert.ok(notice.actions.includes("Set Remote API Key"), JSON.stringify(notice));
        assert.match(notice.message, /HTTP 401/);
        assert.ok(!/unreachable|--api-key|`/.test(notice.message), notice.message);
        await waitUntil("the status bar to say unauthorized", () => (api.statusBar().text === "$(error) Hearth: unauthorized" ? true : undefined), [api.onDidRenderStatusBar]);
        assert.ok(asked > 0, "the daemon asked the server");
        await screenshot("remote-unauthorized");
        await api.refreshDaemonStatus();
        const mismatch = api.notices().slice(firstNotice).filter((n) => n.severity === "warning" && n.message.includes("hearth.model.path"));
        assert.deepEqual(mismatch, [], "no model mismatch for a server backend");
        const outcome = await vscode.commands.executeCommand<SwitchOutcome>("hearth.switchPrecision");
        assert.equal(outcome.status, "unsupported", JSON.stringify(outcome));
      });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await connected(api, 60_000, (state) => state.info.pid === main.info.pid);
  });
});

function workspaceTemp(): string {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "/tmp";
}
