// External plugin files live outside the compiled binary, where no node_modules can be relied on. Bun's
// runtime plugin API lets the host serve the few modules a plugin may import, from its own bundle.
import * as typebox from "@sinclair/typebox";
import * as typeboxValue from "@sinclair/typebox/value";
import { plugin } from "bun";
import * as contract from "./contract.ts";

export const PLUGIN_MODULE = "herald/plugin";
let registered = false;

export function provideHostModules() {
  if (registered) return;
  registered = true;
  plugin({
    name: "herald-host-modules",
    setup(build) {
      build.module(PLUGIN_MODULE, () => ({ exports: { ...contract }, loader: "object" }));
      build.module("@sinclair/typebox", () => ({ exports: { ...typebox }, loader: "object" }));
      build.module("@sinclair/typebox/value", () => ({ exports: { ...typeboxValue }, loader: "object" }));
    },
  });
}
