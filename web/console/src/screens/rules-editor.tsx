/**
 * Edit a rule set as a new version (or start a new rule set): one fieldset per rule (id,
 * condition, outcome, priority, reason, enabled). The server compiles every condition; its
 * errors name `rules[i].<field>` and are shown beside that field (aria-describedby), the
 * rest above the form. Nothing is saved unless the whole set compiles.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, post } from '../api';
import { t } from '../i18n';
import { ErrorBox, Load, Section, asApiError, useAsync } from '../ui';
import { OUTCOMES, type Outcome, type Rule, type RuleSetVersion } from './rules';

interface Draft {
  key: number;
  id: string;
  name?: string;
  when: string;
  outcome: Outcome;
  priority: string;
  reason: string;
  enabled: boolean;
}
interface FieldError {
  field: string;
  message: string;
}

const NAME = /^[a-z][a-z0-9_-]{0,63}$/;
let keys = 0;
const draftOf = (r: Rule): Draft => ({ key: ++keys, id: r.id, name: r.name, when: r.when, outcome: r.outcome, priority: String(r.priority ?? 0), reason: r.reason ?? '', enabled: r.enabled !== false });
const emptyRule = (): Draft => ({ key: ++keys, id: '', when: '', outcome: 'review', priority: '0', reason: '', enabled: true });

function ruleOf(d: Draft): Rule {
  const priority = Number(d.priority);
  return {
    id: d.id.trim(),
    ...(d.name ? { name: d.name } : {}),
    when: d.when,
    outcome: d.outcome,
    priority: d.priority.trim() === '' || !Number.isInteger(priority) ? (d.priority as unknown as number) : priority,
    ...(d.reason.trim() ? { reason: d.reason.trim() } : {}),
    enabled: d.enabled,
  };
}

/** "Rule 3 (large_payment): When (condition)" for `rules[2].when`. */
function fieldLabel(field: string, rules: Draft[]): string {
  const m = /^rules\[(\d+)\]\.(\w+)/.exec(field);
  if (!m) return field;
  const rule = rules[Number(m[1])];
  const names: Record<string, string> = { id: t('rule_id'), when: t('rule_when'), outcome: t('outcome'), priority: t('priority'), reason: t('rule_reason') };
  return `${t('rule')} ${Number(m[1]) + 1}${rule?.id ? ` (${rule.id})` : ''}: ${names[m[2]!] ?? m[2]}`;
}

/** Moves focus to the field an error names (its message is read with it, through aria-describedby). */
function focusField(field: string, rules: Draft[]): void {
  const m = /^rules\[(\d+)\]\.(\w+)/.exec(field);
  const rule = m ? rules[Number(m[1])] : undefined;
  if (!m || !rule) return;
  document.getElementById(`rule-${rule.key}-${m[2]}`)?.focus();
}

/** `body.rules[2].when` (schema check) and `rules[2].when` (compiler) both → `rules[2].when`. */
const normalise = (field: string) => field.replace(/^body\./, '');

export function RuleEditor({ id, from }: { id?: string; from?: number }) {
  const base = useAsync(async () => {
    if (!id || from === undefined) return null;
    const detail = await get<{ versions: RuleSetVersion[] }>(`/v1/risk/rule-sets/${encodeURIComponent(id)}`);
    const v = detail.versions.find((x) => x.version === from);
    if (!v) throw new ApiError({ status: 404, code: 'rule_set_not_found', detail: `no rule set ${id} v${from}` });
    return v;
  }, [id, from]);
  return (
    <>
      <p>
        <a href={id ? `#/rules/${encodeURIComponent(id)}${from ? `/v/${from}` : ''}` : '#/rules'}>← {t('back')}</a>
      </p>
      <h1>{id ? `${t('edit_new_version')}: ${id}${from ? ` (${t('from_version')} v${from})` : ''}` : t('new_rule_set')}</h1>
      <Load state={base}>{(v) => <Form id={id} base={v} />}</Load>
    </>
  );
}

function Form({ id, base }: { id?: string; base: RuleSetVersion | null }) {
  const [setId, setSetId] = useState(id ?? '');
  const [rules, setRules] = useState<Draft[]>(() => (base ? base.body.rules.map(draftOf) : [emptyRule()]));
  const [comment, setComment] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const summary = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (errors.length || failure) summary.current?.focus();
  }, [errors, failure]);

  const update = (key: number, patch: Partial<Draft>) => setRules((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const errorOf = (field: string) => errors.filter((e) => e.field === field).map((e) => e.message).join('; ');
  const general = errors.filter((e) => !/^rules\[\d+\]\./.test(e.field));

  const save = async (e: Event) => {
    e.preventDefault();
    setErrors([]);
    setFailure(null);
    const target = setId.trim();
    if (!NAME.test(target)) {
      setErrors([{ field: 'id', message: t('rule_set_name_hint') }]);
      return;
    }
    setBusy(true);
    try {
      const body = { rules: rules.map(ruleOf), ...(base?.body.attributes ? { attributes: base.body.attributes } : {}), ...(comment.trim() ? { comment: comment.trim() } : {}) };
      const saved = await post<RuleSetVersion>(`/v1/risk/rule-sets/${encodeURIComponent(target)}/versions`, body);
      location.hash = `#/rules/${encodeURIComponent(saved.id)}/v/${saved.version}`;
    } catch (err) {
      const problem = asApiError(err);
      const list = problem.problem.errors;
      if (list?.length) setErrors(list.map((x) => ({ field: normalise(x.field), message: x.message })));
      else setFailure(problem);
      setBusy(false);
    }
  };

  return (
    <form onSubmit={save} noValidate data-testid="rule-editor">
      <div ref={summary} tabIndex={-1} aria-live="polite">
        {(errors.length > 0 || failure) && (
          <div class="error" role="alert" data-testid="editor-errors">
            <strong>{t('not_saved')}</strong> {errors.length > 0 && `${t('problems_found')}: ${errors.length}`}
            <ul>
              {general.map((g) => (
                <li key={g.field + g.message}>
                  <code>{g.field}</code>: {g.message}
                </li>
              ))}
              {errors
                .filter((e) => !general.includes(e))
                .map((e) => (
                  <li key={e.field + e.message}>
                    <button type="button" class="link" onClick={() => focusField(e.field, rules)}>
                      {fieldLabel(e.field, rules)}
                    </button>
                  </li>
                ))}
            </ul>
          </div>
        )}
        {failure && <ErrorBox error={failure} />}
      </div>
      {!id && (
        <Section title={t('rule_set')}>
          <label class="field">
            <span>{t('rule_set_name')}</span>
            <input name="rule_set_id" value={setId} onInput={(e) => setSetId(e.currentTarget.value)} aria-describedby="rule-set-id-hint" spellcheck={false} required />
            <small id="rule-set-id-hint" class="muted">
              {t('rule_set_name_hint')}
            </small>
          </label>
        </Section>
      )}
      {rules.map((r, i) => (
        <RuleFields key={r.key} index={i} rule={r} errorOf={errorOf} onChange={(p) => update(r.key, p)} onRemove={rules.length > 1 ? () => setRules((rs) => rs.filter((x) => x.key !== r.key)) : undefined} />
      ))}
      <p>
        <button type="button" onClick={() => setRules((rs) => [...rs, emptyRule()])} data-testid="add-rule">
          + {t('add_rule')}
        </button>
      </p>
      <Section title={t('save_version')}>
        <label class="field">
          <span>{t('change_comment')}</span>
          <input name="comment" maxLength={500} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        </label>
        <p>
          <button type="submit" class="primary" disabled={busy} data-testid="save-version">
            {busy ? t('saving') : t('save_version')}
          </button>
        </p>
      </Section>
    </form>
  );
}

function RuleFields({ index, rule, errorOf, onChange, onRemove }: { index: number; rule: Draft; errorOf: (field: string) => string; onChange: (p: Partial<Draft>) => void; onRemove?: () => void }) {
  const prefix = `rules[${index}]`;
  const fid = (name: string) => `rule-${rule.key}-${name}`;
  const err = (name: string) => errorOf(`${prefix}.${name}`);
  const described = (name: string) => (err(name) ? `${fid(name)}-error` : undefined);
  const ErrorText = ({ name }: { name: string }) =>
    err(name) ? (
      <small id={`${fid(name)}-error`} class="field-error error" data-field-error={`${prefix}.${name}`}>
        {err(name)}
      </small>
    ) : null;
  return (
    <fieldset class="card rule" data-rule-index={index}>
      <legend>
        {t('rule')} {index + 1}
        {rule.id ? `: ${rule.id}` : ''}
      </legend>
      <div style={{ display: 'grid', gridTemplateColumns: 'minmax(0, 2fr) minmax(0, 1fr) minmax(0, 1fr)', gap: '0.75rem', marginBottom: '0.75rem' }}>
        <label class="field" for={fid('id')}>
          <span>{t('rule_id')}</span>
          <input id={fid('id')} name={`${prefix}.id`} value={rule.id} maxLength={64} spellcheck={false} aria-invalid={err('id') ? 'true' : undefined} aria-describedby={described('id')} onInput={(e) => onChange({ id: e.currentTarget.value })} />
          <ErrorText name="id" />
        </label>
        <label class="field" for={fid('outcome')}>
            <span>{t('outcome')}</span>
            <select id={fid('outcome')} name={`${prefix}.outcome`} value={rule.outcome} aria-invalid={err('outcome') ? 'true' : undefined} aria-describedby={described('outcome')} onChange={(e) => onChange({ outcome: e.currentTarget.value as Outcome })}>
              {OUTCOMES.map((o) => (
                <option value={o}>{o}</option>
              ))}
            </select>
            <ErrorText name="outcome" />
          </label>
          <label class="field" for={fid('priority')}>
            <span>{t('priority')}</span>
            <input id={fid('priority')} name={`${prefix}.priority`} type="number" min={-1000} max={1000} step={1} value={rule.priority} aria-invalid={err('priority') ? 'true' : undefined} aria-describedby={described('priority')} onInput={(e) => onChange({ priority: e.currentTarget.value })} />
            <ErrorText name="priority" />
          </label>
      </div>
      <label class="field" for={fid('when')} style={{ marginBottom: '0.75rem' }}>
        <span>{t('rule_when')}</span>
        <textarea id={fid('when')} name={`${prefix}.when`} rows={2} maxLength={4000} spellcheck={false} value={rule.when} aria-invalid={err('when') ? 'true' : undefined} aria-describedby={described('when')} onInput={(e) => onChange({ when: e.currentTarget.value })} />
        <ErrorText name="when" />
      </label>
      <label class="field" for={fid('reason')} style={{ marginBottom: '0.75rem' }}>
        <span>{t('rule_reason')}</span>
        <input id={fid('reason')} name={`${prefix}.reason`} maxLength={300} value={rule.reason} aria-invalid={err('reason') ? 'true' : undefined} aria-describedby={described('reason')} onInput={(e) => onChange({ reason: e.currentTarget.value })} />
        <ErrorText name="reason" />
      </label>
      <div class="buttons">
        <label>
          <input type="checkbox" name={`${prefix}.enabled`} checked={rule.enabled} onChange={(e) => onChange({ enabled: e.currentTarget.checked })} /> {t('enabled')}
        </label>
        {onRemove && (
          <button type="button" class="danger small" onClick={onRemove}>
            {t('remove_rule')} {index + 1}
          </button>
        )}
      </div>
      <ErrorText name="name" />
      <ErrorText name="enabled" />
    </fieldset>
  );
}
