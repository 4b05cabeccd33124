/** Sample-quality measures for models without a likelihood: Fréchet distance on classifier features, CAS. */
export * from "./frechet";
export * from "./params";
export * from "./classifier";
export * from "./cas";
export * from "./compare";
