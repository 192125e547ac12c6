/** Debian's Chromium, headless, as the e2e tests and bench:app launch it. */
export const CHROMIUM_PATH = process.env.CAPILLARY_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
  // localhost always means the IPv4 loopback the server listens on.
  '--host-resolver-rules=MAP localhost 127.0.0.1',
];
