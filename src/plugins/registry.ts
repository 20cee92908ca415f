// Which plugins exist: the built-ins plus the files named under `plugins:` in the config.
import { existsSync } from "node:fs";
import { KindGuard } from "@sinclair/typebox";
import basicAuth from "../../plugins/basic-auth.ts";
import onecodexSignature from "../../plugins/onecodex-signature.ts";
import onecodexV1 from "../../plugins/onecodex-v1.ts";
import standardWebhooks from "../../plugins/standard-webhooks.ts";
import ovation from "../../plugins/ovation.ts";
import type { AuthPlugin, Plugin, TransformerPlugin } from "./contract.ts";
import { provideHostModules } from "./host-modules.ts";

export const BUILTIN_PLUGINS: Plugin[] = [onecodexV1, onecodexSignature, ovation, basicAuth, standardWebhooks];
export const DEFAULT_TRANSFORMER = "onecodex-v1";

export interface PluginRegistry {
  transformers: Map<string, TransformerPlugin>;
  auth: Map<string, AuthPlugin>;
}

export interface PluginProblem {
  /** Index into the config's `plugins:` list, or null for a built-in. */
  index: number | null;
  message: string;
}

/** A default export must be a plain object with a kind, a name and the function its kind calls. */
export function pluginShapeProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return "its default export is not a plugin object";
  const plugin = value as Record<string, unknown>;
  if (typeof plugin.name !== "string" || plugin.name === "") return "the plugin has no `name` string";
  if (plugin.kind === "transformer") {
    if (typeof plugin.transform !== "function") return `transformer "${plugin.name}" has no transform() function`;
    if (plugin.eventTypes !== undefined && !isStringList(plugin.eventTypes)) return `transformer "${plugin.name}" has an \`eventTypes\` that is not a list of names`;
  } else if (plugin.kind === "auth") {
    if (typeof plugin.headers !== "function") return `auth plugin "${plugin.name}" has no headers() function`;
    if (!isStringList(plugin.headerNames)) return `auth plugin "${plugin.name}" has no \`headerNames\` list of the headers it sets`;
    if (plugin.secretHeaders !== undefined && !isStringList(plugin.secretHeaders)) return `auth plugin "${plugin.name}" has a \`secretHeaders\` that is not a list of names`;
    if (plugin.generateSecret !== undefined && typeof plugin.generateSecret !== "function") return `auth plugin "${plugin.name}" has a \`generateSecret\` that is not a function`;
  } else return `plugin "${plugin.name}" has kind ${JSON.stringify(plugin.kind)}; expected "transformer" or "auth"`;
  // A plain JSON Schema object would make typebox's Value.Errors throw at config load: demand a typebox schema.
  if (plugin.options !== undefined && !KindGuard.IsSchema(plugin.options)) return `plugin "${plugin.name}" has an \`options\` that is not a typebox schema`;
  return null;
}

const isStringList = (value: unknown) => Array.isArray(value) && value.every((item) => typeof item === "string");

/** Loads external plugin files (absolute paths) beside the built-ins; every problem is reported, none thrown. */
export async function loadPlugins(files: string[]): Promise<{ registry: PluginRegistry; problems: PluginProblem[] }> {
  const registry: PluginRegistry = { transformers: new Map(), auth: new Map() };
  const problems: PluginProblem[] = [];
  const add = (plugin: Plugin, index: number | null) => {
    const table: Map<string, Plugin> = plugin.kind === "transformer" ? registry.transformers : registry.auth;
    if (table.has(plugin.name)) problems.push({ index, message: `a ${plugin.kind} plugin named "${plugin.name}" is already loaded` });
    else table.set(plugin.name, plugin);
  };
  for (const plugin of BUILTIN_PLUGINS) add(plugin, null);
  if (files.length > 0) provideHostModules();
  for (const [index, file] of files.entries()) {
    if (!existsSync(file)) {
      problems.push({ index, message: `plugin file not found: ${file}` });
      continue;
    }
    let module: { default?: unknown };
    try {
      module = await import(file);
    } catch (error) {
      problems.push({ index, message: `plugin file ${file} failed to load: ${(error as Error).message}` });
      continue;
    }
    const shapeProblem = pluginShapeProblem(module.default);
    if (shapeProblem) problems.push({ index, message: `${file}: ${shapeProblem}` });
    else add(module.default as Plugin, index);
  }
  return { registry, problems };
}
