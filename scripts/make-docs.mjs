#!/usr/bin/env node
// `make docs`: the TypeDoc API reference of `isotensor` (and `isotensor/infer`) in build/docs/api.
// SPDX-License-Identifier: Apache-2.0
//
// Options live in typedoc.json; this script adds what JSON cannot say:
// - the entry points and their package names as module titles (ts/infer.ts only where it exists);
// - a tsconfig limited to ts/, so the library is type-checked but the specs' type slips do not block docs;
// - a category for each top-level export of mx, taken from the folder it is defined in, and a summary for
//   each module and namespace that has none, taken from the header paragraph of its file (every file opens
//   saying what it is). The operator pages need nothing here: scripts/gen-ops.mjs writes the registry's
//   doc strings into the generated wrappers' JSDoc.
// It exits 1 when TypeDoc reports an error (a type error in ts/, a bad option, a failed write).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Application, Comment, CommentTag, Converter, ReferenceReflection, ReflectionKind, TSConfigReader, TypeDocReader,
} from 'typedoc';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

// Entry file → the module title readers import it by.
const ENTRY_POINTS = [
  ['ts/index.ts', 'isotensor'],
  ['ts/infer.ts', 'isotensor/infer'],
].filter(([file]) => existsSync(file));

// Folder (or file) under ts/ → category of mx's top-level exports defined there; the first match wins.
const CATEGORIES = [
  [/^(backend\/|base\/error\.ts$)/, 'Runtime'],
  [/^base\/context\.ts$/, 'Devices'],
  [/^(base\/dtype\.ts$|ndarray\/)/, 'NDArray'],
  [/^autograd\//, 'Autograd'],
  [/^(symbol\/|ops\/|model\/|viz\/)/, 'Symbol and executor'],
  [/^gluon\//, 'Gluon'],
  [/^(module|io|metric|callback|init|optimizer|lr_scheduler|kvstore)\//, 'Training (Module API)'],
];

/** The tsconfig TypeDoc compiles with: the project's options, the library's sources only. */
function docsTsconfig() {
  const path = resolve(root, 'build/docs/tsconfig.json');
  mkdirSync(dirname(path), { recursive: true });
  const config = {
    extends: relative(dirname(path), resolve(root, 'tsconfig.json')),
    include: [relative(dirname(path), resolve(root, 'ts')) + '/**/*.ts'],
  };
  writeFileSync(path, JSON.stringify(config, null, 2) + '\n');
  return path;
}

/** ts/-relative path of the file that defines a reflection (following re-export references). */
function definingFile(reflection) {
  const target = reflection instanceof ReferenceReflection ? reflection.tryGetTargetReflectionDeep() : reflection;
  const source = target?.sources?.[0] ?? target?.signatures?.[0]?.sources?.[0];
  return source ? relative(resolve(root, 'ts'), source.fullFileName).replace(/\\/g, '/') : undefined;
}

/** The first paragraph of a file's header comment (the `//` lines before the SPDX line or an empty `//`). */
function headerParagraph(file) {
  const lines = [];
  for (const line of readFileSync(resolve(root, file), 'utf8').split('\n')) {
    if (!line.startsWith('// ') || line.startsWith('// SPDX-')) break;
    lines.push(line.slice(3).trim());
  }
  return lines.join(' ');
}

/** A namespace's summary: its header paragraph without the "mx.io:" / "The `nd` namespace:" lead-in. */
function namespaceSummary(file) {
  const text = headerParagraph(`ts/${file}`)
    .replace(/^(The `[^`]+` namespace|(mx|gluon)\.[\w.]+( \(alias [^)]*\))?):\s*/, '')
    .replace(/\s*\(each [^)]*adds its own line[^)]*\)/, '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function setSummary(reflection, text) {
  if (text === '' || reflection.comment?.summary.length) return;
  reflection.comment ??= new Comment([], []);
  reflection.comment.summary = [{ kind: 'text', text }];
}

function addTag(reflection, tag, text) {
  reflection.comment ??= new Comment([], []);
  reflection.comment.blockTags.push(new CommentTag(tag, [{ kind: 'text', text }]));
}

const app = await Application.bootstrapWithPlugins(
  { entryPoints: ENTRY_POINTS.map(([file]) => file), tsconfig: docsTsconfig() },
  [new TypeDocReader(), new TSConfigReader()],
);

const uncategorised = [];
app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
  const project = context.project;
  const modules = ENTRY_POINTS.length > 1 ? project.children ?? [] : [project];
  for (const mod of modules) {
    const entry = mod === project ? ENTRY_POINTS[0]
      : ENTRY_POINTS.find(([file]) => resolve(root, file) === mod.sources?.[0]?.fullFileName);
    if (entry) {
      if (mod !== project) mod.name = entry[1];
      setSummary(mod, headerParagraph(entry[0]));
    }
    for (const child of mod.children ?? []) {
      const file = definingFile(child);
      const category = file && CATEGORIES.find(([pattern]) => pattern.test(file))?.[1];
      if (category) addTag(child, '@category', category);
      else uncategorised.push(`${mod.name}.${child.name} (${file ?? 'no source'})`);
    }
  }
  for (const ns of project.getReflectionsByKind(ReflectionKind.Namespace)) {
    const file = definingFile(ns);
    if (file) setSummary(ns, namespaceSummary(file));
  }
}, 100);

const started = Date.now();
const project = await app.convert();
if (!project) {
  console.error('make-docs: TypeDoc could not convert the project (errors above)');
  process.exit(1);
}
app.validate(project);
if (app.logger.hasErrors()) {
  console.error('make-docs: TypeDoc reported errors (above)');
  process.exit(1);
}
await app.generateOutputs(project);
if (app.logger.hasErrors()) {
  console.error('make-docs: writing the docs failed (errors above)');
  process.exit(1);
}
if (uncategorised.length > 0) {
  console.warn(`make-docs: no category for ${uncategorised.join(', ')}: add its folder to CATEGORIES in ` +
               'scripts/make-docs.mjs');
}
const out = relative(root, resolve(root, app.options.getValue('out')));
console.log(`make-docs: ${ENTRY_POINTS.map(([, name]) => name).join(' + ')} → ${out}/index.html ` +
            `(${((Date.now() - started) / 1000).toFixed(1)} s, ${app.logger.warningCount} warnings)`);
