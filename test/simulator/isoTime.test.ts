import { isoTime } from '../../simulator/isoTime.js';
import { createRandom } from '../../simulator/random.js';

describe('isoTime', () => {
  it('should format like toISOString, truncating fractions of a millisecond', () => {
    const random = createRandom(9);
    const samples = [0, 86_399_999, 86_400_000, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(1999, 11, 31, 23, 59, 59, 1)];
    for (let i = 0; i < 2000; i++) samples.push(random.float(0, Date.UTC(2100, 0, 1)));
    expect(samples.map(isoTime)).toEqual(samples.map((ms) => new Date(Math.floor(ms)).toISOString()));
  });
});
