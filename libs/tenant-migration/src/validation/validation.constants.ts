/** Injection token of the `ValidationSettings` that `TenantValidator` uses. */
export const VALIDATION_SETTINGS = Symbol('VALIDATION_SETTINGS');
