// Secret rotation, shared by the signing plugins: the current secret, then each previous one until its grace ends.
import { Type, type TString } from "@sinclair/typebox";

/** `previous_secrets: [{ secret, until }]`, each secret checked like the current one. */
export const previousSecrets = (secret: TString = Type.String({ minLength: 1, writeOnly: true })) =>
  Type.Optional(
    Type.Array(
      Type.Object(
        {
          secret,
          until: Type.String({ format: "date-time", description: "RFC 3339 end of the grace period" }),
        },
        { additionalProperties: false },
      ),
      { description: "secrets being rotated out: still signed with until `until`" },
    ),
  );

export function signingSecrets(current: string, previous: { secret: string; until: string }[] | undefined, now: number): string[] {
  return [current, ...(previous ?? []).filter((p) => now < Date.parse(p.until)).map((p) => p.secret)];
}
