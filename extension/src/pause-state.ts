/**
 * "Pause completions" from the status menu: a switch that outlives the window (kept in the
 * global state) without touching the user's settings.
 */
import * as vscode from "vscode";

const KEY = "hearth.completionsPaused";

export class PauseState implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<boolean>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly memento: vscode.Memento) {}

  get paused(): boolean {
    return this.memento.get<boolean>(KEY, false);
  }

  async set(paused: boolean): Promise<void> {
    if (paused === this.paused) return;
    await this.memento.update(KEY, paused);
    this.emitter.fire(paused);
  }

  toggle(): Promise<void> {
    return this.set(!this.paused);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
