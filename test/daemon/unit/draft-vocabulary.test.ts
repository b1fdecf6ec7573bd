import assert from "node:assert/strict";
import { assertSameVocabulary, vocabularyDifference } from "../../../daemon/src/engine/predictors/draft-vocabulary.js";
import { HearthError } from "../../../daemon/src/errors.js";
import { ErrorCodes } from "../../../daemon/src/protocol.js";

describe("draft vocabulary check", () => {
  const target = { tokens: ["<|endoftext|>", "a", "b", "ab"] };

  it("accepts the same token list", () => {
    assert.equal(vocabularyDifference(target, { tokens: [...target.tokens] }), null);
    assertSameVocabulary(target, { tokens: [...target.tokens] }, "draft.gguf");
  });

  it("names the first difference: the token count, or a token's text", () => {
    assert.equal(vocabularyDifference(target, { tokens: target.tokens.slice(0, 3) }), "the target has 4 tokens, the draft 3");
    assert.equal(vocabularyDifference(target, { tokens: ["<|endoftext|>", "a", "c", "ab"] }), 'token 2 is "b" in the target but "c" in the draft');
    assert.equal(vocabularyDifference(target, { tokens: [] }), "a model file lists no tokens");
  });

  it("refuses with a typed error that says what to do", () => {
    assert.throws(
      () => assertSameVocabulary(target, { tokens: ["x"] }, "small.gguf"),
      (error: unknown) =>
        error instanceof HearthError &&
        error.code === "HEARTH_ERR_DRAFT_VOCABULARY" &&
        error.rpcCode === ErrorCodes.ModelLoadFailed &&
        error.message.includes("small.gguf") &&
        error.message.includes("the target has 4 tokens, the draft 1") &&
        error.hint.includes("--spec lookup"),
    );
  });
});
