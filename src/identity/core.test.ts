import { describe, expect, it } from 'vitest';
import { hashOtp, maskPhone, otpCodeFrom, otpMatches, sessionCookie, signInVerdict } from './core.js';

describe('identity core', () => {
  it('masks all but the country prefix and the last four digits', () => {
    expect(maskPhone('+8613800000001')).toBe('+86•••••••0001');
  });

  it('draws 6-digit codes, skipping values that would bias the modulo', () => {
    const draws = [Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from([0, 0, 0, 42])];
    expect(otpCodeFrom(() => draws.shift()!)).toBe('000042');
  });

  it('binds a code hash to its challenge', () => {
    const h = hashOtp('a', '123456');
    expect(otpMatches('a', '123456', h)).toBe(true);
    expect(otpMatches('b', '123456', h)).toBe(false);
    expect(otpMatches('a', '123457', h)).toBe(false);
  });

  it('turns risk outcomes into sign-in verdicts', () => {
    expect(signInVerdict('block', true)).toBe('refused');
    expect(signInVerdict('step_up', false)).toBe('step_up');
    expect(signInVerdict('review', false)).toBe('step_up');
    expect(signInVerdict('step_up', true)).toBe('signed_in');
    expect(signInVerdict('allow', false)).toBe('signed_in');
  });

  it('sets Secure only on https', () => {
    expect(sessionCookie('t', 10, true)).toMatch(/; Secure$/);
    expect(sessionCookie('t', 10, false)).not.toMatch(/Secure/);
  });
});
