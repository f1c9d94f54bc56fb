// echo.worker.js — the floor of W4: answers each message with a copy of it, doing
// nothing else, so bench/api/index.html can time a bare page ↔ worker round trip in
// the same run as the library's.
self.onmessage = (e) => self.postMessage(e.data);
