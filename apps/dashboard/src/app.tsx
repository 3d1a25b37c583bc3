import { useMemo, useState } from 'preact/hooks';
import { ApiClient, API, ApiError } from './api';
import { ErrorNote } from './components/common';
import { ActiveContext, ApiContext, useActivePolling } from './hooks';
import { hrefOf, useView, VIEWS, type View } from './router';
import { storedToken, storeToken } from './session';
import { AuditView } from './views/audit';
import { BackupsView } from './views/backups';
import { IntegrityView } from './views/integrity';
import { OperationsView } from './views/operations';
import { OverviewView } from './views/overview';
import { QuarantineView } from './views/quarantine';
import { TenantView } from './views/tenant';

const VIEW_COMPONENTS: Record<View, () => preact.JSX.Element> = {
  overview: OverviewView,
  operations: OperationsView,
  quarantine: QuarantineView,
  integrity: IntegrityView,
  tenant: TenantView,
  backups: BackupsView,
  audit: AuditView,
};

/** Asks for the admin token and tries it on the API before keeping it. */
const SignIn = ({
  onSignedIn,
  notice,
}: {
  onSignedIn: (token: string) => void;
  notice: string | null;
}) => {
  const [token, setToken] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await new ApiClient(token, () => undefined).get(`${API}/operations`, { limit: 1 });
      onSignedIn(token);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 401
          ? new Error('That token was refused: use the ADMIN_TOKEN the admin app was started with.')
          : (failure as Error),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <h1>tenant-migrate</h1>
      <form onSubmit={(event) => void submit(event)}>
        <h2>Sign in</h2>
        {notice ? <p role="status">{notice}</p> : null}
        <label for="token">Admin token</label>
        <input
          id="token"
          type="password"
          autoComplete="current-password"
          required
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <p class="muted">Kept in this tab only, until you sign out or close it.</p>
        <button type="submit" class="primary" disabled={busy || token === ''}>
          Sign in
        </button>
        <ErrorNote error={error} />
      </form>
    </main>
  );
};

const Shell = ({ api, onSignOut }: { api: ApiClient; onSignOut: () => void }) => {
  const view = useView();
  const active = useActivePolling(api);
  const Current = VIEW_COMPONENTS[view];
  const running = active.active.length;
  return (
    <ApiContext.Provider value={api}>
      <ActiveContext.Provider value={active}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <span class="brand">tenant-migrate</span>
          <nav aria-label="Views">
            <ul>
              {VIEWS.map(([name, label]) => (
                <li key={name}>
                  <a href={hrefOf(name)} aria-current={name === view ? 'page' : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <span class="running" aria-live="polite">
            {running === 0
              ? 'Nothing running'
              : `${running} operation${running > 1 ? 's' : ''} active`}
          </span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </header>
        <main id="main" tabIndex={-1}>
          <Current key={view} />
        </main>
      </ActiveContext.Provider>
    </ApiContext.Provider>
  );
};

export const App = () => {
  const [token, setToken] = useState<string | null>(storedToken);
  const [notice, setNotice] = useState<string | null>(null);
  const signOut = (why: string | null) => {
    storeToken(null);
    setToken(null);
    setNotice(why);
  };
  const api = useMemo(
    () =>
      token === null
        ? null
        : new ApiClient(token, () => signOut('The admin token was refused: sign in again.')),
    [token],
  );
  if (!api)
    return (
      <SignIn
        notice={notice}
        onSignedIn={(value) => {
          storeToken(value);
          setNotice(null);
          setToken(value);
        }}
      />
    );
  return <Shell api={api} onSignOut={() => signOut('Signed out.')} />;
};
