// A small, fixed corpus of code the synthetic tokenizer learns its merges
// from and the synthetic models learn their token successions from. It is
// part of the model definition: editing it changes every synthetic model, so
// bump SYNTHETIC_MODEL_VERSION in synthetic-model.ts along with it.
// String.raw keeps backslashes literal; the code avoids backticks and "${".

export const CODE_CORPUS: readonly string[] = [
  String.raw`import { readFile } from "node:fs/promises";
import path from "node:path";

export interface Config {
  readonly name: string;
  readonly port: number;
  readonly debug?: boolean;
}

export async function loadConfig(file: string): Promise<Config> {
  const text = await readFile(path.resolve(file), "utf8");
  const data = JSON.parse(text) as Partial<Config>;
  if (typeof data.name !== "string") {
    throw new Error("config: missing name");
  }
  return { name: data.name, port: data.port ?? 8080, debug: data.debug === true };
}
`,
  String.raw`export class LruCache<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }
}
`,
  String.raw`function debounce(fn, wait) {
  let timer = null;
  return function (...args) {
    clearTimeout(timer);
    timer = setTimeout(() => fn.apply(this, args), wait);
  };
}

const items = [3, 1, 4, 1, 5, 9, 2, 6];
const sorted = items.slice().sort((a, b) => a - b);
const total = sorted.reduce((sum, x) => sum + x, 0);
console.log("total:", total, "max:", Math.max(...items));

module.exports = { debounce };
`,
  String.raw`import json
from dataclasses import dataclass
from typing import List, Optional


@dataclass
class User:
    id: int
    name: str
    email: Optional[str] = None


def load_users(path: str) -> List[User]:
    with open(path, "r", encoding="utf-8") as f:
        rows = json.load(f)
    return [User(**row) for row in rows]


def find_user(users: List[User], name: str) -> Optional[User]:
    for user in users:
        if user.name == name:
            return user
    return None


if __name__ == "__main__":
    users = load_users("users.json")
    print(len(users), "users")
`,
  String.raw`def fibonacci(n):
    """Return the first n Fibonacci numbers."""
    result = []
    a, b = 0, 1
    while len(result) < n:
        result.append(a)
        a, b = b, a + b
    return result


def is_prime(n: int) -> bool:
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True


print([x for x in range(50) if is_prime(x)])
print(fibonacci(10))
`,
  String.raw`type Handler = (request: Request) => Promise<Response>;

const routes = new Map<string, Handler>();

export function route(method: string, pattern: string, handler: Handler): void {
  routes.set(method + " " + pattern, handler);
}

export async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const handler = routes.get(request.method + " " + url.pathname);
  if (!handler) {
    return new Response("not found", { status: 404 });
  }
  try {
    return await handler(request);
  } catch (error) {
    console.error("handler failed:", error);
    return new Response("internal error", { status: 500 });
  }
}

route("GET", "/health", async () => new Response("ok"));
`,
  String.raw`export function tokenize(input: string): string[] {
  const tokens: string[] = [];
  let current = "";
  for (const ch of input) {
    if (ch === " " || ch === "\t" || ch === "\n") {
      if (current.length > 0) tokens.push(current);
      current = "";
    } else if ("()[]{},;".includes(ch)) {
      if (current.length > 0) tokens.push(current);
      tokens.push(ch);
      current = "";
    } else {
      current += ch;
    }
  }
  if (current.length > 0) tokens.push(current);
  return tokens;
}

// Café → naïve résumé: non-ASCII text should survive a round trip.
export const greeting = "héllo wörld";
`,
  String.raw`class Stack:
    def __init__(self):
        self._items = []

    def push(self, item):
        self._items.append(item)

    def pop(self):
        if not self._items:
            raise IndexError("pop from empty stack")
        return self._items.pop()

    def __len__(self):
        return len(self._items)


def balanced(text: str) -> bool:
    pairs = {")": "(", "]": "[", "}": "{"}
    stack = Stack()
    for ch in text:
        if ch in "([{":
            stack.push(ch)
        elif ch in pairs:
            if len(stack) == 0 or stack.pop() != pairs[ch]:
                return False
    return len(stack) == 0
`,
  String.raw`export async function retry<T>(task: () => Promise<T>, attempts = 3, delayMs = 100): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await task();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, delayMs * 2 ** attempt));
    }
  }
  throw lastError;
}

export function chunk<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) {
    out.push(values.slice(i, i + size));
  }
  return out;
}
`,
];
