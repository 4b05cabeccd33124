export * from "./quantizer";
export * from "./codebook";
export * from "./model";
export * from "./codes";
export * from "./rate";
export * from "./train";
export * from "./recipes";
