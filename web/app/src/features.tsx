/**
 * Features of the app beyond the first screens (red envelopes, loans, mini-programs, scan to
 * pay, payees): each is a folder under `features/` loaded on first use, so the first screen's
 * JavaScript stays small. A feature declares its routes (by prefix) and its own text; the
 * frame renders `FeatureScreen` for any route a feature claims.
 */
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { lang, t, type Lang } from './i18n';
import { useSignal } from './signal';

export interface FeatureModule {
  /** The screen for `path` (the route under /app/, e.g. `envelopes/abc`). */
  Screen: ComponentType<{ path: string }>;
}

export interface Feature {
  /** Its first route segment: `envelopes` claims `envelopes` and `envelopes/…`. */
  route: string;
  /** Menu label, in the app's own dictionary. */
  label: 'red_envelopes' | 'loans' | 'mini_programs' | 'scan_to_pay' | 'payees';
  load: () => Promise<FeatureModule>;
}

/** Every feature; the "More" menu lists them. Add a line here when a feature folder lands. */
export const FEATURES: Feature[] = [
  { route: 'envelopes', label: 'red_envelopes', load: () => import('./features/envelopes') },
  { route: 'payees', label: 'payees', load: () => import('./features/payees') },
  { route: 'loans', label: 'loans', load: () => import('./features/loans') },
  { route: 'mini-programs', label: 'mini_programs', load: () => import('./features/mini-programs') },
  { route: 'scan', label: 'scan_to_pay', load: () => import('./features/scan') },
];

export const featureOf = (path: string): Feature | undefined => FEATURES.find((f) => path === f.route || path.startsWith(`${f.route}/`));

/** A feature's own text in both languages: `const say = textOf({ en: {...}, zh: {...} })`, then `say('key')`. */
export function textOf<K extends string>(dictionaries: Record<Lang, Record<K, string>>): (key: K, vars?: Record<string, string>) => string {
  return (key, vars = {}) => dictionaries[lang.get()][key].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? '');
}

export function FeatureScreen({ feature, path }: { feature: Feature; path: string }) {
  useSignal(lang); // re-render on a language switch
  const [module, setModule] = useState<FeatureModule | undefined>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    feature.load().then(
      (m) => live && setModule(m),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [feature]);
  if (failed) return <p role="alert">{t('network_error')}</p>;
  if (!module) return <p aria-busy="true">{t('loading')}</p>;
  return <module.Screen path={path} />;
}
