/**
 * The local days zone-day tables are keyed by (`subgraphs/kit/store/zoneDays.ts`) and the declaration
 * check of `dayZones`: which zones the kit can keep days of, and the message for those it cannot.
 */
import { parse } from 'graphql';
import { z } from 'zod';
import { defineDataProduct, type DataProductDefinition } from '../../subgraphs/kit/index.js';
import { ZoneDays, dayZoneProblem } from '../../subgraphs/kit/store/zoneDays.js';
import { zoneDayTableName } from '../../subgraphs/kit/rollups/zoneDayTables.js';

const HOUR = 3_600_000;

function product(dayZones: string[]): DataProductDefinition {
  return {
    typeDefs: parse('type Query { a: Int }'),
    descriptor: {
      id: 'test.zones',
      name: 'Zones',
      domain: 'test',
      version: '1.0.0',
      status: 'draft',
      description: { purpose: 'tests' },
      owner: { team: 'tests', contact: 'tests@example.com' },
      slos: { freshnessSeconds: 60, availability: 0.9, retentionDays: 1 },
    },
    facts: { Visit: z.object({ region: z.string() }) },
    rollups: {
      visits: {
        dimensions: ['region'],
        measures: { visits: 'count' },
        dayZones,
        contributions: { Visit: (v: unknown) => ({ dims: { region: (v as { region: string }).region }, values: { visits: 1 } }) },
      },
    },
    resolvers: () => ({}),
  };
}

describe('zone days', () => {
  it('should accept zones whose days start on whole UTC hours, in any spelling', () => {
    for (const zone of ['Europe/Paris', 'europe/paris', 'America/New_York', 'America/Sao_Paulo', 'Etc/GMT+5']) expect(dayZoneProblem(zone)).toBeNull();
    expect(() => defineDataProduct(product(['Europe/Paris']))).not.toThrow();
    expect(zoneDayTableName('sales__by__product_id', 'europe/paris')).toBe('sales__by__product_id__tz_europe_paris');
  });

  it('should refuse at declaration an unknown zone, a half-hour zone and a zone whose days are UTC days, saying why', () => {
    expect(() => defineDataProduct(product(['Asia/Kolkata']))).toThrow(/dayZones cannot be kept: rollup "visits": time zone .* whole UTC hour/);
    expect(() => defineDataProduct(product(['America/St_Johns']))).toThrow(/whole-hour offsets/);
    expect(() => defineDataProduct(product(['Mars/Olympus']))).toThrow(/"Mars\/Olympus" is not an IANA time zone/);
    expect(() => defineDataProduct(product(['UTC']))).toThrow(/days are UTC days/);
    expect(() => ZoneDays.of('Asia/Kolkata')).toThrow(RangeError);
  });

  it('should key each local day by its local midnight, 23 and 25 hours long across DST, and none outside 1970..2100', () => {
    const paris = ZoneDays.of('Europe/Paris');
    expect(paris.dayOf(Date.parse('2024-03-31T12:00:00Z'))).toEqual({ start: Date.parse('2024-03-30T23:00:00Z'), end: Date.parse('2024-03-31T22:00:00Z') });
    expect(paris.dayOf(Date.parse('2024-10-27T22:59:59.999Z'))).toEqual({ start: Date.parse('2024-10-26T22:00:00Z'), end: Date.parse('2024-10-27T23:00:00Z') });
    // The cache is per UTC hour: the hour a day ends in answers both days.
    expect(paris.startOf(Date.parse('2024-10-27T23:00:00Z'))).toBe(Date.parse('2024-10-27T23:00:00Z'));
    expect(paris.startOf(Date.parse('2024-10-27T22:30:00Z'))).toBe(Date.parse('2024-10-26T22:00:00Z'));
    expect(paris.daysOverlapping(Date.parse('2024-03-30T22:30:00Z'), Date.parse('2024-03-31T22:00:00Z')).map((d) => (d.end - d.start) / HOUR)).toEqual([
      24, 23,
    ]);
    expect(paris.startOf(Date.parse('1911-01-01T12:00:00Z'))).toBeNull();
    expect(paris.startOf(Date.parse('2100-06-01T12:00:00Z'))).toBeNull();
  });
});
