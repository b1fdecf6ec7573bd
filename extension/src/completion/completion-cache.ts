/**
 * Client-side completion cache (Continue's "user typed what was suggested"): a suggestion
 * stays valid while the user types its first characters, so each such keystroke is answered
 * here with the rest of it, without a request. Entries are keyed by document and cursor
 * offset and hold only the tail of the prefix, so big files cost little; least recently used
 * entries go first. vscode-free so it is unit-tested in plain Node.
 */

export interface CacheKey {
  uri: string;
  /** Everything before the cursor (or at least its last `prefixWindow` characters plus what was typed). */
  prefix: string;
  /** The document offset of the cursor; with the prefix's tail it pins where the suggestion was made. */
  offset: number;
  /** The text after the cursor. */
  suffix: string;
}

interface Entry {
  uri: string;
  offset: number;
  prefixTail: string;
  suffixHead: string;
  completion: string;
  truncated: boolean;
}

export interface CacheHit {
  /** What is left of the suggestion after what the user typed since. */
  remainder: string;
  /** How many characters of it the user typed. */
  typed: number;
  /** The suggestion was cut at its token limit (post-processing drops its last line). */
  truncated: boolean;
}

export interface CompletionCacheOptions {
  maxEntries: number;
  /** Characters of prefix kept per entry to recognise the spot again. */
  prefixWindow: number;
  /** Characters of suffix compared to tell that the text after the cursor is the same. */
  suffixWindow: number;
}

export const defaultCacheOptions: CompletionCacheOptions = { maxEntries: 64, prefixWindow: 512, suffixWindow: 256 };

export class CompletionCache {
  private readonly entries = new Map<string, Entry>();
  private hits = 0;
  private lookups = 0;

  constructor(private readonly options: CompletionCacheOptions = defaultCacheOptions) {}

  /** Remembers the raw suggestion the daemon gave for this spot. Empty suggestions are not kept. */
  store(key: CacheKey, completion: string, truncated = false): void {
    if (completion.length === 0) return;
    const id = `${key.uri}\u0000${key.offset}`;
    this.entries.delete(id);
    this.entries.set(id, {
      uri: key.uri,
      offset: key.offset,
      prefixTail: key.prefix.slice(-this.options.prefixWindow),
      suffixHead: key.suffix.slice(0, this.options.suffixWindow),
      completion,
      truncated,
    });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /**
   * A stored suggestion that the text typed since it was made agrees with, and what is left
   * of it. The newest matching entry wins (the closest to the cursor, as offsets only grow
   * while typing forward).
   */
  lookup(key: CacheKey): CacheHit | null {
    this.lookups++;
    let best: { id: string; entry: Entry; typed: number } | null = null;
    for (const [id, entry] of this.entries) {
      if (entry.uri !== key.uri) continue;
      const typed = key.offset - entry.offset;
      if (typed < 0 || typed >= entry.completion.length || typed > key.prefix.length) continue;
      // The prefix ends with the entry's prefix followed by exactly the typed characters.
      const typedText = key.prefix.slice(key.prefix.length - typed);
      if (!entry.completion.startsWith(typedText)) continue;
      const before = key.prefix.slice(0, key.prefix.length - typed);
      if (!before.endsWith(entry.prefixTail)) continue;
      if (!suffixStillFits(entry.suffixHead, key.suffix.slice(0, this.options.suffixWindow + MAX_AUTO_CLOSED))) continue;
      if (best === null || typed < best.typed || (typed === best.typed && entry.offset > best.entry.offset)) best = { id, entry, typed };
    }
    if (best === null) return null;
    this.hits++;
    // Touch: most recently used last.
    this.entries.delete(best.id);
    this.entries.set(best.id, best.entry);
    return { remainder: best.entry.completion.slice(best.typed), typed: best.typed, truncated: best.entry.truncated };
  }

  /** Drops everything for a document (closed, or edited somewhere other than at the cursor). */
  forget(uri: string): void {
    for (const [id, entry] of this.entries) if (entry.uri === uri) this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Share of lookups answered from the cache, 0..1 (null before any lookup). */
  get hitRate(): number | null {
    return this.lookups === 0 ? null : this.hits / this.lookups;
  }
}

/** How many characters an editor may insert after the cursor by itself (auto-closing). */
const MAX_AUTO_CLOSED = 4;

/**
 * The text after the cursor is what it was, or what it was with closing brackets or quotes
 * the editor inserted in front of it (auto-closing); post-processing later trims a
 * suggestion that repeats those.
 */
function suffixStillFits(before: string, now: string): boolean {
  if (now.startsWith(before)) return true;
  const closers = /^[)\]}>'"`]+/.exec(now)?.[0] ?? "";
  for (let k = 1; k <= Math.min(closers.length, MAX_AUTO_CLOSED); k++) if (now.slice(k).startsWith(before)) return true;
  return false;
}
