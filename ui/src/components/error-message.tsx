import type { ApiError } from '../api.js';

/** An error of the API (its code and message) or a server that did not answer, with a way to try again. */
export function ErrorMessage({ error, onRetry }: { error: ApiError | Error; onRetry?: () => void }) {
  const code = 'code' in error ? (error as ApiError).code : 'error';
  const requestId = 'requestId' in error ? (error as ApiError).requestId : null;
  const down = code === 'network';
  return (
    <div class="error" role="alert">
      <p class="error-title">{down ? 'Cannot reach the server' : titleOf(code)}</p>
      <p>{error.message}</p>
      <p class="error-meta">
        {down ? 'Check that sessiondb serve is running, then retry.' : `Error code: ${code}`}
        {requestId ? ` · request id ${requestId}` : ''}
      </p>
      {onRetry && (
        <button type="button" class="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

function titleOf(code: string): string {
  switch (code) {
    case 'not_found':
      return 'Not found';
    case 'unauthorized':
      return 'API key needed';
    case 'forbidden':
      return 'Not allowed';
    case 'invalid':
      return 'The request was refused';
    case 'conflict':
      return 'The session changed meanwhile';
    case 'rate_limited':
      return 'Too many requests';
    case 'unavailable':
      return 'The database is unavailable';
    default:
      return 'Something went wrong';
  }
}
