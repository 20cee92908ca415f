// The page's files, made when Herald's own code is transpiled: imported `with { type: "macro" }`, this runs
// inside Bun's transpiler (`bun src/main.ts`, `bun test`) and bundler (`bun build --compile`), and what it
// returns is inlined as string literals. So the compiled binary carries the page and reads no file at run time.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const CLIENT = join(import.meta.dir, "client");

export interface PageFiles {
  html: string;
  js: string;
  css: string;
  icon: string;
}

export function pageFiles(): PageFiles {
  // Bun.build cannot run inside a macro (the bundler waits on the macro), so the CLI does the bundling.
  const build = Bun.spawnSync([process.execPath, "build", join(CLIENT, "main.ts"), "--target=browser", "--format=esm", "--minify"]);
  if (build.exitCode !== 0) throw new Error(`bundling the event-log page failed:\n${build.stderr.toString()}`);
  return {
    html: readFileSync(join(CLIENT, "index.html"), "utf8"),
    js: build.stdout.toString(),
    css: readFileSync(join(CLIENT, "styles.css"), "utf8"),
    icon: readFileSync(join(CLIENT, "icon.svg"), "utf8"),
  };
}
