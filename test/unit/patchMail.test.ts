/** Mail metadata: subjects and series, dates, encoded names, header shapes. */
import * as assert from 'node:assert/strict';
import { readPatches } from '../../src/patch';
import { parseMailDate } from '../../src/patch/dates';
import { decodeEncodedWords, parseSubject } from '../../src/patch/mail';
import { formatPatchMessage } from '../fixtures/reader/build';

describe('patch reader: mail metadata', () => {
  it('parses subjects into series and title', () => {
    assert.deepEqual(parseSubject('[PATCH v2 03/10] KVM: x86: fix it'), { title: 'KVM: x86: fix it', series: { n: 3, total: 10 } });
    assert.deepEqual(parseSubject('Re: [PATCH 6/6] kvm: x86: do not use KVM_REQ_EVENT'), { title: 'kvm: x86: do not use KVM_REQ_EVENT', series: { n: 6, total: 6 } });
    assert.deepEqual(parseSubject('Re: [RFC v2] KVM: x86/vmx: Suppress PINs'), { title: 'KVM: x86/vmx: Suppress PINs', series: null });
    assert.deepEqual(parseSubject('RE: Re: [PATCH 0/3] Cover'), { title: 'Cover', series: { n: 0, total: 3 } });
    assert.deepEqual(parseSubject('[PATCH 4/3] bogus numbering'), { title: 'bogus numbering', series: null });
    assert.deepEqual(parseSubject(null), { title: null, series: null });
  });

  it('parses mail, git and archive dates with their zone, and refuses zone-less ones', () => {
    assert.equal(parseMailDate('Mon, 26 Sep 2022 13:11:20 -0400'), '2022-09-26T17:11:20.000Z');
    assert.equal(parseMailDate('26 Sep 2022 13:11:20 +0000 (UTC)'), '2022-09-26T13:11:20.000Z');
    assert.equal(parseMailDate('Mon Sep 26 13:11:20 2022 -0400'), '2022-09-26T17:11:20.000Z');
    assert.equal(parseMailDate('Mon Sep 26 2022 - 13:11:20 EST'), '2022-09-26T18:11:20.000Z');
    assert.equal(parseMailDate('Tue Feb 07 2017 - 15:07:47 EST'), '2017-02-07T20:07:47.000Z');
    assert.equal(parseMailDate('2022-09-26 13:11:20 +0200'), '2022-09-26T11:11:20.000Z');
    assert.equal(parseMailDate('2022-09-26T13:11:20Z'), '2022-09-26T13:11:20.000Z');
    assert.equal(parseMailDate('Mon Sep 26 2022 13:11:20'), null);
    assert.equal(parseMailDate('Feb 30 2022 10:00:00 +0000'), null);
    assert.equal(parseMailDate('yesterday'), null);
  });

  it('decodes RFC 2047 encoded names', () => {
    assert.equal(decodeEncodedWords('=?UTF-8?q?Radim_Kr=C4=8Dm=C3=A1=C5=99?= <rkrcmar@example.org>'), 'Radim Kr\u010dm\u00e1\u0159 <rkrcmar@example.org>');
    assert.equal(decodeEncodedWords('=?utf-8?B?SsO2cmc=?= =?utf-8?B?IFLDtmRlbA==?='), 'J\u00f6rg R\u00f6del');
    assert.equal(decodeEncodedWords('=?x-unknown?q?abc?='), '=?x-unknown?q?abc?=');
  });

  it('unfolds headers and reads encoded authors in a format-patch', () => {
    const doc = formatPatchMessage(2, 5)
      .replace('From: Jane Reviewer <jane@example.org>', 'From: =?UTF-8?q?J=C3=B6rg_Reviewer?= <joerg@example.org>')
      .replace(/Subject: (\[PATCH v2 2\/5\]) /, 'Subject: $1\n ');
    const p = readPatches(doc).patches[0]!;
    assert.equal(p.author, 'J\u00f6rg Reviewer <joerg@example.org>');
    assert.equal(p.subject, '[PATCH v2 2/5] KVM: VMX: move the PID.SN update to the put path');
    assert.deepEqual(p.series, { n: 2, total: 5 });
  });

  it('reads archive-page headers: subject on the first line, From: and Date: below', () => {
    const doc = [
      'Re: [PATCH] KVM: x86: fix the thing',
      '',
      'From: Sam Maintainer',
      'Date: Wed Oct 05 2022 - 11:20:00 EST',
      '',
      '> @@ -1 +1 @@',
      '> -a();',
      '> +b();',
      '',
    ].join('\n');
    const p = readPatches(doc).patches[0]!;
    assert.deepEqual([p.subject, p.title, p.author, p.date, p.format], [
      'Re: [PATCH] KVM: x86: fix the thing',
      'KVM: x86: fix the thing',
      'Sam Maintainer',
      '2022-10-05T16:20:00.000Z',
      'mail-reply',
    ]);
  });
});
