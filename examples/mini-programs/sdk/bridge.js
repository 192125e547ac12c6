/*
 * Capillary mini-program bridge client, version 1 (docs/mini-programs.md).
 * Include it with <script src="/mini-programs/sdk/bridge.js"></script>; it defines
 * window.capillary with promise-returning calls to the host app:
 *   capillary.getContext()                                   → {bridge_version, locale, bridge_scopes}
 *   capillary.getAuthCode({scopes: ['accounts'], code_challenge, redirect_uri?})
 *                                                            → {code, redirect_uri, consent_id, scope, expires_in}
 *   capillary.requestPayment({amount_minor, currency, reference, payee?})
 *                                                            → {id, status, amount_minor, currency, reference, payee_name, created_at}
 *   capillary.getLocation()                                  → {latitude, longitude, accuracy_m}   (coarse, about 1 km)
 *   capillary.pkce()                                         → {code_verifier, code_challenge}   (S256, for getAuthCode)
 * A refusal rejects with an Error whose `code` is one of the bridge error codes.
 */
(function () {
  'use strict';
  var VERSION = 1;
  // A customer may take a while on a bank sheet; after this the call gives up (the host may still act).
  var TIMEOUT_MS = 10 * 60 * 1000;
  // The host is the page that framed us: the bank's own origin, the same as this file's URL.
  var HOST_ORIGIN = new URL(location.href).origin;
  var pending = new Map();
  var seq = 0;

  function bridgeError(code, message) {
    var err = new Error(message || code);
    err.name = 'BridgeError';
    err.code = code;
    return err;
  }

  addEventListener('message', function (event) {
    if (event.source !== parent) return;
    var d = event.data;
    if (!d || d.capillary !== 'bridge' || typeof d.id !== 'string' || !('ok' in d)) return;
    var call = pending.get(d.id);
    if (!call) return;
    pending.delete(d.id);
    clearTimeout(call.timer);
    if (d.ok) call.resolve(d.result);
    else call.reject(bridgeError((d.error && d.error.code) || 'unknown', d.error && d.error.message));
  });

  function request(method, params) {
    return new Promise(function (resolve, reject) {
      if (parent === window) return reject(bridgeError('no_host', 'open this page inside the Capillary app'));
      var id = 'r' + ++seq + '-' + Math.random().toString(36).slice(2, 10);
      var timer = setTimeout(function () {
        pending.delete(id);
        reject(bridgeError('timeout', method + ' got no answer'));
      }, TIMEOUT_MS);
      pending.set(id, { resolve: resolve, reject: reject, timer: timer });
      parent.postMessage({ capillary: 'bridge', v: VERSION, id: id, method: method, params: params || {} }, HOST_ORIGIN);
    });
  }

  function base64url(bytes) {
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  /** A PKCE pair: keep code_verifier (send it to your backend), pass code_challenge to getAuthCode. */
  function pkce() {
    var verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
    return crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)).then(function (hash) {
      return { code_verifier: verifier, code_challenge: base64url(new Uint8Array(hash)) };
    });
  }

  window.capillary = Object.freeze({
    version: VERSION,
    request: request,
    getContext: function () { return request('getContext', {}); },
    getAuthCode: function (params) { return request('getAuthCode', params); },
    requestPayment: function (params) { return request('requestPayment', params); },
    getLocation: function () { return request('getLocation', {}); },
    pkce: pkce,
  });
})();
