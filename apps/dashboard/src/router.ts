import { useEffect, useState } from 'preact/hooks';

/** The dashboard's views, addressed by the URL's fragment (`/admin/#/operations`). */
export const VIEWS = [
  ['overview', 'Overview'],
  ['operations', 'Operations'],
  ['quarantine', 'Quarantine'],
  ['integrity', 'Integrity'],
  ['tenant', 'Tenant lookup'],
  ['backups', 'Backups & cleanup'],
  ['audit', 'Audit & self-test'],
] as const;
export type View = (typeof VIEWS)[number][0];

const viewOf = (hash: string): View => {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return VIEWS.some(([view]) => view === name) ? (name as View) : 'overview';
};

export const useView = (): View => {
  const [view, setView] = useState<View>(() => viewOf(location.hash));
  useEffect(() => {
    const changed = () => setView(viewOf(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return view;
};

export const hrefOf = (view: View): string => `#/${view}`;
