/**
 * The Docker Engine's answers as they arrive over a forwarded socket, in pieces: whole only once the body is all
 * there, by Content-Length or by the last chunk of a chunked body, so belay need not wait for the connection to
 * close (which over SSH comes ~40 ms later).
 */
import { httpAnswer } from '../../src/server/docker.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('httpAnswer', () => {
  it('a chunked body is whole at its last chunk, however it was split', () => {
    const full =
      'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '6\r\n{"Id":\r\nb\r\n"x","é":1}\r\n0\r\n\r\n';
    for (let cut = 0; cut < full.length; cut++) {
      expect(httpAnswer(bytes(full.slice(0, cut)))).toBeUndefined();
    }
    expect(httpAnswer(bytes(full))).toEqual({ status: 200, body: '{"Id":"x","é":1}' });
  });

  it('a body with Content-Length is whole at that many bytes', () => {
    const head = 'HTTP/1.1 404 Not Found\r\nContent-Length: 12\r\n\r\n';
    expect(httpAnswer(bytes(`${head}{"message":`))).toBeUndefined();
    expect(httpAnswer(bytes(`${head}{"message":1}`))).toEqual({ status: 404, body: '{"message":1' });
  });

  it('without either, only once the connection closed; and not HTTP at all is nothing', () => {
    const text = 'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"Id":"y"}';
    expect(httpAnswer(bytes(text))).toBeUndefined();
    expect(httpAnswer(bytes(text), true)).toEqual({ status: 200, body: '{"Id":"y"}' });
    expect(httpAnswer(bytes('SSH-2.0-OpenSSH\r\n\r\n'), true)).toBeUndefined();
  });
});
