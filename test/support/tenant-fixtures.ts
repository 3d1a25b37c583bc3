/** Tenant values the specs seed Redis with. */

/** A legacy Redis value, exactly as the legacy application wrote it. */
export const legacy = (emoji: string, createdAt = 1700000000000): string =>
  JSON.stringify({ emoji, createdAt });

/** A complete enhanced record (before JSON encoding). */
export const ENHANCED = {
  emoji: '💈',
  createdAt: 1712345678901,
  businessName: 'Salon Élise',
  businessCategory: 'Beauty & Wellness',
  ownerName: 'Élise Martin',
  email: 'elise@example.com',
  phone: '+33612345678',
  features: { whatsapp: true, analytics: true },
  subscription: { plan: 'premium', status: 'active', expiresAt: 1799999999000 },
};
