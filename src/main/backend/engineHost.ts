// How main starts an engine process. The backend only sees this interface; the Electron entry
// passes a utilityProcess-based spawner, browser mode and tests the child_process one below.
import { fork } from 'node:child_process';
import type { FromEngine, ToEngine } from '../../engine/protocol';

export interface EngineChild {
  send(msg: ToEngine): void;
  onMessage(listener: (msg: FromEngine) => void): void;
  /** called once when the process is gone, with its exit code (null if killed by a signal) */
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}

export type SpawnEngine = () => EngineChild;

/** Plain Node: child_process.fork with structured-clone serialisation (typed arrays survive). */
export function nodeEngineSpawner(entry: string, execArgv: string[] = []): SpawnEngine {
  return () => {
    const child = fork(entry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    return {
      send: (msg) => {
        if (child.connected) child.send(msg);
      },
      onMessage: (l) => child.on('message', (m) => l(m as FromEngine)),
      onExit: (l) => child.once('exit', (code) => l(code)),
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  };
}
