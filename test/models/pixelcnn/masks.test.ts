import { describe, expect, it } from "vitest";
import { channelGroup, convMask, expandSpatialMask, gatedStackMask, lectureMask5x5, spatialMask } from "../../../src/models/pixelcnn/masks";

describe("PixelCNN masks", () => {
  it("reproduces lecture 001's 5×5 mask exactly (mask A)", () => {
    expect(lectureMask5x5()).toEqual([
      [1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1],
      [1, 1, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
  });

  it("mask A keeps the (k²−1)/2 taps before the centre in raster order, mask B the centre too", () => {
    for (const k of [1, 3, 5, 7]) {
      const a = spatialMask(k, "A");
      const b = spatialMask(k, "B");
      const flatA = a.flat();
      const flatB = b.flat();
      const centre = (k * k - 1) / 2;
      flatA.forEach((v, t) => expect(v).toBe(t < centre ? 1 : 0));
      flatB.forEach((v, t) => expect(v).toBe(t <= centre ? 1 : 0));
    }
  });

  it("single-colour conv masks repeat the spatial mask over every channel pair", () => {
    const m = convMask(3, "B", { inChannels: 2, outChannels: 3 });
    const s = spatialMask(3, "B").flat();
    for (let t = 0; t < 9; t++) for (let i = 0; i < 2; i++) for (let o = 0; o < 3; o++) expect(m[(t * 2 + i) * 3 + o]).toBe(s[t]);
  });

  it("colour-group masks order R < G < B at the centre tap (A: strictly earlier groups, B: up to the same group)", () => {
    const cin = 3;
    const cout = 6;
    const a = convMask(3, "A", { inChannels: cin, outChannels: cout, colorGroups: 3 });
    const b = convMask(3, "B", { inChannels: cin, outChannels: cout, colorGroups: 3 });
    const centre = 4;
    for (let i = 0; i < cin; i++) {
      for (let o = 0; o < cout; o++) {
        const gi = channelGroup(i, cin, 3);
        const go = channelGroup(o, cout, 3);
        expect(a[(centre * cin + i) * cout + o]).toBe(gi < go ? 1 : 0);
        expect(b[(centre * cin + i) * cout + o]).toBe(gi <= go ? 1 : 0);
        // off-centre taps follow the spatial mask: tap 3 (left of centre) on, tap 5 (right) off
        expect(a[(3 * cin + i) * cout + o]).toBe(1);
        expect(a[(5 * cin + i) * cout + o]).toBe(0);
      }
    }
    expect(channelGroup(0, 6, 3)).toBe(0);
    expect(channelGroup(5, 6, 3)).toBe(2);
  });

  it("gated stacks: vertical = rows above (+ centre row after the first layer), horizontal = left of centre (+ centre after the first)", () => {
    expect(gatedStackMask(3, "vertical", true)).toEqual([[1, 1, 1], [0, 0, 0], [0, 0, 0]]);
    expect(gatedStackMask(3, "vertical", false)).toEqual([[1, 1, 1], [1, 1, 1], [0, 0, 0]]);
    expect(gatedStackMask(3, "horizontal", true)).toEqual([[0, 0, 0], [1, 0, 0], [0, 0, 0]]);
    expect(gatedStackMask(3, "horizontal", false)).toEqual([[0, 0, 0], [1, 1, 0], [0, 0, 0]]);
    // the first-layer stacks together see exactly mask A's taps
    const v = gatedStackMask(5, "vertical", true).flat();
    const h = gatedStackMask(5, "horizontal", true).flat();
    expect(v.map((x, t) => x + h[t])).toEqual(spatialMask(5, "A").flat());
    expect(Array.from(expandSpatialMask([[1, 0], [0, 1]], 1, 2))).toEqual([1, 1, 0, 0, 0, 0, 1, 1]);
  });

  it("rejects even kernels, unknown types and colour groups that do not divide the channels", () => {
    expect(() => spatialMask(4, "A")).toThrow(/odd positive integer/);
    expect(() => spatialMask(3, "C" as "A")).toThrow(/"A".*"B"/);
    expect(() => convMask(3, "A", { inChannels: 4, outChannels: 6, colorGroups: 3 })).toThrow(/multiples of 3/);
    expect(() => convMask(3, "A", { inChannels: 0, outChannels: 6 })).toThrow(/inChannels/);
  });
});
