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
export * from "./runtime/validate";
export * from "./plot/figure";
// Each area of the library adds one export line below.
export * from "./prob";
export * from "./plot";
export { progress, type ProgressBar, type ProgressOptions, type ProgressMetrics } from "./runtime/progress";
export * from "./stats";
export * from "./data";
export * from "./io";
export * from "./graphical";
export * from "./vi";
export * from "./models";
export * from "./models/quality";
export * from "./models/gan";
export * from "./models/diffusion";
export * from "./train";
export * from "./mcmc";
export * from "./estimators";
export * from "./data/dsprites";
export * from "./text";
export * from "./kernels";
export * from "./em";
export * from "./models/pixelcnn";
export * from "./models/vqvae";
