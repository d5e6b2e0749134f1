// Child processes and temp folders of the harness: every one is registered here so that any way
// out of the harness (normal end, thrown error, Ctrl-C) takes them down with it.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

const live = new Set();
const folders = new Set();

/** Only synchronous work runs in an 'exit' handler, hence SIGKILL and rmSync. */
function killAll() {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  live.clear();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders.clear();
}

/** Deletes `folder` when the harness exits, unless the orderly teardown got there first. */
export function removeOnExit(folder) {
  folders.add(folder);
  return folder;
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Starts `node script ...args` with an IPC channel (children exit when it closes, so even a
 * SIGKILLed harness leaves nothing behind) and stdout read as JSON lines.
 */
export function startChild(script, args = [], { execArgv = [], env = process.env } = {}) {
  const child = spawn(process.execPath, [...execArgv, script, ...args], { env, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  live.add(child);
  // 'close', not 'exit': by then stdout is drained, so no result line is lost.
  const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  let closed = false;
  exited.then(() => {
    closed = true;
    live.delete(child);
  });
  const waiting = [];
  const buffered = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    let value;
    try {
      value = JSON.parse(line);
    } catch {
      process.stderr.write(`[${script}] ${line}\n`);
      return;
    }
    const next = waiting.shift();
    if (next) next.resolve(value);
    else buffered.push(value);
  });
  exited.then(({ code, signal }) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${script} exited (code ${code}, signal ${signal}) before answering`));
  });

  return {
    child,
    exited,
    /** The next JSON line the child prints. */
    nextLine() {
      if (buffered.length > 0) return Promise.resolve(buffered.shift());
      if (closed) return Promise.reject(new Error(`${script} has exited`));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    /** Sends an IPC message and resolves with the child's next IPC reply. */
    request(message) {
      return new Promise((resolve, reject) => {
        child.once('message', resolve);
        child.send(message, (error) => error && reject(error));
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Runs a child to completion and returns the last JSON line it printed. */
export async function runChild(script, args = [], options = {}) {
  const handle = startChild(script, args, options);
  const lines = [];
  const collect = (async () => {
    for (;;) lines.push(await handle.nextLine());
  })().catch(() => undefined);
  const { code, signal } = await handle.exited;
  await collect;
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} failed (code ${code}, signal ${signal})`);
  if (lines.length === 0) throw new Error(`${script} printed no result`);
  return lines.at(-1);
}
