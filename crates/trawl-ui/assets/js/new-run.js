// Start a run from pasted spec TOML (POST /api/runs). An invalid spec is
// answered 422 with every problem; each is listed with its line and column
// and moves the cursor there when clicked.

import { ApiError, post } from './api.js';
import { fill, h } from './dom.js';

const EXAMPLE = `name = "shop"
start_urls = ["http://127.0.0.1:8642/"]

[follow]
deny = ["/cart"]

[[extract]]
name = "product"
url = "/product/[0-9]+/$"
root = "article.product"
key = "sku"

[extract.fields]
sku = { selector = ".sku", required = true }
name = "h1.name"
price = { selector = ".price", type = "number" }
`;

/** The offset in `text` of 1-based line and column (columns count characters). */
function offsetOf(text, line, column) {
  const lines = text.split('\n');
  let offset = 0;
  for (let index = 0; index < Math.min(line - 1, lines.length); index += 1) offset += lines[index].length + 1;
  return Math.min(text.length, offset + Math.max(0, column - 1));
}

export function newRunView({ signal, notify, navigate }) {
  const spec = h('textarea', {
    id: 'spec', name: 'spec', rows: 22, spellcheck: 'false', required: true,
    'aria-describedby': 'spec-help', placeholder: EXAMPLE,
  });
  const priority = h('input', { id: 'priority', name: 'priority', type: 'number', value: '0', step: 1, inputmode: 'numeric' });
  const specPath = h('input', { id: 'spec-path', name: 'spec-path', type: 'text', autocomplete: 'off', placeholder: '/home/me/specs/shop.toml' });
  const problems = h('div', { id: 'spec-problems', class: 'problems', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Start run');

  const showProblems = (error) => {
    const items = (error.details || []).map((problem) => h('li', null,
      h('button', {
        type: 'button', class: 'link',
        onClick: () => {
          const at = offsetOf(spec.value, problem.line, problem.column);
          spec.focus();
          spec.setSelectionRange(at, at);
        },
      }, `line ${problem.line}, column ${problem.column}`),
      problem.key_path ? [' ', h('code', null, problem.key_path)] : null,
      `: ${problem.message}`,
      problem.help ? h('span', { class: 'hint' }, ` (${problem.help})`) : null));
    fill(problems, h('div', { class: 'notice error', role: 'alert' },
      h('p', null, error.code === 'invalid_spec' ? h('strong', null, 'The spec is invalid. ') : null, error.message),
      items.length ? h('ol', null, items) : null));
  };

  const form = h('form', {
    class: 'new-run', 'aria-labelledby': 'new-title',
    onSubmit: async (event) => {
      event.preventDefault();
      problems.replaceChildren();
      submit.disabled = true;
      try {
        const body = { spec_toml: spec.value, priority: Number.parseInt(priority.value || '0', 10) || 0 };
        if (specPath.value.trim()) body.spec_path = specPath.value.trim();
        const run = await post('/api/runs', body, { signal });
        navigate(`#/runs/${run.run_id}`);
      } catch (error) {
        if (error instanceof ApiError && (error.code === 'invalid_spec' || error.status === 422)) showProblems(error);
        else notify(error);
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h1', { id: 'new-title' }, 'Start a run'),
  h('label', { for: 'spec' }, 'Spec (TOML)'),
  h('p', { id: 'spec-help', class: 'help' },
    'Paste a crawl spec, as for ', h('code', null, 'trawl run SPEC'),
    '. It is checked on the server; every problem is listed with its line and column.'),
  spec,
  problems,
  h('div', { class: 'row' },
    h('div', null, h('label', { for: 'priority' }, 'Priority'), priority,
      h('p', { class: 'help' }, 'Higher starts first when runs wait for a slot.')),
    h('div', { class: 'grow' }, h('label', { for: 'spec-path' }, 'Spec path (optional)'), specPath,
      h('p', { class: 'help' }, 'Recorded with the run; relative sink paths are resolved against it.'))),
  submit);
  return { node: form };
}
