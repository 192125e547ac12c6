import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkRecovery } from './recoveries.js';

describe('checkRecovery', () => {
  it('allows up to what the write-off cleared less what came back before', () => {
    expect(checkRecovery(1_000n, 0n, 1_000n)).toEqual({ ok: true, remaining_after_minor: 0n });
    expect(checkRecovery(1_000n, 400n, 600n)).toEqual({ ok: true, remaining_after_minor: 0n });
    expect(checkRecovery(1_000n, 400n, 601n)).toMatchObject({ ok: false, code: 'recovery_exceeds_written_off' });
    expect(checkRecovery(1_000n, 0n, 0n)).toMatchObject({ ok: false, code: 'amount_must_be_positive' });
  });

  it('no sequence of accepted recoveries exceeds the written-off amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.array(fc.bigInt({ min: -5n, max: 10n ** 11n }), { maxLength: 30 }), (writtenOff, asks) => {
        let recovered = 0n;
        for (const amount of asks) {
          const checked = checkRecovery(writtenOff, recovered, amount);
          if (checked.ok) {
            recovered += amount;
            expect(checked.remaining_after_minor).toBe(writtenOff - recovered);
          }
        }
        expect(recovered).toBeLessThanOrEqual(writtenOff);
      }),
    );
  });
});
