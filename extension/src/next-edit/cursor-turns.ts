/**
 * Inline completions and next-edit suggestions take turns at the cursor: never both in one
 * document at once. Whoever is there first wins and the other waits:
 * - while an inline completion is in flight in the document, or shown at the cursor, no
 *   next-edit request is sent (nor an answer shown); the next edit is asked for once the
 *   completion ends with nothing to show, is accepted or typed past (a new edit settles), or
 *   the cursor leaves it;
 * - while a next-edit suggestion is shown in the document, the inline completion provider
 *   offers no completion of its own (it hands out the suggestion's ghost text instead).
 * vscode-free, so the rule is unit-tested; the controller and the provider report to it.
 */

/** Where the cursor is: the document, its version and the position. */
export interface CursorSpot {
  uri: string;
  version: number;
  line: number;
  character: number;
}

function sameSpot(a: CursorSpot, b: CursorSpot): boolean {
  return a.uri === b.uri && a.version === b.version && a.line === b.line && a.character === b.character;
}

export class CursorTurns {
  /** Inline completion requests under way (the provider was called and has not returned), by id. */
  private readonly completionsInFlight = new Map<number, string>();
  private nextCompletionId = 1;
  /** The inline completion last handed to the editor, and where; it shows only while the cursor stays there. */
  private shownCompletion: CursorSpot | null = null;
  /** The document whose next-edit suggestion is on screen. */
  private nextEditIn: string | null = null;
  private readonly listeners = new Set<() => void>();

  /** The provider began working on a completion in `uri`; pass the id to `completionEnded`. */
  completionStarted(uri: string): number {
    const id = this.nextCompletionId++;
    this.completionsInFlight.set(id, uri);
    return id;
  }

  /**
   * The provider returned: `shownAt` where it handed the editor a completion, null when it
   * offered none (an older completion in that document is then gone too).
   */
  completionEnded(id: number, shownAt: CursorSpot | null): void {
    const uri = this.completionsInFlight.get(id);
    if (uri === undefined) return;
    this.completionsInFlight.delete(id);
    if (shownAt !== null) this.shownCompletion = shownAt;
    else if (this.shownCompletion?.uri === uri) this.shownCompletion = null;
    this.changed();
  }

  /** Whether a next-edit request may be sent, or its answer shown, with the cursor at `spot`. */
  nextEditMayGo(spot: CursorSpot): boolean {
    for (const uri of this.completionsInFlight.values()) if (uri === spot.uri) return false;
    return this.shownCompletion === null || !sameSpot(this.shownCompletion, spot);
  }

  /** What holds a next edit back at `spot`, for the log and the tests; null when nothing does. */
  nextEditHeldBy(spot: CursorSpot): "completion-in-flight" | "completion-shown" | null {
    for (const uri of this.completionsInFlight.values()) if (uri === spot.uri) return "completion-in-flight";
    return this.shownCompletion !== null && sameSpot(this.shownCompletion, spot) ? "completion-shown" : null;
  }

  /** Whether the inline provider may offer a completion of its own in `uri`. */
  completionMayGo(uri: string): boolean {
    return this.nextEditIn !== uri;
  }

  /** A next-edit suggestion is on screen in `uri` (decorations or ghost text). */
  nextEditShown(uri: string): void {
    this.nextEditIn = uri;
    // A completion that showed before is replaced by the suggestion.
    if (this.shownCompletion?.uri === uri) this.shownCompletion = null;
    this.changed();
  }

  /** The next-edit suggestion left the screen (accepted, dismissed, typed over). */
  nextEditGone(): void {
    if (this.nextEditIn === null) return;
    this.nextEditIn = null;
    this.changed();
  }

  /** Called after any change of turn: a waiting next edit checks whether it may go now. */
  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
