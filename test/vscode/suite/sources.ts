/** Documents the tests type into: code like the generated model's corpus, so it continues them. */

/** Ends inside a statement the corpus has, at the end of a line (multi-line suggestions allowed). */
export const SOURCE = [
  'import { readFile } from "node:fs/promises";',
  'import path from "node:path";',
  "",
  "export interface Config {",
  "  readonly name: string;",
  "  readonly port: number;",
  "}",
  "",
  "export async function loadConfig(file: string): Promise<Config> {",
  '  const text = await readFile(path.resolve(file), "utf8");',
  "  const data = JSON.parse(text) as Partial<Config>;",
  "  if (typeof data.name !== ",
].join("\n");
