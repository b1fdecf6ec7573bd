/**
 * A server's tokenizer behind a cache: a held layout's text pieces (other files' chunks, the
 * lines above, the suffix) come back on every fresh layout, and each costs a round trip to
 * /tokenize otherwise. Bounded by the characters it keeps; least recently used goes first.
 */
const MAX_CACHED_CHARS = 4 * 1024 * 1024;

export class TokenCache<T> {
  private readonly entries = new Map<string, Promise<T[]>>();
  private chars = 0;

  constructor(private readonly tokenize: (text: string) => Promise<T[]>) {}

  get(text: string): Promise<T[]> {
    const cached = this.entries.get(text);
    if (cached) {
      this.entries.delete(text);
      this.entries.set(text, cached);
      return cached;
    }
    const pending = this.tokenize(text);
    // A failed lookup is not kept: the next request asks the server again.
    pending.catch(() => this.forget(text));
    this.entries.set(text, pending);
    this.chars += text.length;
    while (this.chars > MAX_CACHED_CHARS && this.entries.size > 1) this.forget(this.entries.keys().next().value as string);
    return pending;
  }

  private forget(text: string): void {
    if (this.entries.delete(text)) this.chars -= text.length;
  }
}
