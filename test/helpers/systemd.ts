/**
 * Reading a unit file back the way systemd does, written from systemd.service(5) and systemd.syntax(7)
 * independently of the code that writes units: specifiers (`%%`) resolved on the line, words split with
 * double and single quotes and C escapes, then `$$` in each ExecStart= word.
 */

/** The value of each `Key=` line in `[section]`, in order (a key given twice yields two values). */
export function unitValues(unit: string, section: string, key: string): string[] {
  let current = '';
  const values: string[] = [];
  for (const line of unit.split('\n')) {
    const t = line.trim();
    if (t.startsWith('#') || t.startsWith(';') || t === '') continue;
    const head = /^\[(.+)\]$/.exec(t);
    if (head) current = head[1];
    else if (current === section && t.startsWith(`${key}=`)) values.push(t.slice(key.length + 1));
  }
  return values;
}

const C_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", ' ': ' ' };

/** Resolves `%%`; any other specifier is a failure here, since a unit printed for an operator must not use them. */
function resolveSpecifiers(line: string): string {
  return line.replace(/%(.)/g, (_m, c: string) => {
    if (c !== '%') throw new Error(`unexpected specifier %${c} in ${line}`);
    return '%';
  });
}

/** Splits a setting into words: whitespace separates, quotes group, backslash escapes (C style). */
export function splitWords(value: string): string[] {
  const line = resolveSpecifiers(value);
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    let word = '';
    let quote: string | null = null;
    for (; i < line.length; i++) {
      const c = line[i];
      if (c === '\\') {
        const n = line[++i];
        if (n === 'x') {
          word += String.fromCharCode(parseInt(line.slice(i + 1, i + 3), 16));
          i += 2;
        } else if (n !== undefined && n in C_ESCAPES) word += C_ESCAPES[n];
        else throw new Error(`bad escape \\${n} in ${value}`);
      } else if (quote) {
        if (c === quote) quote = null;
        else word += c;
      } else if (c === '"' || c === "'") quote = c;
      else if (/\s/.test(c)) break;
      else word += c;
    }
    if (quote) throw new Error(`unbalanced quoting in ${value}`);
    words.push(word);
  }
  return words;
}

/** ExecStart='s words as the process gets them: `$$` is a dollar, and no variable is left to expand. */
export function execStartArgv(unit: string): string[] {
  const [execStart, ...more] = unitValues(unit, 'Service', 'ExecStart');
  if (execStart === undefined || more.length > 0) throw new Error('expected exactly one ExecStart=');
  return splitWords(execStart).map((w) =>
    w.replace(/\$(\$|\{?[A-Za-z_])/g, (m, c: string) => {
      if (c === '$') return '$';
      throw new Error(`ExecStart= word ${w} would expand a variable (${m})`);
    }),
  );
}
