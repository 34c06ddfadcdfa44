import { DateTime } from 'luxon';
import {
  BucketLimitError,
  bucketEndOf,
  bucketStartOf,
  GRANULARITIES,
  isValidTimeZone,
  planBuckets,
  truncateToGrain,
  type BucketPlan,
  type Granularity,
} from '../../subgraphs/kit/history/timeBuckets.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** planBuckets over ISO strings, with a limit high enough not to matter unless given. */
function plan(from: string, to: string, granularity: Granularity, timeZone?: string, maxBuckets = 100_000): BucketPlan {
  return planBuckets({ from: new Date(from), to: new Date(to), granularity, timeZone, maxBuckets });
}

const iso = (dates: Date[]): string[] => dates.map((date) => date.toISOString());
const lengthsInHours = (dates: Date[]): number[] => dates.slice(1).map((date, i) => (date.getTime() - dates[i].getTime()) / HOUR);

describe('planBuckets', () => {
  it('should return one DAY bucket per UTC day of a range ending at midnight', () => {
    const { starts, boundaries } = plan('2024-01-01T00:00Z', '2024-01-31T00:00Z', 'DAY');
    expect(starts).toHaveLength(30);
    expect(boundaries).toHaveLength(31);
    expect(starts[0].toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(starts[29].toISOString()).toBe('2024-01-30T00:00:00.000Z');
    expect(boundaries[30].toISOString()).toBe('2024-01-31T00:00:00.000Z');
  });

  it('should return 720 HOUR buckets over thirty days', () => {
    const { starts } = plan('2024-01-01T00:00Z', '2024-01-31T00:00Z', 'HOUR');
    expect(starts).toHaveLength(720);
    expect(lengthsInHours(starts).every((hours) => hours === 1)).toBe(true);
  });

  it('should return 60 MINUTE buckets over one hour', () => {
    const { starts, boundaries } = plan('2024-01-01T10:00Z', '2024-01-01T11:00Z', 'MINUTE');
    expect(starts).toHaveLength(60);
    expect(boundaries.at(-1)!.toISOString()).toBe('2024-01-01T11:00:00.000Z');
  });

  it('should leave out the bucket starting exactly at `to`', () => {
    expect(plan('2024-01-01T00:00Z', '2024-01-02T00:00Z', 'DAY').starts).toHaveLength(1);
    expect(plan('2024-01-01T00:00Z', '2024-01-02T00:00:00.001Z', 'DAY').starts).toHaveLength(2);
    expect(plan('2024-01-01T00:00Z', '2024-01-01T00:00:00.001Z', 'MONTH').starts).toHaveLength(1);
  });

  it('should clamp the first boundary to `from` and the last to `to` while starts stay calendar starts', () => {
    const { starts, boundaries } = plan('2024-01-01T10:30Z', '2024-01-03T06:00Z', 'DAY');
    expect(iso(starts)).toEqual(['2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z', '2024-01-03T00:00:00.000Z']);
    expect(iso(boundaries)).toEqual(['2024-01-01T10:30:00.000Z', '2024-01-02T00:00:00.000Z', '2024-01-03T00:00:00.000Z', '2024-01-03T06:00:00.000Z']);
  });

  it('should make the Berlin day of the spring DST change 23 hours long', () => {
    const { starts, boundaries } = plan('2024-03-30T00:00+01:00', '2024-04-02T00:00+02:00', 'DAY', 'Europe/Berlin');
    expect(iso(starts)).toEqual(['2024-03-29T23:00:00.000Z', '2024-03-30T23:00:00.000Z', '2024-03-31T22:00:00.000Z']);
    expect(lengthsInHours(boundaries)).toEqual([24, 23, 24]);
  });

  it('should make the Berlin day of the autumn DST change 25 hours long', () => {
    const { boundaries } = plan('2024-10-26T00:00+02:00', '2024-10-29T00:00+01:00', 'DAY', 'Europe/Berlin');
    expect(iso(boundaries)).toEqual(['2024-10-25T22:00:00.000Z', '2024-10-26T22:00:00.000Z', '2024-10-27T23:00:00.000Z', '2024-10-28T23:00:00.000Z']);
    expect(lengthsInHours(boundaries)).toEqual([24, 25, 24]);
  });

  it('should keep the hour Berlin repeats in autumn as one two-hour HOUR bucket, and skip the spring one', () => {
    const autumn = plan('2024-10-27T00:00+02:00', '2024-10-28T00:00+01:00', 'HOUR', 'Europe/Berlin');
    expect(autumn.starts).toHaveLength(24);
    expect(lengthsInHours(autumn.boundaries).filter((hours) => hours !== 1)).toEqual([2]);
    expect(iso(autumn.starts).slice(2, 4)).toEqual(['2024-10-27T00:00:00.000Z', '2024-10-27T02:00:00.000Z']);
    const spring = plan('2024-03-31T00:00+01:00', '2024-04-01T00:00+02:00', 'HOUR', 'Europe/Berlin');
    expect(spring.starts).toHaveLength(23);
    expect(lengthsInHours(spring.boundaries).every((hours) => hours === 1)).toBe(true);
  });

  it('should start New York days at 05:00Z in winter and 04:00Z in summer', () => {
    const winter = plan('2024-01-10T05:00Z', '2024-01-12T05:00Z', 'DAY', 'America/New_York');
    expect(iso(winter.starts)).toEqual(['2024-01-10T05:00:00.000Z', '2024-01-11T05:00:00.000Z']);
    const summer = plan('2024-07-10T12:00Z', '2024-07-11T12:00Z', 'DAY', 'America/New_York');
    expect(iso(summer.starts)).toEqual(['2024-07-10T04:00:00.000Z', '2024-07-11T04:00:00.000Z']);
  });

  it('should start half-hour-offset zones on their local midnight', () => {
    const days = plan('2024-01-01T00:00Z', '2024-01-03T00:00Z', 'DAY', 'Asia/Kolkata');
    expect(iso(days.starts)).toEqual(['2023-12-31T18:30:00.000Z', '2024-01-01T18:30:00.000Z', '2024-01-02T18:30:00.000Z']);
  });

  it('should start weeks on Monday', () => {
    const utc = plan('2024-01-03T00:00Z', '2024-01-20T00:00Z', 'WEEK'); // a Wednesday to a Saturday
    expect(iso(utc.starts)).toEqual(['2024-01-01T00:00:00.000Z', '2024-01-08T00:00:00.000Z', '2024-01-15T00:00:00.000Z']);
    expect(utc.starts.every((start) => start.getUTCDay() === 1)).toBe(true);
    const berlin = plan('2024-01-03T00:00Z', '2024-01-10T00:00Z', 'WEEK', 'Europe/Berlin');
    expect(iso(berlin.starts)).toEqual(['2023-12-31T23:00:00.000Z', '2024-01-07T23:00:00.000Z']);
  });

  it('should return twelve UTC months over a year with boundaries at the first of each month', () => {
    const { starts, boundaries } = plan('2024-01-01T00:00Z', '2025-01-01T00:00Z', 'MONTH');
    expect(starts).toHaveLength(12);
    expect(iso(boundaries)).toEqual(Array.from({ length: 13 }, (_, month) => new Date(Date.UTC(2024, month, 1)).toISOString()));
    expect(lengthsInHours(boundaries)[1]).toBe(29 * 24); // leap February
  });

  it('should throw a BucketLimitError with the exact count when over the limit', () => {
    expect(plan('2024-01-01T00:00Z', '2024-01-31T00:00Z', 'DAY', 'UTC', 30).starts).toHaveLength(30);
    const error = catchError(() => plan('2024-01-01T00:00Z', '2024-01-31T00:00Z', 'DAY', 'UTC', 29));
    expect(error).toBeInstanceOf(BucketLimitError);
    expect(error).toMatchObject({ code: 'BUCKET_LIMIT_EXCEEDED', requested: 30, limit: 29, name: 'BucketLimitError' });
    // DST zones take a second, exact count when the first estimate is close to the limit.
    expect(plan('2024-10-27T00:00+02:00', '2024-10-28T00:00+01:00', 'HOUR', 'Europe/Berlin', 24).starts).toHaveLength(24);
    const berlin = catchError(() => plan('2024-10-27T00:00+02:00', '2024-10-28T00:00+01:00', 'HOUR', 'Europe/Berlin', 23));
    expect(berlin).toMatchObject({ requested: 24, limit: 23 });
  });

  it('should explain the limit and the way out in the message', () => {
    expect(() => plan('2024-01-01T00:00Z', '2024-03-31T00:00Z', 'MINUTE', 'UTC', 10_000)).toThrow(
      'this query would return 129600 buckets; the limit is 10000 — use a coarser granularity or a shorter range',
    );
  });

  it('should refuse ten years of minutes without building them', () => {
    for (const timeZone of ['UTC', 'Europe/Berlin']) {
      const started = performance.now();
      const error = catchError(() => plan('2014-01-01T00:00Z', '2024-01-01T00:00Z', 'MINUTE', timeZone, 10_000));
      expect(performance.now() - started).toBeLessThan(50);
      expect(error).toMatchObject({ requested: 3652 * 1440, limit: 10_000 });
    }
  });

  it('should reject an empty or reversed range with a RangeError', () => {
    expect(() => plan('2024-01-02T00:00Z', '2024-01-02T00:00Z', 'DAY')).toThrow(RangeError);
    expect(() => plan('2024-01-03T00:00Z', '2024-01-02T00:00Z', 'DAY')).toThrow(/from \(2024-01-03T00:00:00.000Z\) must be before to/);
    expect(() => plan('not a date', '2024-01-02T00:00Z', 'DAY')).toThrow(/from is not a valid date/);
  });

  it('should reject an unknown time zone, naming it', () => {
    expect(() => plan('2024-01-01T00:00Z', '2024-01-02T00:00Z', 'DAY', 'Mars/Olympus_Mons')).toThrow(RangeError);
    expect(() => plan('2024-01-01T00:00Z', '2024-01-02T00:00Z', 'DAY', 'Mars/Olympus_Mons')).toThrow(/"Mars\/Olympus_Mons"/);
  });

  it('should reject a bad granularity or limit', () => {
    const year = 'YEAR' as Granularity;
    expect(() => plan('2024-01-01T00:00Z', '2024-01-02T00:00Z', year)).toThrow(/unknown granularity "YEAR"/);
    expect(() => plan('2024-01-01T00:00Z', '2024-01-02T00:00Z', 'DAY', 'UTC', 0)).toThrow(/maxBuckets/);
  });

  it('should accept zone links and any letter case', () => {
    const berlin = iso(plan('2024-06-01T00:00Z', '2024-06-03T00:00Z', 'DAY', 'Europe/Berlin').starts);
    expect(iso(plan('2024-06-01T00:00Z', '2024-06-03T00:00Z', 'DAY', 'europe/berlin').starts)).toEqual(berlin);
    expect(iso(plan('2024-06-01T00:00Z', '2024-06-03T00:00Z', 'DAY', 'Asia/Calcutta').starts)).toEqual(
      iso(plan('2024-06-01T00:00Z', '2024-06-03T00:00Z', 'DAY', 'Asia/Kolkata').starts),
    );
  });
});

describe('planBuckets against luxon', () => {
  const zones = [
    'UTC',
    'Etc/GMT-14',
    'Europe/Berlin',
    'America/New_York',
    'America/Sao_Paulo', // DST began at midnight until 2018: such days start at 01:00
    'America/Santiago', // fell back from 24:00 to 23:00
    'Asia/Tehran',
    'Asia/Kolkata',
    'Australia/Lord_Howe', // 30-minute DST
    'Pacific/Chatham', // +12:45 / +13:45
    'Pacific/Apia', // skipped 2011-12-30 entirely
    'Africa/Casablanca', // DST suspended for Ramadan
  ];
  const units = { DAY: 'day', WEEK: 'week', MONTH: 'month' } as const;

  it.each(zones)('should give the DAY, WEEK and MONTH starts luxon gives in %s', (zone) => {
    const [from, to] = [Date.UTC(2011, 5, 1), Date.UTC(2016, 5, 1)];
    for (const granularity of ['DAY', 'WEEK', 'MONTH'] as const) {
      const expected: string[] = [];
      let start = DateTime.fromMillis(from, { zone }).startOf(units[granularity]);
      while (start.toMillis() < to) {
        expected.push(start.toUTC().toISO()!);
        start = start.plus({ [units[granularity]]: 1 }).startOf(units[granularity]);
      }
      const { starts } = plan(new Date(from).toISOString(), new Date(to).toISOString(), granularity, zone);
      expect(iso(starts)).toEqual(expected);
    }
  });

  it.each(zones)('should start a bucket wherever the local minute, hour or date changes around DST in %s', (zone) => {
    for (const change of offsetChanges(zone, Date.UTC(2018, 6, 1), Date.UTC(2019, 6, 1))) {
      const [from, to] = [change - 6 * HOUR, change + 30 * HOUR];
      const expected = keyChanges(zone, from, to);
      for (const granularity of ['MINUTE', 'HOUR', 'DAY'] as const) {
        const { starts } = plan(new Date(from).toISOString(), new Date(to).toISOString(), granularity, zone);
        expect(iso(starts.slice(1))).toEqual(expected[granularity]);
      }
    }
  });
});

describe('bucketStartOf and bucketEndOf', () => {
  const bucket = (instant: string, granularity: Granularity, timeZone?: string): string[] => {
    const at = new Date(instant);
    return iso([bucketStartOf(at, granularity, timeZone), bucketEndOf(at, granularity, timeZone)]);
  };

  it('should give the UTC calendar bucket containing an instant', () => {
    expect(bucket('2024-02-14T10:17:42.5Z', 'MINUTE')).toEqual(['2024-02-14T10:17:00.000Z', '2024-02-14T10:18:00.000Z']);
    expect(bucket('2024-02-14T10:17:42.5Z', 'HOUR')).toEqual(['2024-02-14T10:00:00.000Z', '2024-02-14T11:00:00.000Z']);
    expect(bucket('2024-02-14T10:17:42.5Z', 'DAY')).toEqual(['2024-02-14T00:00:00.000Z', '2024-02-15T00:00:00.000Z']);
    expect(bucket('2024-02-14T10:17:42.5Z', 'WEEK')).toEqual(['2024-02-12T00:00:00.000Z', '2024-02-19T00:00:00.000Z']);
    expect(bucket('2024-02-14T10:17:42.5Z', 'MONTH')).toEqual(['2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z']);
  });

  it('should treat a bucket start as inside its bucket', () => {
    expect(bucket('2024-03-01T00:00Z', 'MONTH')).toEqual(['2024-03-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z']);
  });

  it('should follow the zone across DST', () => {
    expect(bucket('2024-10-27T01:30Z', 'HOUR', 'Europe/Berlin')).toEqual(['2024-10-27T00:00:00.000Z', '2024-10-27T02:00:00.000Z']);
    expect(bucket('2024-10-27T12:00Z', 'DAY', 'Europe/Berlin')).toEqual(['2024-10-26T22:00:00.000Z', '2024-10-27T23:00:00.000Z']);
    expect(bucket('2024-03-15T12:00Z', 'MONTH', 'America/New_York')).toEqual(['2024-03-01T05:00:00.000Z', '2024-04-01T04:00:00.000Z']);
    expect(bucket('1969-12-31T23:59:59.999Z', 'WEEK')).toEqual(['1969-12-29T00:00:00.000Z', '1970-01-05T00:00:00.000Z']);
  });

  it('should agree with the first bucket of planBuckets', () => {
    for (const granularity of GRANULARITIES) {
      for (const instant of ['2024-03-31T00:59:59Z', '2024-03-31T01:00Z', '2024-10-27T00:30Z', '2024-10-27T01:30Z']) {
        const from = new Date(instant);
        const to = new Date(from.getTime() + 1);
        const { starts, boundaries } = planBuckets({ from, to, granularity, timeZone: 'Europe/Berlin', maxBuckets: 1 });
        expect(starts[0]).toEqual(bucketStartOf(from, granularity, 'Europe/Berlin'));
        expect(boundaries).toEqual([from, to]);
      }
    }
  });
});

describe('bucket arithmetic at a fixed offset', () => {
  // UTC and Etc/GMT±n take arithmetic instead of the search near offset changes; Africa/Abidjan has been
  // UTC+0 since 1912 and Asia/Dubai UTC+4 since 1920, but as named zones they take the search.
  const pairs = [
    ['UTC', 'Africa/Abidjan'],
    ['Etc/GMT-4', 'Asia/Dubai'],
  ] as const;
  const instants = Array.from(
    { length: 200 },
    (_, i) => Date.UTC(1990, 0, 1) + Math.floor((((i * 2_654_435_761) % 1_000_003) / 1_000_003) * 40 * 365 * DAY) + (i % 7) * 1_234,
  );

  it.each(pairs)('should give in %s the buckets the search gives in %s', (fixed, named) => {
    for (const granularity of GRANULARITIES) {
      for (const ms of [...instants, Date.UTC(2024, 1, 29), Date.UTC(2024, 11, 31, 23, 59, 59, 999), -1, 0]) {
        const at = new Date(ms);
        expect([bucketStartOf(at, granularity, fixed), bucketEndOf(at, granularity, fixed)]).toEqual([
          bucketStartOf(at, granularity, named),
          bucketEndOf(at, granularity, named),
        ]);
        const to = new Date(ms + 3 * HOUR);
        expect(planBuckets({ from: at, to, granularity, timeZone: fixed, maxBuckets: 10_000 })).toEqual(
          planBuckets({ from: at, to, granularity, timeZone: named, maxBuckets: 10_000 }),
        );
      }
    }
  });
});

describe('truncateToGrain', () => {
  it('should truncate to the UTC minute, hour or day, also before 1970', () => {
    expect(truncateToGrain(new Date('2024-02-14T10:17:42.5Z'), 'minute').toISOString()).toBe('2024-02-14T10:17:00.000Z');
    expect(truncateToGrain(new Date('2024-02-14T10:17:42.5Z'), 'hour').toISOString()).toBe('2024-02-14T10:00:00.000Z');
    expect(truncateToGrain(new Date('2024-02-14T10:17:42.5Z'), 'day').toISOString()).toBe('2024-02-14T00:00:00.000Z');
    expect(truncateToGrain(new Date('1969-12-31T23:59:30Z'), 'minute').toISOString()).toBe('1969-12-31T23:59:00.000Z');
    expect(truncateToGrain(new Date('1969-12-31T23:59:30Z'), 'day').toISOString()).toBe('1969-12-31T00:00:00.000Z');
  });
});

describe('isValidTimeZone', () => {
  it('should accept IANA names and reject the rest', () => {
    for (const zone of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Asia/Calcutta']) {
      expect(isValidTimeZone(zone)).toBe(true);
    }
    for (const zone of ['', 'local', 'Mars/Olympus_Mons', '+05:30', 'UTC+1']) expect(isValidTimeZone(zone)).toBe(false);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/** Instants (to the hour) around which the zone's offset changes, found with luxon. */
function offsetChanges(zone: string, from: number, to: number): number[] {
  const changes: number[] = [];
  let previous = DateTime.fromMillis(from, { zone }).offset;
  for (let t = from + HOUR; t < to; t += HOUR) {
    const offset = DateTime.fromMillis(t, { zone }).offset;
    if (offset !== previous) changes.push(t);
    previous = offset;
  }
  return changes;
}

/** Reference: scan minute by minute for changes of luxon's local minute, hour and date. */
function keyChanges(zone: string, from: number, to: number): Record<'MINUTE' | 'HOUR' | 'DAY', string[]> {
  const keyLength = { MINUTE: 16, HOUR: 13, DAY: 10 } as const; // of 'yyyy-MM-dd HH:mm'
  const changes = { MINUTE: [] as string[], HOUR: [] as string[], DAY: [] as string[] };
  let previous = DateTime.fromMillis(from, { zone }).toFormat('yyyy-MM-dd HH:mm');
  for (let t = from + 60_000; t < to; t += 60_000) {
    const key = DateTime.fromMillis(t, { zone }).toFormat('yyyy-MM-dd HH:mm');
    for (const granularity of ['MINUTE', 'HOUR', 'DAY'] as const) {
      const length = keyLength[granularity];
      if (key.slice(0, length) !== previous.slice(0, length)) changes[granularity].push(new Date(t).toISOString());
    }
    previous = key;
  }
  return changes;
}
