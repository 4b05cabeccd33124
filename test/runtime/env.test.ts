import { describe, expect, it } from "vitest";
import { checkEnvironment, envBackend, envCellTimeoutSeconds, envFlag, envSeed, isSmoke } from "../../src/runtime/env";
import { InputError } from "../../src/runtime/validate";

describe("environment settings, parsed strictly in one place", () => {
  it("flags: no/off/0/false are off (LATENTLAB_SMOKE=no used to turn smoke mode ON)", () => {
    for (const v of ["no", "off", "0", "false", "NO", " Off "]) expect(envFlag("LATENTLAB_SMOKE", false, { LATENTLAB_SMOKE: v })).toBe(false);
    for (const v of ["1", "yes", "on", "true", "TRUE"]) expect(envFlag("LATENTLAB_SMOKE", false, { LATENTLAB_SMOKE: v })).toBe(true);
    expect(envFlag("LATENTLAB_SMOKE", false, {})).toBe(false);
    expect(envFlag("LATENTLAB_SMOKE", true, { LATENTLAB_SMOKE: "" })).toBe(true);
    const old = process.env.LATENTLAB_SMOKE;
    try {
      process.env.LATENTLAB_SMOKE = "no";
      expect(isSmoke()).toBe(false);
    } finally {
      process.env.LATENTLAB_SMOKE = old;
    }
  });

  it("an unrecognized flag value is an InputError naming the variable and the accepted values", () => {
    expect(() => envFlag("LATENTLAB_SMOKE", false, { LATENTLAB_SMOKE: "maybe" })).toThrow(InputError);
    expect(() => envFlag("LATENTLAB_SMOKE", false, { LATENTLAB_SMOKE: "maybe" })).toThrow(
      'LATENTLAB_SMOKE="maybe" is not a value latentlab understands: use 1/true/yes/on to turn it on or 0/false/no/off to turn it off, or unset LATENTLAB_SMOKE.',
    );
  });

  it("LATENTLAB_CELL_TIMEOUT=abc is an error, not a silent 600 s", () => {
    expect(envCellTimeoutSeconds({ LATENTLAB_CELL_TIMEOUT: "45" })).toBe(45);
    expect(envCellTimeoutSeconds({})).toBeUndefined();
    for (const bad of ["abc", "0", "-5", "Infinity", "1e999"]) {
      expect(() => envCellTimeoutSeconds({ LATENTLAB_CELL_TIMEOUT: bad })).toThrow(/LATENTLAB_CELL_TIMEOUT=.* use a positive number of seconds/);
    }
  });

  it("seeds and backends", () => {
    expect(envSeed({ LATENTLAB_SEED: "11" })).toBe(11);
    for (const bad of ["-3", "1.5", "abc", "0x10"]) expect(() => envSeed({ LATENTLAB_SEED: bad })).toThrow(/LATENTLAB_SEED.*non-negative integer/);
    expect(envBackend({ LATENTLAB_BACKEND: "node" })).toBe("tensorflow");
    expect(envBackend({ LATENTLAB_BACKEND: "WASM" })).toBe("wasm");
    expect(() => envBackend({ LATENTLAB_BACKEND: "gpu" })).toThrow(/Use one of tensorflow, wasm, cpu/);
  });

  it("checkEnvironment lists every bad value and warns about unknown LATENTLAB_* names", () => {
    const r = checkEnvironment({ LATENTLAB_SMOKE: "maybe", LATENTLAB_CELL_TIMEOUT: "abc", LATENTLAB_SMOK: "1", PATH: "/bin" });
    expect(r.errors).toHaveLength(2);
    expect(r.errors.join("\n")).toMatch(/LATENTLAB_SMOKE="maybe"[^]*LATENTLAB_CELL_TIMEOUT="abc"/);
    expect(r.warnings).toEqual(["LATENTLAB_SMOK is not a setting latentlab reads (did you mean LATENTLAB_SMOKE?); it has no effect."]);
    expect(checkEnvironment({ LATENTLAB_SMOKE: "1", LATENTLAB_KERNEL: "1" })).toEqual({ errors: [], warnings: [] });
  });
});
