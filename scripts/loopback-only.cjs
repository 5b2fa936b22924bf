// Preloaded into Harper (NODE_OPTIONS=--require) so that every listening
// socket is bound to loopback.  harperdb 4.7 opens extra listeners on
// random ports bound to all interfaces (a "null" securePort becomes a
// wildcard reuseport socket); this rewrites wildcard hosts to 127.0.0.1.
'use strict';
const net = require('net');
const WILD = new Set([undefined, null, '', '0.0.0.0', '::', '[::]']);
const origListen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
	if (args.length && typeof args[0] === 'object' && args[0] !== null &&
	    !Array.isArray(args[0]) && !(args[0] instanceof net.Server)) {
		const o = Object.assign({}, args[0]);
		if ((o.port !== undefined || o.fd === undefined) && !o.path &&
		    WILD.has(o.host))
			o.host = '127.0.0.1';
		args[0] = o;
	} else if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
		if (typeof args[1] !== 'string' || WILD.has(args[1])) {
			if (typeof args[1] === 'string')
				args[1] = '127.0.0.1';
			else
				args.splice(1, 0, '127.0.0.1');
		}
	}
	return origListen.apply(this, args);
};
const Module = require('module');
const origLoad = Module._load;
Module._load = function (request, parent, isMain) {
	const m = origLoad.apply(this, arguments);
	if (request === 'node-unix-socket' && m && typeof m.createReuseportFd === 'function' &&
	    !m.__bqsyncWrapped) {
		const orig = m.createReuseportFd;
		const wrapped = Object.assign({}, m, {
			__bqsyncWrapped: true,
			createReuseportFd(port, host) {
				if (WILD.has(host))
					host = '127.0.0.1';
				if (typeof port !== 'number' || Number.isNaN(port))
					port = 0;
				return orig.call(m, port, host);
			},
		});
		return wrapped;
	}
	return m;
};
