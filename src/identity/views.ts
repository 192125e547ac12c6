/** The customer as the app sees them: no mode, status or full phone number. */
import type { Customer } from '../openbanking/customers.js';
import { maskPhone } from './core.js';

export interface CustomerView {
  id: string;
  display_name: string;
  phone_masked: string | null;
  created_at: string;
}

export function customerView(c: Customer, phone: string | null): CustomerView {
  return { id: c.id, display_name: c.display_name, phone_masked: phone ? maskPhone(phone) : null, created_at: c.created_at.toISOString() };
}
