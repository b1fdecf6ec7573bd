/**
 * A keystroke costs a handful of tokens everywhere: Enter included (the held prompt layout),
 * with a prefill-budget cut in force, after the idle warm-up renews the layout, and when
 * switching between the files of a workspace (a KV cache per document). Real daemon
 * processes on the generated tiny model; every request is one an editor would send.
 */
import assert from "node:assert/strict";
import { cpSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { InlineCompletionList, RequestMetrics } from "../../daemon/src/protocol.js";
import { documentCacheKey } from "../../daemon/src/engine/sequence-pool.js";
import { startDaemon, tempHome, untilStatus, type RunningDaemon } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";
import { Editor, positionAt } from "../helpers/editor.js";

const MAX_KEYSTROKE_TOKENS = 32;

/** A TypeScript file of `lines` lines with a function body left open at `openAt`. */
function codeFile(lines: number, openAt: number): string {
  const out: string[] = [];
  for (let i = 0; out.length < lines; i++) {
    if (out.length === openAt) out.push("export function pending(input: number[]): number {", "  ", "}");
    out.push(`export const setting${i} = { name: "item-${i}", weight: ${(i * 37) % 101}, enabled: ${i % 3 === 0} };`);
  }
  return `${out.join("\n")}\n`;
}

/** Settings objects: text that shares nothing with codeFile's. */
function settingsFile(lines: number): string {
  return `${Array.from({ length: lines }, (_, i) => `  "option.${i}.label": "Label number ${i}", "option.${i}.order": ${i * 3},`).join("\n")}\n`;
}

/** Three statements typed two characters at a time, each on a new line: Enter + indent, then the text. */
const STATEMENTS = ["const total = input.length;", "let sum = 0;", "for (const value of input) sum += value;"];

function keystrokes(): string[] {
  const keys: string[] = [];
  STATEMENTS.forEach((statement, index) => {
    if (index > 0) keys.push("\n  ");
    for (let i = 0; i < statement.length; i += 2) keys.push(statement.slice(i, i + 2));
  });
  return keys;
}


function describeRequests(all: RequestMetrics[]): string {
  return all.map((m) => `${m.evaluatedTokens}/${m.promptTokens} ${m.promptLayout}`).join(", ");
}

/** The completion a daemon gives the same document laid out fresh: another workspace, nothing cached or held. */
async function freshCompletion(daemon: RunningDaemon, editor: Editor, maxTokens = 8): Promise<InlineCompletionList> {
  const client = await daemon.connect([{ uri: `file:///fresh/${Math.random().toString(36).slice(2)}`, name: "fresh" }]);
  try {
    const copy = await Editor.open(client, "file:///fresh/copy.ts", editor.text, editor.cursor);
    const result = await copy.complete(maxTokens);
    assert.equal(result.metrics.promptLayout, "fresh");
    return result;
  } finally {
    client.dispose();
  }
}

describe("a new line costs a handful of tokens", function () {
  this.timeout(180_000);
  let model: string;
  before(async () => {
    model = (await testModels()).target;
  });

  for (const budget of ["uncut", "cut"] as const) {
    it(`types three statements on three new lines, each request after the first at most ${MAX_KEYSTROKE_TOKENS} tokens (${budget} prompt)`, async () => {
      // --max-prefill-ms 1: every cold prompt is cut to the 512-token floor (the speed is calibrated at load).
      const daemon = await startDaemon({ model, args: ["--ctx", "4096", ...(budget === "cut" ? ["--max-prefill-ms", "1"] : ["--max-prefill-ms", "0"])] });
      try {
        const client = await daemon.connect([{ uri: "file:///typing", name: "typing" }]);
        const text = codeFile(120, 60);
        const cursor = text.indexOf("  \n}") + 2;
        const editor = await Editor.open(client, "file:///typing/pending.ts", text, cursor);
        const first = await editor.complete();
        if (budget === "cut") assert.ok(first.metrics.promptTokens <= 512, `cut to the budget: ${first.metrics.promptTokens}`);
        else assert.ok(first.metrics.promptTokens > 1500, `the whole window: ${first.metrics.promptTokens}`);
        const requests: RequestMetrics[] = [];
        const newLineRequests: RequestMetrics[] = [];
        for (const key of keystrokes()) {
          await editor.type(key);
          const result = await editor.complete();
          requests.push(result.metrics);
          if (key.startsWith("\n")) newLineRequests.push(result.metrics);
          // Same greedy text as a fresh layout of the same document, right after each Enter.
          if (key.startsWith("\n")) assert.equal(result.items[0]?.insertText ?? "", (await freshCompletion(daemon, editor)).items[0]?.insertText ?? "", `after Enter at ${editor.cursor}`);
        }
        assert.equal(newLineRequests.length, STATEMENTS.length - 1);
        const worst = Math.max(...requests.map((m) => m.evaluatedTokens));
        assert.ok(worst <= MAX_KEYSTROKE_TOKENS, `evaluated per request: ${describeRequests(requests)}`);
        assert.ok(requests.every((m) => m.promptLayout === "held"), describeRequests(requests));
        // The cut never moved: the head of the first prompt is still reused by the last request.
        const last = requests[requests.length - 1]!;
        assert.ok(last.reusedTokens >= first.metrics.promptTokens - MAX_KEYSTROKE_TOKENS, `${last.reusedTokens} of ${first.metrics.promptTokens} reused`);
        assert.equal((await editor.complete()).items[0]?.insertText ?? "", (await freshCompletion(daemon, editor)).items[0]?.insertText ?? "", "at the end");

        // A pause: the idle warm-up lays the prompt out anew (the typed lines move above the
        // suffix, which it evaluates again) and the next keystroke still costs a handful.
        const before = (await client.status()).idle;
        // More than a keystroke's worth: the suffix after the moved lines is evaluated again.
        await untilStatus(client, "the idle warm-up to lay the prompt out anew", (s) => s.idle.warmedTokens - before.warmedTokens > MAX_KEYSTROKE_TOKENS);
        await editor.type("\n  ");
        const afterPause = await editor.complete();
        assert.ok(afterPause.metrics.evaluatedTokens <= MAX_KEYSTROKE_TOKENS, `after the pause: ${describeRequests([afterPause.metrics])}`);
        assert.equal(afterPause.metrics.promptLayout, "held");
        assert.equal(afterPause.items[0]?.insertText ?? "", (await freshCompletion(daemon, editor)).items[0]?.insertText ?? "", "after the pause");
        client.dispose();
      } finally {
        await daemon.stop();
      }
    });
  }

  it("keeps the held layout across a restart: the first keystroke after it costs a handful too", async () => {
    const home = tempHome();
    const text = codeFile(120, 60);
    const typed = "const total = input.length;\n  let sum = 0;\n  ";
    let restarted: RunningDaemon | null = null;
    try {
      const daemon = await startDaemon({ model, home });
      const client = await daemon.connect([{ uri: "file:///restart", name: "restart" }]);
      const editor = await Editor.open(client, "file:///restart/a.ts", text, text.indexOf("  \n}") + 2);
      await editor.complete();
      await editor.type(typed);
      const held = await editor.complete();
      assert.equal(held.metrics.promptLayout, "held");
      client.dispose();
      await daemon.stop({ keepHome: true });

      restarted = await startDaemon({ model, home });
      const again = await restarted.connect([{ uri: "file:///restart", name: "restart" }]);
      const reopened = await Editor.open(again, "file:///restart/a.ts", editor.text, editor.cursor);
      await reopened.type("co");
      const first = await reopened.complete();
      assert.equal(first.metrics.promptLayout, "held", "the layout came back with the state");
      assert.ok(first.metrics.evaluatedTokens <= MAX_KEYSTROKE_TOKENS, `after the restart: ${describeRequests([first.metrics])}`);
      again.dispose();
    } finally {
      await restarted?.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("keeps the layout held across auto-closed brackets and quotes, typed into and typed over", async () => {
    const daemon = await startDaemon({ model });
    try {
      const client = await daemon.connect([{ uri: "file:///closers", name: "closers" }]);
      const text = codeFile(100, 50);
      const editor = await Editor.open(client, "file:///closers/a.ts", text, text.indexOf("  \n}") + 2);
      await editor.complete();
      const requests: RequestMetrics[] = [];
      for (const [opener, closer, inside] of [["(", ")", "input"], ["[", "]", "0"], ['"', '"', "key"]] as const) {
        await editor.type(`${opener}${closer}`); // the editor auto-closes: the cursor ends up between them
        editor.cursor -= closer.length;
        requests.push((await editor.complete()).metrics);
        await editor.type(inside);
        requests.push((await editor.complete()).metrics);
        editor.cursor += closer.length; // typed over: the editor only moves the cursor
        requests.push((await editor.complete()).metrics);
      }
      assert.ok(requests.every((m) => m.promptLayout === "held" && m.evaluatedTokens <= MAX_KEYSTROKE_TOKENS), describeRequests(requests));
      client.dispose();
    } finally {
      await daemon.stop();
    }
  });

  it("lays the prompt out anew at once for a cursor jump or an edit in the suffix", async () => {
    const daemon = await startDaemon({ model });
    try {
      const client = await daemon.connect([{ uri: "file:///jump", name: "jump" }]);
      const text = codeFile(80, 40);
      const editor = await Editor.open(client, "file:///jump/a.ts", text, text.indexOf("  \n}") + 2);
      await editor.complete();
      await editor.type("co");
      assert.equal((await editor.complete()).metrics.promptLayout, "held");
      editor.cursor = editor.text.indexOf("setting10") + 3;
      const jumped = await editor.complete();
      assert.equal(jumped.metrics.promptLayout, "fresh", "a cursor jump");
      await editor.type("x");
      assert.equal((await editor.complete()).metrics.promptLayout, "held");
      // An edit below the cursor, inside the suffix the prompt holds.
      const below = editor.text.indexOf("setting20");
      const position = positionAt(editor.text, below);
      editor.text = editor.text.slice(0, below) + "Z" + editor.text.slice(below);
      editor.version++;
      await client.change({ textDocument: { uri: editor.uri, version: editor.version }, contentChanges: [{ range: { start: position, end: position }, text: "Z" }] });
      assert.equal((await editor.complete()).metrics.promptLayout, "fresh", "an edit in the suffix");
      client.dispose();
    } finally {
      await daemon.stop();
    }
  });
});

describe("switching between files keeps each file's cache", function () {
  this.timeout(180_000);
  let model: string;
  before(async () => {
    model = (await testModels()).target;
  });

  for (const memory of ["live", "budget"] as const) {
    it(`alternates keystrokes between two unrelated files: after each file's first request at most ${MAX_KEYSTROKE_TOKENS} tokens (${memory === "live" ? "two live caches" : "a memory budget for one: states swap through disk"})`, async () => {
      // The tiny model's KV is 4 MiB per sequence at 4096 tokens: 10 MiB holds one document's cache plus explanations.
      const daemon = await startDaemon({ model, args: memory === "live" ? ["--workspaces", "3"] : ["--workspaces", "3", "--memory-budget-mb", "10"] });
      try {
        const client = await daemon.connect([{ uri: "file:///switch", name: "switch" }]);
        const code = codeFile(100, 50);
        const settings = settingsFile(100);
        const a = await Editor.open(client, "file:///switch/a.ts", code, code.indexOf("  \n}") + 2);
        const b = await Editor.open(client, "file:///switch/settings.ts", settings, settings.indexOf('"option.50') );
        const firstA = await a.complete();
        const firstB = await b.complete();
        assert.ok(firstA.metrics.evaluatedTokens > 500 && firstB.metrics.evaluatedTokens > 500, "each file's first request evaluates its prompt");
        const after: RequestMetrics[] = [];
        for (let round = 0; round < 4; round++) {
          for (const editor of [a, b]) {
            for (const key of ["co", "ns"]) {
              await editor.type(key);
              after.push((await editor.complete()).metrics);
            }
          }
        }
        assert.ok(after.every((m) => m.evaluatedTokens <= MAX_KEYSTROKE_TOKENS), describeRequests(after));
        const status = await client.status();
        if (memory === "live") {
          assert.equal(status.workspaces.find((w) => w.folders.includes("file:///switch"))?.liveDocuments, 2);
          assert.equal(status.kvCache?.loads, 0, "both stayed live");
        } else {
          assert.ok(status.memory.kvBytes <= 10 * 1024 * 1024, `KV ${status.memory.kvBytes} bytes within the budget`);
          assert.ok((status.kvCache?.loads ?? 0) >= 7, `each switch loaded the other file's state: ${JSON.stringify(status.kvCache)}`);
        }
        client.dispose();
      } finally {
        await daemon.stop();
      }
    });
  }

  it("never loads a state into another document or another context size", async () => {
    const home = tempHome();
    const daemons: RunningDaemon[] = [];
    const start = async (args: string[] = []): Promise<RunningDaemon> => {
      const daemon = await startDaemon({ model, home, args });
      daemons.push(daemon);
      return daemon;
    };
    try {
      const text = codeFile(60, 30);
      const cursor = text.indexOf("  \n}") + 2;
      const first = await start();
      const client = await first.connect([{ uri: "file:///own", name: "own" }]);
      const saved = await (await Editor.open(client, "file:///own/a.ts", text, cursor)).complete();
      client.dispose();
      await first.stop({ keepHome: true });

      // Put a.ts's saved state under the file names of b.ts, a document with the same text.
      const dirs = readdirSync(path.join(home, "kv"));
      assert.equal(dirs.length, 1);
      const dir = path.join(home, "kv", dirs[0]!);
      const [stateFile] = readdirSync(dir).filter((f) => f.endsWith(".state"));
      assert.ok(stateFile, "a.ts's state was saved at stop");
      const bKey = documentCacheKey(saved.metrics.workspaceId, "file:///own/b.ts");
      cpSync(path.join(dir, stateFile), path.join(dir, `${bKey}.state`));
      cpSync(path.join(dir, stateFile.replace(/\.state$/, ".json")), path.join(dir, `${bKey}.json`));

      const third = await start();
      const again = await third.connect([{ uri: "file:///own", name: "own" }]);
      const b = await (await Editor.open(again, "file:///own/b.ts", text, cursor)).complete();
      assert.ok(b.metrics.evaluatedTokens > 100, `b.ts did not get a.ts's state: ${b.metrics.evaluatedTokens}`);
      let status = await again.status();
      assert.equal(status.kvCache?.loads, 0);
      assert.equal(status.kvCache?.discarded, 1);
      assert.match(third.stderr(), /discarded saved KV state .*sidecar names/);
      const a = await (await Editor.open(again, "file:///own/a.ts", text, cursor)).complete();
      assert.ok(a.metrics.evaluatedTokens <= 2, `a.ts's own state loads: ${a.metrics.evaluatedTokens}`);
      assert.equal(a.items[0]?.insertText, saved.items[0]?.insertText);
      again.dispose();
      await third.stop({ keepHome: true });

      // Another context size is another fingerprint: nothing of the 4096-token states is loaded.
      const smaller = await start(["--ctx", "2048"]);
      const other = await smaller.connect([{ uri: "file:///own", name: "own" }]);
      const cold = await (await Editor.open(other, "file:///own/a.ts", text, cursor)).complete();
      assert.ok(cold.metrics.evaluatedTokens > 100, `evaluated ${cold.metrics.evaluatedTokens}`);
      status = await other.status();
      assert.equal(status.kvCache?.loads, 0);
      assert.notEqual(status.kvCache?.fingerprint, dirs[0]);
      other.dispose();
    } finally {
      for (const daemon of daemons) await daemon.stop({ keepHome: true });
      rmSync(home, { recursive: true, force: true });
    }
  });
});
