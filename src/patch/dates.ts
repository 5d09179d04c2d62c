/**
 * Mail and git dates to ISO 8601. Handles RFC 2822 (`Mon, 26 Sep 2022 13:11:20 -0400`), git's
 * default (`Mon Sep 26 13:11:20 2022 -0400`), ISO-like (`2022-09-26 13:11:20 -0400`) and the
 * mail-archive form of the seeds (`Mon Sep 26 2022 - 13:11:20 EST`). A date without a time zone
 * is not turned into an instant: the result would depend on the reader's machine.
 */

const MONTHS: Readonly<Record<string, number>> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};

/** RFC 2822 section 4.3 zone names, plus the European ones common on LKML archives. Minutes east of UTC. */
const ZONES: Readonly<Record<string, number>> = {
  UT: 0, UTC: 0, GMT: 0, Z: 0,
  EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
  CET: 60, CEST: 120, EET: 120, EEST: 180, WET: 0, WEST: 60, BST: 60, JST: 540,
};

export function parseMailDate(raw: string): string | null {
  const s = raw.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?/.exec(s);
  if (iso) {
    const zone = iso[7] === undefined ? null : zoneMinutes(iso[7]);
    return build(+(iso[1] as string), +(iso[2] as string) - 1, +(iso[3] as string), +(iso[4] as string), +(iso[5] as string), +(iso[6] ?? 0), zone);
  }
  const month = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?![a-z])/i.exec(s);
  const time = /\b(\d{1,2}):(\d{2})(?::(\d{2}))?\b/.exec(s);
  if (!month || !time) return null;
  // Take time out before looking for the year and the day, so that 13:11:20 offers neither.
  const rest = s.slice(0, time.index) + ' ' + s.slice(time.index + time[0].length);
  const year = /\b(\d{4})\b/.exec(rest.replace(/[+-]\d{4}\b/g, ' '));
  const day = /(?:^|[^\d:+-])(\d{1,2})(?![\d:])/.exec(rest.replace(/\b\d{4}\b/g, ' '));
  if (!year || !day) return null;
  const zone = zoneAfter(s.slice(time.index + time[0].length));
  return build(+(year[1] as string), MONTHS[(month[1] as string).toLowerCase()] ?? -1, +(day[1] as string),
    +(time[1] as string), +(time[2] as string), +(time[3] ?? 0), zone);
}

/** The first numeric offset or known zone name after the time of day. */
function zoneAfter(tail: string): number | null {
  const re = /([+-]\d{2}:?\d{2})(?!\d)|\b([A-Za-z]{1,4})\b/g;
  for (let m = re.exec(tail); m; m = re.exec(tail)) {
    if (m[1] !== undefined) return zoneMinutes(m[1]);
    const named = ZONES[(m[2] as string).toUpperCase()];
    if (named !== undefined) return named;
  }
  return null;
}

function zoneMinutes(z: string): number | null {
  if (z === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(z);
  if (!m) return null;
  const v = +(m[2] as string) * 60 + +(m[3] as string);
  return m[1] === '-' ? -v : v;
}

function build(y: number, mo: number, d: number, h: number, mi: number, s: number, zone: number | null): string | null {
  if (zone === null || mo < 0 || h > 23 || mi > 59 || s > 60) return null;
  const t = Date.UTC(y, mo, d, h, mi, Math.min(s, 59));
  const check = new Date(t);
  if (Number.isNaN(t) || check.getUTCDate() !== d || check.getUTCMonth() !== mo) return null;
  return new Date(t - zone * 60_000).toISOString();
}
