/**
 * Type-check every notebook's code cells exactly as the latentlab kernel will compile them:
 * with tslab's own converter (its TypeScript 5.0.4, its fixed options: strict off, top-level
 * await allowed, ES2022, Node10 module resolution) against the compiled library in lib/.
 * Each cell sees the declarations of the cells before it, as in the kernel. Nothing is run.
 *
 *   npm run typecheck:notebooks [-- <notebook files or names…>]
 *
 * Reports "notebook / code cell N (id) / line L:C  message" and exits 1 on any error.
 * This also proves that lib/*.d.ts is readable by TypeScript 5.0.
 */
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const NOTEBOOKS = path.join(ROOT, "notebooks");

interface TslabDiagnostic {
  start: { line: number; character: number };
  messageText: string;
  category: number;
  code: number;
  fileName?: string;
}
interface TslabConverter {
  convert(prevDecl: string, src: string): { declOutput?: string; diagnostics: TslabDiagnostic[] };
  addModule(name: string, content: string, meta?: object): TslabDiagnostic[];
  close(): void;
}

export interface CellDiagnostic {
  notebook: string;
  /** 1-based among code cells. */
  codeCell: number;
  cellId: string;
  /** 1-based line and column within the cell (or within `fileName` when set). */
  line: number;
  column: number;
  code: number;
  message: string;
  fileName?: string;
}

export interface TypecheckResult {
  notebooks: number;
  cells: number;
  diagnostics: CellDiagnostic[];
  seconds: number;
}

/** Error category 1 = Error in TypeScript's DiagnosticCategory. */
const ERROR = 1;

function loadTslab(): {
  createConverter: (o: { isJS: boolean; isBrowser: boolean }) => TslabConverter;
  getCodeMetadata: (src: string) => { mode?: string; module?: string; jsx?: true };
  tsVersion: string;
} {
  // The kernel's own speed-up (kernel/tslab-speedup.js): same options and diagnostics, faster.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require(path.join(ROOT, "kernel", "tslab-speedup.js")) as { install: () => boolean }).install();
  const tslabDir = path.dirname(require.resolve("tslab/package.json", { paths: [ROOT] }));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const conv = require(path.join(tslabDir, "dist", "converter.js"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const meta = require(path.join(tslabDir, "dist", "metadata.js"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require(require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] }));
  return { createConverter: conv.createConverter, getCodeMetadata: meta.getCodeMetadata, tsVersion: ts.version };
}

function cellSource(s: string | string[]): string {
  return Array.isArray(s) ? s.join("") : s;
}

/**
 * Type-check the given notebook files (default: every notebooks/*.ipynb). Builds lib/ first if
 * it is stale. The converter compiles relative to the notebook's folder, as the kernel does.
 */
export function typecheckNotebooks(files?: string[]): TypecheckResult {
  const t0 = Date.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ensureFresh } = require(path.join(ROOT, "kernel", "build-lib.js")) as {
    ensureFresh: (o?: { quiet?: boolean }) => { ok: boolean; message: string };
  };
  const build = ensureFresh({ quiet: true });
  if (!build.ok) throw new Error(`src/ does not compile, so lib/ cannot be checked against:\n${build.message}`);
  const list =
    files ??
    (fs.existsSync(NOTEBOOKS)
      ? fs
          .readdirSync(NOTEBOOKS)
          .filter((f) => f.endsWith(".ipynb"))
          .sort()
          .map((f) => path.join(NOTEBOOKS, f))
      : []);
  const { createConverter, getCodeMetadata } = loadTslab();
  const diagnostics: CellDiagnostic[] = [];
  let cells = 0;
  // One converter per folder (tslab's converter resolves relative to the process's cwd).
  const byDir = new Map<string, string[]>();
  for (const f of list) {
    const d = path.dirname(path.resolve(f));
    byDir.set(d, [...(byDir.get(d) ?? []), path.resolve(f)]);
  }
  const cwd = process.cwd();
  try {
    for (const [dir, nbs] of byDir) {
      process.chdir(dir);
      const conv = createConverter({ isJS: false, isBrowser: false });
      try {
        for (const file of nbs) {
          const name = path.basename(file).replace(/\.ipynb$/, "");
          const nb = JSON.parse(fs.readFileSync(file, "utf8")) as {
            cells: Array<{ cell_type: string; source: string | string[]; id?: string }>;
          };
          let prevDecl = "";
          let codeCell = 0;
          for (const cell of nb.cells) {
            if (cell.cell_type !== "code") continue;
            codeCell++;
            const src = cellSource(cell.source);
            if (src.trim() === "") continue;
            cells++;
            const meta = getCodeMetadata(src);
            if (meta.mode === "browser") continue;
            const converted = meta.module ? { diagnostics: conv.addModule(meta.module, src, meta) } : conv.convert(prevDecl, src);
            const diags = converted.diagnostics;
            const errors = diags.filter((d) => d.category === ERROR);
            for (const d of errors) {
              diagnostics.push({
                notebook: name,
                codeCell,
                cellId: cell.id ?? "",
                line: d.start.line + 1,
                column: d.start.character + 1,
                code: d.code,
                message: d.messageText,
                fileName: d.fileName,
              });
            }
            if (errors.length === 0 && !meta.module) {
              // As the kernel does after a successful cell: later cells see these declarations.
              prevDecl = (converted as { declOutput?: string }).declOutput ?? "";
            }
          }
        }
      } finally {
        conv.close();
      }
    }
  } finally {
    process.chdir(cwd);
  }
  return { notebooks: list.length, cells, diagnostics, seconds: (Date.now() - t0) / 1000 };
}

export function formatDiagnostic(d: CellDiagnostic): string {
  const where = d.fileName ? `${d.fileName} ` : "";
  return `${d.notebook} / code cell ${d.codeCell}${d.cellId ? ` (id ${d.cellId})` : ""} / ${where}line ${d.line}:${d.column}  TS${d.code}: ${d.message}`;
}

function resolveArg(a: string): string {
  if (fs.existsSync(a)) return path.resolve(a);
  const base = a.replace(/\.ipynb$/, "");
  const all = fs.existsSync(NOTEBOOKS) ? fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith(".ipynb")) : [];
  const hit = all.filter((f) => f === base + ".ipynb" || f.startsWith(base));
  if (hit.length !== 1) throw new Error(`No single notebook matches "${a}" in ${NOTEBOOKS}.`);
  return path.join(NOTEBOOKS, hit[0]);
}

function main(): number {
  const args = process.argv.slice(2);
  const files = args.length ? args.map(resolveArg) : undefined;
  const res = typecheckNotebooks(files);
  for (const d of res.diagnostics) process.stdout.write(formatDiagnostic(d) + "\n");
  process.stdout.write(
    `typecheck:notebooks: ${res.notebooks} notebooks, ${res.cells} code cells, ` +
      `${res.diagnostics.length} errors (tslab TypeScript ${loadTslab().tsVersion}, ${res.seconds.toFixed(1)} s)\n`,
  );
  return res.diagnostics.length ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]).replace(/\.ts$/, "") === __filename.replace(/\.ts$/, "")) {
  try {
    process.exitCode = main();
  } catch (e) {
    process.stderr.write((e as Error).message + "\n");
    process.exitCode = 2;
  }
  // tslab's converter leaves file watchers behind; do not wait for them.
  process.exit();
}
