export * from "./distribution";
export * from "./scalar";
export * from "./multivariate";
export * from "./mixture";
export * from "./kl";
export * from "./samplers";
export * from "./quadrature";
export * from "./dice";
