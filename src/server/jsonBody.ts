// Reading a JSON request body without trusting it. A body is checked as it arrives: UTF-8 with a
// streaming fatal decoder (as Python's json refuses invalid UTF-8; a silent U+FFFD would change
// data nobody asked to change) and JSON syntax with a small state machine, so a malformed 99 MB
// body is refused at its first bad byte instead of after buffering, concatenating and parsing it
// whole. Only a body that is valid to its last byte reaches JSON.parse, once.

const enum S {
  Value, // a value is expected (after '[' , ':' or at the top)
  ValueOrEnd, // after '[': a value or ']'
  KeyOrEnd, // after '{': a key string or '}'
  Key, // after ',' in an object: a key string
  Colon, // after a key
  AfterValue, // after a value inside a container: ',' or the closer
  Done, // the top value is complete: only whitespace may follow
  String, // inside a string
  Escape, // after a backslash
  Unicode, // inside \uXXXX
  Number,
  Literal, // true / false / null
}

const enum N {
  Minus, // after '-'
  Zero, // the integer part is "0"
  Int, // in the integer part
  Dot, // after '.'
  Frac, // in the fraction
  Exp, // after 'e'
  ExpSign, // after 'e+' / 'e-'
  ExpDigits, // in the exponent
}

/** Characters that need no attention inside a string. */
const PLAIN_RUN = /[^"\\\u0000-\u001f]*/y;

const isWs = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** An incremental JSON syntax check. feed() returns an error message at the first bad character. */
export class JsonSyntaxCheck {
  private state = S.Value;
  /** Open containers: true for an object, false for an array. */
  private readonly stack: boolean[] = [];
  /** Whether the current string is an object key. */
  private inKey = false;
  private hexLeft = 0;
  private num = N.Int;
  private literal = '';
  private literalAt = 0;
  private offset = 0;

  constructor(private readonly maxDepth = 10_000) {}

  feed(text: string): string | undefined {
    for (let i = 0; i < text.length; i++) {
      if (this.state === S.String) {
        // Most of a body is string content (sources, outputs, base64 images): skip plain runs
        // with a native regex instead of a call per character.
        PLAIN_RUN.lastIndex = i;
        PLAIN_RUN.test(text);
        i = PLAIN_RUN.lastIndex;
        if (i >= text.length) break;
      }
      const err = this.step(text.charCodeAt(i));
      if (err) return `${err} at character ${this.offset + i}`;
    }
    this.offset += text.length;
    return undefined;
  }

  /** Call after the last chunk: says whether the text ended inside a value. */
  end(): string | undefined {
    if (this.state === S.Number) {
      if (this.num === N.Minus || this.num === N.Dot || this.num === N.Exp || this.num === N.ExpSign) return `unexpected end of the body inside a number`;
      this.closeValue();
    }
    if (this.state === S.Done) return undefined;
    return this.offset === 0 ? 'the body is empty' : 'unexpected end of the body (it stops inside a value)';
  }

  private closeValue(): void {
    this.state = this.stack.length ? S.AfterValue : S.Done;
  }

  private open(isObject: boolean): string | undefined {
    if (this.stack.length >= this.maxDepth) return `nesting deeper than ${this.maxDepth} levels`;
    this.stack.push(isObject);
    this.state = isObject ? S.KeyOrEnd : S.ValueOrEnd;
    return undefined;
  }

  private step(c: number): string | undefined {
    switch (this.state) {
      case S.String:
        if (c === 0x22) {
          if (this.inKey) {
            this.inKey = false;
            this.state = S.Colon;
          } else this.closeValue();
        } else if (c === 0x5c) this.state = S.Escape;
        else if (c < 0x20) return 'a control character inside a string (escape it)';
        return undefined;
      case S.Escape:
        if (c === 0x75) {
          this.state = S.Unicode;
          this.hexLeft = 4;
        } else if (c === 0x22 || c === 0x5c || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74) this.state = S.String;
        else return `invalid escape "\\${String.fromCharCode(c)}" in a string`;
        return undefined;
      case S.Unicode:
        if (!isHex(c)) return 'invalid \\u escape in a string';
        if (--this.hexLeft === 0) this.state = S.String;
        return undefined;
      case S.Number:
        if (this.numberStep(c)) return undefined;
        // The number ended at c: check it could end here, then read c as what follows.
        if (this.num === N.Minus || this.num === N.Dot || this.num === N.Exp || this.num === N.ExpSign) return 'an incomplete number';
        this.closeValue();
        return this.step(c);
      case S.Literal:
        if (c !== this.literal.charCodeAt(this.literalAt)) return `unexpected "${String.fromCharCode(c)}" (expected ${this.literal})`;
        if (++this.literalAt === this.literal.length) this.closeValue();
        return undefined;
    }
    if (isWs(c)) return undefined;
    switch (this.state) {
      case S.ValueOrEnd:
        if (c === 0x5d) {
          this.stack.pop();
          this.closeValue();
          return undefined;
        }
        return this.startValue(c);
      case S.Value:
        return this.startValue(c);
      case S.KeyOrEnd:
        if (c === 0x7d) {
          this.stack.pop();
          this.closeValue();
          return undefined;
        }
        return this.startKey(c);
      case S.Key:
        return this.startKey(c);
      case S.Colon:
        if (c !== 0x3a) return `unexpected "${String.fromCharCode(c)}" (expected ":")`;
        this.state = S.Value;
        return undefined;
      case S.AfterValue: {
        const inObject = this.stack[this.stack.length - 1];
        if (c === 0x2c) {
          this.state = inObject ? S.Key : S.Value;
          return undefined;
        }
        if (c === (inObject ? 0x7d : 0x5d)) {
          this.stack.pop();
          this.closeValue();
          return undefined;
        }
        return `unexpected "${String.fromCharCode(c)}" (expected "," or "${inObject ? '}' : ']'}")`;
      }
      case S.Done:
        return `unexpected "${String.fromCharCode(c)}" after the end of the JSON value`;
    }
    return 'internal state error';
  }

  private startKey(c: number): string | undefined {
    if (c !== 0x22) return `unexpected "${String.fromCharCode(c)}" (expected a "key")`;
    this.inKey = true;
    this.state = S.String;
    return undefined;
  }

  private startValue(c: number): string | undefined {
    if (c === 0x7b) return this.open(true);
    if (c === 0x5b) return this.open(false);
    if (c === 0x22) {
      this.inKey = false;
      this.state = S.String;
      return undefined;
    }
    if (c === 0x2d || isDigit(c)) {
      this.state = S.Number;
      this.num = c === 0x2d ? N.Minus : c === 0x30 ? N.Zero : N.Int;
      return undefined;
    }
    const literal = c === 0x74 ? 'true' : c === 0x66 ? 'false' : c === 0x6e ? 'null' : undefined;
    if (literal) {
      this.state = S.Literal;
      this.literal = literal;
      this.literalAt = 1;
      return undefined;
    }
    const shown = c < 0x20 || c > 0x7e ? `U+${c.toString(16).toUpperCase().padStart(4, '0')}` : `"${String.fromCharCode(c)}"`;
    return `unexpected ${shown} (expected a JSON value)`;
  }

  /** Advances the number state; false when c cannot continue the number. */
  private numberStep(c: number): boolean {
    const digit = isDigit(c);
    switch (this.num) {
      case N.Minus:
        if (!digit) return false;
        this.num = c === 0x30 ? N.Zero : N.Int;
        return true;
      case N.Zero:
      case N.Int:
        if (digit && this.num === N.Int) return true;
        if (c === 0x2e) return (this.num = N.Dot), true;
        if (c === 0x65 || c === 0x45) return (this.num = N.Exp), true;
        return false;
      case N.Dot:
        if (!digit) return false;
        this.num = N.Frac;
        return true;
      case N.Frac:
        if (digit) return true;
        if (c === 0x65 || c === 0x45) return (this.num = N.Exp), true;
        return false;
      case N.Exp:
        if (c === 0x2b || c === 0x2d) return (this.num = N.ExpSign), true;
        if (!digit) return false;
        this.num = N.ExpDigits;
        return true;
      case N.ExpSign:
        if (!digit) return false;
        this.num = N.ExpDigits;
        return true;
      case N.ExpDigits:
        return digit;
    }
  }
}

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413; message: string };

/**
 * Reads a request body as JSON, refusing it at the first invalid byte or at the size limit. The
 * raw chunks are kept (outside the JS heap, so the garbage collector does not have to walk them
 * while other clients wait); their decoded text is checked and dropped.
 */
export async function readJson(source: AsyncIterable<Buffer | string>, maxBytes: number): Promise<BodyResult> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const check = new JsonSyntaxCheck();
  const chunks: Buffer[] = [];
  let size = 0;
  const bad = (text: string): BodyResult | undefined => {
    const err = text ? check.feed(text) : undefined;
    return err ? { ok: false, status: 400, message: `Parse error: the body is not valid JSON (${err}).` } : undefined;
  };
  try {
    for await (const chunk of source) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > maxBytes) return { ok: false, status: 413, message: `Request too large (over ${maxBytes} bytes).` };
      const refused = bad(decoder.decode(bytes, { stream: true }));
      if (refused) return refused;
      chunks.push(bytes);
    }
    const refused = bad(decoder.decode());
    if (refused) return refused;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
      return { ok: false, status: 400, message: `Parse error: the body is not valid UTF-8 (invalid byte sequence within the first ${size} bytes). Send JSON encoded as UTF-8.` };
    }
    throw e;
  }
  const endErr = check.end();
  if (endErr) return { ok: false, status: 400, message: `Parse error: the body is not valid JSON (${endErr}).` };
  // Known valid UTF-8 and JSON: one decode, one parse.
  return { ok: true, value: JSON.parse((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)).toString('utf8')) };
}
