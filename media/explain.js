// @ts-check
// The explain panel's page script. It shows what the extension posts (HTML the extension
// rendered from the model's markdown with raw HTML off, so every tag the model wrote is text;
// see extension/src/webview/markdown.ts), sends "stop" from the Stop button and reports each
// render back (its text and the DOM it made). Plain text always goes through textContent. Message shapes mirror
// extension/src/webview/messages.ts.

/**
 * @typedef {{ type: "start", title: string, subtitle: string }
 *   | { type: "render", html: string, textLength: number, done: boolean }
 *   | { type: "status", text: string, running: boolean }
 *   | { type: "error", message: string, hint: string }} ToWebview
 */

(function () {
  // @ts-expect-error acquireVsCodeApi is injected by VS Code into webviews.
  const vscode = acquireVsCodeApi();
  const byId = (/** @type {string} */ id) => {
    const element = document.getElementById(id);
    if (!element) throw new Error(`explain.js: #${id} is missing`);
    return element;
  };
  const title = byId("title");
  const subtitle = byId("subtitle");
  const content = byId("content");
  const status = byId("status");
  const error = byId("error");
  const errorMessage = byId("error-message");
  const errorHint = byId("error-hint");
  const stop = /** @type {HTMLButtonElement} */ (byId("stop"));

  stop.addEventListener("click", () => {
    stop.disabled = true;
    vscode.postMessage({ type: "stop" });
  });

  window.addEventListener("message", (event) => {
    const message = /** @type {ToWebview} */ (event.data);
    switch (message.type) {
      case "start":
        title.textContent = message.title;
        subtitle.textContent = message.subtitle;
        error.hidden = true;
        content.textContent = "";
        break;
      case "render":
        // Safe: the extension escaped every character of the model's text (markdown.ts).
        content.innerHTML = message.html;
        if (message.done) content.classList.add("done");
        else content.classList.remove("done");
        vscode.postMessage({ type: "rendered", textLength: message.textLength, done: message.done, visibleText: content.textContent || "", visibleHtml: content.innerHTML });
        break;
      case "status":
        status.textContent = message.text;
        stop.disabled = !message.running;
        break;
      case "error":
        error.hidden = false;
        errorMessage.textContent = message.message;
        errorHint.textContent = message.hint;
        break;
    }
  });

  vscode.postMessage({ type: "ready" });
})();
