/**
 * The pure parts of kernel/tslab-patches.js, without a kernel: the send queue keeps order and
 * merges only what may be merged; a traceback line maps compiled JavaScript back to the cell's
 * TypeScript line; a failed cell keeps exactly the declarations that hold a value.
 */
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const patches = require(path.join(ROOT, "kernel", "tslab-patches.js")) as {
  SendQueue: new (sock: { send(f: unknown): Promise<void>; close(): void }, name: string) => {
    facade: { send(f: unknown): Promise<void> };
    stream(msg: unknown, key: string, name: string, text: string): void;
    display(msg: unknown, key: string, content: unknown, update: boolean): void;
    drain(): Promise<void>;
  };
  sourceLineOf(output: string, src: string, outLine: number): number | null;
  keptDeclarations(ts: unknown, decl: string, locals: Record<string, unknown>): string;
  expandShorthands(ts: unknown, src: string): string;
  errorContent(err: unknown, ctx: object): { ename: string; evalue: string; traceback: string[] };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ts = require(require.resolve("@tslab/typescript-for-tslab", { paths: [path.dirname(require.resolve("tslab/package.json"))] }));

/** A fake message: createReply + signAndSend as tslab's ZmqMessage has them. */
function fakeMsg(id: string) {
  return {
    createReply() {
      const r = { header: { msg_type: "" }, content: {} as unknown, signAndSend: (_key: string, sock: { send(f: unknown): void }) => sock.send([r.header.msg_type, JSON.stringify(r.content)]) };
      return r;
    },
    id,
  };
}

describe("tslab patches", () => {
  it("the send queue sends one message at a time, in order, merging consecutive stream writes of one cell", async () => {
    const sent: unknown[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const sock = {
      send: async (f: unknown) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        sent.push(f);
        inFlight--;
      },
      close() {},
    };
    const q = new patches.SendQueue(sock, "iopub");
    const a = fakeMsg("a");
    void q.facade.send(["status", "busy"]);
    for (let i = 0; i < 1000; i++) q.stream(a, "k", "stdout", `${i}\n`);
    q.stream(a, "k", "stderr", "warn\n");
    q.display(a, "k", { data: { "text/plain": "bar 1" }, transient: { display_id: "p" } }, true);
    q.display(a, "k", { data: { "text/plain": "bar 2" }, transient: { display_id: "p" } }, true);
    q.stream(a, "k", "stdout", "after\n");
    void q.facade.send(["status", "idle"]);
    await q.drain();
    expect(maxInFlight).toBe(1);
    const types = sent.map((f) => (f as string[])[0]);
    expect(types).toEqual(["status", "stream", "stream", "update_display_data", "stream", "status"]);
    const text = sent.filter((f) => (f as string[])[0] === "stream").map((f) => JSON.parse((f as string[])[1]) as { name: string; text: string });
    expect(text[0].text).toBe(Array.from({ length: 1000 }, (_, i) => `${i}\n`).join(""));
    expect(text[1]).toEqual({ name: "stderr", text: "warn\n" });
    expect(JSON.parse((sent[3] as string[])[1]).data["text/plain"]).toBe("bar 2"); // the newer update replaced the queued one
    expect(text[2].text).toBe("after\n");
  });

  it("maps a compiled line back to the cell's TypeScript line", () => {
    const src = [`import { assertClose } from "latentlab";`, `const estimate: number = 0.52;`, ``, `// a comment`, `assertClose("mean", estimate, 0.5, { tol: 0.01 });`, `const after = 1;`].join("\n");
    const output = [
      `(function(exports, require) { Object.defineProperty(exports, "__esModule", { value: true });`,
      `exports.after = exports.estimate = void 0;`,
      `const latentlab_1 = require("latentlab");`,
      `exports.estimate = 0.52;`,
      `// a comment`,
      `(0, latentlab_1.assertClose)("mean", exports.estimate, 0.5, { tol: 0.01 });`,
      `exports.after = 1;`,
    ].join("\n");
    expect(patches.sourceLineOf(output, src, 6)).toBe(5);
    expect(patches.sourceLineOf(output, src, 4)).toBe(2);
    expect(patches.sourceLineOf(output, src, 7)).toBe(6);
  });

  it("object shorthand is written out on its own line, in literals and destructuring assignments, nowhere else", () => {
    const src = [
      "const o = { name, n2 };",
      "const p = { a: 1, b, ...rest, f() { return { c }; } };",
      "({ d, e = 2 } = q);",
      "type T = { x: number };",
      "const { g } = h;",
      "let s = '{ name }';",
    ].join("\n");
    const out = patches.expandShorthands(ts, src);
    expect(out.split("\n")).toEqual([
      "const o = { name: name, n2: n2 };",
      "const p = { a: 1, b: b, ...rest, f() { return { c: c }; } };",
      "({ d: d, e: e = 2 } = q);",
      "type T = { x: number };",
      "const { g } = h;",
      "let s = '{ name }';",
    ]);
    // Same JavaScript: evaluating both gives the same objects.
    const run = (code: string) => new Function("name", "n2", code)("abc", 3);
    expect(run(patches.expandShorthands(ts, "return { name, n2 };"))).toEqual(run("return { name, n2 };"));
    expect(patches.expandShorthands(ts, "const x = 1;")).toBe("const x = 1;");
    expect(patches.expandShorthands(ts, "const o = { a, ")).toBe("const o = { a: a, ");
  });

  it("a failed cell keeps imports, functions and assigned variables, not the variables it never reached", () => {
    const decl = [`import { trainVae } from "latentlab";`, `export declare const a: number;`, `export declare let b: string;`, `export declare function f(x: number): number;`, `export declare const c: number, d: number;`, `interface T { x: number }`, ``].join("\n");
    const kept = patches.keptDeclarations(ts, decl, { a: 1, b: undefined, f: () => 0, c: 2, d: undefined });
    expect(kept).toContain(`import { trainVae } from "latentlab";`);
    expect(kept).toContain(`export declare const a: number;`);
    expect(kept).not.toContain(`let b`);
    expect(kept).toContain(`export declare function f(x: number): number;`);
    expect(kept).not.toContain(`const c: number, d`);
    expect(kept).toContain(`interface T`);
  });

  it("an AbortError is one line; a thrown non-Error is reported as such", () => {
    const abort = Object.assign(new Error("Interrupted by the user (kernel interrupt). Stopped training at epoch 3."), { name: "AbortError" });
    expect(patches.errorContent(abort, { src: "", count: 4 })).toEqual({ ename: "AbortError", evalue: abort.message, traceback: [`AbortError: ${abort.message}`] });
    const thrown = patches.errorContent({ code: 7 }, { src: "", count: 4 });
    expect([thrown.ename, thrown.evalue]).toEqual(["Thrown", '{"code":7}']);
    const abandoned = patches.errorContent(new Error("Interrupted asynchronously"), { src: "", count: 5, abandoned: true });
    expect(abandoned.traceback).toHaveLength(1);
    expect(abandoned.evalue).toMatch(/cell In\[5\] did not stop within 1 s.*steps\(n\)/);
  });
});

describe("receive loops and a bind in progress (patch 10)", () => {
  // tslab iterates over its sockets before their bind has finished. A fresh node process per
  // case, so that the zeromq prototype is patched only where the case says.
  const script = (patch: boolean) => `
    const zmq = require(require.resolve("zeromq", { paths: [${JSON.stringify(path.dirname(require.resolve("tslab/package.json")))}] }));
    if (${patch}) require(${JSON.stringify(path.join(ROOT, "kernel", "tslab-patches.js"))}).patchReceiveLoops(zmq);
    (async () => {
      const router = new zmq.Router();
      const it = router[Symbol.asyncIterator]();
      const bound = router.bind("tcp://127.0.0.1:*");
      const first = it.next().then((m) => "got " + String(m.value[1]), (e) => "rejected " + e.code);
      await bound;
      const dealer = new zmq.Dealer();
      dealer.connect(router.lastEndpoint);
      await dealer.send("kernel_info_request");
      console.log(await first);
      router.close();
      dealer.close();
    })();`;
  const run = (patch: boolean) =>
    require("child_process").execFileSync(process.execPath, ["-e", script(patch)], { encoding: "utf8", timeout: 20_000 }).trim();

  it("unpatched, a receive during the bind fails with EBUSY (the shell loop ended there)", () => {
    expect(run(false)).toBe("rejected EBUSY");
  });
  it("patched, the same receive waits for the bind and gets the request", () => {
    expect(run(true)).toBe("got kernel_info_request");
  });
});
