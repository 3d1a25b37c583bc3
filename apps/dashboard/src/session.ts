/**
 * The admin token for this tab only: sessionStorage (gone when the tab closes, never sent
 * anywhere but the Authorization header of the API's own origin, never in a URL).
 */
const TOKEN_KEY = 'tenant-migrate.admin-token';

export const storedToken = (): string | null => {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled: the token lives in memory only
  }
};

export const storeToken = (token: string | null): void => {
  try {
    if (token === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // storage disabled: signing in lasts as long as the page
  }
};
