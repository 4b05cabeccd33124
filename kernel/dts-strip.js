// Comments out of a TypeScript declaration file, for a headless kernel's compiler.
//
// A kernel's first `import … from "latentlab"` makes tslab's compiler parse about 900
// declaration files (latentlab's, TensorFlow.js's, Node's): 5.7 MB, of which about 60% is
// doc comments, and TypeScript 5.0 parses every JSDoc comment it meets. No one reads those
// docs in a headless run (the runner, `npm test`, the grader: nobody asks for tooltips), so
// there the kernel reads declaration files without their comments: 0.4–0.6 CPU-s less per
// kernel. Interactive kernels keep the comments (JupyterLab shows them on Shift+Tab).
//
// stripComments keeps every token of the file, and every line break (positions in error
// messages keep their line numbers); it drops `//` and `/* */` comments except `///`
// directives (`/// <reference …>`). Strings and template literal types are copied as they
// are, however many `//` they hold. Declaration files hold no regular-expression literals and
// no JSX, which is what makes a character scan enough; test/kernel/dts-strip.test.ts checks
// that TypeScript's scanner sees the same tokens before and after, for every declaration file
// a notebook's program loads.
"use strict";

const SLASH = 47, STAR = 42, NL = 10, BACKSLASH = 92, QUOTE1 = 39, QUOTE2 = 34, BACKTICK = 96;
const DOLLAR = 36, OPEN = 123, CLOSE = 125;

/** `text` without its comments (but with `///` directives and every line break). */
function stripComments(text) {
  const n = text.length;
  const parts = [];
  let copied = 0; // text[copied, i) is still to be copied
  // Template literal nesting: for each open `${`, the brace depth in it; -1 marks "inside the template's text".
  const stack = [];
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const top = stack.length ? stack[stack.length - 1] : null;
    if (top === -1) {
      // inside a template literal's text
      if (c === BACKSLASH) i += 2;
      else if (c === BACKTICK) {
        stack.pop();
        i++;
      } else if (c === DOLLAR && text.charCodeAt(i + 1) === OPEN) {
        stack.push(0);
        i += 2;
      } else i++;
      continue;
    }
    if (c === QUOTE1 || c === QUOTE2) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i += 2;
        else if (d === c || d === NL) {
          i++;
          break;
        } else i++;
      }
    } else if (c === BACKTICK) {
      stack.push(-1);
      i++;
    } else if (c === OPEN) {
      if (top !== null) stack[stack.length - 1]++;
      i++;
    } else if (c === CLOSE) {
      if (top === 0) stack.pop(); // the `}` that closes `${`: back to the template's text
      else if (top !== null) stack[stack.length - 1]--;
      i++;
    } else if (c === SLASH && text.charCodeAt(i + 1) === SLASH) {
      let end = text.indexOf("\n", i);
      if (end < 0) end = n;
      if (text.charCodeAt(i + 2) !== SLASH) {
        parts.push(text.slice(copied, i));
        copied = end;
      }
      i = end;
    } else if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
      let end = text.indexOf("*/", i + 2);
      end = end < 0 ? n : end + 2;
      parts.push(text.slice(copied, i));
      let lines = 0;
      for (let k = text.indexOf("\n", i); k >= 0 && k < end; k = text.indexOf("\n", k + 1)) lines++;
      // A comment between two tokens separates them: keep a space (or its line breaks).
      parts.push(lines ? "\n".repeat(lines) : " ");
      copied = end;
      i = end;
    } else i++;
  }
  if (copied === 0) return text;
  parts.push(text.slice(copied));
  return parts.join("");
}

module.exports = { stripComments };
