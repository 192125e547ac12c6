import { t, type Lang } from './i18n';

export function LangSwitch({ lang, onLang }: { lang: Lang; onLang: (l: Lang) => void }) {
  return (
    <div class="lang" role="group" aria-label={t('language')}>
      <button type="button" aria-pressed={lang === 'en'} onClick={() => onLang('en')} lang="en">
        English
      </button>
      <button type="button" aria-pressed={lang === 'zh'} onClick={() => onLang('zh')} lang="zh-CN">
        中文
      </button>
    </div>
  );
}
