import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './customers.js';

describe('customer passwords (scrypt)', () => {
  it('stores scrypt$N$r$p$salt$hash and verifies only the right password', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts: the same password hashes differently', async () => {
    expect(await hashPassword('same password')).not.toBe(await hashPassword('same password'));
  });

  it('treats malformed or hostile stored values as a mismatch', async () => {
    for (const bad of ['', 'plain', 'scrypt$16384$8$1$salt', 'bcrypt$1$2$3$4$5', 'scrypt$99999999$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAA', 'scrypt$16384$8$1$AAAA$AA']) {
      expect(await verifyPassword('x', bad), bad).toBe(false);
    }
  });
});
