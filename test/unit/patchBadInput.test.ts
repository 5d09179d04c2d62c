/** Input the reader must refuse with a one-line InputError, or read without fuss. */
import * as assert from 'node:assert/strict';
import { InputError } from '../../src/model/errors';
import { MAX_PATCH_BYTES, readPatches } from '../../src/patch';
import { SAMPLE, formatPatchMessage, renderGitDiff } from '../fixtures/reader/build';

function refuses(input: string | Uint8Array, reason: RegExp, opts?: { maxBytes: number }): void {
  assert.throws(
    () => readPatches(input, opts),
    (e: unknown) => e instanceof InputError && reason.test(e.message) && !e.message.includes('\n'),
  );
}

describe('patch reader: bad input', () => {
  it('refuses an empty document', () => {
    refuses('', /^empty document$/);
    refuses(' \n\r\n\t\n', /^empty document$/);
    refuses(new Uint8Array(0), /^empty document$/);
  });

  it('refuses binary data', () => {
    const diff = Buffer.from(formatPatchMessage(1, 1));
    refuses(Buffer.concat([diff.subarray(0, 100), Buffer.from([0, 1, 2, 0]), diff.subarray(100)]), /^binary data \(NUL bytes/);
    refuses(Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 32), /^binary data/);
    refuses('\x01\x02\x03\x04\x05\x06 diff --git a/x b/x', /^binary data \(mostly non-text/);
  });

  it('refuses a document without a hunk', () => {
    refuses('Hello,\n\nthis mail has no patch in it.\n', /^no diff hunks found$/);
    refuses('diff --git a/x.c b/x.c\nindex 1111111..2222222 100644\n', /^no diff hunks found$/);
    refuses(formatPatchMessage(0, 3).split('diff --git')[0] as string, /^no diff hunks found$/);
  });

  it('refuses a document over the size cap, and the default cap is 64 MB', () => {
    assert.equal(MAX_PATCH_BYTES, 64 * 1024 * 1024);
    const doc = formatPatchMessage(1, 1);
    refuses(doc, /^document too large/, { maxBytes: 100 });
    refuses(Buffer.from(doc), /^document too large/, { maxBytes: 100 });
    refuses('\u00e9'.repeat(60), /^document too large/, { maxBytes: 100 }); // 120 bytes in UTF-8
    assert.ok(readPatches(doc, { maxBytes: doc.length }).patches.length === 1);
  });

  it('reads a truncated hunk without throwing and marks it', () => {
    const doc = renderGitDiff(SAMPLE).map((l) => l.text).slice(0, 10).join('\n');
    const set = readPatches(doc);
    const h = set.patches[0]!.files[0]!.hunks[0]!;
    assert.equal(h.truncated, true);
    assert.equal(h.lines.length, 5);
    assert.deepEqual([h.oldLines, h.newLines], [5, 4]);
  });

  it('reads a 20 MB mbox of small patches', () => {
    const parts: string[] = [];
    let size = 0;
    for (let n = 1; size < 20 * 1024 * 1024; n++) {
      const m = formatPatchMessage(n, 99999, SAMPLE, n.toString(16).padStart(40, '0'));
      parts.push(m);
      size += m.length;
    }
    const set = readPatches(parts.join(''));
    assert.equal(set.patches.length, parts.length);
    assert.equal(set.patches.reduce((a, p) => a + p.files.reduce((b, f) => b + f.hunks.length, 0), 0), parts.length * 3);
    assert.deepEqual(set.patches.slice(0, 3).map((p) => p.series?.n), [1, 2, 3]);
    const last = set.patches.at(-1)!.files.at(-1)!.hunks.at(-1)!;
    assert.equal(last.index, parts.length * 3 - 1);
    assert.deepEqual(set.warnings, []);
  });
});
