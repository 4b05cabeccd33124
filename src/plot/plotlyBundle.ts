/**
 * plotly.js as a string of JavaScript, for pages and notebook outputs that must work offline.
 *
 * plotly.js-dist ships one unminified bundle (~10 MB). Inlined as is, it would make every
 * executed notebook and every exported .html 10 MB heavier, so we minify it once with esbuild
 * (~4.8 MB, ~1.3 s) and cache the result under node_modules/.cache/latentlab/, keyed by the
 * plotly and esbuild versions. Without esbuild the unminified bundle is used unchanged.
 */
import * as fs from "fs";
import * as path from "path";

let cached: { code: string; version: string } | null = null;

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

/** The plotly.js version bundled by plotly.js-dist (e.g. "4.1.1"). */
export function plotlyVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageDir("plotly.js-dist"), "package.json"), "utf8")) as { version: string }).version;
}

/** The path of plotly.js-dist's browser bundle. */
export function plotlyBundlePath(): string {
  return path.join(packageDir("plotly.js-dist"), "plotly.js");
}

/**
 * The plotly.js bundle source, minified when esbuild is available. Deterministic for fixed
 * plotly and esbuild versions. The source never contains "</script" (checked), so it can be
 * inlined in a <script> element.
 */
export function plotlySource(): string {
  if (cached) return cached.code;
  const version = plotlyVersion();
  const raw = plotlyBundlePath();
  let code: string | null = null;
  let esbuild: { transformSync(src: string, o: object): { code: string }; version: string } | null = null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    esbuild = require("esbuild");
  } catch {
    esbuild = null;
  }
  if (esbuild) {
    const cacheDir = path.join(path.dirname(packageDir("plotly.js-dist")), ".cache", "latentlab");
    const cacheFile = path.join(cacheDir, `plotly-${version}-esbuild-${esbuild.version}.min.js`);
    if (fs.existsSync(cacheFile)) {
      code = fs.readFileSync(cacheFile, "utf8");
    } else {
      code = esbuild.transformSync(fs.readFileSync(raw, "utf8"), { minify: true, legalComments: "none" }).code;
      code = `/* plotly.js v${version} (MIT license, Plotly, Inc.), minified by latentlab */\n${code}`;
      try {
        fs.mkdirSync(cacheDir, { recursive: true });
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, code);
        fs.renameSync(tmp, cacheFile);
      } catch {
        /* read-only node_modules: minify again next session */
      }
    }
  }
  if (code === null) code = fs.readFileSync(raw, "utf8");
  if (/<\/script/i.test(code)) {
    throw new Error(`plotly.js bundle at ${raw} contains "</script" and cannot be inlined in HTML; report this with the plotly.js version (${version}).`);
  }
  cached = { code, version };
  return code;
}
