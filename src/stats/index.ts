export * from "./gof";
export * from "./gaussian-mle";
export * from "./figures";
