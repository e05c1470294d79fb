// The page's one events socket (/ws/v1/events, virtconsole.v1; docs/websocket-protocol.md), shared by every script
// of the page. Each script used to open its own: the domain page held two, each a task and a subscription on the
// server, each reconnecting on its own. A subscription is the socket's and adds up, so each script subscribes
// to what it shows in its open handler, which runs again after every reconnect (messages sent while the socket
// was away reached nobody: that is also where a script reads once more what it follows).
//
// listen({open(), message(message), close(event)}): any of the three; a script listening once the socket is
// open has its open() called at once. "Open" is the server's hello, not the handshake: the server follows the
// socket's topics before it greets, so what a script reads in open() misses no change (a job that ended between
// the handshake and the server joining its topic used to be lost). send(message): dropped until then (open()
// sends again).
export const SIGNED_OUT = 4001; // the server closed the socket for good: reconnecting would only be refused

const listeners = [];
let socket = null;
let greeted = false;
let backoff = 1000;

function each(handler, ...args) {
  for (const listener of listeners) {
    try {
      listener[handler]?.(...args);
    } catch (error) {
      console.error(error); // one broken script must not starve the others
    }
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}/ws/v1/events`, ["virtconsole.v1"]);
  greeted = false;
  socket.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.type === "hello" && !greeted) {
      greeted = true;
      backoff = 1000;
      each("open");
      return;
    }
    each("message", message);
  });
  socket.addEventListener("close", (event) => {
    greeted = false;
    each("close", event);
    if (event.code === SIGNED_OUT) return;
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 30000);
  });
}

export function listen(listener) {
  listeners.push(listener);
  if (socket === null) connect();
  else if (greeted) listener.open?.();
  return listener;
}

export function send(message) {
  if (greeted && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}
