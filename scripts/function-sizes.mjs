#!/usr/bin/env node
// Lists functions, methods and arrow functions longer than a threshold (default 80 lines).
// Usage: node scripts/function-sizes.mjs [--max N] [dirs...]
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const args = process.argv.slice(2);
let max = 80;
const i = args.indexOf('--max');
if (i >= 0) {
  max = Number(args[i + 1]);
  args.splice(i, 2);
}
const roots = args.length ? args : ['electron', 'shared', 'renderer/src', 'bench', 'scripts'];

function* walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (/\.(m?[jt]sx?)$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

function nameOf(node) {
  if (node.name && ts.isIdentifier(node.name)) {
    const cls = node.parent && ts.isClassLike(node.parent) && node.parent.name ? node.parent.name.text + '.' : '';
    return cls + node.name.text;
  }
  const p = node.parent;
  if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (p && ts.isPropertyAssignment(p) && ts.isIdentifier(p.name)) return p.name.text;
  return '<anonymous>';
}

const rows = [];
for (const root of roots) {
  if (!fs.existsSync(root)) continue;
  for (const file of walk(root)) {
    const text = fs.readFileSync(file, 'utf8');
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (
        ts.isFunctionDeclaration(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isConstructorDeclaration(node) ||
        ts.isGetAccessor(node) ||
        ts.isSetAccessor(node) ||
        ts.isArrowFunction(node) ||
        ts.isFunctionExpression(node)
      ) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
        const lines = end - start + 1;
        if (lines > max)
          rows.push({ file, start, lines, name: ts.isConstructorDeclaration(node) ? 'constructor' : nameOf(node) });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
}
rows.sort((a, b) => b.lines - a.lines);
for (const r of rows) console.log(`${String(r.lines).padStart(5)}  ${r.name}  ${r.file}:${r.start}`);
console.log(`${rows.length} function(s) over ${max} lines`);
