/**
 * Files that hold secrets stay out of prompts and saved states. The extension never syncs
 * a document that matches `hearth.context.exclude` (or `files.exclude`); the daemon, for any
 * client, never takes a chunk of a file matching the default patterns into other files'
 * prompts and never writes such a file's KV state to disk.
 *
 * Patterns are globs: `*` and `?` within a path segment, `**` across segments, `{a,b}`
 * alternatives. A pattern without a slash matches a file's base name; one with a slash
 * matches the end of its path.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

export const DEFAULT_CONTEXT_EXCLUDE: readonly string[] = [".env*", "*.pem", "*.key", "id_*", "*.p12", "*.pfx", ".npmrc", ".netrc", "credentials*"];

function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? "";
    if (c === "*" && glob[i + 1] === "*") {
      out += ".*";
      i++;
      if (glob[i + 1] === "/") i++;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "{") out += "(?:";
    else if (c === "}") out += ")";
    else if (c === ",") out += "|";
    else out += c.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`(?:^|/)${out}$`, "i");
}

/** A document URI's path (file: URIs decoded), or the URI itself. */
function pathOf(uriOrPath: string): string {
  try {
    return uriOrPath.startsWith("file:") ? fileURLToPath(uriOrPath) : uriOrPath.replace(/^[a-z][a-z0-9+.-]*:\/*/i, "/");
  } catch {
    return uriOrPath;
  }
}

export class ExcludeList {
  private readonly matchers: { name: boolean; regexp: RegExp }[];

  constructor(patterns: readonly string[]) {
    this.matchers = patterns.filter((p) => p.trim() !== "").map((p) => ({ name: !p.includes("/"), regexp: globToRegExp(p.trim().replace(/^\.\//, "")) }));
  }

  /** Whether the document (a URI or a path) is excluded. */
  matches(uriOrPath: string): boolean {
    const full = pathOf(uriOrPath).split(path.sep).join("/");
    const base = full.slice(full.lastIndexOf("/") + 1);
    return this.matchers.some((m) => m.regexp.test(m.name ? base : full));
  }
}

export const defaultExcludes = new ExcludeList(DEFAULT_CONTEXT_EXCLUDE);
