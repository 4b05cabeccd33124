import { describe, expect, it } from "vitest";
import {
  InputError,
  checkFinite,
  checkFloat32Array,
  checkInRange,
  checkInteger,
  checkNumberArray,
  checkOneOf,
  checkOptions,
  checkPositive,
  checkPositiveInt,
  checkTypedArray,
  closestName,
} from "../../src/runtime/validate";

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).name).toBe("InputError");
    return (e as Error).message;
  }
  throw new Error("expected an InputError");
}

describe("validate", () => {
  it("positive integers: accepts 1 and 7, rejects 0, 1.5, NaN, '3', -2", () => {
    expect(checkPositiveInt("f", "k", 1)).toBe(1);
    expect(checkPositiveInt("f", "k", 7)).toBe(7);
    for (const bad of [0, 1.5, NaN, "3", -2, Infinity, undefined, null]) {
      expect(message(() => checkPositiveInt("kMeans", "options.k", bad, "pass the number of clusters"))).toMatch(
        /^kMeans: options\.k must be a positive integer, got .*\. Pass the number of clusters\.$/,
      );
    }
    expect(message(() => checkPositiveInt("f", "k", "3"))).toContain('"3" (string)');
  });

  it("finite and positive numbers", () => {
    expect(checkFinite("f", "x", -2.5)).toBe(-2.5);
    expect(() => checkFinite("f", "x", Infinity)).toThrow(InputError);
    expect(checkPositive("f", "lr", 1e-3)).toBe(1e-3);
    for (const bad of [0, -1e-3, NaN, Infinity]) expect(() => checkPositive("f", "lr", bad)).toThrow(/lr must be a finite number > 0/);
  });

  it("ranges: closed and open ends", () => {
    expect(checkInRange("f", "p", 0, 0, 1)).toBe(0);
    expect(checkInRange("f", "p", 1, 0, 1)).toBe(1);
    expect(message(() => checkInRange("f", "p", 0, 0, 1, { open: "lo" }))).toContain("a number in (0, 1]");
    expect(message(() => checkInRange("f", "p", 1, 0, 1, { open: "both" }))).toContain("a number in (0, 1)");
    expect(checkInteger("f", "i", 3, { min: 0, max: 3 })).toBe(3);
    expect(message(() => checkInteger("f", "i", 4, { min: 0, max: 3 }))).toContain("an integer in [0, 3]");
  });

  it("enumerations list every accepted value", () => {
    expect(checkOneOf("kMeans", "options.engine", "js", ["js", "wasm"] as const)).toBe("js");
    expect(message(() => checkOneOf("kMeans", "options.engine", "gpu", ["js", "wasm"]))).toBe(
      'kMeans: options.engine must be one of "js", "wasm", got "gpu" (string).',
    );
  });

  it("typed arrays: kind, exact length, multiple of a row width, finite entries", () => {
    const a = new Float32Array(6);
    expect(checkFloat32Array("f", "x", a, { length: 6 })).toBe(a);
    expect(checkFloat32Array("f", "x", a, { multipleOf: 3 })).toBe(a);
    expect(message(() => checkFloat32Array("f", "x", a, { length: 784 }))).toContain("a Float32Array of length 784, got a Float32Array of length 6");
    expect(message(() => checkFloat32Array("f", "x", a, { multipleOf: 4 }))).toContain("multiple of 4");
    expect(message(() => checkFloat32Array("f", "x", [1, 2]))).toContain("an array of length 2");
    expect(checkTypedArray("f", "x", new Uint8Array(3), { length: 3 }).length).toBe(3);
    expect(() => checkTypedArray("f", "x", new DataView(new ArrayBuffer(4)))).toThrow(InputError);
    expect(message(() => checkNumberArray("f", "x", [1, "2"]))).toContain('x[1] must be a number, got "2" (string)');
    expect(message(() => checkNumberArray("f", "x", Float64Array.of(1, NaN), { finite: true }))).toContain("x[1] must be a finite number, got NaN");
  });

  it("options bags: plain objects with known keys, unknown keys suggest the closest", () => {
    expect(checkOptions("f", undefined, ["a"])).toEqual({});
    expect(checkOptions("f", { a: 1 }, ["a", "b"])).toEqual({ a: 1 });
    expect(message(() => checkOptions("kMeans", { engin: "js" }, ["engine", "init", "seed"]))).toBe(
      'kMeans: unknown option "engin". Did you mean "engine"? Known: engine, init, seed.',
    );
    expect(message(() => checkOptions("kMeans", [1], ["a"]))).toContain("options must be a plain object");
    expect(message(() => checkOptions("kMeans", new Float32Array(2), ["a"]))).toContain("got a Float32Array of length 2");
    expect(closestName("zzzzzz", ["engine"])).toBeUndefined();
  });
});
