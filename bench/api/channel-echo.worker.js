// channel-echo.worker.js — the floor of a follower's W4, the path of its requests without
// the library: started by page A as 'echo', it answers each message of the
// BroadcastChannel bench-echo-ping on bench-echo-pong; started by page B as 'relay', it
// posts its page's messages on bench-echo-ping and the answers back to its page. Each
// posts 'ready' once it listens.
const ping = new BroadcastChannel('bench-echo-ping');
const pong = new BroadcastChannel('bench-echo-pong');
self.onmessage = (e) => {
  if (e.data === 'echo') {
    ping.onmessage = (m) => pong.postMessage(m.data);
  } else {
    pong.onmessage = (m) => self.postMessage(m.data);
    self.onmessage = (m) => ping.postMessage(m.data);
  }
  self.postMessage('ready');
};
