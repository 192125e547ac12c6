/**
 * Transfer codes that only the platform's own domains use, through the ledger service in
 * process. The ledger's HTTP API refuses a new transfer with one of them
 * (`transfer_code_reserved`), so a transfer carrying such a code was made by its domain, and
 * readers may take it at its word: an open-banking payment completed with its transfer is
 * recorded by that transfer alone (src/openbanking/payments.ts).
 */

/** Open-banking payments (a bank may put a risk transfer policy on the code). */
export const OB_PAYMENT_TRANSFER_CODE = 7001;

export const RESERVED_TRANSFER_CODES: ReadonlyMap<number, string> = new Map([[OB_PAYMENT_TRANSFER_CODE, 'open-banking payments']]);
