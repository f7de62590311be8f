// AttachToAsio: the event-library glue hiredis needs for its asynchronous API
// (hiredis ships adapters for libevent, libev, libuv and others, not for Asio).
//
//   redisAsyncContext* ac = redisAsyncConnect(host, port);
//   AttachToAsio(io, ac);   // from now on, `io`'s thread reads and writes ac's socket
//
// hiredis asks to start or stop reading and writing; each request becomes a one-shot
// wait on the socket that calls redisAsyncHandleRead/Write and re-arms while still
// wanted. When hiredis frees the context it calls the cleanup hook: the waits are
// cancelled and the socket is handed back (hiredis closes it, not Asio).
// Call it, and use the context, only on `io`'s thread.
#ifndef WXGATE_SERVICE_REDIS_HIREDIS_ASIO_H_
#define WXGATE_SERVICE_REDIS_HIREDIS_ASIO_H_

#include <hiredis/async.h>

#include <boost/asio/io_context.hpp>

namespace wxgate {

void AttachToAsio(boost::asio::io_context& io, redisAsyncContext* ac);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_REDIS_HIREDIS_ASIO_H_
