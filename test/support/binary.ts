// `bun build --compile`, once per test run: every test file that runs the executable shares this build.
import { join } from "node:path";
import { removeWhenTestsEnd } from "./cleanup.ts";
import { tempDir } from "./herald.ts";
import { REPO_ROOT, runCommand } from "./process.ts";
import packageJson from "../../package.json";

export const BUILD_TIMEOUT_MS = 60_000;

let built: Promise<string> | undefined;

/** The path of a freshly compiled `herald`, in a folder removed once every test file has run. */
export function compiledHerald(): Promise<string> {
  built ??= (async () => {
    const dir = tempDir("herald-build-");
    removeWhenTestsEnd(dir);
    const binary = join(dir, "herald");
    // The entry points `npm run build` compiles: the server and its checkpoint thread.
    const entrypoints = packageJson.scripts.build.split(" ").filter((word) => word.endsWith(".ts"));
    const build = await runCommand([process.execPath, "build", "--compile", ...entrypoints, "--outfile", binary], { cwd: REPO_ROOT, env: { HOME: process.env.HOME ?? "" } });
    if (build.exitCode !== 0) throw new Error(`bun build --compile exited ${build.exitCode}\n${build.stdout}\n${build.stderr}`);
    return binary;
  })();
  return built;
}
