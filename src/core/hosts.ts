/** `deploy@web-1.example.com:2222`, `web-1`, `[2001:db8::1]:22`: the host forms users write. */

export interface HostSpec {
  readonly user?: string;
  readonly host: string;
  readonly port?: number;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Parse one host; returns a problem description instead of throwing so callers can name their input. */
export function parseHost(text: string): HostSpec | { problem: string } {
  let rest = text.trim();
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!USER.test(user)) return { problem: `"${user}" is not a valid user name` };
  }
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(.*))?$/.exec(rest);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if ((rest.match(/:/g) ?? []).length > 1) {
    host = rest; // a bare IPv6 address
  } else {
    [host, portText] = rest.split(':') as [string, string | undefined];
    if (!HOSTNAME.test(host)) return { problem: `"${host}" is not a host name or address` };
  }
  if (portText === undefined) return { ...(user ? { user } : {}), host };
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) return { problem: `"${portText}" is not a port (1-65535)` };
  return { ...(user ? { user } : {}), host, port };
}

/** How a host appears in messages and in known_hosts: `[host]:port` when the port is not 22. */
export function hostLabel(target: { user?: string; host: string; port?: number }): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.user ? `${target.user}@` : ''}${host}:${target.port ?? 22}`;
}
