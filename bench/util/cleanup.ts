/**
 * Things to undo before the process exits (servers to stop), run on every exit path: normal end,
 * error, SIGINT and SIGTERM. The CLI calls runCleanups(); each task runs once.
 */
type Task = () => Promise<void>;

const tasks = new Map<number, Task>();
let nextId = 1;

export function addCleanup(task: Task): () => void {
  const id = nextId++;
  tasks.set(id, task);
  return () => {
    tasks.delete(id);
  };
}

export async function runCleanups(): Promise<void> {
  const pending = [...tasks.entries()].reverse();
  tasks.clear();
  for (const [, task] of pending) {
    try {
      await task();
    } catch {
      // A failing cleanup must not stop the others.
    }
  }
}
