/*
 * The sandbox probe: every check tries something a mini-program must not be able to do and
 * records whether it was blocked. Results go into this page and, as one message, to the
 * parent ({capillary: 'probe', results}), where a test reads them.
 */
(function () {
  'use strict';
  var results = {};
  var list = document.getElementById('results');

  function record(name, blocked, detail) {
    results[name] = { blocked: blocked, detail: String(detail).slice(0, 200) };
    var li = document.createElement('li');
    li.dataset.check = name;
    li.dataset.blocked = String(blocked);
    li.textContent = name + ': ' + (blocked ? 'blocked' : 'NOT BLOCKED') + ' (' + results[name].detail + ')';
    list.append(li);
  }
  function sync(name, fn) {
    try {
      var leaked = fn();
      record(name, false, 'read: ' + JSON.stringify(leaked));
    } catch (err) {
      record(name, true, (err && err.name) + ': ' + (err && err.message));
    }
  }
  function checkAsync(name, promise, isLeak) {
    return promise.then(
      function (value) { record(name, !isLeak(value), 'answered: ' + JSON.stringify(value)); },
      function (err) { record(name, true, (err && (err.code || err.name)) + ': ' + (err && err.message)); },
    );
  }
  function bridgeRefusal(name, promise, expected) {
    return promise.then(
      function (value) { record(name, false, 'granted: ' + JSON.stringify(value)); },
      function (err) { record(name, err.code === expected, err.code + ': ' + err.message); },
    );
  }

  function run() {
    sync('parent_document', function () { return parent.document.body.innerHTML.length; });
    sync('parent_location', function () { return parent.location.href; });
    sync('parent_storage', function () { return parent.localStorage.length; });
    sync('cookie', function () {
      var c = document.cookie;
      // An empty jar is as good as blocked; the session cookie would be a leak.
      if (c === '') throw Object.assign(new Error('no cookies visible'), { name: 'Empty' });
      return c;
    });
    sync('local_storage', function () { return Object.keys(localStorage); });
    sync('session_storage', function () { return Object.keys(sessionStorage); });
    sync('indexed_db', function () { return indexedDB.open('probe') && 'opened'; });
    sync('window_open', function () {
      var w = window.open('/app/', '_blank');
      if (!w) throw Object.assign(new Error('window.open returned null'), { name: 'Blocked' });
      return 'a window opened';
    });
    var fetchMe = checkAsync('fetch_me', fetch('/v1/me', { credentials: 'include' }).then(function (r) { return r.status; }), function (status) { return status === 200; });
    var fetchTransfer = checkAsync(
      'fetch_transfer',
      fetch('/v1/me/transfers', {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json', 'x-capillary-client': 'app' },
        body: JSON.stringify({ id: crypto.randomUUID(), from_account_id: crypto.randomUUID(), to: { phone: '+8613800000001' }, amount_minor: '100', currency: 'CNY' }),
      }).then(function (r) { return r.status; }),
      function (status) { return status < 400; },
    );
    var pay = bridgeRefusal('bridge_payment_without_scope', capillary.requestPayment({ amount_minor: '100', currency: 'CNY', reference: 'probe' }), 'scope_not_granted');
    var auth = bridgeRefusal('bridge_auth_without_scope', capillary.getAuthCode({ scopes: ['accounts'], code_challenge: 'x'.repeat(43) }), 'scope_not_granted');
    var unknown = bridgeRefusal('bridge_unknown_method', capillary.request('getSessionToken', {}), 'unknown_method');
    var version = new Promise(function (resolve) {
      var id = 'probe-v2';
      addEventListener('message', function on(event) {
        if (event.source !== parent || !event.data || event.data.id !== id) return;
        removeEventListener('message', on);
        record('bridge_other_version', event.data.ok === false && event.data.error.code === 'unsupported_version', JSON.stringify(event.data.error));
        resolve();
      });
      parent.postMessage({ capillary: 'bridge', v: 2, id: id, method: 'getContext', params: {} }, new URL(location.href).origin);
    });
    Promise.all([fetchMe, fetchTransfer, pay, auth, unknown, version]).then(function () {
      document.body.dataset.done = 'true';
      parent.postMessage({ capillary: 'probe', results: results }, new URL(location.href).origin);
    });
  }

  if (document.readyState === 'complete') run();
  else addEventListener('load', run);
})();
