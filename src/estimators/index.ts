export * from "./gradients";
export * from "./elboEstimator";
