/**
 * The README stays a door (short, with the rest in docs/), and every relative link in it and
 * in docs/*.md leads somewhere: to a file of the repository and, with a `#anchor`, to a
 * heading of that file.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../../../daemon/src/version.js";

const README_MAX_LINES = 250;

/** The text outside fenced code blocks and inline code spans, where a link is a link. */
function prose(markdown: string): string {
  let inFence = false;
  const lines = markdown.split("\n").map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      return "";
    }
    return inFence ? "" : line.replace(/`[^`]*`/g, "");
  });
  return lines.join("\n");
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen. */
function slugOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Every heading's anchor in a markdown text, with GitHub's -1, -2 … for repeats. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading?.[1]) continue;
    const base = slugOf(heading[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Inline links and images `[text](target)` and reference definitions `[name]: target`. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? "");
  const references = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map((m) => m[1] ?? "");
  return [...inline, ...references];
}

/** What is wrong with each relative link of `file` (a path under `root`); empty when all resolve. */
function brokenLinks(root: string, file: string, markdown: string): string[] {
  const problems: string[] = [];
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:: not a file of this repository
    const hash = target.indexOf("#");
    const filePart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
    const anchor = hash === -1 ? null : decodeURIComponent(target.slice(hash + 1));
    if (filePart.startsWith("/")) {
      problems.push(`${target}: an absolute path, which only exists on one machine`);
      continue;
    }
    const resolved = filePart === "" ? file : path.resolve(path.dirname(file), filePart);
    const inside = path.relative(root, resolved);
    if (inside.startsWith("..") || path.isAbsolute(inside)) {
      problems.push(`${target}: outside the repository`);
      continue;
    }
    if (resolved !== file && !existsSync(resolved)) {
      problems.push(`${target}: no such file (${inside})`);
      continue;
    }
    if (anchor !== null && anchor !== "" && resolved.endsWith(".md") && (resolved === file || statSync(resolved).isFile())) {
      const targetText = resolved === file ? markdown : readFileSync(resolved, "utf8");
      if (!anchorsOf(targetText).has(anchor)) problems.push(`${target}: ${inside} has no heading #${anchor}`);
    }
  }
  return problems;
}

describe("README.md and docs/", () => {
  const root = packageRoot();
  const readme = path.join(root, "README.md");
  const docsDir = path.join(root, "docs");
  const pages = [readme, ...readdirSync(docsDir).filter((name) => name.endsWith(".md")).map((name) => path.join(docsDir, name))];

  it(`keeps the README at most ${README_MAX_LINES} lines`, () => {
    const lines = readFileSync(readme, "utf8").trimEnd().split("\n").length;
    assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines; move detail into docs/ and link it`);
  });

  it("links only to files and headings that exist", () => {
    const problems = pages.flatMap((page) =>
      brokenLinks(root, page, readFileSync(page, "utf8")).map((problem) => `${path.relative(root, page)}: ${problem}`),
    );
    assert.deepEqual(problems, []);
  });

  it("points the README at each page in docs/", () => {
    const text = readFileSync(readme, "utf8");
    const linked = new Set(linkTargets(text).map((target) => target.split("#")[0]));
    // A page may be named in code (`docs/x.md`) until it exists on the same branch as the README.
    const named = (relative: string) => linked.has(relative) || text.includes(`\`${relative}\``);
    const missing = pages.map((page) => path.relative(root, page).split(path.sep).join("/")).filter((relative) => relative !== "README.md" && !named(relative));
    assert.deepEqual(missing, []);
  });

  it("keeps the markers scripts/bench-readme.mjs writes the bench tables between", () => {
    const performance = readFileSync(path.join(docsDir, "performance.md"), "utf8");
    const start = performance.indexOf("<!-- bench:start -->");
    const end = performance.indexOf("<!-- bench:end -->");
    assert.ok(start !== -1 && end > start, "docs/performance.md needs <!-- bench:start --> … <!-- bench:end -->");
  });

  it("the link check catches a missing file, a missing heading, an absolute path and a path out of the repository", () => {
    const page = path.join(root, "docs", "sample.md");
    const sample = [
      "# A page",
      "## Its second part",
      "[fine](../README.md) [fine too](#its-second-part) [web](https://example.com/x)",
      "[gone](no-such-page.md) [wrong heading](#no-such-part) [elsewhere](/etc/hosts) [outside](../../outside.md)",
      "`[in code](not-a-link.md)`",
      "```",
      "[in a fence](not-a-link-either.md)",
      "```",
    ].join("\n");
    assert.deepEqual(brokenLinks(root, page, sample), [
      "no-such-page.md: no such file (docs/no-such-page.md)",
      "#no-such-part: docs/sample.md has no heading #no-such-part",
      "/etc/hosts: an absolute path, which only exists on one machine",
      "../../outside.md: outside the repository",
    ]);
  });

  it("makes anchors as GitHub does", () => {
    assert.deepEqual(
      [...anchorsOf("## Against llama.cpp's own server\n### `daemon/src/remote/`\n## Notes\n## Notes\n")],
      ["against-llamacpps-own-server", "daemonsrcremote", "notes", "notes-1"],
    );
  });
});
