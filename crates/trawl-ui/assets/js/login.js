// The sign-in form: shown without a token, after the token was rejected, and
// when the idle lock forgot it. The token is checked against /api/health
// before it is kept.

import { setToken, tokenWorks } from './api.js';
import { h } from './dom.js';

const REASONS = {
  idle: 'Locked after idle time: the token was forgotten. Paste it again to continue.',
  rejected: 'The server did not accept the token (it changes when DATA_DIR/api-token is deleted). Paste the current one.',
  locked: 'Locked: the token was forgotten. Paste it again to continue.',
  signed_out: 'Sign in with the API token.',
};

export function loginView({ reason, onSignedIn }) {
  const input = h('input', {
    id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false',
    required: true, minlength: 32, 'aria-describedby': 'token-help',
  });
  const problem = h('p', { id: 'token-problem', class: 'problem', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit' }, 'Unlock');
  const form = h('form', {
    class: 'login', 'aria-labelledby': 'login-title',
    onSubmit: async (event) => {
      event.preventDefault();
      const candidate = input.value.trim();
      problem.hidden = true;
      if (!candidate) return;
      submit.disabled = true;
      try {
        if (await tokenWorks(candidate)) {
          setToken(candidate);
          input.value = '';
          onSignedIn();
          return;
        }
        problem.textContent = 'That is not the server\'s token: check DATA_DIR/api-token.';
      } catch (error) {
        problem.textContent = error.message;
      } finally {
        submit.disabled = false;
      }
      problem.hidden = false;
      input.focus();
    },
  },
  h('h1', { id: 'login-title' }, 'Trawl'),
  reason && REASONS[reason] ? h('p', { class: 'notice', role: 'status' }, REASONS[reason]) : null,
  h('label', { for: 'token' }, 'API token'),
  input,
  h('div', { id: 'token-help', class: 'help' },
    h('p', null, 'The token is in the file ', h('code', null, 'DATA_DIR/api-token'),
      ' (by default ', h('code', null, '~/.local/share/trawl/api-token'), ', or ',
      h('code', null, '$TRAWL_HOME/api-token'), '), readable by you only.'),
    h('p', null, h('code', null, 'trawl ui'), ' prints an address that signs in by itself.')),
  problem,
  submit);
  queueMicrotask(() => input.focus());
  return { node: form, dispose() {} };
}
