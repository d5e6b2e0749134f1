// "Publish now": POST /data. One click when the service needs no key; when it answers 401, a
// field for the key appears, and the key is kept in this page (never stored) for later clicks.
import { apiUrl, request } from './api.js';
import { $ } from './dom.js';

function describe(result) {
  const { sync } = result;
  const failing = sync.failed.length;
  return (
    `Published ${result.users} users to ${result.output}${result.parquet ? ` and ${result.parquet}` : ''}: ${sync.downloaded} downloaded, ${sync.unchanged} unchanged, ` +
    `${sync.removed} removed, ${failing} failing file${failing === 1 ? '' : 's'} (${sync.durationMs} ms).`
  );
}

function showResult(text, ok) {
  const box = $('publish-result');
  box.hidden = false;
  box.textContent = text;
  box.classList.toggle('ok', ok);
  box.classList.toggle('bad', !ok);
}

export function initPublish({ onPublished }) {
  const button = $('publish');
  const form = $('key-form');
  const input = $('api-key');
  let key = null;

  async function publish(withKey) {
    button.disabled = true;
    button.textContent = 'Publishing…';
    try {
      const headers = withKey ? { 'x-api-key': withKey } : {};
      const res = await request(apiUrl('data'), { method: 'POST', headers, allow: [401] });
      if (res.status === 401) {
        key = null;
        form.hidden = false;
        form.querySelector('label').textContent = withKey ? 'That key was refused. Enter the API key again.' : 'This service needs its API key to publish.';
        input.value = '';
        input.focus();
        return;
      }
      key = withKey;
      form.hidden = true;
      showResult(describe(res.body), true);
      onPublished();
    } catch (error) {
      showResult(`Publishing failed: ${error.message}`, false);
    } finally {
      button.disabled = false;
      button.textContent = 'Publish now';
    }
  }

  button.addEventListener('click', () => publish(key));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value !== '') publish(input.value);
  });
  $('key-cancel').addEventListener('click', () => {
    form.hidden = true;
  });
}
