/**
 * Keeps the error table (protocol.ts's HEARTH_ERRORS and ErrorCodes), the sources that raise
 * the errors and docs/errors.md in step: every name documented once with its code, nothing
 * documented that does not exist, every name the sources write in the table, and every place
 * that writes a code beside a name writing the table's code for it.
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { ErrorCodes, HEARTH_ERRORS, type HearthErrorName } from "../../../daemon/src/protocol.js";
import { packageRoot } from "../../../daemon/src/version.js";

const root = packageRoot();
const NAME = /HEARTH_ERR_[A-Z_]+/g;

function isTableName(name: string): name is HearthErrorName {
  return Object.hasOwn(HEARTH_ERRORS, name);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts"))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
}

interface Pairing {
  where: string;
  codeKey: string;
  name: string;
}

/**
 * Every call or `new` whose arguments hold one `ErrorCodes.X` and one "HEARTH_ERR_*" literal:
 * `new HearthError(ErrorCodes.X, "NAME", …)`, and helpers such as ws-transport's `refuse`
 * that take the two apart.
 */
function pairingsIn(file: string, text: string): Pairing[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Pairing[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && node.arguments !== undefined) {
      const codes = node.arguments.filter(
        (arg): arg is ts.PropertyAccessExpression => ts.isPropertyAccessExpression(arg) && ts.isIdentifier(arg.expression) && arg.expression.text === "ErrorCodes",
      );
      const names = node.arguments.filter((arg): arg is ts.StringLiteral => ts.isStringLiteral(arg) && arg.text.startsWith("HEARTH_ERR_"));
      const [code] = codes;
      const [name] = names;
      if (codes.length === 1 && names.length === 1 && code !== undefined && name !== undefined) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart());
        found.push({ where: `${file}:${line + 1}`, codeKey: code.name.text, name: name.text });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function wrongPairings(pairings: Pairing[]): string[] {
  return pairings
    .filter(({ codeKey, name }) => !isTableName(name) || (ErrorCodes as Record<string, number>)[codeKey] !== HEARTH_ERRORS[name].rpcCode)
    .map(({ where, codeKey, name }) => `${where}: ErrorCodes.${codeKey} with ${name} (the table says ${isTableName(name) ? HEARTH_ERRORS[name].rpcCode : "no such name"})`);
}

/** `| \`HEARTH_ERR_X\` | -33002 | meaning | what to do |` rows; `none` for errors that never cross the wire. */
function documentedNames(doc: string): Map<string, number | null> {
  const rows = new Map<string, number | null>();
  for (const match of doc.matchAll(/^\| `(HEARTH_ERR_[A-Z_]+)` \| (-\d+|none) \| (.+) \| (.+) \|$/gm)) {
    const [, name = "", code = "", meaning = "", todo = ""] = match;
    assert.ok(!rows.has(name), `${name} is documented twice`);
    assert.ok(meaning.trim().length > 0 && todo.trim().length > 0, `${name} needs a meaning and what to do`);
    rows.set(name, code === "none" ? null : Number(code));
  }
  return rows;
}

describe("error names and codes", () => {
  const errorsDoc = readFileSync(path.join(root, "docs", "errors.md"), "utf8");
  const sources = [...sourceFiles("daemon/src"), ...sourceFiles("extension/src")].map((file) => ({ file, text: readFileSync(path.join(root, file), "utf8") }));

  it("docs/errors.md documents every name in the table with its code, and no other", () => {
    const documented = documentedNames(errorsDoc);
    const table = new Map(Object.entries(HEARTH_ERRORS).map(([name, { rpcCode }]) => [name, rpcCode]));
    assert.deepEqual([...documented.keys()].sort(), [...table.keys()].sort());
    for (const [name, code] of documented) assert.equal(code, table.get(name), `${name}'s code in docs/errors.md`);
  });

  it("docs/errors.md lists every numeric code with its name, and no other", () => {
    const rows = [...errorsDoc.matchAll(/^\| (-\d+) \| `(\w+)` \| .+ \|$/gm)].map((m) => [m[2], Number(m[1])]);
    assert.deepEqual(Object.fromEntries(rows), { ...ErrorCodes });
  });

  it("every HEARTH_ERR_* name the sources or the docs mention is in the table, and every table name is raised somewhere", () => {
    const docs = ["README.md", ...readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f))];
    const mentions = [...sources, ...docs.map((file) => ({ file, text: readFileSync(path.join(root, file), "utf8") }))];
    const unknown = mentions.flatMap(({ file, text }) => [...text.matchAll(NAME)].map((m) => m[0]).filter((name) => !isTableName(name)).map((name) => `${file}: ${name}`));
    assert.deepEqual(unknown, []);
    const raisedOutsideTable = new Set(sources.filter(({ file }) => file !== path.join("daemon", "src", "protocol.ts")).flatMap(({ text }) => [...text.matchAll(NAME)].map((m) => m[0])));
    assert.deepEqual(Object.keys(HEARTH_ERRORS).filter((name) => !raisedOutsideTable.has(name)), []);
  });

  it("every ErrorCodes.X written beside a HEARTH_ERR_* name is the table's code for it", () => {
    const pairings = sources.filter(({ text }) => text.includes("ErrorCodes.") && text.includes("HEARTH_ERR_")).flatMap(({ file, text }) => pairingsIn(file, text));
    // The scan must see the pairs the sources write: today's 30-odd, ws-transport's refuse() among them.
    assert.ok(pairings.length >= 30, `found only ${pairings.length} pairings`);
    assert.ok(pairings.some((p) => p.name === "HEARTH_ERR_PARSE" && p.codeKey === "ParseError"));
    assert.deepEqual(wrongPairings(pairings), []);
  });

  it("the pairing scan catches a wrong pair, a name not in the table, and pairs split across lines", () => {
    const sample = [
      'throw new HearthError(ErrorCodes.RequestCancelled, "HEARTH_ERR_SHUTTING_DOWN", "m", "h");',
      "throw new HearthError(",
      "  ErrorCodes.ModelLoadFailed,",
      '  "HEARTH_ERR_NO_SUCH_THING",',
      '  "m", "h");',
      'this.refuse(null, ErrorCodes.ParseError, "m", "HEARTH_ERR_PARSE", "h");',
    ].join("\n");
    const pairings = pairingsIn("sample.ts", sample);
    assert.equal(pairings.length, 3);
    assert.deepEqual(
      wrongPairings(pairings).map((line) => line.split(":").slice(0, 2).join(":")),
      ["sample.ts:1", "sample.ts:2"],
    );
  });

  it("classes that carry a name as their own code (never on the wire) use names the table marks so", () => {
    const local = sources.flatMap(({ file, text }) => [...text.matchAll(/readonly code = "(HEARTH_ERR_[A-Z_]+)"/g)].map((m) => ({ file, name: m[1] ?? "" })));
    assert.ok(local.length >= 5, `found only ${local.length}`);
    assert.deepEqual(local.filter(({ name }) => !isTableName(name) || HEARTH_ERRORS[name].rpcCode !== null), []);
  });
});
