/**
 * latentlab: the library behind the notebooks. Notebooks import from "latentlab"
 * (resolved by the latentlab kernel to the compiled lib/ of this folder).
 */
import { assertFreshBuild } from "./runtime/freshness";
assertFreshBuild(__dirname);

export * from "./runtime/rng";
export * from "./runtime/env";
export * from "./runtime/abort";
export * from "./runtime/backend";
export * from "./math/special";
export * as linalg from "./math/linalg";
export * from "./data/mnist";
export * from "./runtime/check";
export * from "./plot/figure";
// Each area of the library adds one export line below.
