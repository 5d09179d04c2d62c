#!/usr/bin/env node
/**
 * kvm-race-lens's entry point (`dist/cli.js`): runs the CLI bundle (`dist/cli-main.js`, from
 * cli.ts) with V8's code cache, so that a new process does not parse and compile again the
 * functions a review runs. That is most of a cold review's first 100 ms after Node's own start.
 *
 * `npm run build` writes the cache (`dist/cli-main.cache`) by running a review of the bundled
 * example with `KRL_CODE_CACHE_OUT` set: after the run, the script's compiled functions are
 * serialised with the SHA-256 of the source they were compiled from. The cache is used only
 * when that digest matches the bundle on disk (V8 itself checks little more than the source's
 * length) and V8 accepts it (same version and flags); otherwise the bundle is compiled as
 * usual. The cache holds bytecode, never results: a review explores exactly as without it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';

const DIGEST = 32;

const bundle = path.join(__dirname, 'cli-main.js');
const cacheFile = path.join(__dirname, 'cli-main.cache');
const source = readFileSync(bundle, 'utf8');
const digest = createHash('sha256').update(source).digest();

function cachedData(): Buffer | undefined {
  try {
    const cache = readFileSync(cacheFile);
    return cache.length > DIGEST && cache.subarray(0, DIGEST).equals(digest) ? cache.subarray(DIGEST) : undefined;
  } catch {
    return undefined;
  }
}

const data = cachedData();
// The bundle as a CommonJS module: Module.wrap gives the same function Node's loader would.
const script = new vm.Script(Module.wrap(source), { filename: bundle, ...(data ? { cachedData: data } : {}) });
const module_ = { exports: {}, filename: bundle, id: bundle, loaded: false, children: [], paths: [] };
const run = script.runInThisContext() as (exports: unknown, req: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
run.call(module_.exports, module_.exports, Module.createRequire(bundle), module_, bundle, __dirname);

const out = process.env['KRL_CODE_CACHE_OUT'];
if (out) writeFileSync(out, Buffer.concat([digest, script.createCachedData()]));
