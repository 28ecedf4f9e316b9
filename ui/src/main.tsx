/** The console's browser entry: one API client, one app, rendered into #app. */
import { render } from 'preact';
import { createApi } from './api.ts';
import { App } from './app.tsx';
import './styles.css';

let onUnauthenticated = () => {};
const api = createApi({ onUnauthenticated: () => onUnauthenticated() });
// Ask who is signed in while the app renders its first frame, not after.
const session = api.session();
session.catch(() => {});
const root = document.getElementById('app');
if (root)
  render(
    <App
      api={api}
      initialSession={session}
      setUnauthenticated={(fn) => {
        onUnauthenticated = fn;
      }}
    />,
    root,
  );
