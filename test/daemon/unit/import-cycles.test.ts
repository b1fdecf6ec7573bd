/**
 * No import cycles in daemon/src and extension/src. Every relative import counts, type-only
 * ones too: a type-only cycle costs nothing at run time, but it still ties two files into one
 * unit a reader has to take in together, and it turns into a runtime cycle the day a value
 * is imported along the same arrow.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { packageRoot } from "../../../daemon/src/version.js";

const ROOTS = ["daemon/src", "extension/src"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** The file a relative specifier names (`./x.js` is written for `./x.ts`), or null outside the sources. */
function resolve(from: string, specifier: string, known: ReadonlySet<string>): string | null {
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, path.join(base, "index.ts")];
  return candidates.find((file) => known.has(file)) ?? null;
}

/** Relative imports of every source file: `import`, `import type`, `export … from`, `import()`. */
function importGraph(root: string): Map<string, string[]> {
  const files = ROOTS.flatMap((dir) => sourceFiles(path.join(root, dir)));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const targets = importedFiles
      .map((f) => f.fileName)
      .filter((specifier) => specifier.startsWith("."))
      // An import that names no file of the two trees (a test helper, a JSON file) is no arrow here.
      .map((specifier) => resolve(file, specifier, known))
      .filter((target): target is string => target !== null);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/**
 * The same arrows between rooms: each folder directly under daemon/src or extension/src drawn
 * as one room, each file beside those folders as a room of its own. A loop here (cli/ → daemon.ts
 * → engine/ → cli/) is a layer imported from below even when no two files import each other.
 */
function roomGraph(graph: ReadonlyMap<string, readonly string[]>, root: string): Map<string, string[]> {
  const room = (file: string): string => {
    const parts = path.relative(root, file).split(path.sep);
    return parts.length > 3 ? parts.slice(0, 3).join("/") : parts.join("/");
  };
  const rooms = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const from = room(file);
    const arrows = rooms.get(from) ?? new Set<string>();
    rooms.set(from, arrows);
    for (const target of targets) if (room(target) !== from) arrows.add(room(target));
  }
  return new Map([...rooms].map(([name, arrows]) => [name, [...arrows]]));
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next++;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

/** One concrete loop through a component, for the failure message: a → b → … → a. */
function loopThrough(component: readonly string[], graph: ReadonlyMap<string, readonly string[]>): string[] {
  const members = new Set(component);
  const start = component[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const target of graph.get(file) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const loop: string[] = [start];
        for (let at = file; at !== start; at = previous.get(at)!) loop.splice(1, 0, at);
        return [...loop, start];
      }
      if (!previous.has(target)) {
        previous.set(target, file);
        queue.push(target);
      }
    }
  }
  return component.slice();
}

describe("import cycles", () => {
  const root = packageRoot();
  const graph = importGraph(root);
  const relative = (file: string): string => path.relative(root, file);

  it("reads the sources it is meant to guard", () => {
    for (const dir of ROOTS) assert.ok(statSync(path.join(root, dir)).isDirectory(), `${dir} exists`);
    const files = [...graph.keys()].map(relative);
    assert.ok(files.includes("daemon/src/protocol.ts") && files.includes("extension/src/main.ts"), "both trees are read");
    const edges = [...graph.values()].reduce((n, targets) => n + targets.length, 0);
    assert.ok(edges > graph.size, `relative imports are resolved (${edges} arrows between ${graph.size} files)`);
  });

  it("finds a cycle when there is one", () => {
    const made = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts", "d.ts"]],
      ["d.ts", []],
      ["e.ts", ["e.ts"]],
    ]);
    const found = cycles(made);
    assert.deepEqual(found, [["a.ts", "b.ts", "c.ts"], ["e.ts"]]);
    assert.deepEqual(loopThrough(found[0]!, made), ["a.ts", "b.ts", "c.ts", "a.ts"]);
  });

  it("has none in daemon/src and extension/src, type-only imports included", () => {
    const loops = cycles(graph).map((component) => loopThrough(component, graph).map(relative).join(" → "));
    assert.deepEqual(loops, [], `import cycles:\n${loops.join("\n")}`);
  });

  it("has none between folders either: no layer imports one that imports it", () => {
    const rooms = roomGraph(graph, root);
    assert.ok(rooms.has("daemon/src/engine") && rooms.has("daemon/src/cli") && rooms.has("daemon/src/daemon.ts"), "folders and loose files are rooms");
    const loops = cycles(rooms).map((component) => loopThrough(component, rooms).join(" → "));
    assert.deepEqual(loops, [], `import cycles between folders:\n${loops.join("\n")}`);
  });
});
