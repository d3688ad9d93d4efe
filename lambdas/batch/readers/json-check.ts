/**
 * A JSON syntax check (RFC 8259) in one pass with an explicit stack of at most
 * `maxDepth`, run before JSON.parse: it bounds the nesting (V8's parser takes seconds
 * and hundreds of MB on a few million `[`), and says what is wrong and where, in its
 * own words. V8's messages quote the text (`Unexpected token 'S', "Société Gé"... is not
 * valid JSON`), and a failure reason is returned by the API: it must quote none.
 */

export interface JsonProblem {
  /** What is wrong, in words that quote nothing of the text. */
  readonly what: string;
  /** 1-based line and column (in UTF-16 code units) where it is. */
  readonly line: number;
  readonly column: number;
}

export const describeProblem = (p: JsonProblem) => `${p.what} at line ${p.line}, column ${p.column}`;

const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** undefined when `text` is one valid JSON value nested at most `maxDepth` deep, else the first problem. */
export function checkJson(text: string, maxDepth: number): JsonProblem | undefined {
  const n = text.length;
  const stack: number[] = []; // 0x5b '[' or 0x7b '{'
  let i = 0;
  const at = (what: string, pos = i): JsonProblem => {
    let line = 1;
    let lineStart = 0;
    for (let k = text.indexOf('\n'); k !== -1 && k < pos; k = text.indexOf('\n', k + 1)) {
      line++;
      lineStart = k + 1;
    }
    return { what, line, column: pos - lineStart + 1 };
  };
  const skipWs = () => {
    while (i < n && isWs(text.charCodeAt(i))) i++;
  };
  const end = () => (i >= n ? at('unexpected end of the JSON text') : undefined);

  /** Reads a string from the opening quote at i; a problem, or undefined with i after it. */
  const string = (): JsonProblem | undefined => {
    i++;
    for (;;) {
      if (i >= n) return at('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return at('control character in a string (escape it)');
      if (c === 0x5c) {
        const e = text.charCodeAt(i + 1);
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) return at('invalid \\u escape in a string');
          i += 6;
        } else if ('"\\/bfnrt'.includes(text[i + 1] ?? '?')) i += 2;
        else return at('invalid escape in a string');
      } else i++;
    }
  };
  const number = (): JsonProblem | undefined => {
    const start = i;
    if (text.charCodeAt(i) === 0x2d) i++;
    if (text.charCodeAt(i) === 0x30) i++;
    else if (isDigit(text.charCodeAt(i))) while (isDigit(text.charCodeAt(i))) i++;
    else return at('invalid number', start);
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      if (!isDigit(text.charCodeAt(i))) return at('invalid number: no digit after the decimal point');
      while (isDigit(text.charCodeAt(i))) i++;
    }
    if ((text.charCodeAt(i) | 0x20) === 0x65) {
      i++;
      if (text.charCodeAt(i) === 0x2b || text.charCodeAt(i) === 0x2d) i++;
      if (!isDigit(text.charCodeAt(i))) return at('invalid number: no digit in the exponent');
      while (isDigit(text.charCodeAt(i))) i++;
    }
    return undefined;
  };

  // Expecting a value (at the top, after '[', ',' or ':'), then what follows it.
  for (;;) {
    skipWs();
    const eof = end();
    if (eof) return eof;
    const c = text.charCodeAt(i);
    let problem: JsonProblem | undefined;
    if (c === 0x5b || c === 0x7b) {
      if (stack.length >= maxDepth) return at(`nested deeper than ${maxDepth} levels`);
      stack.push(c);
      i++;
      skipWs();
      if (c === 0x5b && text.charCodeAt(i) === 0x5d) {
        stack.pop();
        i++;
      } else if (c === 0x7b && text.charCodeAt(i) === 0x7d) {
        stack.pop();
        i++;
      } else if (c === 0x7b) {
        if ((problem = key())) return problem;
        continue;
      } else continue;
    } else if (c === 0x22) problem = string();
    else if (c === 0x2d || isDigit(c)) problem = number();
    else if (text.startsWith('true', i)) i += 4;
    else if (text.startsWith('false', i)) i += 5;
    else if (text.startsWith('null', i)) i += 4;
    else return at('expected a JSON value');
    if (problem) return problem;
    // After a value: close containers, or a comma and the next value (or key).
    for (;;) {
      skipWs();
      const top = stack[stack.length - 1];
      if (top === undefined) return i < n ? at('unexpected data after the JSON value') : undefined;
      const eof2 = end();
      if (eof2) return eof2;
      const d = text.charCodeAt(i);
      if (d === 0x2c) {
        i++;
        if (top === 0x7b && (problem = key())) return problem;
        break;
      }
      if ((top === 0x5b && d === 0x5d) || (top === 0x7b && d === 0x7d)) {
        stack.pop();
        i++;
        continue;
      }
      return at(top === 0x5b ? "expected ',' or ']' after an array element" : "expected ',' or '}' after a property value");
    }
  }

  /** A key and its colon; i then at the value. */
  function key(): JsonProblem | undefined {
    skipWs();
    if (i >= n) return at('unexpected end of the JSON text');
    if (text.charCodeAt(i) !== 0x22) return at('expected a double-quoted property name');
    const problem = string();
    if (problem) return problem;
    skipWs();
    if (text.charCodeAt(i) !== 0x3a) return i >= n ? at('unexpected end of the JSON text') : at("expected ':' after a property name");
    i++;
    return undefined;
  }
}
