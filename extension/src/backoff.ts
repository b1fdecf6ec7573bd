/** How long to wait before reconnection attempt `attempt` (1-based): 250 ms doubling up to 30 s. vscode-free. */
export function backoffMs(attempt: number): number {
  return Math.min(30_000, 250 * 2 ** Math.max(0, attempt - 1));
}
