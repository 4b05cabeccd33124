export * from "./names";
export * from "./vocab";
export * from "./ngram";
export * from "./char-rnn";
