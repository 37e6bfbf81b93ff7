/** A place where AdkSessionService deliberately behaves differently from (some of) ADK's own services. */
export interface AdkDivergence {
  behaviour: string;
  adk: string;
  sessiondb: string;
  reason: string;
  /** The title of the test in test/adk-contract.test.ts that pins sessiondb's behaviour. */
  test: string;
}

/**
 * Every deliberate divergence from ADK. A test checks that each names a real
 * test, so this list cannot drift from what the code does.
 */
export const ADK_DIVERGENCES: readonly AdkDivergence[] = [
  {
    behaviour: 'createSession with an id that exists',
    adk: 'JS in-memory overwrites the session silently; JS database throws a plain Error',
    sessiondb: 'throws SessionExistsError (code "exists"); the stored session is unchanged',
    reason: 'silently replacing a conversation loses it; a typed error lets callers choose to read instead',
    test: 'creating an existing id throws SessionExistsError and changes nothing',
  },
  {
    behaviour: 'afterTimestamp',
    adk: 'JS database: exclusive (timestamp > afterTimestamp)',
    sessiondb: 'inclusive (timestamp >= afterTimestamp), as Python ADK and JS in-memory',
    reason: 'two of three ADK implementations agree; inclusive never drops an event stamped in the same millisecond',
    test: 'afterTimestamp is inclusive and combines with numRecentEvents',
  },
  {
    behaviour: 'numRecentEvents: 0',
    adk: 'JS in-memory returns all events',
    sessiondb: 'returns no events, as Python ADK',
    reason: 'zero recent events means none; "all" is what leaving it out means',
    test: 'numRecentEvents returns the newest events; 0 returns none',
  },
  {
    behaviour: 'state of sessions in listSessions',
    adk: 'JS in-memory returns {}',
    sessiondb: 'the merged app, user and session state, as Python ADK and JS database',
    reason: 'a listing that shows state without its app and user parts misleads',
    test: 'listSessions returns sessions without events, with merged state, for one user or the whole app',
  },
  {
    behaviour: 'listSessions order when none is asked for',
    adk: 'JS: no order',
    sessiondb: 'last update time ascending, then id, as Python ADK',
    reason: 'pages without an order can skip or repeat sessions',
    test: 'listSessions orders by update time (asc by default) and pages with limit, offset and page',
  },
  {
    behaviour: 'appendEvent on a stale session object',
    adk: 'JS database reloads the session and continues (users report corrupted sessions)',
    sessiondb: 'throws StaleSessionError and stores nothing, as Python ADK',
    reason: 'continuing on a stale copy decides on state the writer never saw',
    test: 'two copies of one session appending: exactly one wins each round, the other gets StaleSessionError',
  },
  {
    behaviour: 'appendEvent to a session that does not exist',
    adk: 'JS in-memory logs and returns the event as if stored',
    sessiondb: 'throws SessionNotFoundError (code "not_found")',
    reason: 'reporting success for a write that did not happen loses the event',
    test: 'appendEvent to an unknown session throws SessionNotFoundError',
  },
  {
    behaviour: 'appendEvent with an event id already stored',
    adk: 'JS base and database replace the stored event',
    sessiondb: 'keeps the stored event (the history is append-only); the call is an idempotent no-op',
    reason: 'a retried append after a lost acknowledgement must not rewrite history or apply its state delta twice',
    test: 'an event appended twice is stored once',
  },
];
