import assert from "node:assert/strict";
import { ResponseError } from "vscode-jsonrpc/node";
import { HearthError, cancelledError, invalidParams, toHearthError, type AbortReason } from "../../../daemon/src/errors.js";
import { ErrorCodes, HEARTH_ERRORS, rpcCodeOf, type HearthErrorName, type WireErrorName } from "../../../daemon/src/protocol.js";
import { Scheduler } from "../../../daemon/src/scheduler.js";

const names = Object.keys(HEARTH_ERRORS) as HearthErrorName[];
const wireNames = names.filter((name): name is WireErrorName => HEARTH_ERRORS[name].rpcCode !== null);

describe("errors", () => {
  describe("HEARTH_ERRORS", () => {
    it("gives every wire name a code from ErrorCodes and a one-line meaning", () => {
      const codes = new Set<number>(Object.values(ErrorCodes));
      assert.ok(wireNames.length >= 30, `only ${wireNames.length} wire names`);
      for (const name of names) {
        const { rpcCode, meaning } = HEARTH_ERRORS[name];
        if (rpcCode !== null) assert.ok(codes.has(rpcCode), `${name}: ${rpcCode} is not in ErrorCodes`);
        assert.match(meaning, /^[A-Z$a-z].{10,200}\.$/, `${name}'s meaning`);
        assert.ok(!meaning.includes("\n"), `${name}'s meaning is one line`);
      }
    });

    it("names each Hearth-defined code at least once, except MethodNotFound which the JSON-RPC layer answers", () => {
      const used = new Set<number>(wireNames.map((name) => rpcCodeOf(name)));
      const unnamed = Object.entries(ErrorCodes).filter(([, code]) => !used.has(code)).map(([key]) => key);
      assert.deepEqual(unnamed, ["MethodNotFound"]);
    });
  });

  describe("HearthError", () => {
    it("sends the table's code whichever form built it", () => {
      const paired = new HearthError(ErrorCodes.NoFimSupport, "HEARTH_ERR_NO_FIM", "no FIM", "use a FIM model");
      const named = new HearthError("HEARTH_ERR_NO_FIM", "no FIM", "use a FIM model");
      for (const error of [paired, named]) {
        assert.equal(error.rpcCode, -33007);
        assert.equal(error.code, "HEARTH_ERR_NO_FIM");
        assert.equal(error.message, "no FIM");
        assert.deepEqual(error.data, { code: "HEARTH_ERR_NO_FIM", hint: "use a FIM model" });
      }
    });

    it("takes the code from the table even when a cast slips a wrong one past the compiler", () => {
      const forced = new HearthError(...([ErrorCodes.RequestCancelled, "HEARTH_ERR_SHUTTING_DOWN", "m", "h"] as unknown as ConstructorParameters<typeof HearthError>));
      assert.equal(forced.rpcCode, ErrorCodes.ShuttingDown);
    });

    it("wraps anything else as HEARTH_ERR_INTERNAL and keeps a HearthError as it is", () => {
      const wrapped = toHearthError(new RangeError("boom"));
      assert.equal(wrapped.rpcCode, ErrorCodes.InternalError);
      assert.equal(wrapped.code, "HEARTH_ERR_INTERNAL");
      assert.match(wrapped.message, /boom/);
      const invalid = invalidParams("x must be a number.");
      assert.equal(toHearthError(invalid), invalid);
      assert.equal(invalid.rpcCode, ErrorCodes.InvalidParams);
      assert.equal(invalid.code, "HEARTH_ERR_INVALID_PARAMS");
    });
  });

  describe("cancelledError", () => {
    it("answers every abort reason with RequestCancelled and the reason's own name", () => {
      const expected: Record<AbortReason, WireErrorName> = {
        cancelled: "HEARTH_ERR_CANCELLED",
        superseded: "HEARTH_ERR_SUPERSEDED",
        switching: "HEARTH_ERR_SWITCHING_MODEL",
        shutdown: "HEARTH_ERR_CANCELLED_BY_SHUTDOWN",
        preempted: "HEARTH_ERR_CANCELLED",
      };
      for (const [reason, name] of Object.entries(expected) as [AbortReason, WireErrorName][]) {
        const error = cancelledError(reason);
        assert.equal(error.rpcCode, ErrorCodes.RequestCancelled, reason);
        assert.equal(error.code, name, reason);
        assert.ok(error.hint.length > 0, reason);
      }
    });
  });

  describe("shutdown", () => {
    it("cancels the running job with HEARTH_ERR_CANCELLED_BY_SHUTDOWN and refuses new work with HEARTH_ERR_SHUTTING_DOWN", async () => {
      const scheduler = new Scheduler();
      const running = scheduler.submit(null, () => undefined, async (handle) => {
        if (!handle.signal.aborted) await new Promise((resolve) => handle.signal.addEventListener("abort", resolve));
        // What the session does with an aborted job (session.ts).
        throw cancelledError(handle.abortReason ?? "cancelled");
      });
      await scheduler.close();
      await assert.rejects(running, (error: unknown) => error instanceof HearthError && error.code === "HEARTH_ERR_CANCELLED_BY_SHUTDOWN" && error.rpcCode === -32800);
      await assert.rejects(scheduler.submit(null, () => undefined, async () => 1), (error: unknown) => {
        assert.ok(error instanceof HearthError);
        assert.equal(error.code, "HEARTH_ERR_SHUTTING_DOWN");
        assert.equal(error.rpcCode, -33005);
        // What the client receives.
        const wire = new ResponseError(error.rpcCode, error.message, error.data).toJson();
        assert.deepEqual({ code: wire.code, name: (wire.data as { code: string }).code }, { code: -33005, name: "HEARTH_ERR_SHUTTING_DOWN" });
        return true;
      });
    });
  });
});
