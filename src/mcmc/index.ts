export * from "./metropolis";
export * from "./vaePosterior";
export * from "./figures";
