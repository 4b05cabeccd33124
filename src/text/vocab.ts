/**
 * Character vocabulary with one boundary token "." (index 0), as in makemore: a name
 * "ada" is the token sequence . a d a . — the first "." is the context before the first
 * letter, the last one is the end-of-name event the model must also predict.
 */
export class CharVocab {
  readonly chars: string[];
  private readonly index: Map<string, number>;
  static readonly BOUNDARY = ".";

  constructor(chars: Iterable<string>) {
    const set = [...new Set(chars)].filter((c) => c !== CharVocab.BOUNDARY).sort();
    for (const c of set) if (c.length !== 1) throw new RangeError(`CharVocab: "${c}" is not a single character.`);
    this.chars = [CharVocab.BOUNDARY, ...set];
    this.index = new Map(this.chars.map((c, i) => [c, i]));
  }

  /** The vocabulary of every character in `words`, plus the boundary. */
  static fromWords(words: readonly string[]): CharVocab {
    const s = new Set<string>();
    for (const w of words) for (const c of w) s.add(c);
    return new CharVocab(s);
  }

  /** Vocabulary size V (letters + boundary). */
  get size(): number {
    return this.chars.length;
  }

  /** Token ids of a word, without boundaries. */
  encode(word: string): number[] {
    return Array.from(word, (c) => {
      const i = this.index.get(c);
      if (i === undefined) throw new RangeError(`CharVocab.encode: character "${c}" in "${word}" is not in the vocabulary.`);
      return i;
    });
  }

  decode(ids: readonly number[]): string {
    return ids.map((i) => this.chars[i]).join("");
  }
}
