/**
 * Calls `onGone` once when this process's parent exits (the process is handed to another parent, e.g. init),
 * checking every `intervalMs`. For entry points started through npm (`npm start`, `npm run gateway`):
 * npm passes a SIGTERM to the shell that runs the script, which exits without passing it on, so a
 * supervisor stopping npm (or `timeout npm start`) left the mesh running without it. The timer does not
 * keep the process alive. Returns a function that stops watching.
 */
export function watchParent(onGone: () => void, intervalMs = 1_000): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
