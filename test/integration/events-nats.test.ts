/**
 * NATS JetStream publishing against the local server (127.0.0.1:4222): streams per domain,
 * subjects `<prefix>.<topic>`, Nats-Msg-Id = event id so a republish is dropped, and the
 * relay's cursor advancing only after the publishes were acknowledged. Each run uses its
 * own stream and subject prefix and deletes its streams afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { ManualClock } from '../../src/server/clock.js';
import { appendEvent } from '../../src/events/outbox.js';
import { Relay } from '../../src/events/relay.js';
import { NatsPublisher } from '../../src/events/nats.js';
import { uuidv7 } from '../../src/db/uuid.js';

const NATS_URL = process.env.CAPILLARY_TEST_NATS_URL || 'nats://127.0.0.1:4222';

describe('NATS JetStream publishing', () => {
  const run = randomBytes(4).toString('hex');
  const stream_prefix = `CAPTEST_${run.toUpperCase()}`;
  const subject_prefix = `captest_${run}`;
  let t: TestDb;
  let publisher: NatsPublisher;
  const clock = new ManualClock();

  beforeAll(async () => {
    t = await openTestDb();
    publisher = await NatsPublisher.connect({ url: NATS_URL, stream_prefix, subject_prefix });
  });
  afterAll(async () => {
    await publisher?.deleteStreams();
    await publisher?.close();
    await t?.close();
  });

  const cursorOf = async (consumer: string) =>
    (await t.db.query<{ last_seq: bigint }>('SELECT last_seq FROM outbox_cursors WHERE consumer = $1', [consumer])).rows[0]?.last_seq;

  /** Every message in a stream, in stream order, through an ordered consumer. */
  async function readStream(stream: string, expected: number) {
    const js = publisher.nc.jetstream();
    const consumer = await js.consumers.get(stream);
    const out: { subject: string; msg_id: string | undefined; body: any }[] = [];
    if (expected === 0) return out;
    const batch = await consumer.fetch({ max_messages: expected, expires: 3000 });
    for await (const m of batch) {
      out.push({ subject: m.subject, msg_id: m.headers?.get('Nats-Msg-Id'), body: m.json() });
      if (out.length === expected) break;
    }
    return out;
  }

  it('creates one stream per domain with its subjects', async () => {
    const info = await publisher.nc.jetstreamManager().then((jsm) => jsm.streams.info(`${stream_prefix}_LEDGER`));
    expect(info.config.subjects).toEqual([`${subject_prefix}.ledger.>`]);
    for (const domain of ['OPENBANKING', 'ENVELOPES', 'RISK', 'LENDING']) {
      const s = await (await publisher.nc.jetstreamManager()).streams.info(`${stream_prefix}_${domain}`);
      expect(s.config.name).toBe(`${stream_prefix}_${domain}`);
    }
  });

  it('publishes each event to capillary.<topic> with its id, once, even when a batch is published again', async () => {
    const relay = new Relay(t.db, clock, publisher, { consumer: 'nats', owner: 'this-test' });
    const consent = await appendEvent(t.db, { topic: 'openbanking.consent.authorised', entity_id: uuidv7(), client_id: 'shop', payload: { limit: 5000n } });
    const payment = await appendEvent(t.db, { topic: 'openbanking.payment.completed', entity_id: uuidv7(), client_id: 'shop', payload: { amount: 1050n } });
    const transfer = uuidv7();
    await t.db.query(`INSERT INTO outbox (topic, entity_id, created_at) VALUES ('ledger.transfer.created', $1, now())`, [transfer]);
    const pass = await relay.relayOnce();
    expect(pass.relayed).toBe(3);
    expect(publisher.published).toBe(3);

    const ob = await readStream(`${stream_prefix}_OPENBANKING`, 2);
    expect(ob.map((m) => [m.subject, m.msg_id, m.body.id])).toEqual([
      [`${subject_prefix}.openbanking.consent.authorised`, consent, consent],
      [`${subject_prefix}.openbanking.payment.completed`, payment, payment],
    ]);
    expect(ob[1]!.body).toMatchObject({ topic: 'openbanking.payment.completed', data: { amount: '1050' } });
    const ledger = await readStream(`${stream_prefix}_LEDGER`, 1);
    expect(ledger[0]!.subject).toBe(`${subject_prefix}.ledger.transfer.created`);
    expect(ledger[0]!.body.topic).toBe('ledger.transfer.created');

    // A crash after the acks but before the cursor's commit: the batch is published again; JetStream drops it.
    await t.db.query(`UPDATE outbox_cursors SET last_seq = 0 WHERE consumer = 'nats'`);
    expect((await relay.relayOnce()).relayed).toBe(3);
    expect(publisher.duplicates).toBe(3);
    const jsm = await publisher.nc.jetstreamManager();
    expect((await jsm.streams.info(`${stream_prefix}_OPENBANKING`)).state.messages).toBe(2);
    expect((await jsm.streams.info(`${stream_prefix}_LEDGER`)).state.messages).toBe(1);
  });

  it('does not advance the cursor when a publish is not acknowledged', async () => {
    const relay = new Relay(t.db, clock, publisher, { consumer: 'nats', owner: 'this-test' });
    await relay.drain();
    const before = await cursorOf('nats');
    // The stream is gone (an operator deleted it): the publish finds no stream and fails.
    const jsm = await publisher.nc.jetstreamManager();
    await jsm.streams.delete(`${stream_prefix}_RISK`);
    await appendEvent(t.db, { topic: 'risk.decision.made', entity_id: uuidv7(), payload: { verdict: 'allow' } });
    await expect(relay.relayOnce()).rejects.toThrow();
    expect(await cursorOf('nats')).toBe(before);
    // A publisher that (re)creates its streams at start delivers it.
    const again = await NatsPublisher.connect({ url: NATS_URL, stream_prefix, subject_prefix });
    try {
      expect((await new Relay(t.db, clock, again, { consumer: 'nats', owner: 'this-test' }).relayOnce()).relayed).toBe(1);
      expect(await cursorOf('nats')).toBe(before! + 1n);
      expect((await jsm.streams.info(`${stream_prefix}_RISK`)).state.messages).toBe(1);
    } finally {
      await again.close();
    }
  });

  it('creates the stream of a domain it did not know on first use', async () => {
    const relay = new Relay(t.db, clock, publisher, { consumer: 'nats', owner: 'this-test' });
    await relay.drain();
    await appendEvent(t.db, { topic: 'kyc.check.completed', entity_id: uuidv7(), payload: {} });
    expect((await relay.relayOnce()).relayed).toBe(1);
    const jsm = await publisher.nc.jetstreamManager();
    expect((await jsm.streams.info(`${stream_prefix}_KYC`)).state.messages).toBe(1);
  });
});
