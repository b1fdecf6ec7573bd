/**
 * The options table (daemon/src/options.ts) against what else states the options:
 * package.json's `contributes.configuration`, docs/settings.md, `hearth serve --help`,
 * and the engine's own defaults. `UPDATE_GOLDEN=1` rewrites the docs' tables.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { helpHasOption } from "../../../daemon/src/bench/bench-daemon.js";
import { DEFAULT_MAX_PREFILL_MS as ENGINE_MAX_PREFILL_MS, type GpuChoice as EngineGpuChoice } from "../../../daemon/src/engine/engine.js";
import { DEFAULT_KV_DISK_BYTES } from "../../../daemon/src/engine/kv-store.js";
import { checkDaemonOptions, DEFAULT_MAX_PREFILL_MS, extensionSettings, serveOptions, serveOptionsHelp, settingsWithFlags, type CheckedDaemonOptions, type ExtensionSetting, type GpuChoice, type ServeOption } from "../../../daemon/src/options.js";
import { SETTINGS_DOC_END, SETTINGS_DOC_START, settingsTables } from "../../../daemon/src/options-doc.js";
import { packageRoot } from "../../../daemon/src/version.js";
import { runCli, tempHome } from "../../helpers/daemon-process.js";

interface SchemaProperty {
  type?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: readonly string[];
}

const schema = (JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { contributes: { configuration: { properties: Record<string, SchemaProperty> } } }).contributes.configuration.properties;
const flagOptions = Object.values(serveOptions) as readonly ServeOption[];
const extensionOnly = Object.values(extensionSettings) as readonly ExtensionSetting[];
const docFile = path.join(packageRoot(), "docs", "settings.md");

/** Compile-time: the engine's GPU type and the table's are the same list. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const gpuListsAgree: Same<EngineGpuChoice, GpuChoice> = true;

describe("options table", () => {
  it("has every hearth.* setting of package.json, as a flag's setting or an extension-only one", () => {
    const known = new Set([...settingsWithFlags(), ...extensionOnly.map((s) => s.setting)]);
    const missing = Object.keys(schema).filter((name) => !known.has(name));
    assert.deepEqual(missing, [], "settings in package.json that the table lacks");
    const extra = [...known].filter((name) => schema[name] === undefined);
    assert.deepEqual(extra, [], "settings in the table that package.json lacks");
    const both = settingsWithFlags().filter((name) => extensionOnly.some((s) => s.setting === name));
    assert.deepEqual(both, [], "a setting is either a flag's or the extension's alone");
  });

  it("agrees with package.json on each flag's setting: type, default and bounds", () => {
    for (const option of flagOptions) {
      if (option.setting === undefined) continue;
      const property = schema[option.setting];
      assert.ok(property, option.setting);
      if (option.kind === "integer") {
        assert.equal(property.type, "integer", option.setting);
        assert.equal(property.default, option.default, `${option.setting} default`);
        assert.equal(property.minimum, option.min, `${option.setting} minimum`);
        assert.equal(property.maximum, option.max, `${option.setting} maximum`);
      } else if (option.kind === "choice") {
        assert.equal(property.type, "string", option.setting);
        assert.equal(property.default, option.default, `${option.setting} default`);
        assert.deepEqual(property.enum, [...option.choices], `${option.setting} enum`);
      } else if (option.kind === "switch") {
        assert.equal(property.type, "boolean", option.setting);
        assert.equal(property.default, false, `${option.setting} default`);
      } else {
        assert.equal(property.type, "string", option.setting);
        assert.equal(property.default, option.settingDefault ?? option.default, `${option.setting} default`);
      }
    }
  });

  it("agrees with package.json on each extension-only setting: default and bounds", () => {
    for (const setting of extensionOnly) {
      const property = schema[setting.setting];
      assert.ok(property, setting.setting);
      assert.deepEqual(property.default, setting.default, `${setting.setting} default`);
      assert.equal(property.minimum, setting.min, `${setting.setting} minimum`);
      assert.equal(property.maximum, setting.max, `${setting.setting} maximum`);
      assert.deepEqual(property.enum, setting.choices === undefined ? undefined : [...setting.choices], `${setting.setting} enum`);
    }
  });

  it("states the engine's own defaults (until the engine reads them from the table)", () => {
    assert.equal(gpuListsAgree, true);
    assert.equal(DEFAULT_MAX_PREFILL_MS, ENGINE_MAX_PREFILL_MS);
    assert.equal(serveOptions["kv-disk-mb"].default * serveOptions["kv-disk-mb"].scale, DEFAULT_KV_DISK_BYTES);
  });

  it("lists every flag in serve --help where the extension and the bench look for it", () => {
    const help = serveOptionsHelp();
    for (const option of flagOptions) assert.ok(helpHasOption(help, option.flag), `--${option.flag} is not in the help:\n${help}`);
    for (const line of help.trimEnd().split("\n")) assert.ok(line.length <= 88, `help line too long: ${line}`);
  });

  it("describes every flag and setting in docs/settings.md, with the tables written from it", () => {
    const written = `${SETTINGS_DOC_START}\n${settingsTables()}\n${SETTINGS_DOC_END}`;
    const tablesOf = (text: string): string | null => {
      const start = text.indexOf(SETTINGS_DOC_START);
      const end = text.indexOf(SETTINGS_DOC_END);
      return start === -1 || end < start ? null : text.slice(start, end + SETTINGS_DOC_END.length);
    };
    let doc = readFileSync(docFile, "utf8");
    const current = tablesOf(doc);
    assert.ok(current !== null, `docs/settings.md needs ${SETTINGS_DOC_START} … ${SETTINGS_DOC_END}`);
    if (process.env.UPDATE_GOLDEN === "1") {
      doc = doc.replace(current, written);
      writeFileSync(docFile, doc);
    }
    assert.equal(tablesOf(doc), written, "docs/settings.md's tables are stale: run this test with UPDATE_GOLDEN=1");
    for (const option of flagOptions) assert.match(doc, new RegExp(`\`--${option.flag}[ \`]`), `--${option.flag}`);
    for (const name of Object.keys(schema)) assert.ok(doc.includes(`\`${name}\``), name);
  });
});

describe("hearth serve's flags, from the table", () => {
  let home: string;
  before(() => (home = tempHome()));
  after(() => rmSync(home, { recursive: true, force: true }));

  it("prints the table's option list as its --help", async () => {
    const help = await runCli(["serve", "--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.ok(help.stdout.endsWith(`Options:\n${serveOptionsHelp()}`), help.stdout);
  });

  // Each spawn loads the CLI (seconds on a busy machine): a few flags stand for the rest, which
  // go through the same two helpers in serve.ts.
  it("refuses an integer just past a bound as a usage error that names the bounds", async () => {
    const cases = [
      [serveOptions.ctx, serveOptions.ctx.max + 1],
      [serveOptions["idle-timeout"], serveOptions["idle-timeout"].min - 1],
      [serveOptions["memory-budget-mb"], serveOptions["memory-budget-mb"].max + 1],
    ] as const;
    for (const [option, bad] of cases) {
      const result = await runCli(["serve", "--home", home, `--${option.flag}`, String(bad)]);
      assert.equal(result.code, 2, `--${option.flag} ${bad}: ${result.stderr}`);
      assert.ok(result.stderr.includes(`--${option.flag} must be an integer from ${option.min} to ${option.max}; got "${bad}"`), result.stderr);
    }
  });

  it("refuses a value outside a choice's list as a usage error that names the list", async () => {
    const option = serveOptions["fim-template"];
    const result = await runCli(["serve", "--home", home, `--${option.flag}`, "nonesuch"]);
    assert.equal(result.code, 2, result.stderr);
    assert.ok(result.stderr.includes(`--${option.flag} must be ${option.choices.join(", ")}; got "nonesuch"`), result.stderr);
  });
});

describe("checkDaemonOptions", () => {
  const valid: CheckedDaemonOptions = {
    port: 0,
    idleTimeoutMs: 900_000,
    contextSize: 4096,
    maxWorkspaces: 3,
    threads: 2,
    remoteTimeoutMs: 15_000,
    memoryBudgetBytes: 0,
    kvDiskBytes: 2048 * 1024 * 1024,
    maxPrefillMs: 4000,
    prefillChunk: null,
    gpu: "auto",
    speculation: "lookup",
    fimTemplate: "auto",
  };

  it("accepts the table's defaults and its bounds, in the daemon's units", () => {
    checkDaemonOptions(valid);
    checkDaemonOptions({ ...valid, idleTimeoutMs: 7 * 24 * 3600 * 1000, contextSize: 256, kvDiskBytes: 1024 * 1024, prefillChunk: 512, fimTemplate: "deepseek-coder" });
  });

  it("refuses an integer outside its bounds with a RangeError naming it", () => {
    assert.throws(() => checkDaemonOptions({ ...valid, contextSize: 255 }), (e: unknown) => e instanceof RangeError && /contextSize must be between 256 and 1048576; got 255/.test(e.message));
    assert.throws(() => checkDaemonOptions({ ...valid, idleTimeoutMs: 7 * 24 * 3600 * 1000 + 1 }), (e: unknown) => e instanceof RangeError && /idleTimeoutMs must be between 0 and 604800000/.test(e.message));
    assert.throws(() => checkDaemonOptions({ ...valid, kvDiskBytes: 1024 * 1024 - 1 }), (e: unknown) => e instanceof RangeError && /kvDiskBytes/.test(e.message));
    assert.throws(() => checkDaemonOptions({ ...valid, prefillChunk: 513 }), (e: unknown) => e instanceof RangeError && /prefillChunk/.test(e.message));
  });

  it("refuses a fraction with a TypeError", () => {
    assert.throws(() => checkDaemonOptions({ ...valid, threads: 1.5 }), (e: unknown) => e instanceof TypeError && /threads must be an integer/.test(e.message));
  });

  it("refuses a choice outside its list, naming the list", () => {
    assert.throws(() => checkDaemonOptions({ ...valid, gpu: "rocm" }), (e: unknown) => e instanceof RangeError && /gpu must be auto, cuda, vulkan, metal, off; got rocm/.test(e.message));
    assert.throws(() => checkDaemonOptions({ ...valid, speculation: "eagle" }), /speculation must be off, lookup, draft/);
    assert.throws(() => checkDaemonOptions({ ...valid, fimTemplate: "gpt" }), /fimTemplate must be auto, qwen/);
  });
});
