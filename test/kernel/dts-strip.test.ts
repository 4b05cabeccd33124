/**
 * kernel/dts-strip.js (tslab patch 9): a headless kernel reads declaration files without their
 * comments. That must not change a single declaration: for every declaration file a notebook's
 * program loads (`import … from "latentlab"`, with Node's types and TypeScript's own lib files),
 * TypeScript parses the stripped text to the same tree (node kinds, names and literals), with the
 * same `///` directives and the same number of lines; and tslab compiles the same cells to the same
 * JavaScript and the same diagnostics with and without the patch.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { FIXTURES, ROOT } from "./helpers";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stripComments } = require("../../kernel/dts-strip.js") as { stripComments: (t: string) => string };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ts = require(path.join(ROOT, "node_modules", "@tslab", "typescript-for-tslab")) as typeof import("typescript");

/** A parse tree as a flat list: node kinds, and the text of names and literals. */
function shape(text: string, file: string): string {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const out: (string | number)[] = [];
  const visit = (n: import("typescript").Node): void => {
    out.push(n.kind);
    if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n) || ts.isLiteralExpression(n) || ts.isTemplateLiteralToken(n)) out.push((n as { text: string } & import("typescript").Node).text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  const directives = [sf.referencedFiles, sf.typeReferenceDirectives, sf.libReferenceDirectives].map((l) => l.map((r) => r.fileName));
  out.push(JSON.stringify(directives), (sf as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics.length);
  return out.join("\u0001");
}

describe("declaration files without comments (headless kernels)", () => {
  it("strips comments and keeps strings, template literal types, /// directives and line breaks", () => {
    const src = [
      '/// <reference types="node" />',
      "/** Doc with a 'quote and `tick */",
      'export declare const url: "http://example.org/*not a comment*/"; // trailing',
      "export type Px = `${number}px//${`in${'//'}ner`}`; /* block",
      "   spanning lines */ export declare function f(a: string /* inline */, b: number): void;",
      "export type Obj = { a: `x${{ b: 1 } extends { b: infer B } ? B & string : never}//y` }; // end",
    ].join("\n");
    const out = stripComments(src);
    expect(out).toBe(
      [
        '/// <reference types="node" />',
        " ", // a one-line block comment becomes a space (it may separate two tokens)
        'export declare const url: "http://example.org/*not a comment*/"; ',
        "export type Px = `${number}px//${`in${'//'}ner`}`; ",
        " export declare function f(a: string  , b: number): void;",
        "export type Obj = { a: `x${{ b: 1 } extends { b: infer B } ? B & string : never}//y` }; ",
      ].join("\n"),
    );
    expect(shape(out, "x.d.ts")).toBe(shape(src, "x.d.ts"));
    // The comparison can fail: dropping a /// directive, or a string's "//", changes the shape.
    expect(shape(out.replace("/// <reference", "// <reference"), "x.d.ts")).not.toBe(shape(src, "x.d.ts"));
    expect(shape(out.replace("example.org/*not", "example.org/*NOT"), "x.d.ts")).not.toBe(shape(src, "x.d.ts"));
    expect(stripComments("export {};")).toBe("export {};");
  });

  it("gives TypeScript the same declarations for every file a notebook's program loads", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-dts-strip-"));
    try {
      const cell = path.join(dir, "cell.ts");
      fs.writeFileSync(cell, 'import * as ll from "latentlab";\nimport * as tf from "@tensorflow/tfjs";\nexport const x = [ll, tf];\n');
      const program = ts.createProgram([cell], {
        noEmit: true,
        target: ts.ScriptTarget.ES2020,
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.NodeJs,
        esModuleInterop: true,
        types: ["node"],
        typeRoots: [path.join(ROOT, "node_modules", "@types")],
        baseUrl: ROOT,
        paths: { latentlab: [ROOT] },
      });
      const files = program.getSourceFiles().filter((f) => f.isDeclarationFile).map((f) => f.fileName);
      expect(files.length, "declaration files in the program").toBeGreaterThan(800);
      let before = 0;
      let after = 0;
      const differ: string[] = [];
      for (const f of files) {
        const text = fs.readFileSync(f, "utf8");
        const stripped = stripComments(text);
        before += text.length;
        after += stripped.length;
        if (stripped.split("\n").length !== text.split("\n").length || shape(stripped, f) !== shape(text, f)) differ.push(path.relative(ROOT, f));
      }
      expect(differ).toEqual([]);
      // …and the stripping is worth it: well under half the characters are left to parse.
      expect(after / before).toBeLessThan(0.5);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("tslab compiles cells to the same JavaScript and diagnostics with stripped declarations", () => {
    const cells = [
      'import { rng, logSumExp, createVae } from "latentlab";\nimport * as tf from "@tensorflow/tfjs";\nconst g = rng(3);',
      "const t = tf.tensor2d([[1, 2]]);\nconst m = createVae({ latentDim: 2, hidden: [8] }, g);",
      "const s: string = logSumExp([1, 2]);", // a type error from latentlab's declarations
      "const u: number = t.matMul(t, true, false);", // a type error from TensorFlow.js's chained ops (module augmentation)
      "const v = t.square().sum().arraySync();",
    ];
    const compile = (headless: string): Array<{ diagnostics: unknown[]; output: string }> => {
      const script = `
        process.env.LATENTLAB_HEADLESS = ${JSON.stringify(headless)};
        require(${JSON.stringify(path.join(ROOT, "kernel", "tslab-patches.js"))}).install();
        require(${JSON.stringify(path.join(ROOT, "kernel", "tslab-speedup.js"))}).install();
        const conv = require(${JSON.stringify(path.join(ROOT, "node_modules", "tslab", "dist", "converter.js"))});
        const ts = require(${JSON.stringify(path.join(ROOT, "node_modules", "@tslab", "typescript-for-tslab"))});
        const c = conv.createConverter({ isJS: false, isBrowser: false });
        let prev = "";
        const out = [];
        for (const src of ${JSON.stringify(cells)}) {
          const r = c.convert(prev, src);
          out.push({ output: r.output, declOutput: r.declOutput,
            diagnostics: r.diagnostics.map((d) => [d.start.line, d.start.character, d.code, d.messageText]) });
          if (r.diagnostics.length === 0) prev = r.declOutput || "";
        }
        out.push({ stripped: !!ts.sys.readFile.latentlabStripped });
        process.stdout.write(JSON.stringify(out));
        process.exit(0);`;
      const r = spawnSync(process.execPath, ["-e", script], { cwd: FIXTURES, env: { ...process.env, LATENTLAB_TSLAB_PATCHES: "1" }, encoding: "utf8" });
      if (r.status !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stdout);
    };
    const plain = compile("0");
    const fast = compile("1");
    expect(plain.pop()).toEqual({ stripped: false });
    expect(fast.pop()).toEqual({ stripped: true });
    expect(fast).toEqual(plain);
    // Not vacuous: the two bad cells are reported, with messages that name the declared types.
    expect(plain.map((c) => c.diagnostics.length)).toEqual([0, 0, 1, 1, 0]);
    expect(JSON.stringify(plain[3].diagnostics)).toMatch(/Tensor/);
  }, 180_000);
});
