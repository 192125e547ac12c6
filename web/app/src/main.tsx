import { render } from 'preact';
import { App } from './app';
import './styles.css';

render(<App />, document.getElementById('root')!);

// The service worker (sw.js, generated at build) makes the app installable and usable offline
// for what it has seen; registered after the first screen so it never competes with it.
if ('serviceWorker' in navigator && import.meta.env.PROD) {
  addEventListener('load', () => {
    void navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(() => {});
  });
}
