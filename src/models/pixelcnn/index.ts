export * from "./masks";
export * from "./network";
export * from "./likelihood";
export * from "./sampling";
export * from "./trainable";
export * from "./checkpoint";
export * from "./recipes";
export * from "./receptiveField";
