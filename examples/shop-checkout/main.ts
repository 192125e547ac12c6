/**
 * Runs the example shop against a Capillary server:
 *
 *   CAPILLARY_URL=http://localhost:8080 SHOP_CLIENT_ID=… SHOP_PRIVATE_JWK='{"kty":"EC",…,"d":"…"}' \
 *   SHOP_WEBHOOK_SECRET=… SHOP_ACCOUNT_ID=… SHOP_CURRENCY=CNY SHOP_PORT=3000 \
 *   node dist/examples/shop-checkout/main.js
 *
 * The operator registers the shop first (POST /v1/partner-apps with its public JWK, the
 * redirect URI http://localhost:3000/callback and the webhook URL …/webhooks); see README.md.
 */
import { CapillaryClient, type ClientAuthConfig } from '../../sdk/src/index.js';
import { ShopCheckout, startShopServer } from './shop.js';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (see examples/shop-checkout/README.md)`);
  return value;
}

async function main(): Promise<void> {
  const port = Number(process.env.SHOP_PORT ?? '3000');
  const auth: ClientAuthConfig = process.env.SHOP_CLIENT_SECRET
    ? { method: 'client_secret_basic', clientSecret: process.env.SHOP_CLIENT_SECRET }
    : { method: 'private_key_jwt', privateKey: JSON.parse(env('SHOP_PRIVATE_JWK')) as Record<string, string> & { kty: string } };
  const started = await startShopServer(
    (publicUrl) =>
      new ShopCheckout({
        bank: new CapillaryClient({ baseUrl: env('CAPILLARY_URL'), clientId: env('SHOP_CLIENT_ID'), auth, redirectUri: `${publicUrl}/callback` }),
        publicUrl,
        merchantAccountId: env('SHOP_ACCOUNT_ID'),
        currency: process.env.SHOP_CURRENCY ?? 'CNY',
        webhookSecret: env('SHOP_WEBHOOK_SECRET'),
      }),
    { port, host: process.env.SHOP_HOST ?? '127.0.0.1', ...(process.env.SHOP_PUBLIC_URL ? { publicUrl: process.env.SHOP_PUBLIC_URL } : {}) },
  );
  console.log(`shop listening on ${started.url}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
