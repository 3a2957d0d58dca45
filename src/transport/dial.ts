/**
 * The TCP connection under an SSH connection, opened on its own: a caller can start it before the SSH code has
 * loaded, and sshd (which forks and starts anew for every connection, about 30 ms before it says a word) gets
 * going while this process is still loading that code.
 */
import { Socket } from 'node:net';

/**
 * Connect to host:port with Nagle's algorithm off (see openClient). Rejects with the socket's own error, or one
 * with `level: 'client-timeout'` after `timeoutMs`; the rejection is marked handled, so a caller may attach to it
 * late without Node treating it as unhandled.
 */
export function dial(host: string, port: number, timeoutMs: number): Promise<Socket> {
  const dialing = new Promise<Socket>((resolve, reject) => {
    const socket = new Socket();
    socket.setNoDelay(true);
    const fail = (err: unknown) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(Object.assign(new Error('timed out'), { level: 'client-timeout' })), timeoutMs);
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', fail);
      resolve(socket);
    });
    socket.connect({ host, port });
  });
  dialing.catch(() => undefined);
  return dialing;
}

/** Close a connection that was dialed but will not be used. */
export function hangUp(dialing: Promise<Socket> | undefined): void {
  void dialing?.then(
    (socket) => socket.destroy(),
    () => undefined,
  );
}
