/**
 * extension/README.md is the extension's page (the .vsix carries it): every setting and
 * command package.json contributes is there, nothing it lists is gone, and every image it
 * shows is a file the package carries.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const readme = readFileSync(path.join(root, "extension/README.md"), "utf8");
interface WalkthroughStep {
  id: string;
  description: string;
  media: { image?: string; markdown?: string; svg?: string; altText?: string };
  completionEvents?: string[];
}

const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  contributes: {
    commands: Array<{ command: string; title: string; category?: string }>;
    configuration: { properties: Record<string, { default?: unknown }> };
    walkthroughs: Array<{ id: string; title: string; steps: WalkthroughStep[] }>;
  };
};

/** The rows of the table under a `## heading`. */
function tableRows(heading: string): string[][] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `the README has a "## ${heading}" section`);
  const section = readme.slice(start + 1).split(/\n## /)[0] ?? "";
  return section
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|\s*-/.test(line))
    .slice(1)
    .map((line) => line.split("|").slice(1, -1).map((cell) => cell.trim()));
}

describe("extension/README.md", () => {
  it("lists every setting package.json contributes, and no other", () => {
    const listed = tableRows("Settings").map((row) => (row[0] ?? "").replace(/`/g, ""));
    const contributed = Object.keys(pkg.contributes.configuration.properties);
    assert.deepEqual([...listed].sort(), [...contributed].sort());
  });

  it("lists every command by its palette title, and no other", () => {
    const listed = tableRows("Commands").flatMap((row) => {
      // "Hearth: Open Log / Open Daemon Log" lists two.
      const cell = (row[0] ?? "").replace(/^Hearth: /, "");
      return cell.split(" / ").map((title) => `Hearth: ${title.trim()}`);
    });
    const contributed = pkg.contributes.commands.map((c) => `${c.category ?? "Hearth"}: ${c.title}`);
    assert.deepEqual([...listed].sort(), [...contributed].sort());
  });

  it("shows only images the package carries (media/), by paths that resolve from the README", () => {
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1] ?? "");
    assert.ok(images.length >= 5, `the README shows the screenshots: ${images.join(", ")}`);
    for (const image of images) {
      assert.ok(!/^[a-z]+:/i.test(image), `${image}: a packaged file, not a URL`);
      const file = path.resolve(root, "extension", image);
      assert.ok(file.startsWith(path.join(root, "media") + path.sep), `${image} is under media/, which the package carries`);
      assert.ok(existsSync(file), `${image} exists`);
    }
  });

  it("has a walkthrough whose steps choose a model, try a completion, explain, and set up next edits, with media the package carries and buttons that run Hearth's commands", () => {
    const [walkthrough] = pkg.contributes.walkthroughs;
    assert.ok(walkthrough, "contributes.walkthroughs");
    assert.deepEqual(walkthrough.steps.map((s) => s.id), ["chooseModel", "tryCompletion", "explainSelection", "nextEdit"]);
    const commands = new Set(pkg.contributes.commands.map((c) => c.command));
    for (const step of walkthrough.steps) {
      const media = step.media.image ?? step.media.markdown ?? step.media.svg;
      assert.ok(media, `${step.id} shows something`);
      const file = path.resolve(root, media);
      assert.ok(file.startsWith(path.join(root, "media") + path.sep), `${media} is under media/, which the package carries`);
      assert.ok(existsSync(file), `${media} exists`);
      if (step.media.image) assert.ok(step.media.altText, `${step.id}'s image has alt text`);
      for (const [, command] of step.description.matchAll(/\(command:([\w.]+)/g)) {
        assert.ok(command !== undefined && (commands.has(command) || /^(workbench|editor)\./.test(command)), `${step.id} runs ${command}, which is contributed (or VS Code's own)`);
      }
    }
    // The first step's buttons are the first-run notification's choices.
    const first = walkthrough.steps[0]?.description ?? "";
    for (const command of ["hearth.downloadModel", "hearth.chooseModel", "hearth.useLocalModel", "hearth.useServer"]) assert.ok(first.includes(`(command:${command})`), command);
    assert.ok(walkthrough.steps[3]?.description.includes("hearth.model.nextEdit"), "the next-edit step names its setting");
  });
});
