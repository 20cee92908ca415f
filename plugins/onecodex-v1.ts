// One Codex's v1 webhook payload: the envelope (src/domain/envelope.ts), sent as JSON.
import { onecodexEnvelope } from "../src/domain/envelope.ts";
import { defineTransformer } from "../src/plugins/contract.ts";

export default defineTransformer({
  kind: "transformer",
  name: "onecodex-v1",
  transform: (event) => ({ body: onecodexEnvelope(event), contentType: "application/json" }),
});
