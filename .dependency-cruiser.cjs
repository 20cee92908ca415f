// Import rules between Herald's layers (issue 11), checked by `npm run lint` (`depcruise src`).
//
// Paths are regular expressions over paths relative to the repository root ("src/store/db.ts"), or, for
// built-ins, the module name ("bun:sqlite", "node:fs"); an npm package's path is where it resolves
// ("node_modules/drizzle-orm/sqlite-core/index.js"). A folder that does not exist yet matches nothing.
// Type-only imports count as imports (tsPreCompilationDeps below): a layer that needs another's types
// depends on it.
//
// Layers, as the refactor lays them out:
//   src/domain/        vocabulary and pure rules
//   src/store/         the store port; src/store/sqlite/ its SQLite adapter
//   src/services/      between the routes and the engine
//   src/api/           routes (parse, authorize, answer)
//   src/delivery/      the engine; src/plugins/ signing plugins
//   src/runtime/, src/server.ts, src/main.ts   the wiring
// To add a folder to a layer, add it to the group below (and to the rules' lists if it gets rules of its own).

/** Modules that only the wiring may import from outside the store. */
const WIRING = "^src/(runtime/|server\\.ts$|main\\.ts$)";

/** drizzle's SQLite entry points (the dialect, and every SQLite driver). */
const DRIZZLE_SQLITE = "^node_modules/drizzle-orm/(sqlite-core|bun-sqlite|better-sqlite3|libsql|sqlite-proxy|d1|durable-sqlite|expo-sqlite|op-sqlite|sql-js|prisma/sqlite|tursodatabase)(/|$)";

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Modules import each other, directly or through others. Move what both need into a module below both.",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-folder-cycles",
      severity: "error",
      // A folder's dependencies include its subfolders' (src/ui's include src/ui/client's), so src/store ⇄ src/store/sqlite is
      // inside one folder and not a cycle here; nor is anything through the top-level files (src/*.ts).
      comment: "Two top-level folders under src/ depend on each other, e.g. store ⇄ delivery or config ⇄ delivery.",
      scope: "folder",
      from: { path: "^src/[^/]+$" },
      to: { path: "^src/[^/]+$", circular: true },
    },
    {
      name: "domain-is-pure",
      severity: "error",
      comment: "src/domain/ holds the vocabulary and the pure rules: it imports nothing from src/ outside itself (npm packages and node: built-ins are fine).",
      from: { path: "^src/domain/" },
      to: { path: "^src/", pathNot: "^src/domain/" },
    },
    {
      name: "sqlite-confined",
      severity: "error",
      comment: "Everything SQLite lives in src/store/sqlite/: nothing else imports bun:sqlite or drizzle's SQLite dialect and drivers.",
      from: { pathNot: "^src/store/sqlite/" },
      to: { path: ["^bun:sqlite$", DRIZZLE_SQLITE] },
    },
    {
      name: "api-not-engine",
      severity: "error",
      comment: "Routes parse, authorize and answer; they reach the engine through services, never delivery/, plugins/ (src/plugins/ or the built-in plugins in plugins/) or the SQLite adapter.",
      from: { path: "^src/api/" },
      to: { path: "^(src/delivery/|src/plugins/|src/store/sqlite/|plugins/)" },
    },
    {
      name: "store-not-upward",
      severity: "error",
      comment: "The store sits below the routes, services, engine, runtime and page: it imports none of them.",
      from: { path: "^src/store/" },
      to: { path: "^src/(api/|delivery/|services/|runtime/|ui/|server\\.ts$|main\\.ts$)" },
    },
    {
      name: "no-store-internals",
      severity: "error",
      comment: "Outside src/store/, only the wiring (src/runtime/, src/server.ts, src/main.ts) imports the SQLite adapter; everything else uses the port.",
      from: { pathNot: ["^src/store/", WIRING] },
      to: { path: "^src/store/sqlite/" },
    },
    {
      name: "domain-not-in-drizzle",
      severity: "error",
      comment: "The drizzle table files (src/store/**/schema.ts) are the store's business: the vocabulary outside the store comes from src/domain/.",
      from: { pathNot: "^src/store/" },
      to: { path: ["^src/store/schema\\.ts$", "^src/store/.+/schema\\.ts$"] },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import dependency-cruiser cannot resolve: a typo, a missing package, or a resolution option missing below.",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Imports of types count (`import type`, and imports used only as types).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // `bun:*` modules are built-ins already; the bare `bun` module is one too (not the npm package of that name).
    builtInModules: { add: ["bun"] },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "bun", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
      extensions: [".ts", ".d.ts", ".js", ".mjs", ".cjs", ".json"],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
