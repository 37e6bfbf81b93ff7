import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, credentials } from '../api.js';
import type { Info } from '../app.js';

/**
 * Asks for an API key (the server has keys configured and the tab holds
 * none, or a wrong one). The key is checked against `/v1/info` before it is
 * kept, in this tab's sessionStorage only.
 */
export function KeyPrompt({ reason, onAccepted }: { reason: ApiError | null; onAccepted: (info: Info) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(reason && credentials.key() ? 'The saved key is no longer accepted. Enter a valid API key.' : null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const given = key.trim();
    if (!given) {
      setError('Enter the API key you were given for this server.');
      input.current?.focus();
      return;
    }
    setBusy(true);
    try {
      const info = await api.getWithKey<Info>('/v1/info', given);
      credentials.setKey(given);
      onAccepted(info);
    } catch (err) {
      const e = err as ApiError;
      setError(
        e.status === 401
          ? 'That API key was not accepted by the server. Check it and try again.'
          : e.status === 403
            ? `The key was accepted, but ${e.message}`
            : e.code === 'network'
              ? 'The server did not answer. Check that it is running, then try again.'
              : `${e.message} (${e.code})`,
      );
      input.current?.select();
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="key-page">
      <form class="card key-form" onSubmit={(e) => void submit(e)} aria-labelledby="key-title" noValidate>
        <h1 id="key-title">Enter an API key</h1>
        <p>This sessiondb server requires an API key. It is kept in this browser tab only and sent with each request as a bearer token.</p>
        <div class="field">
          <label for="api-key">API key</label>
          <input
            ref={input}
            id="api-key"
            name="api-key"
            type="password"
            autoComplete="off"
            spellcheck={false}
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'key-error' : undefined}
          />
        </div>
        {error && (
          <p id="key-error" class="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="button primary" aria-disabled={busy ? true : undefined}>
          {busy ? 'Checking…' : 'Open the console'}
        </button>
      </form>
    </main>
  );
}
