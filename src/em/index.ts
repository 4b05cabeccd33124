export * from "./points";
export * from "./kmeansInit";
export { type DistanceEngine } from "./kmeansDistances";
export * from "./kmeans";
export * from "./kmeansModel";
export * from "./gmm";
export * from "./figures";
export * from "./straightThrough";
