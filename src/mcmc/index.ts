export * from "./metropolis";
export * from "./vaePosterior";
