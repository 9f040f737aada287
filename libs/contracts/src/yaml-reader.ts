/** A value read from YAML: JSON-compatible. */
export type YamlValue = string | number | boolean | null | YamlValue[] | YamlObject;
export interface YamlObject {
  [key: string]: YamlValue;
}
type JsonValue = YamlValue;
type JsonObject = YamlObject;

/** A document outside the supported subset, or malformed; names the line. */
export class YamlSyntaxError extends Error {
  readonly code = 'YAML_SYNTAX' as const;

  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`YAML line ${line}: ${reason}`);
    this.name = 'YamlSyntaxError';
  }
}

/**
 * Reader for the YAML subset of agent config files: block maps and lists (incl. `- key: v` items
 * and lists at the same indent as their key), flow `[…]` / `{…}` on one line, plain, single- and
 * double-quoted scalars, `|` / `>` block scalars (chomping `-`/`+`, indentation digit), numbers,
 * booleans, null, `#` comments, one document. Anchors, aliases, tags, multi-line flow collections,
 * multi-line plain scalars and tabs for indentation are refused with a `YamlSyntaxError`.
 */
export function parseYaml(text: string): JsonValue {
  return new Reader(text).document();
}

interface Line {
  no: number;
  indent: number;
  /** Text after the indentation. */
  body: string;
}

class Reader {
  private readonly raw: string[];
  private pos = 0;
  /** Replaces the current line while parsing the inline content of a `- ` list item. */
  private virtual: Line | undefined;

  constructor(text: string) {
    const normalised = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
    this.raw = (normalised.endsWith('\n') ? normalised.slice(0, -1) : normalised).split('\n');
  }

  document(): JsonValue {
    let line = this.peek();
    if (line && line.indent === 0 && /^---(\s|$)/.test(line.body)) {
      const rest = stripComment(line.body.slice(3)).trim();
      if (rest) throw new YamlSyntaxError(line.no, 'content after "---" is not supported');
      this.pos += 1;
      line = this.peek();
    }
    if (!line) return null;
    const value = this.node(-1);
    const extra = this.peek();
    if (extra && !(extra.indent === 0 && /^\.\.\.(\s|$)/.test(extra.body))) throw new YamlSyntaxError(extra.no, 'unexpected content (bad indentation?)');
    return value;
  }

  /** Next significant line (skips blanks and comment lines), without consuming it. */
  private peek(): Line | undefined {
    if (this.virtual) return this.virtual;
    while (this.pos < this.raw.length) {
      const text = this.raw[this.pos];
      const body = text.trimStart();
      if (body === '' || body.startsWith('#')) {
        this.pos += 1;
        continue;
      }
      const indentText = text.slice(0, text.length - body.length);
      if (indentText.includes('\t')) throw new YamlSyntaxError(this.pos + 1, 'tabs are not allowed for indentation');
      return { no: this.pos + 1, indent: indentText.length, body: body.trimEnd() };
    }
    return undefined;
  }

  private consume(): void {
    if (this.virtual) this.virtual = undefined;
    else this.pos += 1;
  }

  /** A node whose lines are indented more than `parent`. */
  private node(parent: number): JsonValue {
    const line = this.peek();
    if (!line || line.indent <= parent) return null;
    if (isListItem(line.body)) return this.list(line.indent);
    if (findMappingColon(line.body, line.no) !== undefined) return this.map(line.indent);
    this.consume();
    const value = this.inlineValue(line.body, line, parent);
    const next = this.peek();
    if (next && next.indent > parent && next.indent >= line.indent) throw new YamlSyntaxError(next.no, 'multi-line plain scalars are not supported (use a | block)');
    return value;
  }

  private list(indent: number): JsonValue[] {
    const items: JsonValue[] = [];
    for (let line = this.peek(); line && line.indent === indent && isListItem(line.body); line = this.peek()) {
      const rest = line.body.slice(1);
      const content = stripComment(rest);
      if (content.trim() === '') {
        this.consume();
        items.push(this.node(indent));
        continue;
      }
      const spaces = rest.length - rest.trimStart().length;
      const column = indent + 1 + spaces;
      const inner = rest.trimStart();
      if (isListItem(inner) || findMappingColon(inner, line.no) !== undefined) {
        this.consume();
        this.virtual = { no: line.no, indent: column, body: inner };
        items.push(this.node(indent));
      } else {
        this.consume();
        items.push(this.inlineValue(inner, { ...line, indent: column }, indent));
      }
    }
    this.expectDedent(indent);
    return items;
  }

  private map(indent: number): JsonObject {
    const out: JsonObject = {};
    for (let line = this.peek(); line && line.indent === indent && !isListItem(line.body); line = this.peek()) {
      const colon = findMappingColon(line.body, line.no);
      if (colon === undefined) throw new YamlSyntaxError(line.no, 'expected "key: value"');
      const key = readKey(line.body.slice(0, colon), line.no);
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new YamlSyntaxError(line.no, `duplicate key "${key}"`);
      const rest = line.body.slice(colon + 1);
      this.consume();
      if (stripComment(rest).trim() === '') {
        const next = this.peek();
        // A list may sit at the same indent as its key.
        out[key] = next && next.indent === indent && isListItem(next.body) ? this.list(indent) : this.node(indent);
      } else {
        out[key] = this.inlineValue(rest.trim(), line, indent);
      }
    }
    this.expectDedent(indent);
    return out;
  }

  private expectDedent(indent: number): void {
    const next = this.peek();
    if (next && next.indent > indent) throw new YamlSyntaxError(next.no, 'unexpected indentation');
  }

  /** A value written on the line itself: block scalar header, flow collection or scalar. */
  private inlineValue(text: string, line: Line, parent: number): JsonValue {
    const first = text[0];
    if (first === '|' || first === '>') return this.blockScalar(text, line, parent);
    if (first === '&' || first === '*' || first === '!') throw new YamlSyntaxError(line.no, 'anchors, aliases and tags are not supported');
    if (first === '[' || first === '{') {
      const flow = new FlowReader(text, line.no);
      const value = flow.value();
      flow.end();
      return value;
    }
    if (first === '"' || first === "'") {
      const [value, end] = readQuoted(text, 0, line.no);
      if (stripComment(text.slice(end)).trim() !== '') throw new YamlSyntaxError(line.no, 'unexpected text after quoted string');
      return value;
    }
    return resolvePlain(stripComment(text).trim(), line.no);
  }

  private blockScalar(header: string, line: Line, parent: number): string {
    const match = /^([|>])([1-9]?)([+-]?)([1-9]?)$/.exec(stripComment(header).trim());
    if (!match) throw new YamlSyntaxError(line.no, `invalid block scalar header "${header}"`);
    const folded = match[1] === '>';
    const chomp = match[3] || '';
    const digit = match[2] || match[4];
    const base = Math.max(parent, 0);
    let contentIndent = digit ? (parent < 0 ? 0 : parent) + Number(digit) : -1;
    const lines: string[] = [];
    while (this.pos < this.raw.length) {
      const text = this.raw[this.pos];
      if (text.trim() === '') {
        lines.push(contentIndent >= 0 ? text.slice(contentIndent) : '');
        this.pos += 1;
        continue;
      }
      const indent = text.length - text.trimStart().length;
      if (contentIndent < 0) {
        if (indent <= base && parent >= 0) break;
        contentIndent = indent;
      }
      if (indent < contentIndent) break;
      lines.push(text.slice(contentIndent));
      this.pos += 1;
    }
    let end = lines.length;
    while (end > 0 && lines[end - 1].trim() === '') end -= 1;
    const body = lines.slice(0, end).map((l) => (l.trim() === '' ? '' : l));
    const trailing = lines.length - end;
    const content = folded ? fold(body) : body.join('\n');
    if (body.length === 0) return chomp === '+' ? '\n'.repeat(trailing) : '';
    switch (chomp) {
      case '-':
        return content;
      case '+':
        return `${content}\n${'\n'.repeat(trailing)}`;
      default:
        return `${content}\n`;
    }
  }
}

/** Folding of `>` blocks: breaks between two plain lines become spaces, blank lines become newlines. */
function fold(lines: string[]): string {
  let out = '';
  let prevPlain = false;
  let blanks = 0;
  let started = false;
  for (const line of lines) {
    if (line === '') {
      blanks += 1;
      continue;
    }
    const plain = !/^[ \t]/.test(line);
    if (!started) out = '\n'.repeat(blanks);
    else if (blanks === 0) out += prevPlain && plain ? ' ' : '\n';
    else out += '\n'.repeat(prevPlain && plain ? blanks : blanks + 1);
    out += line;
    started = true;
    prevPlain = plain;
    blanks = 0;
  }
  return out;
}

function isListItem(body: string): boolean {
  return body === '-' || body.startsWith('- ');
}

/** Index of the `:` separating key and value (followed by a space or end of line), outside quotes. */
function findMappingColon(body: string, lineNo: number): number | undefined {
  let i = 0;
  if (body[0] === '"' || body[0] === "'") {
    [, i] = readQuoted(body, 0, lineNo);
    return body[i] === ':' && (i + 1 === body.length || body[i + 1] === ' ') ? i : undefined;
  }
  if (body[0] === '[' || body[0] === '{') return undefined;
  for (; i < body.length; i += 1) {
    if (body[i] === '#' && (i === 0 || body[i - 1] === ' ')) return undefined;
    if (body[i] === ':' && (i + 1 === body.length || body[i + 1] === ' ')) return i;
  }
  return undefined;
}

function readKey(text: string, lineNo: number): string {
  const trimmed = text.trim();
  if (trimmed[0] === '"' || trimmed[0] === "'") return readQuoted(trimmed, 0, lineNo)[0];
  if (!trimmed) throw new YamlSyntaxError(lineNo, 'empty key');
  return trimmed;
}

/** Drops a trailing ` # comment` (outside quotes). */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i += 1;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s[{,:]/.test(text[i - 1])) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      return text.slice(0, i);
    }
  }
  return text;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', '0': '\0', ' ': ' ', e: '\x1b', a: '\x07', v: '\v' };

/** Reads a quoted scalar starting at `start`; returns the value and the index after the closing quote. */
function readQuoted(text: string, start: number, lineNo: number): [string, number] {
  const quote = text[start];
  let out = '';
  for (let i = start + 1; i < text.length; i += 1) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") {
        if (text[i + 1] === "'") {
          out += "'";
          i += 1;
          continue;
        }
        return [out, i + 1];
      }
      out += c;
      continue;
    }
    if (c === '"') return [out, i + 1];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = text[i + 1];
    if (e === 'u' || e === 'x' || e === 'U') {
      const size = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = text.slice(i + 2, i + 2 + size);
      if (!new RegExp(`^[0-9a-fA-F]{${size}}$`).test(hex)) throw new YamlSyntaxError(lineNo, `invalid \\${e} escape`);
      out += String.fromCodePoint(parseInt(hex, 16));
      i += 1 + size;
    } else if (e !== undefined && e in ESCAPES) {
      out += ESCAPES[e];
      i += 1;
    } else {
      throw new YamlSyntaxError(lineNo, `invalid escape "\\${e ?? ''}"`);
    }
  }
  throw new YamlSyntaxError(lineNo, 'unterminated quoted string (multi-line quoted strings are not supported)');
}

const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

/** YAML 1.2 core schema resolution of a plain scalar. */
function resolvePlain(text: string, lineNo: number): JsonValue {
  if (text === '' || text === '~' || /^(?:null|Null|NULL)$/.test(text)) return null;
  if (/^(?:true|True|TRUE)$/.test(text)) return true;
  if (/^(?:false|False|FALSE)$/.test(text)) return false;
  if (INT.test(text) || FLOAT.test(text)) return Number(text);
  if (/^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/.test(text)) throw new YamlSyntaxError(lineNo, `non-finite number ${text} is not supported`);
  if (/^[&*!]/.test(text)) throw new YamlSyntaxError(lineNo, 'anchors, aliases and tags are not supported');
  return text;
}

/** One-line flow collections: `[a, "b", 1]`, `{ k: v }`, nested. */
class FlowReader {
  private i = 0;

  constructor(
    private readonly text: string,
    private readonly lineNo: number,
  ) {}

  value(): JsonValue {
    this.skipSpaces();
    const c = this.text[this.i];
    if (c === '[') return this.sequence();
    if (c === '{') return this.mapping();
    if (c === '"' || c === "'") {
      const [value, end] = readQuoted(this.text, this.i, this.lineNo);
      this.i = end;
      return value;
    }
    const start = this.i;
    while (this.i < this.text.length && !/[,\]}]/.test(this.text[this.i]) && !(this.text[this.i] === ':' && /[\s,\]}]|^$/.test(this.text[this.i + 1] ?? ''))) this.i += 1;
    return resolvePlain(this.text.slice(start, this.i).trim(), this.lineNo);
  }

  end(): void {
    if (stripComment(this.text.slice(this.i)).trim() !== '') throw new YamlSyntaxError(this.lineNo, 'unexpected text after flow collection');
  }

  private sequence(): JsonValue[] {
    const items: JsonValue[] = [];
    this.i += 1;
    for (;;) {
      this.skipSpaces();
      if (this.eat(']')) return items;
      items.push(this.value());
      this.skipSpaces();
      if (this.eat(']')) return items;
      this.expect(',');
    }
  }

  private mapping(): JsonObject {
    const out: JsonObject = {};
    this.i += 1;
    for (;;) {
      this.skipSpaces();
      if (this.eat('}')) return out;
      const key = this.value();
      if (typeof key !== 'string') throw new YamlSyntaxError(this.lineNo, 'flow mapping keys must be strings');
      this.skipSpaces();
      this.expect(':');
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new YamlSyntaxError(this.lineNo, `duplicate key "${key}"`);
      out[key] = this.value();
      this.skipSpaces();
      if (this.eat('}')) return out;
      this.expect(',');
    }
  }

  private skipSpaces(): void {
    while (this.text[this.i] === ' ') this.i += 1;
  }

  private eat(c: string): boolean {
    if (this.text[this.i] !== c) return false;
    this.i += 1;
    return true;
  }

  private expect(c: string): void {
    if (!this.eat(c)) throw new YamlSyntaxError(this.lineNo, this.i >= this.text.length ? 'multi-line flow collections are not supported' : `expected "${c}" at column ${this.i + 1}`);
  }
}
