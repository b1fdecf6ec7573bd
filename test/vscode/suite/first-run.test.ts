/**
 * What a new user meets when the model or the server is wrong from the start: the daemon
 * fails before the extension connects, so the failure is learnt from its status at connect.
 * One notice in VS Code's words with the actions that fix it, the same in the output
 * channel, and nothing left once fixed. Each case runs on a daemon of its own home.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import * as vscode from "vscode";
import { formatSize } from "../../../extension/src/problems.js";
import type { SwitchOutcome } from "../../../extension/src/precision/switch-precision.js";
import { closedPort, startModelServer, type ModelServer } from "../../helpers/model-server.js";
import { closeAllEditors, connected, endOf, hearth, onTemporaryDaemon, openFile, screenshot, setCursor, suggestionAtCursor, waitUntil } from "./helpers.js";

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

  it("with nothing configured: one notification with this machine, the recommended model's size and four choices; Download with the hub unreachable says so with the same four; with the hub up, a progress notification to 100% and the model serves", async () => {
    const api = await hearth();
    const main = await connected(api);
    // The suite's daemon generated this model: the hub serves its bytes.
    const generated = path.join(api.daemonHome, "models", "generated");
    const file = readdirSync(generated).find((name) => name.startsWith("hearth-tiny-target-Q8_0-") && name.endsWith(".gguf"));
    assert.ok(file, `a generated model in ${generated}`);
    const model = readFileSync(path.join(generated, file));
    // The size as the extension writes it (the suite also generates F16 and Q4_0 variants: the Q8_0 one is served).
    const size = formatSize(model.length).replace(/\./g, "\\.");
    const port = await closedPort();
    const scratch = mkdtempSync(path.join(os.tmpdir(), "hearth-first-run-catalog-"));
    const catalogFile = path.join(scratch, "catalog.json");
    writeFileSync(catalogFile, JSON.stringify(teamCatalog(model)));
    // Nothing configured (not even the suite's HEARTH_MODEL), and a hub that does not answer yet.
    const restoreEnvironment = withEnvironment({ HEARTH_MODEL: undefined, HF_ENDPOINT: `http://127.0.0.1:${port}/`, HEARTH_CATALOG: catalogFile });
    const firstNotice = api.notices().length;
    const firstAction = ["Download", "Choose…", "Local File…", "Server…"];
    let server: ModelServer | null = null;
    try {
      await onTemporaryDaemon(api, "first-run-consent", {}, { linkModels: false }, async (home) => {
        const offer = await waitUntil("the first-run notification", () => api.notices().slice(firstNotice).find((n) => n.message.startsWith("Hearth needs a code model and asks before downloading one")), [api.onDidShowNotice], 90_000);
        assert.equal(offer.severity, "info");
        assert.deepEqual(offer.actions, firstAction);
        assert.match(offer.message, new RegExp(`This machine: \\d+ GB RAM, ${os.cpus().length} CPU cores?, (no GPU|.+ VRAM)\\.`), "the machine as the daemon measured it");
        assert.match(offer.message, new RegExp(`Recommended here \\(Test tier\\): First-run coder \\(generated\\) for completions \\(${size}\\)\\. Download fetches ${size}`));
        await waitUntil("the status bar to say no model yet", () => (api.statusBar().text === "$(cloud-download) Hearth: no model yet" ? true : undefined), [api.onDidRenderStatusBar]);
        assert.notEqual(api.statusBar().severity, "error", "a choice to make, not a red status bar");
        assert.ok(!existsSync(path.join(home, "models", "pulled")), "nothing was downloaded unasked");
        await screenshot("first-run-offer");

        // Download, with the hub unreachable: the recommended model is set, the daemon restarts
        // on it, and a notification says the hub can't be reached, with the same four choices.
        const firstDownload = api.downloads().length;
        const asked = api.notices().length;
        assert.equal(await vscode.commands.executeCommand<string>("hearth.downloadModel"), "restarted");
        const offline = await waitUntil("the unreachable hub's notification", () => api.notices().slice(asked).find((n) => n.message.startsWith("Hearth cannot reach the model hub")), [api.onDidShowNotice], 90_000);
        assert.equal(offline.severity, "error");
        assert.deepEqual(offline.actions, firstAction);
        assert.match(offline.message, new RegExp(`First-run coder \\(generated\\) \\(${size}\\): http://127\\.0\\.0\\.1:${port} did not answer \\(connect ECONNREFUSED`));
        assert.equal(vscode.workspace.getConfiguration("hearth").get("model.path"), "first-run-coder");
        assert.deepEqual(api.downloads().slice(firstDownload).map((d) => d.outcome), ["failed"], "the consent remembered started it, and it ended failed");

        // The hub answers now: Download fetches with a progress notification up to 100%, and the model serves.
        server = await startModelServer(port);
        server.serve("org", "first-run-GGUF", "coder-q8_0.gguf", model);
        const before = api.downloads().length;
        assert.equal(await vscode.commands.executeCommand<string>("hearth.downloadModel"), "downloaded");
        const record = api.downloads().slice(before)[0];
        assert.ok(record, "a progress notification");
        assert.equal(record.outcome, "done");
        assert.equal(record.title, "First-run coder (generated)");
        assert.deepEqual(record.reports.at(-1), { percent: 100, message: `100% · ${formatSize(model.length)} of ${formatSize(model.length)}` });
        assert.ok(record.reports.every((r, i) => i === 0 || (r.percent ?? 0) >= (record.reports[i - 1]?.percent ?? 0)), JSON.stringify(record.reports));
        await waitUntil("the model to be ready and the problem gone", () => (api.daemonStatus()?.modelState.state === "ready" && api.activeProblem() === null ? true : undefined), [api.onDidRenderStatusBar], 90_000);
        assert.equal(api.daemonStatus()?.model.source, "first-run-coder");
        const editor = await openFile("first-run.py", "def add(a, b):\n    return ", "python");
        setCursor(editor, endOf(editor));
        const suggestion = await suggestionAtCursor(api);
        assert.ok(suggestion.length > 0, "the downloaded model completes");
        await closeAllEditors();
      });
    } finally {
      restoreEnvironment();
      await (server as ModelServer | null)?.close();
      rmSync(scratch, { recursive: true, force: true });
      await vscode.workspace.getConfiguration("hearth").update("model.path", undefined, vscode.ConfigurationTarget.Global);
    }
    await connected(api, 60_000, (state) => state.info.pid === main.info.pid);
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

/** A team catalog naming a generated model for every kind of machine, so the recommendation does not depend on where the test runs. */
function teamCatalog(model: Buffer): object {
  const tier = (id: string, when: object) => ({ id, title: "Test tier", when, models: { completion: "first-run-coder" } });
  return {
    models: [
      {
        name: "first-run-coder",
        title: "First-run coder (generated)",
        roles: ["completion"],
        uri: "hf:org/first-run-GGUF/coder-q8_0.gguf",
        quantization: "Q8_0",
        parameters: "1M",
        sizeBytes: model.length,
        sizeExact: true,
        sha256: createHash("sha256").update(model).digest("hex"),
        contextLength: 4096,
        format: "fim-qwen",
        shape: { layers: 4, kvHeads: 2, headDim: 32 },
        licence: "Apache-2.0",
        source: "generated for this test",
      },
    ],
    tiers: [tier("test-apple", { device: "apple" }), tier("test-gpu", { device: "gpu" }), tier("test-cpu", { device: "cpu" })],
  };
}

/**
 * Sets variables of the extension host's environment, which the daemon this window starts
 * next inherits; returns what puts them back. Only tests do this: a user's hub mirror comes
 * from the environment VS Code starts with.
 */
function withEnvironment(values: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  const apply = (entries: Record<string, string | undefined>): void => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(values);
  return () => apply(saved);
}

function workspaceTemp(): string {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "/tmp";
}
