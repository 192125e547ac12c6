// Runs inside the page (accessibility.ts evaluates it): plain JavaScript, DOM globals only.
(() => {
    const problems = [];
    const describe = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : ''} "${(el.textContent ?? '').trim().slice(0, 40)}"`;
    const visible = (el) => {
      const box = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && style.display !== 'none' && Number(style.opacity) > 0;
    };
    const named = (el) => {
      if (el.getAttribute('aria-label')?.trim()) return true;
      const by = el.getAttribute('aria-labelledby');
      if (by && by.split(/\s+/).some((id) => document.getElementById(id)?.textContent?.trim())) return true;
      if (el.labels && [...el.labels].some((l) => l.textContent?.trim())) return true;
      if (el.getAttribute('title')?.trim()) return true;
      return false;
    };
    for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      if (visible(el) && !named(el)) problems.push({ kind: 'unnamed_control', element: describe(el), detail: 'form control without a label' });
    }
    for (const el of document.querySelectorAll('button, a[href]')) {
      if (visible(el) && !(el.textContent?.trim() || named(el) || el.querySelector('img[alt]:not([alt=""])'))) {
        problems.push({ kind: 'unnamed_control', element: describe(el), detail: 'button or link without a name' });
      }
    }
    for (const el of document.querySelectorAll('[tabindex]')) {
      if (Number(el.getAttribute('tabindex')) > 0) problems.push({ kind: 'positive_tabindex', element: describe(el), detail: `tabindex=${el.getAttribute('tabindex')}` });
    }

    const rgba = (css) => {
      const m = /rgba?\(([^)]+)\)/.exec(css);
      if (!m) return [0, 0, 0, 0];
      const parts = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return [parts[0], parts[1], parts[2], parts[3] ?? 1];
    };
    const luminance = ([r, g, b]) => {
      const lin = (c) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const backgroundOf = (el) => {
      for (let node = el; node; node = node.parentElement) {
        const style = getComputedStyle(node);
        if (style.backgroundImage !== 'none') return [-1, -1, -1]; // an image or gradient: not measurable here
        const [r, g, b, a] = rgba(style.backgroundColor);
        if (a >= 0.99) return [r, g, b];
      }
      return [255, 255, 255];
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || seen.has(el) || !node.textContent?.trim() || !visible(el)) continue;
      seen.add(el);
      const style = getComputedStyle(el);
      if (el.disabled || el.closest('[disabled], [aria-hidden="true"], .sr-only, .visually-hidden')) continue;
      const bg = backgroundOf(el);
      if (bg[0] < 0) continue;
      const [r, g, b, a] = rgba(style.color);
      // A translucent text colour shows through to its background.
      const fg = [r * a + bg[0] * (1 - a), g * a + bg[1] * (1 - a), b * a + bg[2] * (1 - a)];
      const [hi, lo] = [luminance(fg), luminance(bg)].sort((x, y) => y - x) ;
      const ratio = (hi + 0.05) / (lo + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      const needed = large ? 3 : 4.5;
      if (ratio < needed) problems.push({ kind: 'low_contrast', element: describe(el), detail: `${ratio.toFixed(2)}:1 < ${needed}:1 (${style.color} on rgb(${bg.join(', ')}))` });
    }
    return problems;
})()
