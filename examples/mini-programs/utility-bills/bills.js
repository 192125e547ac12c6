/*
 * City Utilities: a utility-bill payer mini-program. Bill number → amount due → the bank's
 * confirmation sheet through capillary.requestPayment. A real biller looks bills up on its
 * own backend (a connect origin registered with the mini-program); this example derives a
 * stable amount from the number so it runs without one.
 */
(function () {
  'use strict';
  var SERVICES = { E: 'Electricity', W: 'Water', G: 'Gas' };
  var BILL = /^([EWG])(\d{8})$/;
  var current = null;
  var $ = function (id) { return document.getElementById(id); };

  function money(minor) {
    var s = String(minor).padStart(3, '0');
    return '¥' + s.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + s.slice(-2);
  }
  function say(text) { $('status').textContent = text; }

  /** The amount due, in minor units: between 30.00 and 429.99, fixed for a bill number. */
  function amountOf(digits) {
    var h = 0;
    for (var i = 0; i < digits.length; i++) h = (h * 31 + digits.charCodeAt(i)) % 40000;
    return 3000 + h;
  }

  $('lookup').addEventListener('submit', function (event) {
    event.preventDefault();
    var text = $('bill').value.trim().toUpperCase();
    var m = BILL.exec(text);
    if (!m) {
      $('bill').setAttribute('aria-invalid', 'true');
      $('found').hidden = true;
      current = null;
      return say('Enter a bill number such as E12345678.');
    }
    $('bill').removeAttribute('aria-invalid');
    current = { number: text, service: SERVICES[m[1]], amount_minor: amountOf(m[2]) };
    $('service').textContent = current.service;
    $('period').textContent = 'Last month';
    $('amount').textContent = money(current.amount_minor);
    $('found').hidden = false;
    say('');
  });

  $('pay').addEventListener('click', function () {
    if (!current) return;
    var bill = current;
    say('Waiting for your bank to confirm…');
    capillary
      .requestPayment({ amount_minor: String(bill.amount_minor), currency: 'CNY', reference: 'BILL-' + bill.number, payee: 'City Utilities — ' + bill.service })
      .then(function (paid) {
        document.body.dataset.paid = paid.status;
        $('found').hidden = true;
        say('Bill ' + bill.number + ' paid: ' + money(paid.amount_minor) + ' (' + paid.status + ').');
      })
      .catch(function (err) {
        document.body.dataset.paid = 'error:' + err.code;
        say(err.code === 'user_cancelled' ? 'Payment cancelled.' : 'Payment failed: ' + err.message);
      });
  });

  // Offices, and the nearest to the customer's approximate position (getLocation: the bank asks first, and gives ~1 km precision).
  var OFFICES = [
    { name: 'People\u2019s Square office', latitude: 31.23, longitude: 121.47 },
    { name: 'Pudong office', latitude: 31.22, longitude: 121.54 },
    { name: 'Xujiahui office', latitude: 31.19, longitude: 121.44 },
  ];
  $('nearest').addEventListener('click', function () {
    capillary
      .getLocation()
      .then(function (here) {
        var best = OFFICES.reduce(function (a, b) {
          var da = Math.pow(a.latitude - here.latitude, 2) + Math.pow(a.longitude - here.longitude, 2);
          var db = Math.pow(b.latitude - here.latitude, 2) + Math.pow(b.longitude - here.longitude, 2);
          return db < da ? b : a;
        });
        $('office').textContent = 'Nearest to ' + here.latitude.toFixed(2) + ', ' + here.longitude.toFixed(2) + ': ' + best.name + '.';
      })
      .catch(function (err) {
        $('office').textContent = err.code === 'user_cancelled' ? 'Location not shared.' : 'Location unavailable: ' + err.message;
      });
  });
})();
