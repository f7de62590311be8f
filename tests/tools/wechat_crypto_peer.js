// The npm package wechat-crypto, an implementation of WeChat's callback encryption
// independent of wxgate's, as a command line for the cross-check test:
//
//   node wechat_crypto_peer.js encrypt   TOKEN AES_KEY APPID MESSAGE    -> base64
//   node wechat_crypto_peer.js decrypt   TOKEN AES_KEY APPID BASE64     -> message
//   node wechat_crypto_peer.js signature TOKEN AES_KEY APPID TIMESTAMP NONCE BASE64
'use strict';
const WXBizMsgCrypt = require('wechat-crypto');

const [command, token, aesKey, appid, ...rest] = process.argv.slice(2);
const crypto = new WXBizMsgCrypt(token, aesKey, appid);
switch (command) {
  case 'encrypt':
    process.stdout.write(crypto.encrypt(rest[0]));
    break;
  case 'decrypt': {
    const { message, id } = crypto.decrypt(rest[0]);
    if (id !== appid) throw new Error(`encrypted for ${id}, not ${appid}`);
    process.stdout.write(message);
    break;
  }
  case 'signature':
    process.stdout.write(crypto.getSignature(rest[0], rest[1], rest[2]));
    break;
  default:
    throw new Error(`unknown command ${command}`);
}
