/*
 * Tea & Things: a shop mini-program. Cart → checkout → capillary.requestPayment (the bank
 * shows its own confirmation sheet); "Link my bank account" → capillary.getAuthCode with PKCE
 * (the code would go to the shop's backend, which exchanges it at /oauth/token with the
 * verifier and its client authentication). Money is integer minor units in strings.
 */
(function () {
  'use strict';
  var PRODUCTS = [
    { sku: 'TEA-LJ', name: 'Longjing green tea, 100 g', price_minor: 6800 },
    { sku: 'TEA-PE', name: 'Pu-erh cake, 357 g', price_minor: 12800 },
    { sku: 'CUP-01', name: 'Celadon tea cup', price_minor: 3500 },
  ];
  var cart = {};
  var $ = function (id) { return document.getElementById(id); };

  function money(minor) {
    var s = String(minor).padStart(3, '0');
    return '¥' + s.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + s.slice(-2);
  }
  function total() {
    return PRODUCTS.reduce(function (sum, p) { return sum + (cart[p.sku] || 0) * p.price_minor; }, 0);
  }
  function say(text) { $('status').textContent = text; }

  function render() {
    var list = $('products');
    list.textContent = '';
    PRODUCTS.forEach(function (p) {
      var li = document.createElement('li');
      var name = document.createElement('span');
      name.textContent = p.name + ' — ' + money(p.price_minor);
      var add = document.createElement('button');
      add.type = 'button';
      add.textContent = 'Add';
      add.setAttribute('aria-label', 'Add ' + p.name);
      add.addEventListener('click', function () { cart[p.sku] = (cart[p.sku] || 0) + 1; render(); });
      li.append(name, add);
      list.append(li);
    });
    var lines = $('cart');
    lines.textContent = '';
    PRODUCTS.forEach(function (p) {
      if (!cart[p.sku]) return;
      var li = document.createElement('li');
      li.textContent = cart[p.sku] + ' × ' + p.name + ' = ' + money(cart[p.sku] * p.price_minor);
      lines.append(li);
    });
    $('total').textContent = money(total());
    $('checkout').disabled = total() === 0;
  }

  $('checkout').addEventListener('click', function () {
    var order = 'TT-' + Date.now().toString(36).toUpperCase();
    say('Waiting for your bank to confirm…');
    capillary
      .requestPayment({ amount_minor: String(total()), currency: 'CNY', reference: order, payee: 'Tea & Things online shop' })
      .then(function (paid) {
        cart = {};
        render();
        document.body.dataset.paid = paid.status;
        say('Paid ' + money(paid.amount_minor) + ' for order ' + paid.reference + ' (' + paid.status + '). Thank you!');
      })
      .catch(function (err) {
        document.body.dataset.paid = 'error:' + err.code;
        say(err.code === 'user_cancelled' ? 'Payment cancelled.' : 'Payment failed: ' + err.message);
      });
  });

  $('link').addEventListener('click', function () {
    capillary
      .pkce()
      .then(function (pair) {
        // Keep pair.code_verifier for the backend; only the challenge goes to the bank.
        return capillary.getAuthCode({ scopes: ['accounts'], code_challenge: pair.code_challenge });
      })
      .then(function (granted) {
        document.body.dataset.linked = 'yes';
        say('Linked. Our server exchanges the one-time code (valid ' + granted.expires_in + ' s) for access to the accounts you chose.');
      })
      .catch(function (err) {
        document.body.dataset.linked = 'error:' + err.code;
        say(err.code === 'user_cancelled' ? 'Not linked.' : 'Linking failed: ' + err.message);
      });
  });

  render();
})();
