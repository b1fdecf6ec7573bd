/**
 * Mutual proof of the daemon's token without sending it. A process that binds a dead
 * daemon's port (daemon.json outlives a kill -9) must learn nothing: not the token, not a
 * document. So the token never crosses the wire:
 *
 * 1. The client opens the WebSocket with a fresh nonce (`x-hearth-client-nonce`).
 * 2. The daemon answers the upgrade with its own nonce and an HMAC of both under the token
 *    (`x-hearth-server-nonce`, `x-hearth-server-proof`). The client checks it before it
 *    sends a single frame, and treats a server that fails as no daemon at all.
 * 3. The client's first frame is its proof, an HMAC of both nonces the other way round; the
 *    daemon runs no JSON-RPC on the socket until it has checked it (else it closes 4401).
 *
 * Both sides use fresh nonces, so a recorded exchange is worth nothing to a replayer.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const CLIENT_NONCE_HEADER = "x-hearth-client-nonce";
export const SERVER_NONCE_HEADER = "x-hearth-server-nonce";
export const SERVER_PROOF_HEADER = "x-hearth-server-proof";

/** The WebSocket close code for a client whose proof is missing or wrong. */
export const UNAUTHORIZED_CLOSE_CODE = 4401;
/** How long the daemon waits for the client's proof after the upgrade. */
export const CLIENT_PROOF_TIMEOUT_MS = 5000;

const NONCE = /^[0-9a-f]{64}$/;

export function newNonce(): string {
  return randomBytes(32).toString("hex");
}

export function isNonce(value: unknown): value is string {
  return typeof value === "string" && NONCE.test(value);
}

function proof(token: string, role: "server" | "client", clientNonce: string, serverNonce: string): string {
  return createHmac("sha256", token).update(`hearth-${role}\n${clientNonce}\n${serverNonce}`).digest("hex");
}

export function serverProof(token: string, clientNonce: string, serverNonce: string): string {
  return proof(token, "server", clientNonce, serverNonce);
}

export function clientProof(token: string, clientNonce: string, serverNonce: string): string {
  return proof(token, "client", clientNonce, serverNonce);
}

/** Constant-time comparison of a proof received with the one expected. */
export function proofMatches(received: unknown, expected: string): boolean {
  if (typeof received !== "string") return false;
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A proof frame is small; anything bigger is refused before it is even decoded. */
export const MAX_PROOF_FRAME_BYTES = 256;

/** The client's first frame. */
export interface ClientProofFrame {
  hearth: "proof";
  proof: string;
}

export function clientProofFrame(token: string, clientNonce: string, serverNonce: string): string {
  const frame: ClientProofFrame = { hearth: "proof", proof: clientProof(token, clientNonce, serverNonce) };
  return JSON.stringify(frame);
}

/** Reads a client's first frame; null unless it is a well-formed proof frame (at most 256 bytes). */
export function parseClientProofFrame(data: string): ClientProofFrame | null {
  if (data.length > MAX_PROOF_FRAME_BYTES) return null;
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value !== "object" || value === null) return null;
    const frame = value as Record<string, unknown>;
    return frame.hearth === "proof" && typeof frame.proof === "string" ? { hearth: "proof", proof: frame.proof } : null;
  } catch {
    return null;
  }
}
