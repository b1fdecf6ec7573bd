/**
 * Root hook for the whole suite (loaded first): when a test fails, print the extension's
 * recent log lines, which otherwise live only in the "Hearth" output channel, so the
 * runner's log shows what the extension saw.
 */
import * as vscode from "vscode";
import type { HearthApi } from "../../../extension/src/api.js";
import { EXTENSION_ID } from "./helpers.js";

afterEach(function () {
  if (this.currentTest?.state !== "failed") return;
  const api = vscode.extensions.getExtension<HearthApi>(EXTENSION_ID)?.exports;
  const lines = api?.recentLog() ?? ["(the extension is not active)"];
  // The runner reads the extension host's console; a test report is the one place it is the right channel.
  console.log(`--- Hearth log at the failure of "${this.currentTest.fullTitle()}" ---\n${lines.slice(-80).join("\n")}\n--- end of Hearth log ---`);
});
