import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { diffCatalogues, featuresInUse, isEmptyDiff, modelInputs, normalise, validateCatalogue, type Dependent, type RuleSetUse } from './catalogue.js';
import type { RuleSetBody } from './core.js';
import { DEFAULT_RULE_SET, DEFAULT_VELOCITY_FEATURES } from './defaults.js';
import type { VelocityFeature } from './velocity.js';

const without = (...names: string[]) => DEFAULT_VELOCITY_FEATURES.filter((f) => !names.includes(f.name));
const ruleSet = (id: string, version: number, body: RuleSetBody, uses: RuleSetUse[] = ['live']): Dependent => ({ kind: 'rule_set', id, version, uses, body });

describe('validateCatalogue', () => {
  it('accepts the defaults and an empty catalogue', () => {
    expect(validateCatalogue(DEFAULT_VELOCITY_FEATURES)).toMatchObject({ ok: true });
    expect(validateCatalogue([])).toEqual({ ok: true, features: [] });
  });

  it('names the first problem as features[i].<field>', () => {
    const base = { name: 'a_count_1h', entity: 'customer', aggregate: 'count', window: '1h' };
    expect(validateCatalogue('x')).toEqual({ ok: false, field: 'features', message: 'must be an array of features' });
    expect(validateCatalogue([base, base])).toMatchObject({ ok: false, field: 'features[1].name' });
    expect(validateCatalogue([base, { ...base, name: 'b', aggregate: 'sum' }])).toMatchObject({ ok: false, field: 'features[1].of' });
    expect(validateCatalogue([{ ...base, aggregate: 'distinct', of: 'customer' }])).toMatchObject({ ok: false, field: 'features[0].of' });
    expect(validateCatalogue([{ ...base, window: '5m' }])).toMatchObject({ ok: false, field: 'features[0].window' });
    expect(validateCatalogue([{ ...base, event_types: ['login', 'refund'] }])).toMatchObject({ ok: false, field: 'features[0].event_types[1]' });
    expect(validateCatalogue([{ ...base, extra: 1 }])).toMatchObject({ ok: false, field: 'features[0].extra' });
    expect(validateCatalogue([7])).toMatchObject({ ok: false, field: 'features[0]' });
  });

  it('stores features in one shape: no absent optional fields', () => {
    const checked = validateCatalogue([{ name: 'a', entity: 'device', aggregate: 'count', of: undefined, window: '1m', event_types: undefined }]);
    expect(checked).toEqual({ ok: true, features: [{ name: 'a', entity: 'device', aggregate: 'count', window: '1m' }] });
    expect(Object.keys(normalise({ name: 'b', window: '1h', aggregate: 'sum', of: 'amount', entity: 'customer' }))).toEqual(['name', 'entity', 'aggregate', 'of', 'window']);
  });
});

describe('diffCatalogues', () => {
  it('reports added, removed and changed features by name', () => {
    const added: VelocityFeature = { name: 'customer_logins_24h', entity: 'customer', aggregate: 'count', window: '24h', event_types: ['login'] };
    const changed = { ...DEFAULT_VELOCITY_FEATURES[0]!, window: '1h' as const };
    const after = [changed, ...without('customer_count_1m', 'ip_customers_1h'), added];
    expect(diffCatalogues(DEFAULT_VELOCITY_FEATURES, after)).toEqual({
      added: [added],
      removed: [DEFAULT_VELOCITY_FEATURES.find((f) => f.name === 'ip_customers_1h')],
      changed: [{ name: 'customer_count_1m', before: DEFAULT_VELOCITY_FEATURES[0], after: changed }],
    });
  });

  it('ignores order: of the catalogue, and of a feature’s event types', () => {
    const reordered = [...DEFAULT_VELOCITY_FEATURES].reverse();
    expect(isEmptyDiff(diffCatalogues(DEFAULT_VELOCITY_FEATURES, reordered))).toBe(true);
    const a: VelocityFeature = { name: 'x', entity: 'customer', aggregate: 'count', window: '1h', event_types: ['login', 'payment'] };
    expect(isEmptyDiff(diffCatalogues([a], [{ ...a, event_types: ['payment', 'login'] }]))).toBe(true);
    expect(diffCatalogues([a], [{ ...a, event_types: ['payment'] }]).changed).toHaveLength(1);
  });

  it('property: applying the diff to before gives after (by name and definition)', () => {
    const feature = fc.record({
      name: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      entity: fc.constantFrom('customer' as const, 'device' as const),
      aggregate: fc.constant('count' as const),
      window: fc.constantFrom('1m' as const, '1h' as const),
    });
    const catalogue = fc.uniqueArray(feature, { selector: (f) => f.name, maxLength: 5 });
    fc.assert(
      fc.property(catalogue, catalogue, (before, after) => {
        const diff = diffCatalogues(before, after);
        const result = new Map<string, VelocityFeature>(before.map((f) => [f.name, f]));
        for (const f of diff.removed) result.delete(f.name);
        for (const f of diff.added) result.set(f.name, f);
        for (const c of diff.changed) result.set(c.name, c.after);
        const byName = (fs: Iterable<VelocityFeature>) => [...fs].map((f) => JSON.stringify(normalise(f))).sort();
        expect(byName(result.values())).toEqual(byName(after));
      }),
    );
  });
});

describe('featuresInUse', () => {
  const live = ruleSet('default', 1, DEFAULT_RULE_SET, ['live', 'latest_published']);

  it('nothing when features are added or redefined (every velocity feature is a number)', () => {
    const redefined = DEFAULT_VELOCITY_FEATURES.map((f) => (f.name === 'device_count_30d' ? { ...f, window: '24h' as const } : f));
    expect(featuresInUse([live], DEFAULT_VELOCITY_FEATURES, [...redefined, { name: 'z', entity: 'ip', aggregate: 'count', window: '1m' }])).toEqual([]);
  });

  it('names the rule set, version, uses, rule and the dropped features, per rule', () => {
    const conflicts = featuresInUse([live], DEFAULT_VELOCITY_FEATURES, without('customer_new_beneficiaries_24h', 'device_count_30d', 'customer_merchants_1h'));
    expect(conflicts).toEqual([
      {
        kind: 'rule_set',
        id: 'default',
        version: 1,
        uses: ['live', 'latest_published'],
        rule_id: 'takeover_payout',
        features: ['customer_new_beneficiaries_24h', 'device_count_30d'],
        message: 'rule set default v1 (live, latest published), rule takeover_payout, reads velocity.customer_new_beneficiaries_24h, velocity.device_count_30d',
      },
      expect.objectContaining({ rule_id: 'card_testing_burst', features: ['customer_merchants_1h'] }),
    ]);
  });

  it('checks disabled rules too: the whole version must compile', () => {
    const body = { rules: [{ id: 'off', when: 'velocity.ip_customers_1h > 3', outcome: 'review' as const, enabled: false }] };
    expect(featuresInUse([ruleSet('r', 2, body, ['shadow'])], DEFAULT_VELOCITY_FEATURES, without('ip_customers_1h'))).toMatchObject([
      { id: 'r', version: 2, uses: ['shadow'], rule_id: 'off', features: ['ip_customers_1h'] },
    ]);
  });

  it('a feature named only inside a string literal is not in use', () => {
    const body = { rules: [{ id: 'lit', when: "event.channel == 'velocity.ip_customers_1h'", outcome: 'review' as const }] };
    expect(featuresInUse([ruleSet('r', 1, body)], DEFAULT_VELOCITY_FEATURES, without('ip_customers_1h'))).toEqual([]);
  });

  it('deployed models that read a dropped feature', () => {
    const model: Dependent = { kind: 'model', id: 'fraud', version: 3, slot: 'live', inputs: ['event.amount', 'velocity.customer_payments_24h', 'velocity.ip_customers_1h'] };
    expect(featuresInUse([model], DEFAULT_VELOCITY_FEATURES, without('ip_customers_1h'))).toEqual([
      { kind: 'model', id: 'fraud', version: 3, uses: ['live'], rule_id: null, features: ['ip_customers_1h'], message: 'model fraud v3 (deployed live) reads velocity.ip_customers_1h' },
    ]);
    expect(featuresInUse([model], DEFAULT_VELOCITY_FEATURES, without('device_count_30d'))).toEqual([]);
  });
});

describe('modelInputs', () => {
  it('reads scorecard attributes and XGBoost / ONNX feature names; anything else reads nothing', () => {
    expect(modelInputs('scorecard', { attributes: [{ name: 'velocity.a' }, { name: 'event.amount' }, { bins: [] }] })).toEqual(['velocity.a', 'event.amount']);
    expect(modelInputs('xgboost', { feature_names: ['velocity.b', 3] })).toEqual(['velocity.b']);
    expect(modelInputs('onnx', { feature_names: ['velocity.c'] })).toEqual(['velocity.c']);
    expect(modelInputs('xgboost', { dump: [] })).toEqual([]);
    expect(modelInputs('scorecard', null)).toEqual([]);
  });
});
