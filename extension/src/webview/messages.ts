/**
 * The messages between the explain panel's script (media/explain.js) and the extension.
 * media/explain.js mirrors these shapes in JSDoc; keep the two in step.
 */

export type ToWebview =
  | { type: "start"; title: string; subtitle: string }
  /** The whole explanation so far, already rendered to safe HTML (see markdown.ts). */
  | { type: "render"; html: string; textLength: number; done: boolean }
  | { type: "status"; text: string; running: boolean }
  | { type: "error"; message: string; hint: string };

export type FromWebview =
  | { type: "ready" }
  | { type: "stop" }
  /** Sent after the panel showed a render; tests and the log use it to see what reached the page. */
  | { type: "rendered"; textLength: number; done: boolean; visibleText: string; visibleHtml: string };

export function isFromWebview(value: unknown): value is FromWebview {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  switch (v.type) {
    case "ready":
    case "stop":
      return true;
    case "rendered":
      return typeof v.textLength === "number" && typeof v.done === "boolean" && typeof v.visibleText === "string" && typeof v.visibleHtml === "string";
    default:
      return false;
  }
}
