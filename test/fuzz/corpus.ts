/**
 * The documents the fuzzer starts from: every fixture rendered in every input format, the
 * series mboxes, the reader's own fixtures and the bundled example. Built in memory, in a fixed
 * order, so a (seed, case) pair names the same input on every machine.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, FORMATS, render } from '../fixtures/fixtures';
import { renderedFixtures } from '../fixtures/write';

export interface SeedDocument {
  readonly name: string;
  readonly text: string;
}

const ROOT = path.join(__dirname, '..', '..', '..');

let corpus: SeedDocument[] | undefined;

export function seedDocuments(): readonly SeedDocument[] {
  if (corpus) return corpus;
  const out: SeedDocument[] = [];
  for (const f of FIXTURES) {
    // A series-only fixture is written against another fixture's result: still a document to read.
    for (const fmt of FORMATS) out.push({ name: `${f.id} (${fmt})`, text: render(f, fmt) });
  }
  for (const [name, text] of renderedFixtures()) if (name.endsWith('.mbox')) out.push({ name, text });
  const reader = path.join(ROOT, 'test', 'fixtures', 'reader');
  for (const name of readdirSync(reader).sort()) {
    if (name.endsWith('.ts')) continue;
    out.push({ name: `reader/${name}`, text: readFileSync(path.join(reader, name), 'utf8') });
  }
  const examples = path.join(ROOT, 'examples');
  for (const name of readdirSync(examples).sort()) out.push({ name: `examples/${name}`, text: readFileSync(path.join(examples, name), 'utf8') });
  corpus = out;
  return out;
}

/** The kernel renditions, for generated patches that edit real kernel-style code. */
export function kernelSources(): readonly SeedDocument[] {
  const dir = path.join(ROOT, 'test', 'fixtures', 'kernel');
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, text: readFileSync(path.join(dir, name), 'utf8') }));
}
