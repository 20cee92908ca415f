// HTTP Basic authentication (RFC 7617, UTF-8), as Ovation sends it: `Authorization: Basic base64(user:password)`.
import { Type } from "@sinclair/typebox";
import { defineAuth } from "../src/plugins/contract.ts";

export default defineAuth({
  kind: "auth",
  name: "basic-auth",
  headerNames: ["Authorization"],
  secretHeaders: ["Authorization"],
  options: Type.Object(
    {
      // RFC 7617: the user-id cannot contain a colon, the password can.
      username: Type.String({ pattern: "^[^:]*$", description: "no colon" }),
      password: Type.String({ writeOnly: true }),
    },
    { additionalProperties: false },
  ),
  headers: (_request, options) => ({
    Authorization: `Basic ${Buffer.from(`${options.username}:${options.password}`, "utf8").toString("base64")}`,
  }),
});
