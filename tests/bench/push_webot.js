// The push benchmark's baseline: node-webot's middleware (npm `wechat`) in one
// plain Node HTTP server on loopback, answering every safe-mode push with the same
// text passive reply the gateway's subscriber gives.
//
//   node push_webot.js PORT_FILE TOKEN AES_KEY APPID CONTENT
//
// Listens on a free 127.0.0.1 port and writes it to PORT_FILE.
'use strict';
const http = require('http');
const querystring = require('querystring');
const fs = require('fs');
const path = require('path');
const wechat = require(path.join(__dirname, '../tools/node_modules/wechat'));

const [portFile, token, encodingAESKey, appid, content] = process.argv.slice(2);
const middleware = wechat({ token, appid, encodingAESKey, checkSignature: true }, (req, res) =>
  res.reply(content));

const server = http.createServer((req, res) => {
  // Express would parse the query; the middleware reads req.query.
  const at = req.url.indexOf('?');
  req.query = at < 0 ? {} : querystring.parse(req.url.slice(at + 1));
  middleware(req, res, () => {
    res.statusCode = 404;
    res.end();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => fs.writeFileSync(portFile, String(server.address().port)));
